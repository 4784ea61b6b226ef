"""``wharf generate [--out DIR] [--check]``: write every artifact for the catalog.

Nothing is written for an invalid catalog (the errors are those of ``wharf validate``), and the
tree is swapped into place only when complete.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from rich.table import Table as RichTable

from lakewharf.cli.command_catalog import command_catalog
from lakewharf.cli.output import console


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=None, metavar="DIR", help="output folder (default: build/)")
    parser.add_argument("--check", action="store_true",
                        help="also run the real validators (Data Factory models and expressions, Azure ML "
                             "loaders, sqlfluff T-SQL) over the result")


EXAMPLES = """\
  wharf generate                      # write build/
  wharf generate --check              # and run the Data Factory, Azure ML and T-SQL validators over it
  wharf generate --out /tmp/build     # somewhere else (what `wharf diff --against DIR` compares with)
"""


def run(args: argparse.Namespace) -> int:
    from lakewharf.generate.generate_all import generate_all
    from lakewharf.generate.writer import OutputRefused, write_tree

    started = time.perf_counter()
    catalog = command_catalog(getattr(args, "project", None))
    out: Path = args.out if args.out is not None else catalog.root / "build"
    artifacts = generate_all(catalog)
    try:
        write_tree(out, artifacts)
    except OutputRefused as exc:
        console(stderr=True).print(f"wharf generate: {exc}; nothing was written", style="red", markup=False)
        return 1
    seconds = time.perf_counter() - started
    table = RichTable(title=f"generated {len(artifacts)} files into {out} in {seconds:.2f} s", header_style="bold")
    table.add_column("folder")
    table.add_column("files", justify="right")
    table.add_column("bytes", justify="right")
    files: Counter[str] = Counter()
    size: Counter[str] = Counter()
    for a in artifacts:
        parts = a.path.split("/")
        folder = "/".join(parts[:2]) if len(parts) > 2 else (parts[0] if len(parts) == 2 else ".")
        files[folder] += 1
        size[folder] += len(a.content)
    for folder in sorted(files):
        table.add_row(folder, str(files[folder]), f"{size[folder]:,}")
    out_console = console()
    out_console.print(table)
    if args.check:
        from lakewharf.generate.check import check_tree

        problems = check_tree(out)
        for p in problems:
            console(stderr=True).print(f"{p.file}: {p.message}", style="red", markup=False)
        if problems:
            console(stderr=True).print(f"{len(problems)} validator problem(s)", style="bold red", markup=False)
            return 1
        out_console.print("[green]✓ every artifact passes the Data Factory, Azure ML and T-SQL validators[/]")
    return 0
