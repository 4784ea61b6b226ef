"""Shared terminal output: the error list, and consoles that never interpret catalog text as markup."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence

from rich.console import Console

from lakewharf.errors import CatalogError


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """rich's own handler exits 1; a closed pipe is cli/main.py's to handle, once for every command."""
        self.quiet = True
        raise BrokenPipeError


def console(*, stderr: bool = False) -> Console:
    out = _Console(stderr=stderr, highlight=False, soft_wrap=True)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out.width = 160  # pipes and CI logs: report tables whole rather than cut at rich's 80 columns
    return out


def print_catalog_errors(errors: Sequence[CatalogError], *, as_json: bool = False) -> None:
    """``file:line:col: json.path: message`` per problem (and its hint), then a count."""
    if as_json:
        json.dump({"valid": False, "errors": [e.to_dict() for e in errors]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    err = console(stderr=True)
    for e in errors:
        err.print(f"{e.file}:{e.line}:{e.column}: {e.json_path}: ", style="bold", end="", markup=False)
        err.print(e.message, style="red", markup=False)
        if e.hint:
            err.print(f"  hint: {e.hint}", style="dim", markup=False)
    n = len(errors)
    err.print(f"{n} problem{'s' if n != 1 else ''} found", style="bold red", markup=False)
