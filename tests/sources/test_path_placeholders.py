"""A file path's placeholders are the run's day only: anything else is a located catalog error,
not a literal folder that silently matches nothing (found trying lakewharf on a new estate)."""

from __future__ import annotations

import pytest

from lakewharf.sources import SOURCE_KINDS


def _source(path: str, kind: str = "file_drop") -> dict:
    source = {"kind": kind, "connection": {"secret": "s"},
              "entities": {"alarms": {"path": path, "load": {"mode": "full"}, "columns": {}}}}
    if kind != "files":
        source["format"] = "csv"
    return source


@pytest.mark.parametrize("kind", ["file_drop", "log", "files"])
def test_an_unknown_placeholder_is_refused(kind: str) -> None:
    found = [p for p in SOURCE_KINDS[kind].problems(_source("alarms/{yyyy}/{MMM}/*.csv", kind))
             if "placeholder" in p[1]]
    assert found == [(("entities", "alarms", "path"), "unknown placeholder {MMM} in the path",
                      "only {yyyy}, {MM} and {dd} (the run's day) are allowed")]


def test_the_day_placeholders_are_accepted() -> None:
    assert not [p for p in SOURCE_KINDS["file_drop"].problems(_source("alarms/{yyyy}/{MM}/{dd}/*.csv"))
                if "placeholder" in p[1]]
