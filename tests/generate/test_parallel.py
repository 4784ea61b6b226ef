"""Rendering on several processes (generate/parallel.py) gives what one process gives, in order,
and falls back to one process where forking is unsafe or a worker fails."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from lakewharf.generate import parallel

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


def _fresh(check: str) -> None:
    """Run ``check`` of parallel_fresh.py in a new interpreter, where forking is allowed."""
    env = {**os.environ, parallel.WORKERS_ENV: "2", "PYTHONPATH": str(ROOT / "platform")}
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("parallel_fresh.py")), check],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


def test_many_items_render_on_worker_processes_in_input_order() -> None:
    _fresh("order")


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


def test_preparation_scripts_and_warehouse_files_are_the_same_bytes_on_workers() -> None:
    _fresh("same_bytes")


def test_catalog_files_read_on_workers_give_the_same_documents_and_problems() -> None:
    _fresh("catalog_files")


@pytest.mark.usefixtures("two_workers")
def test_no_semaphores_renders_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing.synchronize

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError(38, "Function not implemented")  # a system without /dev/shm

    monkeypatch.setattr(multiprocessing.synchronize.SemLock, "__init__", refuse)
    items = list(range(parallel.MIN_ITEMS + 5))
    texts = parallel.render_each(_pid_of, items)
    assert [int(t.split(":")[0]) for t in texts] == items and _pids(texts) == {os.getpid()}
    assert parallel._job is None


@pytest.mark.usefixtures("two_workers")
def test_a_first_render_that_starts_a_thread_keeps_the_rest_here() -> None:
    stop = threading.Event()
    started: list[threading.Thread] = []

    def render(item: int) -> str:
        if not started:
            started.append(threading.Thread(target=stop.wait))
            started[0].start()
        return _pid_of(item)

    try:
        assert _pids(parallel.render_each(render, list(range(parallel.MIN_ITEMS)))) == {os.getpid()}
    finally:
        stop.set()
        started[0].join()


@pytest.mark.parametrize(("end", "processes"), [(2, 2), (5, 2), (200, 2), (1000, 2), (2033, 3), (10_000, 8)])
def test_shares_cover_every_item_once_and_shrink_to_the_end(end: int, processes: int) -> None:
    from lakewharf.generate.parallel import MIN_SHARE, _shares

    bounds = _shares(1, end, processes)
    assert [i for start, stop in bounds for i in range(start, stop)] == list(range(1, end))
    sizes = [stop - start for start, stop in bounds]
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] <= max(MIN_SHARE, (end - 1) // (2 * processes)) and sizes[-1] <= MIN_SHARE
