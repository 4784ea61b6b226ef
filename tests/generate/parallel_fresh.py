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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pid_of(item: int) -> str:
    return f"{item}:{os.getpid()}"


def order() -> None:
    from lakewharf.generate import parallel

    items = list(range(parallel.MIN_ITEMS + 37))
    texts = parallel.render_each(_pid_of, items)
    assert [int(t.split(":")[0]) for t in texts] == items
    pids = {int(t.split(":")[1]) for t in texts}
    # Rendered by the workers only (how the shares fell between the two depends on the machine).
    assert os.getpid() not in pids and 1 <= len(pids) <= 2, pids


def same_bytes() -> None:
    from lakewharf.generate import parallel, preparations
    from lakewharf.generate.templates import template_environment
    from lakewharf.project import load_catalog

    spec = importlib.util.spec_from_file_location("scale_catalog", ROOT / "bench" / "scale_catalog.py")
    assert spec and spec.loader
    writer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(writer)
    with tempfile.TemporaryDirectory() as tmp:
        catalog = load_catalog(writer.write(40, Path(tmp) / "project"))
        env = template_environment(catalog.root)
        one = preparations.generate(catalog, env)  # 40 < MIN_ITEMS: one process
        parallel.MIN_ITEMS = 8
        calls: list[int] = []
        real = parallel.render_each

        def counted(render, items):  # type: ignore[no-untyped-def]
            calls.append(len(items))
            return real(lambda ds: f"{os.getpid()}\n{render(ds)}", items)

        parallel.render_each = counted  # type: ignore[assignment]
        on_workers = preparations.generate(catalog, env)
    assert calls == [40], calls
    assert os.getpid() not in {int(a.content.split(b"\n", 1)[0]) for a in on_workers}
    assert [(a.path, a.content.split(b"\n", 1)[1]) for a in on_workers] == [(a.path, a.content) for a in one]


if __name__ == "__main__":
    {"order": order, "same_bytes": same_bytes}[sys.argv[1]]()
