"""Loading a warehouse table: COPY INTO its staging table, then its load procedure.

The Data Factory generator embeds ``copy_into_sql`` and ``load_call_sql`` in Script activities;
``synapse/warehouse/load/<table>.sql`` holds exactly the same text, so what is reviewed (and
parsed by sqlfluff) is what runs.

The lake's storage account differs per environment, so the files name it with a placeholder:

    https://lake-storage-account.dfs.core.windows.net/<filesystem>/<folder>/

``lake-storage-account`` was chosen by testing both consumers:
- sqlfluff's tsql grammar checks a COPY INTO location against the storage URL shape
  (``'https://<account>.dfs.core.windows.net/<container>/...'``, account of lower-case letters,
  digits and hyphens): any templating syntax in the host (``@{...}``, ``$(...)``, ``{{...}}``) makes
  the whole statement unparsable, while a plain host name parses.
- The hyphens make it an impossible storage account name (3-24 lower-case letters and digits), so
  a script run without substitution fails on DNS instead of reaching someone else's account.
- Data Factory substitutes it either by passing its own endpoint expression to ``copy_into_sql``
  (string interpolation, which a Script activity evaluates in the script text)::

      copy_into_sql(catalog, table, "https://@{pipeline().globalParameters.lake_storage_account}.dfs.core.windows.net")

  or by ``@replace(<file text>, 'lake-storage-account', pipeline().globalParameters.lake_storage_account)``.
  Deployment scripts (serverless setup) replace the same token.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from lakewharf.generate.synapse.audits import audit_call_sql
from lakewharf.generate.synapse.tables import TableDef, source_columns, table_def
from lakewharf.generate.templates import bracket, template_environment
from lakewharf.model import lake, naming
from lakewharf.model.catalog import Catalog, Table

if TYPE_CHECKING:  # jinja2 loads where templates render: validate builds documents without it
    from jinja2 import Environment

LAKE_ACCOUNT_PLACEHOLDER = "lake-storage-account"
LAKE_ENDPOINT = f"https://{LAKE_ACCOUNT_PLACEHOLDER}.dfs.core.windows.net"
RUN_ID_EXPR = "@{pipeline().RunId}"  # Data Factory string interpolation: the pipeline run's id
# Managed identity needs the .dfs endpoint for Parquet; the workspace identity needs Storage Blob
# Data Reader (or Contributor) on the filesystem.
# https://learn.microsoft.com/sql/t-sql/statements/copy-into-transact-sql?view=azure-sqldw-latest
COPY_CREDENTIAL = "IDENTITY = 'Managed Identity'"


def source_location(catalog: Catalog, table: Table) -> tuple[str, str]:
    """(filesystem, folder) of the Parquet files a table loads from."""
    if table.source_dataset:
        dataset = catalog.datasets[table.source_dataset]
        return catalog.platform.zones[dataset.zone].filesystem, lake.dataset_folder(dataset.name)
    assert table.source_model and table.source_output
    model = catalog.models[table.source_model]
    zone = catalog.platform.zones[model.scoring.output_zone]
    return zone.filesystem, lake.scores_folder(model.name, table.source_output)


def copy_into_sql(catalog: Catalog, table: Table | str, source_url_expr: str = LAKE_ENDPOINT) -> str:
    """TRUNCATE the staging table, then COPY INTO it from the table's Parquet folder.

    ``source_url_expr`` is the lake's DFS endpoint (``https://<account>.dfs.core.windows.net``) or a
    Data Factory expression producing it, written into the location literal as is. Truncating first
    makes the step safe to re-run: staging never holds two copies of the same files.
    """
    table = catalog.tables[table] if isinstance(table, str) else table
    return _copy_text(catalog, table_def(catalog, table), source_url_expr, _environment(catalog.root))


def load_call_sql(table: Table | str, run_id_expr: str = RUN_ID_EXPR) -> str:
    """The call of the table's load procedure; the run id defaults to the Data Factory run id.

    ``run_id_expr`` is written into the string literal as is (Data Factory evaluates ``@{...}``
    before SQL sees it, so quotes inside the expression must not be doubled).
    """
    name = table if isinstance(table, str) else table.name
    return f"EXEC {bracket(naming.load_procedure_name(name))} @run_id = N'{run_id_expr}';\n"


def load_script(catalog: Catalog, t: TableDef, templates: Environment) -> str:
    """``synapse/warehouse/load/<table>.sql``: a comment, then exactly the two embedded statements."""
    filesystem, folder = source_location(catalog, t.table)
    header = templates.get_template("synapse/warehouse/load_header.sql.j2").render(
        t=t, filesystem=filesystem, folder=folder, placeholder=LAKE_ACCOUNT_PLACEHOLDER, run_id=RUN_ID_EXPR)
    # The data tests run right after the load, in the same script: the load worker needs nothing
    # more, and the pipeline no more activities, however many tables have tests.
    audit = audit_call_sql(t.table, RUN_ID_EXPR) if t.table.tests else ""
    return header + _copy_text(catalog, t, LAKE_ENDPOINT, templates) + load_call_sql(t.table) + audit


def _copy_text(catalog: Catalog, t: TableDef, endpoint: str, templates: Environment) -> str:
    filesystem, folder = source_location(catalog, t.table)
    _, file_columns = source_columns(catalog, t.table)
    positions = {name: i for i, name in enumerate(file_columns, start=1)}
    fields = [(tc.name, positions[tc.source_column]) for tc in t.table.columns]
    url = f"{endpoint.rstrip('/')}/{filesystem}/{folder}/"
    return templates.get_template("synapse/warehouse/copy_into.sql.j2").render(
        t=t, fields=fields, url=url, credential=COPY_CREDENTIAL)


@lru_cache(maxsize=8)
def _environment(root: Path) -> Environment:
    return template_environment(root)
