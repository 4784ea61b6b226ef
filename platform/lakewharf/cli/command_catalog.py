"""The catalog a ``wharf`` command works on: loaded once, kept until the process ends."""

from __future__ import annotations

import gc
from pathlib import Path

from lakewharf.cli import heap
from lakewharf.model.catalog import Catalog
from lakewharf.project import load_catalog


def command_catalog(project: Path | None) -> Catalog:
    """``load_catalog(project)``, the cyclic collector paused while it loads; in a one-shot
    ``wharf`` process, what it loaded is then frozen out of later collections (``cli.heap``).

    A load allocates what the catalog keeps: at 1,000 tables the collector walked the growing heap
    four times to free nothing, and later collections walked it again (45-80 ms of validate's
    0.8 s and of generate's, bench/RESULTS.md). A command keeps its catalog to the end, so the few
    cycles a load leaves behind (parsed expressions, 6 % of its objects) can wait for the exit."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        catalog = load_catalog(project)
        heap.freeze_if_one_shot()
        return catalog
    finally:
        if enabled:
            gc.enable()
