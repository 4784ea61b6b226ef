"""Every command, given broken input of each kind, ends with a clear message and exit status 1:
never a traceback, never "internal error" (that is kept for lakewharf's own bugs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lakewharf.cli.main import main

COMMANDS = [
    ["validate"], ["generate"], ["generate", "--check"], ["diff"], ["run"], ["local", "up"], ["local", "status"],
    ["query", "SELECT 1"], ["plan"], ["schema", "--out", "{tmp}/schemas"],
]


def _breakages(project: Any, tmp: Path) -> dict[str, tuple[list[str], object]]:
    """name → (commands it applies to, how to break the project)."""
    catalog_commands = [c for c in COMMANDS if c[0] != "schema"]
    return {
        "not a project": (catalog_commands, lambda: (project.root / "pipelines.yaml").unlink()),
        "YAML syntax": (catalog_commands, lambda: project.write("catalog/sources/crm.yaml", "kind: [sqlserver\n")),
        "unknown field": (catalog_commands, lambda: project.replace("catalog/sources/crm.yaml", "kind: sqlserver",
                                                                    "kind: sqlserver\nknd: x")),
        "broken reference": (catalog_commands, lambda: project.replace(
            "catalog/datasets/orders_clean.yaml", "input: orders.orders", "input: orders.nothing")),
        "local.yaml": ([["validate"], ["run"], ["local", "up"], ["local", "status"]],
                       lambda: project.write("local.yaml", "sources:\n  crn: {sample: retail}\n")),
        "WHARF_ setting": ([["run"], ["local", "status"], ["query", "SELECT 1"]], None),
        "unwritable output": ([["generate", "--out", "{tmp}/file/out"], ["schema", "--out", "{tmp}/file/out"]],
                              lambda: (tmp / "file").write_text("a file, not a folder")),
    }


@pytest.mark.parametrize("broken", ["not a project", "YAML syntax", "unknown field", "broken reference",
                                    "local.yaml", "WHARF_ setting", "unwritable output"])
def test_every_command_refuses_broken_input_cleanly(
    project: Any, tmp_path: Path, broken: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    commands, breaking = _breakages(project, tmp_path)[broken]
    if breaking is None:
        monkeypatch.setenv("WHARF_DUCKDB_MEMORY", "lots")
    else:
        breaking()  # type: ignore[operator]
    for command in commands:
        argv = ["--project", str(project.root), *(a.replace("{tmp}", str(tmp_path)) for a in command)]
        code = main(argv)
        out = capsys.readouterr()
        text = out.out + out.err
        assert code == 1, f"wharf {' '.join(command)} with {broken}: exit {code}\n{text}"
        assert "Traceback" not in text and "internal error" not in text, f"wharf {' '.join(command)}: {text}"
        assert text.strip(), f"wharf {' '.join(command)} with {broken} said nothing"
