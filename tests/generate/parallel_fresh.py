"""The forking checks of test_parallel, run in a fresh interpreter.

``generate/parallel`` forks only from a process whose main thread is alone and which has loaded no
library with native threads. A long pytest session is not such a process (other tests leave
DuckDB and helper threads behind), so the checks that need real workers run here, started by
test_parallel as ``python parallel_fresh.py CHECK``; they exit 0 or raise.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _pid_of(item: int) -> str:
    return f"{item}:{os.getpid()}"


def _slow_pid_of(item: int) -> str:
    time.sleep(0.002)  # long enough for the worker to start before this process took every share
    return _pid_of(item)


def order() -> None:
    from lakewharf.generate import parallel

    items = list(range(parallel.MIN_ITEMS + 37))
    texts = parallel.render_each(_slow_pid_of, items)
    assert [int(t.split(":")[0]) for t in texts] == items
    pids = [int(t.split(":")[1]) for t in texts]
    # The first here (what rendering builds on first use is then the worker's), the others by
    # this process and one worker, share by share (how they fell depends on the machine).
    assert pids[0] == os.getpid() and len(set(pids)) == 2, set(pids)
    worker = (set(pids) - {os.getpid()}).pop()
    runs = [pid for i, pid in enumerate(pids) if i == 0 or pid != pids[i - 1]]
    assert worker in runs and len(runs) <= 2 * 8 + 1, runs  # whole shares: at most 8, each a run


def _scale_catalog() -> Any:
    spec = importlib.util.spec_from_file_location("scale_catalog", ROOT / "bench" / "scale_catalog.py")
    assert spec and spec.loader
    writer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(writer)
    return writer


def _on_workers(calls: list[int], pids: set[int]) -> Any:
    """parallel.render_each, recording each call's item count and the processes that rendered."""
    from lakewharf.generate import parallel

    real = parallel.render_each
    here = os.getpid()

    def marked_render(render, item):  # type: ignore[no-untyped-def]
        if os.getpid() == here:
            time.sleep(0.005)  # this process takes shares too: slowed, so that the worker surely takes some
        return os.getpid(), render(item)

    def counted(render, items):  # type: ignore[no-untyped-def]
        calls.append(len(items))
        marked = real(partial(marked_render, render), items)
        pids.update(pid for pid, _ in marked)
        return [result for _, result in marked]

    return counted


def same_bytes() -> None:
    """Preparation scripts, the warehouse's files and the landing views: the same artifacts from the workers."""
    from lakewharf.generate import parallel, preparations, synapse
    from lakewharf.generate.templates import template_environment
    from lakewharf.project import load_catalog

    with tempfile.TemporaryDirectory() as tmp:
        catalog = load_catalog(_scale_catalog().write(40, Path(tmp) / "project"))
        env = template_environment(catalog.root)
        one = [*preparations.generate(catalog, env), *synapse.generate(catalog, env)]  # 40 < MIN_ITEMS
        parallel.MIN_ITEMS = 8
        calls: list[int] = []
        pids: set[int] = set()
        parallel.render_each = _on_workers(calls, pids)  # type: ignore[assignment]
        on_workers = [*preparations.generate(catalog, env), *synapse.generate(catalog, env)]
    assert calls == [40, 40, 40], calls  # preparations, warehouse tables, landing views
    assert os.getpid() in pids and len(pids) == 4, pids  # this process and one worker per call
    assert on_workers == one


def catalog_files() -> None:
    """A catalog's files read on the workers: the same documents, problems and inline secrets."""
    from lakewharf.catalog.loader import load_catalog_files
    from lakewharf.generate import parallel

    with tempfile.TemporaryDirectory() as tmp:
        root = _scale_catalog().write(120, Path(tmp) / "project")
        files = sorted((root / "catalog").rglob("*.yaml"))
        assert len(files) > parallel.MIN_ITEMS, len(files)
        files[3].write_text("columns: [unclosed\n")  # a YAML syntax error
        files[60].write_text(files[60].read_text() + "unknown_field: 1\n")  # a schema problem
        files[150].write_text(files[150].read_text().replace("description:", "password: hunter22\ndescription:", 1))
        alone = load_catalog_files(root)
        calls: list[int] = []
        pids: set[int] = set()
        on_workers = load_catalog_files(root, _on_workers(calls, pids))
    assert calls == [len(files) + 1], calls  # and pipelines.yaml
    assert os.getpid() in pids and len(pids) == 2, pids  # this process and its worker
    assert len(alone.errors) >= 3 and on_workers.errors == alone.errors, (alone.errors, on_workers.errors)
    assert on_workers.files == alone.files


if __name__ == "__main__":
    {"order": order, "same_bytes": same_bytes, "catalog_files": catalog_files}[sys.argv[1]]()
