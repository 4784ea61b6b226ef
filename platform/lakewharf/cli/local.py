"""``wharf local up|down|status``: the local lake, the sample source systems and the emulator.

The default needs nothing running (a folder lake, DuckDB); ``WHARF_LAKE=azurite`` uses the
Azurite emulator from ``node_modules`` on 127.0.0.1, and ``WHARF_SQLSERVER`` a SQL Server.
"""

from __future__ import annotations

import argparse

from lakewharf.catalog.api import load_catalog
from lakewharf.cli.output import console


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("up", "down", "status"))
    parser.add_argument("--reseed", action="store_true", help="with up: recreate the sample source data")


def run(args: argparse.Namespace) -> int:
    from lakewharf.local import stack
    from lakewharf.local.azurite import AzuriteError
    from lakewharf.local.lake import LakeUnavailable
    from lakewharf.local.settings import LocalSettings
    from lakewharf.local.sources import SeedError

    catalog = load_catalog(getattr(args, "project", None))
    settings = LocalSettings.from_env(catalog.root)
    out, err = console(), console(stderr=True)
    try:
        if args.action == "up":
            _, report = stack.up(catalog, settings, reseed=args.reseed)
            state = stack.status(catalog, settings)
            out.print(f"lake: {state.lake} (containers for {len(catalog.platform.zones)} zones)", markup=False)
            if report is not None:
                for ref, rows in report.tables.items():
                    out.print(f"seeded {ref}: {rows:,} rows", markup=False)
                for ref, files in report.files.items():
                    out.print(f"seeded {ref}: {files:,} files", markup=False)
                for ref in report.skipped:
                    out.print(f"no sample data for {ref}: supply it yourself", style="yellow", markup=False)
                for column in report.null_columns:
                    out.print(f"{column}: not in the sample data, seeded as NULL", style="yellow", markup=False)
            else:
                out.print("sample sources already seeded (use --reseed to recreate them)", markup=False)
        elif args.action == "down":
            out.print("Azurite stopped" if stack.down(settings) else "nothing was running", markup=False)
        else:
            state = stack.status(catalog, settings)
            out.print(f"lake:      {state.lake}", markup=False)
            if state.azurite is not None:
                out.print(
                    f"azurite:   {'running, pid ' + str(state.azurite.pid) if state.azurite.running else 'stopped'}",
                    markup=False,
                )
            out.print(f"warehouse: {state.warehouse}", markup=False)
            out.print(f"sources:   {'seeded' if state.sources_seeded else 'not seeded (wharf local up)'}", markup=False)
    except (AzuriteError, LakeUnavailable, SeedError) as exc:
        err.print(f"wharf local {args.action}: {exc}", style="red", markup=False)
        return 1
    return 0
