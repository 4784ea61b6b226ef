"""``wharf query "SQL" [--json]``: read-only SQL on the local warehouse.

Write the query in T-SQL, as on Synapse (``SELECT TOP 10 ...``); on DuckDB it is translated.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import json
import sys
from typing import Any

from rich.table import Table as RichTable

from lakewharf.cli.output import console
from lakewharf.project import resolve_project


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sql", help="one SELECT statement (T-SQL)")
    parser.add_argument("--json", action="store_true", help='print {"rows": [{column: value}]}')


EXAMPLES = """\
  wharf query "SELECT TOP 5 * FROM mart.fact_orders"
  wharf query "SELECT COUNT(*) AS n FROM mart.dim_customer" --json
"""


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return value


def run(args: argparse.Namespace) -> int:
    from lakewharf.local.project_lock import project_lock
    from lakewharf.local.settings import LocalSettings
    from lakewharf.local.warehouse import WarehouseError, open_warehouse, read_only_select

    settings = LocalSettings.from_env(resolve_project(getattr(args, "project", None)))
    try:
        read_only_select(args.sql)
        with project_lock(settings.state, "query", shared=True):  # never mid-run: a run holds it alone
            warehouse = open_warehouse(settings, read_only=True)
            try:
                columns, rows = warehouse.query(args.sql)
            finally:
                warehouse.close()
    except WarehouseError as exc:
        console(stderr=True).print(f"wharf query: {exc}", style="red", markup=False)
        return 1
    if args.json:
        json.dump(
            {"rows": [{c: _plain(v) for c, v in zip(columns, row, strict=True)} for row in rows]}, sys.stdout, indent=2
        )
        sys.stdout.write("\n")
        return 0
    table = RichTable(header_style="bold", caption=f"{len(rows)} row{'s' if len(rows) != 1 else ''}")
    for c in columns:
        table.add_column(c, overflow="fold")
    for row in rows:
        table.add_row(*("NULL" if v is None else str(v) for v in row))
    console().print(table)
    return 0
