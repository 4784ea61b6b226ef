"""Stack files are checked like the catalog: JSON Schema, located errors, unsafe values refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from infra_samples import REPO_ROOT, write_adf_tree

from lakewharf.catalog.schema import schema_files
from lakewharf.cli.main import main
from lakewharf.infra.settings import KEYS, StackConfigError, load_settings

if TYPE_CHECKING:
    from conftest import Project


def _stack(tmp_path: Path, replace: dict[str, str]) -> Path:
    text = (REPO_ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    (tmp_path / "Pulumi.dev.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def _line_of(root: Path, needle: str) -> int:
    lines = (root / "Pulumi.dev.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def test_the_schema_knows_every_setting() -> None:
    schema = json.loads(schema_files()["stack.schema.json"])
    assert set(schema["properties"]["config"]["properties"]) == {f"lakewharf:{k}" for k in KEYS}


def test_everyone_range_is_refused_at_its_line(tmp_path: Path) -> None:
    root = _stack(tmp_path, {"    office: 203.0.113.0/24": "    everyone: 0.0.0.0/0"})
    with pytest.raises(StackConfigError) as info:
        load_settings(root, "dev")
    [problem] = info.value.problems
    line = _line_of(root, "everyone: 0.0.0.0/0")
    assert problem.startswith(f"Pulumi.dev.yaml:{line}:15: lakewharf:allowedIpRanges.everyone: 0.0.0.0/0 opens")
    assert "egress range" in info.value.errors[0].hint


@pytest.mark.parametrize(("value", "message"), [
    ("0.0.0.0", "'allow all Azure services' pseudo-range"),
    ("10.1.0.0/16", "is not a public range"),
    ("8.0.0.0/6", "too broad for a client range"),
    ("300.1.2.3/24", "is not an IPv4 address"),
])
def test_unsafe_client_ranges_are_refused(tmp_path: Path, value: str, message: str) -> None:
    root = _stack(tmp_path, {"    office: 203.0.113.0/24": f"    office: {value}"})
    with pytest.raises(StackConfigError, match=message) as info:
        load_settings(root, "dev")
    assert info.value.errors[0].line == _line_of(root, f"office: {value}")


@pytest.mark.parametrize("tls", ['"1.0"', "1.1", "TLS1_1"])
def test_tls_below_1_2_is_refused(tmp_path: Path, tls: str) -> None:
    root = _stack(tmp_path, {'lakewharf:minimumTlsVersion: "1.2"': f"lakewharf:minimumTlsVersion: {tls}"})
    with pytest.raises(StackConfigError, match=r"below the minimum of 1\.2") as info:
        load_settings(root, "dev")
    assert info.value.problems[0].startswith(f"Pulumi.dev.yaml:{_line_of(root, 'minimumTlsVersion')}:")


def test_schema_errors_name_file_line_and_key(tmp_path: Path) -> None:
    root = _stack(tmp_path, {"lakewharf:sqlPoolSku: DW100c": "lakewharf:sqlPoolSize: DW100c",
                             "lakewharf:logRetentionDays: 30": "lakewharf:logRetentionDays: 3"})
    with pytest.raises(StackConfigError) as info:
        load_settings(root, "dev")
    problems = "\n".join(info.value.problems)
    assert f"Pulumi.dev.yaml:{_line_of(root, 'sqlPoolSize')}:3: lakewharf:sqlPoolSize: unknown field" in problems
    assert f"Pulumi.dev.yaml:{_line_of(root, 'logRetentionDays: 3')}:" in problems
    assert any(e.hint == "did you mean 'lakewharf:sqlPoolSku'?" for e in info.value.errors)


def test_duplicate_keys_are_caught_by_the_catalog_loader(tmp_path: Path) -> None:
    twice = "lakewharf:sqlPoolSku: DW100c\n  lakewharf:sqlPoolSku: DW200c"
    root = _stack(tmp_path, {"lakewharf:sqlPoolSku: DW100c": twice})
    with pytest.raises(StackConfigError, match="duplicate key 'lakewharf:sqlPoolSku'"):
        load_settings(root, "dev")


def test_wharf_plan_refuses_an_everyone_range(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(REPO_ROOT / "Pulumi.dev.yaml", project.root)
    _stack(project.root, {"    office: 203.0.113.0/24": "    everyone: 0.0.0.0/0"})
    write_adf_tree(project.root)
    assert main(["--project", str(project.root), "plan", "--json"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "Pulumi.dev.yaml:" in err and "lakewharf:allowedIpRanges.everyone" in err
