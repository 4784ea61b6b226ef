"""Render many independent items on every core: forked worker processes, results in input order.

Rendering a preparation's SQL (sqlglot's generator) or a table's warehouse files (Jinja), and
reading a catalog file (``project.load_catalog``, for every command), are pure Python and hold the
GIL, so threads do not help; at N = 1,000 they are most of ``wharf validate`` and ``generate``.
The first item is rendered before forking; the forked workers inherit the loaded catalog and what
that render built (nothing is pickled on the way in), each renders a contiguous share of the rest
and sends back its results (texts, documents, artifacts), which are put back in the input order:
the output is the same as one process gives, only sooner.

The pool is used only where forking is safe and pays: a platform with ``fork``, the main thread of
a process running no other thread (the local runner's item threads, DuckDB's or .NET's state must
never be forked mid-flight: ``wharf run`` regenerating build/ renders in its own process), more
than one usable core and at least ``MIN_ITEMS`` items. Anything
going wrong in a worker (a template error, a worker killed) makes the caller render everything
itself, so the user sees the same error, located the same way, as without the pool.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

MIN_SHARE = 4  # items: a few milliseconds of work, against a lock taken per share
MIN_ITEMS = 200  # below this, starting the workers costs more than it saves (N = 100: ~2 s of work)
WORKERS_ENV = "WHARF_GENERATE_WORKERS"  # 1 turns the pool off; default: the usable cores

# Set before the fork, read by workers: the render, the items, the shares' bounds, and the shared
# count of shares taken so far.
_job: tuple[Callable[[Any], Any], Sequence[Any], list[tuple[int, int]], Any] | None = None
Item = TypeVar("Item")
Result = TypeVar("Result")


def _render_shares() -> list[tuple[int, list[Any]]]:
    """Take the next share not yet taken, by this process or another, until none is left:
    (share number, its results) for each share taken."""
    assert _job is not None
    render, items, bounds, taken = _job
    done = []
    while True:
        with taken.get_lock():
            share = taken.value
            taken.value += 1
        if share >= len(bounds):
            return done
        start, end = bounds[share]
        done.append((share, [render(item) for item in items[start:end]]))


def _shares(start: int, end: int, processes: int) -> list[tuple[int, int]]:
    """Bounds of the shares of items ``start`` to ``end``, in the order they are taken: each is
    what is left over twice the processes, but at least ``MIN_SHARE`` (guided self-scheduling,
    Polychronopoulos and Kuck, 1987). The last shares are small, so no process waits long for
    another at the end (equal shares, four per process, left one core idle 50-80 ms a round)."""
    bounds = []
    while start < end:
        size = max(MIN_SHARE, (end - start) // (2 * processes))
        bounds.append((start, min(start + size, end)))
        start += size
    return bounds


def workers() -> int:
    """How many processes to render with: ``WHARF_GENERATE_WORKERS``, else the cores this process may use."""
    configured = os.environ.get(WORKERS_ENV, "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# Libraries running threads of their own, invisible to ``threading``: once one is loaded (the local
# runner's DuckDB, the expression engine's .NET runtime), a fork could copy a lock another thread
# holds. ``wharf generate``, ``plan``, ``diff`` and ``cost`` load none of them.
_NATIVE_THREADS = ("duckdb", "clr", "pythonnet", "pyarrow", "grpc")


def _can_fork() -> bool:
    import multiprocessing  # only once there are enough items: every command loads a catalog through here

    return ("fork" in multiprocessing.get_all_start_methods()
            and threading.current_thread() is threading.main_thread() and threading.active_count() == 1
            and not any(name in sys.modules for name in _NATIVE_THREADS))


def render_each(render: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
    """``[render(item) for item in items]``, on several processes when that is safe and pays."""
    global _job
    count = min(workers(), len(items))
    if len(items) < MIN_ITEMS or count < 2 or not _can_fork():
        return [render(item) for item in items]
    # The first item is rendered here: what rendering imports or builds on first use (sqlglot and
    # its dialect, compiled templates, schema validators) is then inherited by every worker instead
    # of being made again in each (~0.1 s of a round at 1,000 items).
    first = render(items[0])
    if not _can_fork():  # that render started a thread or loaded a library that runs its own
        return [first, *(render(item) for item in items[1:])]
    bounds = _shares(1, len(items), count)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    fork = multiprocessing.get_context("fork")
    # The inherited heap moves to the collector's permanent generation, so the workers' collections
    # do not touch (and copy, page by page) every object of the catalog: Python's gc.freeze docs.
    frozen_here = gc.get_freeze_count() == 0  # a process that froze its own heap keeps it frozen
    gc.freeze()
    try:
        # The counter is a semaphore-guarded shared value: where the system has no semaphores
        # (no /dev/shm), this fails as the pool would, and everything renders here.
        _job = (render, items, bounds, fork.Value("i", 0))
        # ProcessPoolExecutor, not multiprocessing.Pool: a worker that dies (out of memory) breaks
        # the pool with an error here instead of leaving the map waiting forever. This process
        # takes shares too, one core's worth, whose results need no pickling on the way back.
        with ProcessPoolExecutor(count - 1, mp_context=fork) as pool:
            others = [pool.submit(_render_shares) for _ in range(count - 1)]
            parts = dict(_render_shares())
            for other in others:
                parts.update(other.result())
    except Exception:  # rendered again here, so the real error surfaces as it would without the pool
        return [render(item) for item in items]
    finally:
        _job = None
        if frozen_here:
            gc.unfreeze()
    return [first, *(result for share in range(len(bounds)) for result in parts[share])]
