"""The items of one dependency level, run at once locally, as Data Factory runs a ForEach's items.

An orchestrator's level is a ForEach (``isSequential: false``) whose only activity executes a
worker pipeline for each item; the items of a level never read each other's results (each
writes its own folder and table, and the next level waits for the whole ForEach). So the runner
hands each item to a thread as the framework yields it and collects the results, in the order
they were yielded, before anything of the next level runs: the report reads as a sequential
run's, one line per item and activity.

What each thread has of its own: a framework instance (its pipeline objects change while they
are walked), a copy of the run context with the item's target, and a warehouse view on its own
DuckDB cursor (its own transactions and temporary tables, its own translation counts, merged by
the caller). What stays shared is safe to share: the lake (one path per item), the run history
and model registry (written by the main thread or under distinct keys), and the expression
engine, whose .NET calls are serialised (``verify.expression_engine``).

Threads are bounded by the machine's cores and the ForEach's ``batchCount``. Most of an item's
time is Python (sqlglot's translation, the framework's expression parsing) and holds the GIL;
DuckDB's queries, Parquet I/O and the training subprocesses do not, and overlap.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from lakewharf.local.context import RunContext


def workers() -> int:
    """How many items run at once: the cores this process may use (``taskset -c 0`` runs one)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, cores or 1)


def parallel_items(pipeline: Mapping[str, Any]) -> dict[str, int]:
    """Execute Pipeline activities that are the one activity of a parallel ForEach (in a pipeline's
    ``properties``) → its batchCount."""
    top = pipeline["activities"]
    out = {}
    for a in top:
        props = a.get("typeProperties", {})
        inner = props.get("activities") or []
        if a.get("type") == "ForEach" and not props.get("isSequential", False) and len(inner) == 1 \
                and inner[0].get("type") == "ExecutePipeline":
            out[inner[0]["name"]] = int(props.get("batchCount") or 20)  # Data Factory's default batch is 20
    return out


@dataclass
class Item:
    """One item handed to a thread; ``future`` gives (its activity records, its error or "")."""

    level: int | None
    future: Future[tuple[list[Any], str]]
    context: RunContext | None  # None: records of the main thread, kept in their place among the items

    @staticmethod
    def done(level: int | None, records: list[Any]) -> Item:
        future: Future[tuple[list[Any], str]] = Future()
        future.set_result((records, ""))
        return Item(level, future, None)


class ItemPool:
    """Threads that run worker pipelines, each with a framework of its own."""

    def __init__(self, make_framework: Callable[[], Any], size: int) -> None:
        self.size = size
        self._frameworks: queue.SimpleQueue[Any] = queue.SimpleQueue()
        for _ in range(size):
            self._frameworks.put(make_framework())
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="wharf-item")

    def submit(self, ctx: RunContext, run: Callable[[RunContext, Any], tuple[list[Any], str]],
               level: int | None) -> Item:
        """Run ``run(item context, framework)`` on a thread."""
        item_ctx = item_context(ctx)

        def task() -> tuple[list[Any], str]:
            framework = self._frameworks.get()
            try:
                return run(item_ctx, framework)
            finally:
                self._frameworks.put(framework)
                item_ctx.warehouse.close()

        return Item(level, self._executor.submit(task), item_ctx)

    def close(self) -> None:
        self._executor.shutdown(wait=True)


def item_context(ctx: RunContext) -> RunContext:
    """The run context for one item on a thread: the same run, its own warehouse view."""
    return replace(ctx, warehouse=ctx.warehouse.for_item())  # type: ignore[attr-defined]


def can_run_items_at_once(ctx: RunContext) -> bool:
    """A warehouse that can give each thread its own session (DuckDB cursors; a pyodbc connection
    may not be shared between threads, so a SQL Server warehouse runs items one by one)."""
    return hasattr(ctx.warehouse, "for_item") and workers() > 1


@contextmanager
def item_pool(make_framework: Callable[[], Any], size: int) -> Iterator[ItemPool]:
    pool = ItemPool(make_framework, size)
    try:
        yield pool
    finally:
        pool.close()
