"""``wharf diff [--against DIR | --against-ref GITREF] [--json] [--exit-code]``: review what a change generates.

Exit status 0 whatever the trees hold, as ``git diff``; with ``--exit-code`` 1 when they differ
(as ``git diff --exit-code``), which is also the status of an invalid catalog: ``--json``'s
``identical`` tells the two apart.
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
from typing import Any

from rich.syntax import Syntax

from lakewharf.cli.command_catalog import command_catalog
from lakewharf.cli.output import console
from lakewharf.errors import CatalogError, CatalogInvalid, WharfError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--against", type=Path, metavar="DIR", help="a generated tree (default: build/)")
    group.add_argument("--against-ref", metavar="GITREF", help="the catalog at a git revision, generated afresh")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--exit-code", action="store_true",
                        help="exit 1 when the trees differ, 0 when they are the same (as git diff --exit-code)")


EXAMPLES = """\
  wharf diff                                # the catalog now against build/ (run `wharf generate` first)
  wharf diff --against-ref origin/main      # against the catalog of a branch, generated afresh, with its cost delta
  wharf diff --against-ref HEAD --exit-code # exit 1 when the change generates anything new
  wharf diff --against-ref origin/main --json > review.json
"""


def _tree(folder: Path) -> dict[str, bytes]:
    """The generated tree in ``folder``: the files its manifest lists (and the manifest), so what
    other commands write beside it (``wharf docs``'s site in build/docs, a run report) is not read
    as removed; every file when the folder has no lakewharf manifest."""
    from lakewharf.generate.writer import MANIFEST, is_generated_tree

    files = [p for p in sorted(folder.rglob("*")) if p.is_file()]
    if is_generated_tree(folder):
        listed = {e.get("path") for e in json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["artifacts"]
                  if isinstance(e, dict)} | {MANIFEST}
        files = [p for p in files if p.relative_to(folder).as_posix() in listed]
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def _generated(project: Path) -> dict[str, bytes]:
    from lakewharf.generate.generate_all import generate_all

    return {a.path: a.content for a in generate_all(command_catalog(project))}


def _cost_context(project: Path, tree: dict[str, bytes], root: Path) -> Any:
    """The cost estimate's inputs for the catalog in ``project``, with ``root``'s stack and local run;
    None (and a note) when the catalog cannot be priced."""
    from lakewharf.cost.report import Options, context_for

    try:
        return context_for(command_catalog(project), tree, Options(), project_root=root)
    except WharfError as exc:
        return str(exc)


def _at_ref(root: Path, ref: str, priced: list[Any] | None = None) -> dict[str, bytes]:
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
        tree = _generated(Path(tmp))
        if priced is not None:
            priced.append(_cost_context(Path(tmp), tree, root))
        return tree


def run(args: argparse.Namespace) -> int:
    from lakewharf.generate.diff import compare_trees

    catalog = command_catalog(getattr(args, "project", None))
    new = _generated(catalog.root)
    priced: list[Any] = []
    if args.against_ref:
        old = _at_ref(catalog.root, args.against_ref, priced)
        label = args.against_ref
    else:
        folder = args.against or catalog.root / "build"
        if not folder.is_dir():
            raise CatalogInvalid([CatalogError(str(folder), 0, 0, (), "no generated tree to compare with",
                                               "run `wharf generate` first, or use --against-ref HEAD")])
        old, label = _tree(folder), str(folder)
    report = compare_trees(old, new)
    delta = _delta(priced[0], _cost_context(catalog.root, new, catalog.root)) if priced else \
        "compare with --against-ref GITREF to price the catalog before the change"
    if args.json:
        json.dump({**report.to_dict(), "cost_delta": delta}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return _status(args, report.identical)
    out = console()
    if report.identical:
        out.print(f"no changes to the generated files against {label}", markup=False)
        _print_delta(out, delta)  # a volume change generates nothing new, and still costs
        return _status(args, True)
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
    _print_delta(out, delta)
    return _status(args, False)


def _status(args: argparse.Namespace, identical: bool) -> int:
    return 1 if args.exit_code and not identical else 0


def _delta(old: Any, new: Any) -> dict[str, Any] | str:
    from lakewharf.cost.report import cost_delta

    if isinstance(old, str) or isinstance(new, str):
        return f"not priced: {old if isinstance(old, str) else new}"
    return cost_delta(old, new)


def _print_delta(out: Any, delta: dict[str, Any] | str) -> None:
    """The monthly cost delta per service (month 1 of `wharf cost`), as CI's review summary shows it."""
    if isinstance(delta, str):
        out.print(f"monthly cost delta: {delta}", markup=False, highlight=False)
        return
    total = delta["total"]
    out.print(f"[bold]monthly cost delta[/] ({delta['currency']}, month 1, stack {delta['stack']}): "
              f"{total['before']:,.2f} → {total['after']:,.2f} ({total['delta']:+,.2f})", highlight=False)
    for service, d in delta["services"].items():
        if d["delta"]:
            out.print(f"  {service}: {d['before']:,.2f} → {d['after']:,.2f} ({d['delta']:+,.2f})",
                      markup=False, highlight=False)
