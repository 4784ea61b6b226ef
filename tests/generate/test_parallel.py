"""Rendering on several processes (generate/parallel.py) gives what one process gives, in order,
and falls back to one process where forking is unsafe or a worker fails."""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path

import pytest

from lakewharf.generate import parallel, preparations
from lakewharf.generate.templates import template_environment
from lakewharf.project import load_catalog

ROOT = Path(__file__).resolve().parents[2]


def _pid_of(item: int) -> str:
    return f"{item}:{os.getpid()}"


def _pids(texts: list[str]) -> set[int]:
    return {int(t.split(":")[1]) for t in texts}


@pytest.fixture
def two_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    # Other test modules of this process may have loaded DuckDB; these workers only render.
    monkeypatch.setattr(parallel, "_NATIVE_THREADS", ("lakewharf_test_native_threads",))


@pytest.mark.usefixtures("two_workers")
def test_many_items_render_on_worker_processes_in_input_order() -> None:
    items = list(range(parallel.MIN_ITEMS + 37))
    texts = parallel.render_each(_pid_of, items)
    assert [int(t.split(":")[0]) for t in texts] == items
    pids = _pids(texts)
    # Rendered by the workers only (how the shares fell between the two depends on the machine).
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


@pytest.mark.usefixtures("two_workers")
def test_few_items_render_in_this_process() -> None:
    assert _pids(parallel.render_each(_pid_of, list(range(parallel.MIN_ITEMS - 1)))) == {os.getpid()}


@pytest.mark.usefixtures("two_workers")
def test_no_fork_while_another_thread_runs() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert _pids(parallel.render_each(_pid_of, list(range(parallel.MIN_ITEMS)))) == {os.getpid()}
    finally:
        stop.set()
        other.join()


@pytest.mark.usefixtures("two_workers")
def test_no_fork_once_a_library_with_native_threads_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    monkeypatch.setitem(sys.modules, "lakewharf_test_native_threads", types.ModuleType("lakewharf_test_native_threads"))
    assert _pids(parallel.render_each(_pid_of, list(range(parallel.MIN_ITEMS)))) == {os.getpid()}


def test_one_worker_configured_renders_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    assert _pids(parallel.render_each(_pid_of, list(range(parallel.MIN_ITEMS)))) == {os.getpid()}


@pytest.mark.usefixtures("two_workers")
def test_a_failing_item_raises_its_own_error_from_this_process() -> None:
    seen: list[int] = []

    def render(item: int) -> str:
        seen.append(os.getpid())
        if item == 150:
            raise ValueError(f"bad item {item}")
        return str(item)

    with pytest.raises(ValueError, match="bad item 150"):
        parallel.render_each(render, list(range(parallel.MIN_ITEMS)))
    assert os.getpid() in seen  # rendered again here after the pool failed


@pytest.mark.usefixtures("two_workers")
def test_preparation_scripts_are_the_same_bytes_on_workers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("scale_catalog", ROOT / "bench" / "scale_catalog.py")
    assert spec and spec.loader
    writer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(writer)
    catalog = load_catalog(writer.write(40, tmp_path / "project"))
    env = template_environment(catalog.root)
    one = preparations.generate(catalog, env)  # 40 < MIN_ITEMS: one process
    monkeypatch.setattr(parallel, "MIN_ITEMS", 8)
    calls: list[int] = []
    real = parallel.render_each

    def counted(render, items):  # type: ignore[no-untyped-def]
        calls.append(len(items))
        return real(lambda ds: f"{os.getpid()}\n{render(ds)}", items)

    monkeypatch.setattr(parallel, "render_each", counted)
    on_workers = preparations.generate(catalog, env)
    assert calls == [40]
    assert os.getpid() not in {int(a.content.split(b"\n", 1)[0]) for a in on_workers}
    assert [(a.path, a.content.split(b"\n", 1)[1]) for a in on_workers] == [(a.path, a.content) for a in one]
