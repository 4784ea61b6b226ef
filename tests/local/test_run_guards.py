"""One run per project, a report whatever fails, and windows a rerun does not copy again."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from own_data import make_project

from lakewharf.cli.main import main
from lakewharf.local import privacy_check
from lakewharf.local.project_lock import project_lock

pytestmark = pytest.mark.integration


def test_a_second_command_refuses_while_a_run_holds_the_project(tmp_path: Path, capsys) -> None:
    root = make_project(tmp_path / "tools", customers=5, tickets=5, items=3)
    with project_lock(root / ".wharf", "run"):
        for command in (["run"], ["query", "SELECT 1"], ["local", "up"]):
            assert main(["--project", str(root), *command]) == 1
            err = capsys.readouterr().err
            assert f"wharf run (pid {os.getpid()}) is using this project" in err, err
    assert not (root / "build").exists()  # refused before touching anything
    assert main(["--project", str(root), "run"]) == 0  # released when the holder ends


def test_queries_share_the_project(tmp_path: Path, capsys) -> None:
    root = make_project(tmp_path / "tools", customers=5, tickets=5, items=3)
    assert main(["--project", str(root), "run"]) == 0
    with project_lock(root / ".wharf", "query", shared=True):
        assert main(["--project", str(root), "query", "SELECT COUNT(*) AS n FROM mart.dim_item", "--json"]) == 0


def test_the_report_is_written_when_the_end_of_a_run_fails(tmp_path: Path, monkeypatch) -> None:
    root = make_project(tmp_path / "tools", customers=5, tickets=5, items=3)

    def broken(ctx):
        raise ConnectionError("the lake went away")

    monkeypatch.setattr(privacy_check, "check_privacy", broken)
    assert main(["--project", str(root), "run", "--report", str(root / "r.json")]) == 1
    report = json.loads((root / "r.json").read_text())
    assert report["succeeded"] is False
    assert report["failure"] == "the privacy check on the data could not run: ConnectionError: the lake went away"
    assert all(p["status"] == "Succeeded" for p in report["pipelines"])  # what ran is all there


def test_a_rerun_of_a_windowed_pipeline_lands_no_file_twice(tmp_path: Path, monkeypatch) -> None:
    repo = Path(__file__).resolve().parents[2]
    root = tmp_path / "project"
    shutil.copytree(repo / "catalog", root / "catalog")
    for name in ("pipelines.yaml", "local.yaml"):
        shutil.copy(repo / name, root / name)
    (root / "templates").symlink_to(repo / "templates")
    monkeypatch.setenv("WHARF_SAMPLE_SCALE", "0.03")
    counts = []
    for attempt in range(2):
        assert main(["--project", str(root), "run", "clickstream_hourly", "--report", str(root / "r.json")]) == 0
        report = json.loads((root / "r.json").read_text())
        counts.append(next(a["rows_read"] for a in report["activities"] if a["type"] == "Copy"))
        if attempt:
            assert any("clickstream.page_views: 0 files read" in w for w in report["warnings"])
    assert counts[0] > 0 and counts[1] == 0
