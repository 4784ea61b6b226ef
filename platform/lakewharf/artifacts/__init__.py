"""Reading back what the generators wrote under ``build/``, for the rooms that act on it.

The infra program deploys the reviewed files and the local runner executes them; both read them
here, through one reader, so what is deployed and what runs locally are the same objects:

- ``adf_tree`` — ``build/adf`` (linked services, datasets, pipelines, triggers, factory) and
  ``build/control``, in deployment order, with datasets resolved as an activity sees them.
"""
