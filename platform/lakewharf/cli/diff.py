"""``wharf diff [--against DIR | --against-ref GITREF] [--json]``: review what a change generates.

Exit status 0 when the trees are the same and 2 when they differ, like ``git diff --exit-code``.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from rich.syntax import Syntax

from lakewharf.cli.output import console
from lakewharf.errors import CatalogError, CatalogInvalid
from lakewharf.project import load_catalog


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--against", type=Path, metavar="DIR", help="a generated tree (default: build/)")
    group.add_argument("--against-ref", metavar="GITREF", help="the catalog at a git revision, generated afresh")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _generated(project: Path) -> dict[str, bytes]:
    from lakewharf.generate.generate_all import generate_all

    return {a.path: a.content for a in generate_all(load_catalog(project))}


def _at_ref(root: Path, ref: str) -> dict[str, bytes]:
    """Generate the catalog as it was at ``ref`` (catalog/, pipelines.yaml and templates/)."""
    git = ["git", "-C", str(root)]
    present = [p for p in ("catalog", "pipelines.yaml", "templates")
               if subprocess.run([*git, "cat-file", "-e", f"{ref}:{p}"], capture_output=True).returncode == 0]
    result = subprocess.run([*git, "archive", "--format=tar", ref, "--", *present], capture_output=True)
    if result.returncode != 0 or not present:
        message = result.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["git archive failed"]
        raise CatalogInvalid([CatalogError(ref, 0, 0, (), f"cannot read the catalog at {ref}: {message[0]}",
                                           "give a commit, branch or tag of this repository")])
    archive = io.BytesIO(result.stdout)
    with tempfile.TemporaryDirectory(prefix="wharf-diff-") as tmp, tarfile.open(fileobj=archive) as tar:
        tar.extractall(tmp, filter="data")
        return _generated(Path(tmp))


def run(args: argparse.Namespace) -> int:
    from lakewharf.generate.diff import compare_trees

    catalog = load_catalog(getattr(args, "project", None))
    new = _generated(catalog.root)
    if args.against_ref:
        old = _at_ref(catalog.root, args.against_ref)
        label = args.against_ref
    else:
        folder = args.against or catalog.root / "build"
        if not folder.is_dir():
            raise CatalogInvalid([CatalogError(str(folder), 0, 0, (), "no generated tree to compare with",
                                               "run `wharf generate` first, or use --against-ref HEAD")])
        old, label = _tree(folder), str(folder)
    report = compare_trees(old, new)
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0 if report.identical else 2
    out = console()
    if report.identical:
        out.print(f"no changes against {label}", markup=False)
        return 0
    counts = {s: sum(c.status == s for c in report.changes) for s in ("added", "removed", "changed")}
    out.print(f"[bold]against {label}[/]: {counts['added']} added, {counts['removed']} removed, "
              f"{counts['changed']} changed")
    for c in report.changes:
        style = {"added": "green", "removed": "red", "changed": "yellow"}[c.status]
        out.print(f"[{style}]{c.status:>8}[/] {c.path}")
    for c in report.changes:
        if not c.diff:
            continue
        if out.is_terminal:  # colours, and long lines wrapped rather than cut at the edge
            out.print(Syntax(c.diff, "diff", theme="ansi_dark", word_wrap=True), soft_wrap=False)
        else:  # a pipe or a CI log: the plain unified diff, every line whole
            out.print(c.diff, markup=False, highlight=False, end="")
    if report.breaking:
        out.print(f"[bold red]{len(report.breaking)} breaking change(s)[/]")
        for b in report.breaking:
            out.print(f"  [red]{b.kind}[/] {b.object}: {b.message}", markup=True, highlight=False)
    return 2
