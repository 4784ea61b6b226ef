"""``wharf run [PIPELINE…] [--report FILE] [--json]``: run the generated pipelines locally.

With the embedded defaults nothing needs to be set up first: build/ is regenerated when stale,
the lake and the sample sources are created, and the warehouse scripts are applied.

``--json`` prints the report ``--report`` writes on stdout instead of the tables, and each
activity's progress line on stderr; the exit status is the same (1 when the run failed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table as RichTable

from lakewharf.cli.command_catalog import command_catalog
from lakewharf.cli.output import console

if TYPE_CHECKING:  # type names only: the runner's modules load when the command runs
    from lakewharf.local.report import RunReport
    from lakewharf.local.runner import ActivityRun


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pipelines", nargs="*", metavar="PIPELINE", help="pipelines to run (default: all, in order)")
    parser.add_argument("--report", type=Path, metavar="FILE", help="also write the report as JSON")
    parser.add_argument("--json", action="store_true",
                        help="print the report as JSON on stdout (the --report shape); progress goes to stderr")


EXAMPLES = """\
  wharf run                           # every pipeline, in dependency order
  wharf run nightly                   # one pipeline
  wharf run --report build/run-report.json
  wharf run --json > report.json      # the report as JSON on stdout, progress on stderr
  WHARF_LAKE=azurite wharf run        # against Azurite instead of a folder
"""


def _count(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def run(args: argparse.Namespace) -> int:
    from lakewharf.local.session import run_local
    from lakewharf.local.settings import LocalSettings

    catalog = command_catalog(getattr(args, "project", None))
    unknown = [p for p in args.pipelines if p not in catalog.pipelines]
    err = console(stderr=True)
    out = err if args.json else console()  # with --json stdout holds the report and nothing else
    if unknown:
        err.print(
            f"wharf run: unknown pipeline(s) {', '.join(unknown)}; known: {', '.join(catalog.pipelines)}",
            style="red",
            markup=False,
        )
        return 1
    if args.report and args.report.is_dir():
        err.print(f"wharf run: --report {args.report} is a folder; give a file name", style="red", markup=False)
        return 1
    settings = LocalSettings.from_env(catalog.root)

    def progress(a: ActivityRun) -> None:
        mark = "[green]✓[/]" if a.status == "Succeeded" else "[red]✗[/]"
        rows = a.measured.rows_written
        detail = f" {rows:,} rows" if rows else ""
        out.print(f"{mark} {a.pipeline}/{a.activity} [dim]{a.type} {a.seconds:.2f}s{detail}[/]")
        if a.error:
            err.print(f"  {a.error}", style="red", markup=False)

    with out.status("running pipelines…"):  # a WharfError ends the command in cli/main, exit 1
        report = run_local(catalog, settings, args.pipelines or None, progress)
    data = report.to_dict()
    if args.json:
        sys.stdout.write(_report_json(data))
    else:
        _print_report(out, report)
    if args.report:
        try:
            _write_report(args.report, data)
        except OSError as exc:
            err.print(f"wharf run: cannot write the report {args.report}: {exc.strerror or exc}", style="red",
                      markup=False)
            return 1
    return 0 if report.succeeded else 1


def _report_json(data: dict) -> str:
    return json.dumps(data, indent=2, default=str) + "\n"


def _write_report(path: Path, data: dict) -> None:
    """Under a temporary name, then renamed: a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(_report_json(data), encoding="utf-8")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def _print_report(out: Console, report: RunReport) -> None:
    data = report.to_dict()
    for source, where in data["sources"].items():
        out.print(f"source {source}: {where}", markup=False, style="yellow" if "re-made" in where else None)
    for notice in data["notices"]:
        out.print(f"⚠ {notice}", style="yellow", markup=False)
    activities = RichTable(title="activities", header_style="bold")
    for col in ("pipeline", "activity", "type", "status", "read", "written", "rejected", "s"):
        activities.add_column(col, justify="right" if col in ("read", "written", "rejected", "s") else "left")
    for a in data["activities"]:
        if a["rows_read"] is None and a["rows_written"] is None and a["status"] == "Succeeded":
            continue  # control and bookkeeping steps: in the JSON report
        style = "" if a["status"] == "Succeeded" else "red"
        activities.add_row(
            a["pipeline"],
            a["activity"],
            a["type"],
            a["status"],
            _count(a["rows_read"]),
            _count(a["rows_written"]),
            _count(a["rows_rejected"]),
            f"{a['seconds']:.2f}",
            style=style,
        )
    out.print(activities)
    pipelines = RichTable(title="pipelines", header_style="bold")
    for col in ("pipeline", "status", "seconds", "error"):
        pipelines.add_column(col, overflow="fold")
    for p in data["pipelines"]:
        pipelines.add_row(
            p["pipeline"],
            p["status"],
            f"{p['seconds']:.1f}",
            p["error"],
            style="" if p["status"] == "Succeeded" else "red",
        )
    out.print(pipelines)
    if data["models_trained"]:
        models = RichTable(title="models trained (held-out metrics)", header_style="bold")
        for col in ("model", "version", "metrics"):
            models.add_column(col, overflow="fold")
        for m in data["models_trained"]:
            models.add_row(m["model"], str(m["version"]), _metrics(m["metrics"]))
        out.print(models)
    tables = RichTable(title="warehouse tables", header_style="bold")
    tables.add_column("table")
    tables.add_column("rows", justify="right")
    for name, rows in data["warehouse_tables"].items():
        if not name.startswith("stg."):
            tables.add_row(name, f"{rows:,}")
    out.print(tables)
    if data["data_tests"]:
        tests = RichTable(title="data tests", header_style="bold")
        for col in ("table", "test", "severity", "status", "failing rows"):
            tests.add_column(col, justify="right" if col == "failing rows" else "left", overflow="fold")
        for t in data["data_tests"]:
            style = {"fail": "red", "warn": "yellow"}.get(t["status"], "")
            tests.add_row(t["table_name"], t["test_name"], t["severity"], t["status"], f"{t['failing_rows']:,}",
                          style=style)
        out.print(tests)
    for warning in data["warnings"]:
        out.print(f"⚠ {warning}", style="yellow", markup=False)
    out.print("[bold]not verified locally[/]")
    for note in data["not_verified_locally"]:
        out.print(f"  • {note}", markup=False)
    privacy = data["privacy_check"]
    for finding in privacy["allowed"]:
        out.print(f"  ✓ {finding}", style="dim", markup=False)
    if privacy["violations"]:
        out.print(f"[bold red]privacy check: {len(privacy['violations'])} violation(s)[/]")
        for v in privacy["violations"]:
            out.print(f"  ✗ {v}", style="red", markup=False)
    else:
        out.print(
            f"[green]✓ privacy check on the data: no personal value in {len(privacy['checked'])} datasets and "
            "tables whose readers lack clearance[/]"
        )
    if data["failure"]:
        out.print(f"✗ the run stopped early: {data['failure']}", style="bold red", markup=False)
    verdict = "[bold green]✓ run succeeded[/]" if data["succeeded"] else "[bold red]✗ run failed[/]"
    out.print(f"{verdict} in {data['seconds']:.1f} s")


def _metrics(metrics: dict[str, float]) -> str:
    """``auc 0.888 · f1 0.725 · train_rows 1,585``: counts as integers, scores to three places.

    metrics.json stores everything as floats; a whole number of 2 or more is a count (a perfect
    score of 1.0 stays ``1.000``)."""
    parts = []
    for name, value in sorted(metrics.items()):
        count = float(value).is_integer() and abs(value) >= 2
        parts.append(f"{name} {int(value):,}" if count else f"{name} {value:.3f}")
    return " · ".join(parts)
