"""Where data lives in the lake: one function per kind of folder, shared by every generator,
the infra program and the local runner, so they can never disagree on a path.

Paths are relative to a zone's filesystem (container) and use forward slashes. Dated landing
folders follow Data Factory's own convention ``yyyy/MM/dd`` so a day can be reloaded on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime as dt

REJECTS = "_rejects"
SCORES = "scores"
# The lake filesystem holding the orchestrators' control files (their item lists, read by Lookup);
# created and filled by the infra program, never a zone (the catalog checks zone names against it).
CONTROL_FILESYSTEM = "wharf-control"
# The lineage columns the landing Copy activity adds to every landed row (``additionalColumns``):
# when it was loaded (UTC, the trigger time) and by which orchestrator run. Preparations read them
# (``dedupe`` keeps the latest row), the serverless views expose ``_loaded_at``, and the local
# runner's copy writes both, so every room spells them from here.
LOADED_AT = "_loaded_at"
RUN_ID = "_run_id"


# The placeholders an entity's file path may hold, each the run's day, with its spelling in Data
# Factory's formatDateTime and in Python's strftime: every room expands them from here.
DAY_TOKENS: dict[str, tuple[str, str]] = {"{yyyy}": ("yyyy", "%Y"), "{MM}": ("MM", "%m"), "{dd}": ("dd", "%d")}


def day_path(path: str, day: dt.date) -> str:
    """``path`` with its day placeholders set to ``day``: the folder a full load reads that day."""
    for token, (_, fmt) in DAY_TOKENS.items():
        path = path.replace(token, day.strftime(fmt))
    return path


def any_day_path(path: str) -> str:
    """``path`` with each day placeholder a wildcard: the folders of every day."""
    for token in DAY_TOKENS:
        path = path.replace(token, "*")
    return path


def landing_folder(source: str, entity: str) -> str:
    """Parent of the dated folders ``<source>/<entity>/yyyy/MM/dd/`` an entity lands in."""
    return f"{source}/{entity}"


def landing_day_folder(source: str, entity: str, yyyy: str, mm: str, dd: str) -> str:
    return f"{landing_folder(source, entity)}/{yyyy}/{mm}/{dd}"


def dataset_folder(dataset: str) -> str:
    """A prepared dataset's folder in its zone (rewritten whole by each run)."""
    return dataset


def rejects_folder(name: str) -> str:
    """Rows that failed casts or checks for a dataset or entity, kept in the same zone."""
    return f"{REJECTS}/{name}"


def scores_folder(model: str, output: str) -> str:
    return f"{SCORES}/{model}/{output}"


def model_folder(model: str) -> str:
    """Local runs keep trained models here (Azure ML keeps them in its model registry)."""
    return f"models/{model}"
