"""``wharf cost`` end to end: the sample, a `wharf init` project, a 100-table catalog; ``wharf diff``'s delta."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import REPO_ROOT, Project

from lakewharf.cli.main import main


def _cost(capsys: pytest.CaptureFixture[str], root: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--project", str(root), "cost", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_sample_prints_services_projection_limits_and_assumptions(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cost(capsys, project.root, "--months", "6")
    assert code == 0, err
    for text in ("monthly estimate per service", "Synapse dedicated pool", "6-month projection", "service limits",
                 "Data Factory entities", "assumptions", "retrieved 2026-12-02", "copy_mb_per_second = 10"):
        assert text in out


def test_json_has_month_one_lines_the_projection_and_limits(project: Project,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cost(capsys, project.root, "--json")
    data = json.loads(out)
    assert code == 0 and len(data["projection"]) == 12
    assert data["month_1"]["total"] == pytest.approx(sum(data["month_1"]["services"].values()), abs=0.05)
    assert {limit["limit"] for limit in data["limits"]} >= {"Data Factory entities", "SQL pool storage"}
    assert all(line["formula"] for line in data["month_1"]["lines"])


def test_bad_options_and_prices_are_one_line_exit_1(project: Project, capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    assert _cost(capsys, project.root, "--months", "0")[0] == 1
    (tmp_path / "p.yaml").write_text("nonsense: 1\n")
    code, out, err = _cost(capsys, project.root, "--prices", str(tmp_path / "p.yaml"))
    assert code == 1 and "p.yaml" in err and "Traceback" not in err + out


def test_a_new_project_from_wharf_init_is_priced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "new")]) == 0
    capsys.readouterr()
    code, out, err = _cost(capsys, tmp_path / "new", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["month_1"]["total"] > 0
    assert any("no volume: in the catalog" in a for a in data["assumptions"])


def test_a_100_table_catalog_is_priced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    subprocess.run([sys.executable, str(REPO_ROOT / "bench" / "scale_catalog.py"), "100", str(tmp_path / "s")],
                   check=True, capture_output=True)
    code, out, err = _cost(capsys, tmp_path / "s", "--json", "--months", "3")
    assert code == 0, err
    lines = json.loads(out)["month_1"]["lines"]
    assert sum(1 for line in lines if line["meter"] == "copy DIU-hours") == 100


def _git(root: Path, *argv: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.email=t@example.com", "-c", "user.name=t", *argv],
                   check=True, capture_output=True)


def test_diff_shows_the_cost_delta_of_a_volume_change(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    _git(project.root, "init", "-q")
    _git(project.root, "add", "-A")
    _git(project.root, "commit", "-qm", "base")
    project.replace("catalog/sources/clickstream.yaml", "rows_per_day: 3000000", "rows_per_day: 300000000")
    code = main(["--project", str(project.root), "diff", "--against-ref", "HEAD", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["identical"]  # a volume generates nothing new …
    delta = data["cost_delta"]  # … and still costs
    assert delta["services"]["Synapse serverless"]["delta"] > 0
    assert delta["services"]["Data Factory"]["delta"] > 0
    assert delta["total"]["delta"] == pytest.approx(sum(s["delta"] for s in delta["services"].values()), abs=0.05)
    main(["--project", str(project.root), "diff", "--against-ref", "HEAD"])
    out = capsys.readouterr().out
    assert "monthly cost delta" in out and "Synapse serverless" in out
