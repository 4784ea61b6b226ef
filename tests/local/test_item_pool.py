"""Items of a level run at once: the same report, line for line, as items run one by one."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from tests.conftest import runnable_sample

from lakewharf.local import item_pool, runner
from lakewharf.local.session import run_local
from lakewharf.local.settings import LocalSettings
from lakewharf.project import load_catalog

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "adf" / "pipeline"


def _properties(pipeline: str) -> dict:
    return json.loads((GOLDEN / f"{pipeline}.json").read_text(encoding="utf-8"))["properties"]


def test_only_a_parallel_foreach_with_one_execute_pipeline_runs_its_items_at_once() -> None:
    batches = item_pool.parallel_items(_properties("pl_nightly"))
    assert batches["L03_load__run"] == 20
    assert all(name.endswith("__run") for name in batches)
    # A worker's own ForEach is sequential (its batches run in order): never handed to threads.
    assert item_pool.parallel_items(_properties("wk_load")) == {}


def _project(where: Path) -> Path:
    return runnable_sample(where / "project")


def _lines(root: Path) -> tuple[list[tuple], dict[str, int], list[str]]:
    report = run_local(load_catalog(root), replace(LocalSettings(root=root), sample_scale=0.12))
    lines = [(r.pipeline, r.status, a.activity, a.type, a.status, a.measured.rows_read, a.measured.rows_written,
              a.measured.rows_rejected) for r in report.pipelines for a in r.activities]
    return lines, report.tables, report.privacy.violations


@pytest.mark.integration
def test_items_at_once_give_the_report_of_items_one_by_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (runner, item_pool):
        monkeypatch.setattr(module, "workers", lambda: 1)
    one_by_one = _lines(_project(tmp_path / "one"))
    for module in (runner, item_pool):
        monkeypatch.setattr(module, "workers", lambda: 3)
    at_once = _lines(_project(tmp_path / "three"))
    assert all(line[1] == "Succeeded" and line[4] == "Succeeded" for line in at_once[0])
    assert at_once == one_by_one
