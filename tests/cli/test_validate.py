"""``wharf validate`` and ``wharf schema``: exit codes, summaries, project discovery, start-up cost."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from jsonschema import Draft202012Validator

from lakewharf.catalog.schema import schema_files
from lakewharf.cli.main import main

if TYPE_CHECKING:
    from conftest import Project

COUNTS = {"roles": 7, "zones": 4, "sources": 4, "entities": 5, "datasets": 14, "models": 3, "tables": 11,
          "pipelines": 4, "steps": 35}
SCHEMA_OF_FOLDER = {"sources": "source", "datasets": "dataset", "models": "model", "warehouse": "table"}
HEAVY = ("pulumi", "pulumi_azure_native", "azure", "duckdb", "sklearn", "pandas", "pyarrow")
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(?P<path>\S+)$")


def _json_result(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, object]:
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return json.loads(out)


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


# --- validate -------------------------------------------------------------------------------------


def test_validate_prints_the_summary(sample_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(sample_root), "validate"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "catalog is valid" in out and "retail" in out
    for kind, n in COUNTS.items():
        assert re.search(rf"\b{kind}\b\W+{n}\b", out), (kind, n)
    for zone in ("landing", "development", "trusted", "restricted"):
        assert zone in out
    assert "lineage" in out
    for line in ("table mart.fact_sales", "dataset sales_trusted (trusted)", "model churn", "entity crm.customers",
                 "table crm.dim_customer_contact", "dataset customer_contacts (restricted)"):
        assert line in out, line
    assert out.index("table mart.fact_sales") < out.index("dataset sales_trusted (trusted)")
    assert "Traceback" not in out


def test_validate_json(sample_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = _json_result(capsys, ["--project", str(sample_root), "validate", "--json"])
    assert result["valid"] is True
    assert result["counts"] == COUNTS
    assert result["platform"] == "retail"


def test_project_option_from_another_cwd(project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert _json_result(capsys, ["--project", str(project.root), "validate", "--json"])["valid"] is True
    # also accepted after the command name
    assert _json_result(capsys, ["validate", "--project", str(project.root), "--json"])["counts"] == COUNTS
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("sub", [".", "catalog", "catalog/datasets"])
def test_run_from_inside_the_project_finds_its_root(project: Project, sub: str, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(project.root / sub)
    assert _json_result(capsys, ["validate", "--json"])["counts"] == COUNTS


def test_subfolder_errors_name_files_from_the_root(project: Project, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    project.replace("catalog/datasets/orders_clean.yaml", "zone: development", "zone: nowhere")
    monkeypatch.chdir(project.root / "catalog" / "datasets")
    assert main(["validate"]) == 1
    _, err = capsys.readouterr()
    assert "catalog/datasets/orders_clean.yaml:3:7: $.zone: unknown zone 'nowhere'" in err


def test_not_a_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 1
    out, err = capsys.readouterr()
    assert ".:0:0: $: not a lakewharf project" in err
    assert "--project DIR" in err
    assert "Traceback" not in out + err


def test_project_option_pointing_at_a_subfolder_is_not_searched_upwards(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    folder = project.root / "catalog"
    assert main(["--project", str(folder), "validate"]) == 1
    assert f"{folder}:0:0: $: not a lakewharf project" in capsys.readouterr().err


# --- schema ---------------------------------------------------------------------------------------


def test_schema_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "schemas" / "nested"
    assert main(["schema", "--out", str(out_dir)]) == 0
    assert "wrote 9 schemas" in capsys.readouterr().out
    written = sorted(p.name for p in out_dir.iterdir())
    assert written == sorted(f"{k}.schema.json" for k in
                             ("common", "platform", "source", "dataset", "model", "table", "pipelines", "local",
                              "stack"))
    for name in written:
        schema = json.loads((out_dir / name).read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        assert (out_dir / name).read_text(encoding="utf-8") == schema_files()[name]


def test_schema_export_refuses_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    assert main(["schema", "--out", str(target)]) == 1
    assert "is not a folder" in capsys.readouterr().err
    assert target.read_text() == "keep me"
    assert main(["schema", "--out", str(target / "below")]) == 1  # a file where a folder belongs
    assert "wharf schema: cannot write to" in capsys.readouterr().err


def _expected_schema(rel: str) -> str:
    parts = rel.split("/")
    if rel in ("pipelines.yaml", "catalog/platform.yaml"):
        return parts[-1].replace(".yaml", ".schema.json")
    return f"{SCHEMA_OF_FOLDER[parts[1]]}.schema.json"


def test_every_sample_file_points_at_its_schema(sample_root: Path) -> None:
    files = [sample_root / "pipelines.yaml", *sorted((sample_root / "catalog").rglob("*.yaml"))]
    assert len(files) == 1 + 1 + 4 + 14 + 3 + 11
    shipped = schema_files()
    for path in files:
        rel = path.relative_to(sample_root).as_posix()
        match = MODELINE.match(path.read_text(encoding="utf-8").splitlines()[0])
        assert match, f"{rel}: first line is not a yaml-language-server modeline"
        target = (path.parent / match["path"]).resolve()
        assert target.is_file(), f"{rel}: {match['path']} does not exist"
        assert target.name == _expected_schema(rel), rel
        assert target.read_text(encoding="utf-8") == shipped[target.name]


# --- processes and start-up -----------------------------------------------------------------------


def test_validate_as_a_process(sample_root: Path) -> None:
    done = _run([sys.executable, "-m", "lakewharf.cli.main", "validate"], sample_root)
    assert done.returncode == 0, done.stderr
    assert "catalog is valid" in done.stdout
    done = _run([sys.executable, "-m", "lakewharf.cli.main", "--project", str(sample_root), "validate", "--json"],
                sample_root / "catalog")
    assert json.loads(done.stdout)["counts"] == COUNTS


def test_invalid_catalog_as_a_process(project: Project) -> None:
    project.write("catalog/sources/crm.yaml", b"\xff\xfe")
    done = _run([sys.executable, "-m", "lakewharf.cli.main", "validate"], project.root)
    assert done.returncode == 1
    assert "catalog/sources/crm.yaml:1:1: $: not valid UTF-8 (byte 0xff)" in done.stderr
    assert "Traceback" not in done.stderr


def test_wharf_script(sample_root: Path) -> None:
    script = Path(sys.executable).with_name("wharf")
    if not script.exists():
        pytest.skip("wharf is not installed next to this interpreter")
    done = _run([str(script), "validate", "--json"], sample_root)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["valid"] is True


def test_validate_does_not_import_heavy_libraries(sample_root: Path) -> None:
    code = ("import sys; from lakewharf.cli.main import main; rc = main(['validate', '--json']); "
            f"print(rc, sorted(m for m in sys.modules if m.split('.')[0] in {set(HEAVY)!r}))")
    done = _run([sys.executable, "-c", code], sample_root)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "0 []"


def test_platform_folder_is_not_a_package(sample_root: Path) -> None:
    assert not (sample_root / "platform" / "__init__.py").exists()
    code = "import platform, sys; print(platform.system()); print(platform.__file__)"
    for extra in (str(sample_root / "platform"), str(sample_root)):
        env = {**os.environ, "PYTHONPATH": extra}
        # from the repository root too, where '' (the cwd) comes first on sys.path
        done = _run([sys.executable, "-c", code], sample_root, env)
        assert done.returncode == 0, done.stderr
        system, module_file = done.stdout.split()
        assert system and system != "None"
        assert not module_file.startswith(str(sample_root)), module_file
