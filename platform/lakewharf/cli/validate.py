"""``wharf validate``: check every catalog file and show what the catalog describes.

Problems are printed as ``file:line:col: json.path: message`` (exit 1); a valid catalog gets a
summary: counts per kind, zones with who can read them, and lineage from sources to tables.
"""

from __future__ import annotations

import argparse
import json
import sys

from rich.table import Table as RichTable
from rich.tree import Tree

from lakewharf.cli.command_catalog import command_catalog
from lakewharf.cli.output import console
from lakewharf.model.catalog import Catalog
from lakewharf.model.graph import upstream_refs

LINEAGE_TABLES = 100  # a catalog of 1,000 tables would print 4,000 lines of tree (and take 0.4 s)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


EXAMPLES = """\
  wharf validate                      # problems as file:line:col: json.path: message (exit 1), or a summary
  wharf validate --json | jq .counts
  wharf --project ~/work/shop validate
"""


def counts(catalog: Catalog) -> dict[str, int]:
    return {
        "roles": len(catalog.platform.roles),
        "zones": len(catalog.platform.zones),
        "sources": len(catalog.sources),
        "entities": sum(len(s.entities) for s in catalog.sources.values()),
        "datasets": len(catalog.datasets),
        "models": len(catalog.models),
        "tables": len(catalog.tables),
        "pipelines": len(catalog.pipelines),
        "steps": sum(len(p.steps) for p in catalog.pipelines.values()),
    }


def lineage_tree(catalog: Catalog) -> Tree:
    """One branch per warehouse table, walking upstream to the source entities it comes from."""
    up = upstream_refs(catalog)
    tree = Tree("[bold]lineage[/] (warehouse table ← … ← source)")
    style = {"table": "bold cyan", "dataset": "green", "model": "magenta", "entity": "yellow"}

    def label(node: str) -> str:
        kind, name = node.split(":", 1)
        if kind == "dataset":
            name += f" ({catalog.datasets[name].zone})"
        elif kind == "table":
            name = catalog.tables[name].qualified_name
        return f"[{style[kind]}]{kind}[/] {name}"

    expanded: set[str] = set()

    def grow(branch: Tree, node: str) -> None:
        for parent in sorted(set(up.get(node, ()))):
            if parent in expanded and up.get(parent):
                branch.add(label(parent) + " [dim](↑ see above)[/]")
                continue
            expanded.add(parent)
            grow(branch.add(label(parent)), parent)

    names = sorted(catalog.tables)
    for name in names[:LINEAGE_TABLES]:
        grow(tree.add(label(f"table:{name}")), f"table:{name}")
    if len(names) > LINEAGE_TABLES:
        tree.add(f"[dim]… and {len(names) - LINEAGE_TABLES:,} more tables (docs and `wharf diff` show each one)[/]")
    return tree


def run(args: argparse.Namespace) -> int:
    from lakewharf.local.bindings import load_bindings

    catalog = command_catalog(getattr(args, "project", None))
    bindings = load_bindings(catalog)  # local.yaml is the user's too: its mistakes are located errors here
    data_from = {s: bindings.of(s).describe() for s in sorted(catalog.sources)}
    if args.json:
        json.dump({"valid": True, "platform": catalog.platform.name, "counts": counts(catalog),
                   "local_data": data_from}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    out = console()
    p = catalog.platform
    out.print(f"[bold green]✓ catalog is valid[/]  [bold]{p.name}[/] — {p.description}", markup=True)

    summary = RichTable(title="catalog", show_header=True, header_style="bold")
    summary.add_column("kind")
    summary.add_column("count", justify="right")
    for kind, n in counts(catalog).items():
        summary.add_row(kind, str(n))
    out.print(summary)

    zones = RichTable(title="zones", header_style="bold")
    for col in ("zone", "filesystem", "keep", "readers", "writers", "clearance"):
        zones.add_column(col, overflow="fold")
    for z in p.zones.values():
        retention = f"{z.retention_days} d" if z.retention_days else "forever"
        zones.add_row(z.name, z.filesystem, retention, ", ".join(z.readers), ", ".join(z.writers),
                      str(p.clearance_of(z.audience)))
    out.print(zones)
    out.print(lineage_tree(catalog))
    local = RichTable(title=f"local data ({'local.yaml' if bindings.file else 'no local.yaml'})", header_style="bold")
    local.add_column("source")
    local.add_column("wharf run reads", overflow="fold")
    for source, where in data_from.items():
        local.add_row(source, where)
    out.print(local)
    return 0
