"""Synapse SQL generator: the warehouse (dedicated SQL pool) and the serverless lake database.

Writes, under ``synapse/``::

    warehouse/00_schemas.sql                      schemas, reader roles, control tables (etl.*)
    warehouse/tables/<schema>.<table>.sql         table, masks, classifications, grants
    warehouse/tables/stg.<schema>__<table>.sql    its staging table (HEAP, ROUND_ROBIN)
    warehouse/procedures/etl.load_<table>.sql     staging → table: merge, append or type-2 history
    warehouse/procedures/etl.audit_<table>.sql    the table's data tests (only for a table with tests)
    warehouse/load/<table>.sql                    COPY INTO staging + the procedure call (Data Factory)
    serverless/00_setup.sql                       database, zone schemas, credential, data sources
    serverless/landing/<source>__<entity>.sql     a view over each landing entity's dated folders

Files are idempotent where Synapse allows (``IF OBJECT_ID(...) IS NULL``), split into batches with
``GO`` for deployment tools (the load scripts have none: Data Factory runs them as one script),
and byte-identical for the same catalog. The SQL text comes from the project's
``templates/synapse/``; the decisions behind it are made in ``tables``, ``procedures``,
``loading`` and ``serverless``.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from lakewharf.generate.artifact import Artifact, text_artifact
from lakewharf.generate.synapse import serverless
from lakewharf.generate.synapse.audits import audit_plan, unknown_row
from lakewharf.generate.synapse.loading import (
    LAKE_ACCOUNT_PLACEHOLDER,
    LAKE_ENDPOINT,
    RUN_ID_EXPR,
    copy_into_sql,
    load_call_sql,
    load_script,
)
from lakewharf.generate.synapse.procedures import load_plan
from lakewharf.generate.synapse.tables import lineage, role_name, table_def
from lakewharf.model import naming
from lakewharf.model.catalog import Catalog, Table

if TYPE_CHECKING:  # jinja2 loads where templates render: validate builds documents without it
    from jinja2 import Environment

__all__ = [
    "LAKE_ACCOUNT_PLACEHOLDER",
    "LAKE_ENDPOINT",
    "RUN_ID_EXPR",
    "copy_into_sql",
    "generate",
    "load_call_sql",
]

WAREHOUSE = "synapse/warehouse"


def generate(catalog: Catalog, templates: Environment) -> list[Artifact]:
    from lakewharf.generate.parallel import render_each

    tables = sorted(catalog.tables.values(), key=lambda t: t.name)
    out = [_schemas(catalog, tables, templates)]
    # Five files per table, a sixth of generate's time at 1,000 tables: rendered on every core.
    for artifacts in render_each(partial(_table_artifacts, catalog, templates=templates), tables):
        out += artifacts
    out += serverless.artifacts(catalog, templates)
    return out


def _schemas(catalog: Catalog, tables: list[Table], templates: Environment) -> Artifact:
    schemas = [{"name": s, "purpose": "warehouse tables"} for s in sorted({t.schema for t in tables})]
    schemas += [{"name": naming.STAGING_SCHEMA, "purpose": "staging tables, filled by COPY INTO"},
                {"name": naming.ETL_SCHEMA, "purpose": "load procedures and control tables"}]
    readers = sorted({r for t in tables for r in (*t.readers, *t.unmask)})
    roles = [{"name": role_name(r), "description": _role_description(catalog, r)} for r in readers]
    text = templates.get_template(f"{WAREHOUSE}/schemas.sql.j2").render(
        schemas=schemas, roles=roles, watermarks=naming.watermark_table(), load_log=f"{naming.ETL_SCHEMA}.load_log",
        test_results=naming.test_results_table())
    elements = (*(f"role:{r}" for r in readers), *(f"table:{t.name}" for t in tables))
    return text_artifact(f"{WAREHOUSE}/00_schemas.sql", text, elements)


def _role_description(catalog: Catalog, role: str) -> str:
    r = catalog.platform.roles.get(role)
    text = " ".join(r.description.split()) if r and r.description else ""
    return f"catalog role {role}" + (f": {text}" if text else "")


def _table_artifacts(catalog: Catalog, table: Table, templates: Environment) -> list[Artifact]:
    t = table_def(catalog, table)
    element = (f"table:{t.table.name}",)
    source = (f"dataset:{t.table.source_dataset}",) if t.table.source_dataset else (f"model:{t.table.source_model}",)
    flow = lineage(catalog, t.table)
    audits = []
    if t.table.tests:
        plan = audit_plan(catalog, t.table, t.catalog_file)
        audits.append(text_artifact(f"{WAREHOUSE}/procedures/{plan.procedure}.sql",
                                    templates.get_template(f"{WAREHOUSE}/audit_procedure.sql.j2").render(plan=plan),
                                    element))
    return [
        *audits,
        text_artifact(f"{WAREHOUSE}/tables/{t.name}.sql",
                      templates.get_template(f"{WAREHOUSE}/table.sql.j2").render(t=t, unknown=unknown_row(t.table)),
                      element, flow),
        text_artifact(f"{WAREHOUSE}/tables/{t.staging}.sql",
                      templates.get_template(f"{WAREHOUSE}/staging_table.sql.j2").render(t=t), element),
        text_artifact(f"{WAREHOUSE}/procedures/{t.procedure}.sql",
                      templates.get_template(f"{WAREHOUSE}/load_procedure.sql.j2").render(
                          plan=load_plan(t, catalog)),
                      element, flow),
        text_artifact(f"{WAREHOUSE}/load/{t.table.name}.sql", load_script(catalog, t, templates),
                      (*element, *source), flow),
    ]
