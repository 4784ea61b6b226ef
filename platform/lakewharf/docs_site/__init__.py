"""``wharf docs``: a static docs and lineage site of the catalog, its generated files and last run.

``facts`` gathers what each page says, ``graph`` the lineage graph's elements, ``render`` writes
the site with Jinja2 and the vendored Cytoscape.js (``static/``, with their licences).
"""
