"""Data Factory artifacts in the layout of Data Factory's git integration (``build/adf/``):

    adf/factory/<platform>.json          global parameters (empty values; infra sets them)
    adf/linkedService/<name>.json        linked_services
    adf/dataset/<name>.json              datasets
    adf/pipeline/pl_<pipeline>.json      pipelines (+ activities_ingest/_sql/_ml/_control)
    adf/trigger/tr_<pipeline>.json       triggers

Each file is ``{"name": ..., "properties": {...}}`` with the file name equal to the object name,
built as data (no templates, no timestamps) and written with sorted iteration, so two runs are
byte-identical. The SQL the pipelines run is *read from the artifacts generated before* (``built``):
``synapse/serverless/prepare/<dataset>.sql`` (preparations) and ``synapse/warehouse/load/<table>.sql``
(synapse), so the reviewed files are exactly what the Script activities execute.

Global parameters (``@pipeline().globalParameters.<name>``), all strings, endpoints without a
trailing slash, set per environment by the infra program:
https://learn.microsoft.com/azure/data-factory/author-global-parameters

    lake_dfs_endpoint           https://<account>.dfs.core.windows.net
    synapse_dedicated_endpoint  <workspace>.sql.azuresynapse.net
    synapse_dedicated_database  the dedicated SQL pool's name
    synapse_serverless_endpoint <workspace>-ondemand.sql.azuresynapse.net
    key_vault_url               https://<vault>.vault.azure.net
    ml_subscription_id, ml_resource_group, ml_workspace   the Azure ML workspace (studio links)
    ml_region                   e.g. westeurope (batch endpoint URIs)
    ml_endpoint_suffix          the stack's 4-character endpoint suffix: endpoints are <name>-<suffix>
    factory_subscription_id, factory_resource_group       this factory (queryPipelineRuns)

Linked services take them as parameters (Data Factory cannot read global parameters in a linked
service), passed by the datasets and activities that reference them.

Design choices, each explained (with Microsoft Learn links) in its module:

- ingest (activities_ingest): full Copy, or the documented watermark pattern (Lookup old / Lookup
  new / Copy between / advance) for databases, and modified-time ranges for files; landing
  folders ``<source>/<entity>/yyyy/MM/dd`` from the trigger time or the tumbling window.
- prepare / load (activities_sql): Key Vault salt through a secure Web activity, Delete of the
  CETAS targets, Script activities running the generated batches.
- train / score (activities_ml): Azure ML v2 batch endpoints over REST with the factory's managed
  identity, polled by an Until loop; training is a pipeline-component deployment on the endpoint
  ``training_endpoint_name(platform, model)``, because Data Factory's Azure ML
  activity only runs v1 published pipelines.
- failures and ``after:`` (activities_control): Succeeded dependencies, an If + Fail gate after
  each step; upstream pipelines checked through the queryPipelineRuns REST API, or a
  tumbling-window trigger dependency when both pipelines are windowed (triggers).
"""

from __future__ import annotations

from collections.abc import Mapping

from jinja2 import Environment

from lakewharf.generate.adf import datasets, linked_services, triggers
from lakewharf.generate.adf.pipelines import pipeline_document, step_elements
from lakewharf.generate.artifact import Artifact, json_artifact
from lakewharf.generate.preparations import script_path, uses_salt
from lakewharf.model.catalog import Catalog


def generate(catalog: Catalog, templates: Environment, built: Mapping[str, Artifact]) -> list[Artifact]:
    """Every Data Factory artifact of the catalog. ``templates`` is unused: Data Factory JSON is
    built as data. Raises FileNotFoundError if a SQL file a pipeline embeds was not generated."""
    del templates
    prepare_scripts = {name: built[script_path(name)].content.decode("utf-8")
                       for name in sorted(catalog.datasets) if script_path(name) in built}
    prepared = sorted({s.target for p in catalog.pipelines.values() for s in p.steps if s.kind == "prepare"})
    salted = {name: uses_salt(catalog, catalog.datasets[name]) for name in prepared}
    out = linked_services.artifacts(catalog)
    out += datasets.artifacts(catalog, prepare_scripts)
    for name in sorted(catalog.pipelines):
        pipeline = catalog.pipelines[name]
        doc = pipeline_document(catalog, pipeline, built, salted)
        out.append(json_artifact(f"adf/pipeline/{doc['name']}.json", doc, step_elements(catalog, pipeline)))
    out += triggers.artifacts(catalog)
    return out


__all__ = ["generate"]
