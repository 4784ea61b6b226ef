"""``wharf local up|down|status``: the local lake, the sample source systems and the emulator.

Sources bound in ``local.yaml`` are checked; every other source gets lakewharf's own copy
(fixtures, the retail sample, or data generated from the column contracts) under ``.wharf/``.
The default needs nothing running (a folder lake, DuckDB); ``WHARF_LAKE=azurite`` uses the
Azurite emulator from ``node_modules`` on 127.0.0.1, and ``WHARF_SQLSERVER`` a SQL Server.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rich.console import Console

from lakewharf.cli.command_catalog import command_catalog
from lakewharf.cli.output import console

if TYPE_CHECKING:
    from lakewharf.local.sources import SeedReport


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("up", "down", "status"))
    parser.add_argument("--reseed", action="store_true",
                        help="with up: re-make lakewharf's copies of the unbound sources")


EXAMPLES = """\
  wharf local up                      # create the local lake and the sources' copies
  wharf local status
  wharf local up --reseed             # re-make lakewharf's copies of the sources
  wharf local down
"""


def run(args: argparse.Namespace) -> int:
    from lakewharf.local import environment
    from lakewharf.local.settings import LocalSettings

    catalog = command_catalog(getattr(args, "project", None))
    settings = LocalSettings.from_env(catalog.root)
    out = console()
    if args.action == "up":
        from lakewharf.local.project_lock import project_lock

        with project_lock(settings.state, "local up"):
            _, report = environment.up(catalog, settings, reseed=args.reseed)
        state = environment.status(catalog, settings)
        out.print(f"lake: {state.lake} (containers for {len(catalog.platform.zones)} zones)", markup=False)
        print_seed_report(out, report)
    elif args.action == "down":
        out.print("Azurite stopped" if environment.down(settings) else "nothing was running", markup=False)
    else:
        state = environment.status(catalog, settings)
        out.print(f"lake:      {state.lake}", markup=False)
        if state.azurite is not None:
            out.print(
                f"azurite:   {'running, pid ' + str(state.azurite.pid) if state.azurite.running else 'stopped'}",
                markup=False,
            )
        out.print(f"warehouse: {state.warehouse}", markup=False)
        for source, where in state.sources.items():
            out.print(f"source {source}: {where}", markup=False)
    return 0


def print_seed_report(out: Console, report: SeedReport) -> None:
    """Where each source's data comes from, and which of lakewharf's copies were (re)made now."""
    for source, where in report.sources.items():
        made = report.made.get(source)
        out.print(f"source {source}: {where}" + (f" — {made}" if made else ""), markup=False,
                  style="yellow" if made and made.startswith("re-made") else None)
    for ref, rows in report.tables.items():
        out.print(f"  seeded {ref}: {rows:,} rows", markup=False)
    for ref, files in report.files.items():
        out.print(f"  seeded {ref}: {files:,} files", markup=False)
    for ref in report.skipped:
        out.print(f"  no data for {ref}", style="yellow", markup=False)
    if report.reset:
        out.print(f"⚠ {report.reset}", style="yellow", markup=False)
    for column in report.null_columns:
        out.print(f"  {column}: not in the provided data, seeded as NULL", style="yellow", markup=False)
