"""Data Factory artifacts in the layout of Data Factory's git integration (``build/adf/``):

    adf/factory/<platform>.json          global parameters (empty values; infra sets them)
    adf/linkedService/<name>.json        linked_services
    adf/dataset/<name>.json              datasets
    adf/pipeline/pl_<pipeline>.json      orchestrators, one per pipelines.yaml entry (orchestrator)
    adf/pipeline/wk_<kind>.json          worker pipelines, one per kind of work (workers*)
    control/pl_<pipeline>/L<n>_<kind>.json  the orchestrators' items, uploaded to the lake (items)
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

Design (each part explained, with Microsoft Learn links, in its module): the metadata-driven
shape of Microsoft's copy task and of procfwk. A few parameterised *worker* pipelines, one per
kind of work (full / watermark / window copy per source family, CETAS preparation, warehouse
load, training, scoring); parameterised datasets and linked services per kind and format; and
per catalog pipeline an *orchestrator* that runs its items level by level with ForEach →
Execute Pipeline. Adding a table adds an item to a control file, never activities or datasets,
so every pipeline stays within Data Factory's limits (checked by ``limits``, and by ``wharf
validate`` before anything is generated).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from lakewharf.generate.adf import datasets, linked_services, triggers
from lakewharf.generate.adf.factory import factory_documents
from lakewharf.generate.artifact import Artifact
from lakewharf.model.catalog import Catalog

if TYPE_CHECKING:  # jinja2 loads where templates render: validate builds documents without it
    from jinja2 import Environment


def generate(catalog: Catalog, templates: Environment, built: Mapping[str, Artifact]) -> list[Artifact]:
    """Every Data Factory artifact of the catalog and the control files. ``templates`` is unused:
    Data Factory JSON is built as data. Raises FileNotFoundError if a SQL file an item carries was
    not generated, ValueError if a document breaks a Data Factory limit (``wharf validate`` reports
    those as catalog errors first)."""
    del templates
    docs = factory_documents(catalog, built)
    problems = docs.breaches()
    if problems:
        raise ValueError("; ".join(b.message for b in problems))
    out = linked_services.artifacts(catalog)
    out += datasets.artifacts(catalog)
    out += docs.pipeline_artifacts()
    out += triggers.artifacts(catalog)
    return out


__all__ = ["generate"]
