"""Malformed catalog files, placed in a real project: located errors from ``load_catalog`` and from
``wharf validate`` (exit 1, ``file:line:col:`` on stderr, never a traceback), and nothing written."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lakewharf.cli.main import main
from lakewharf.errors import CatalogError

if TYPE_CHECKING:
    from conftest import Project

CRM = "catalog/sources/crm.yaml"
PIPELINES = "pipelines.yaml"
MIB = 1024 * 1024


def _replace(old: str, new: str) -> Callable[[str], bytes]:
    def make(text: str) -> bytes:
        assert text.count(old) == 1, old
        return text.replace(old, new).encode()

    return make


def _bomb(text: str) -> bytes:
    """Billion laughs: nine levels of ten aliases each, 10**9 leaves if expanded."""
    lines = ["lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        lines.append(f"lol{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * 10) + "]")
    return ("\n".join(lines) + "\n").encode()


@dataclass(frozen=True)
class Case:
    id: str
    file: str
    make: Callable[[str], bytes]  # original text of the file → new bytes
    line: int
    column: int
    message: str
    hint: str = ""
    path: tuple[str | int, ...] = ()


CASES = [
    Case("empty", CRM, lambda _: b"", 1, 1, "file is empty", "expected a mapping of fields"),
    Case("only-comments", PIPELINES, lambda _: b"# nothing yet\n", 1, 1, "file is empty"),
    Case("syntax", CRM, _replace("kind: sqlserver", "kind: sqlserver: x"), 3, 16,
         "YAML syntax error: mapping values are not allowed here", "must be quoted"),
    Case("unclosed-quote", PIPELINES, _replace("defaults:", "defaults: 'x"), 70, 1,
         "found unexpected end of stream (while scanning a quoted scalar at line 4, column 11)", "is not closed"),
    Case("tab-indent", CRM, _replace("  secret: crm-sql-connection-string", "\tsecret: crm-sql-connection-string"),
         5, 1, "YAML syntax error: found character '\\t'", "spaces, not tabs"),
    Case("duplicate-key", CRM, _replace("kind: sqlserver\n", "kind: sqlserver\nkind: postgresql\n"), 4, 1,
         "duplicate key 'kind' (first defined on line 3)", "each key may appear only once", ("kind",)),
    Case("duplicate-step", PIPELINES,
         _replace("      land_orders: {ingest: orders}\n",
                  "      land_orders: {ingest: orders}\n      land_orders: {ingest: orders.orders}\n"),
         23, 7, "duplicate key 'land_orders' (first defined on line 22)", "",
         ("pipelines", "nightly", "steps", "land_orders")),
    Case("unknown-field", CRM, _replace("description: CRM", "descripton: CRM"), 2, 1,
         "unknown field 'descripton'", "did you mean 'description'?", ("descripton",)),
    Case("unknown-field-deep", PIPELINES, _replace("timeout_minutes: 120", "timeout_minute: 120"), 43, 9,
         "unknown field 'timeout_minute'", "did you mean 'timeout_minutes'?",
         ("pipelines", "nightly", "steps", "load_fact_sales", "timeout_minute")),
    Case("wrong-type", CRM, _replace('schedule:\n  cron: "0 1 * * *"', 'schedule: "0 1 * * *"'), 6, 11,
         "expected a mapping, found text", "", ("schedule",)),
    Case("wrong-scalar-type", PIPELINES, _replace("retry: {count: 2,", "retry: {count: two,"), 5, 18,
         "expected a whole number, found text", "", ("defaults", "retry", "count")),
    Case("non-utf8", CRM, lambda t: t.encode().replace(b"an Azure SQL", b"an \xff\xfeAzure SQL"), 2, 38,
         "not valid UTF-8 (byte 0xff)", "save the file as UTF-8"),
    Case("latin1", PIPELINES,
         lambda t: t.replace("→", "->").replace("the star schema", "the star schéma").encode("latin-1"),
         18, 82, "not valid UTF-8 (byte 0xe9)"),
    Case("binary", CRM, lambda _: bytes(range(256)) * 16, 1, 1, "binary file, not YAML text", "UTF-8 text"),
    Case("utf16", PIPELINES, lambda t: t.encode("utf-16"), 1, 4, "binary file, not YAML text"),
    Case("list-not-mapping", CRM, lambda _: b"- kind: sqlserver\n- entities: {}\n", 1, 1,
         "expected a mapping, found a list"),
    Case("list-for-entities", CRM, _replace("  customers:\n", "  - customers:\n"), 9, 3,
         "expected a mapping, found a list", "", ("entities",)),
    Case("3-mib", CRM, lambda t: (t + "#" + "x" * (3 * MIB) + "\n").encode(), 1, 1,
         "over the limit of 2,097,152 (2 MiB)", "split the catalog"),
    Case("deep-nesting", CRM, lambda _: ("entities: " + "[" * 10_000 + "]" * 10_000 + "\n").encode(), 1, 60,
         "nesting deeper than the limit of 50 levels", "flatten the structure"),
    Case("deep-mappings", PIPELINES, lambda _: ("pipelines: " + "{a: " * 10_000 + "b" + "}" * 10_000).encode(),
         1, 205, "nesting deeper than the limit"),
    Case("alias-bomb", PIPELINES, _bomb, 5, 63, "possible alias bomb", "fewer or smaller aliases",
         ("lol4", 7, 8, 8, 8, 9)),
    Case("second-document", CRM, lambda t: (t + "---\nkind: log\n").encode(), 29, 1,
         "more than one YAML document", "remove the extra '---'"),
]


def _place(project: Project, case: Case) -> None:
    project.write(case.file, case.make(project.read(case.file)))


def _tree(root: Path) -> dict[str, bytes | None]:
    return {p.relative_to(root).as_posix(): p.read_bytes() if p.is_file() else None for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_load_catalog_reports_one_located_error(project: Project, case: Case) -> None:
    _place(project, case)
    started = time.perf_counter()
    errors = project.errors()
    assert time.perf_counter() - started < 5
    assert len(errors) == 1, "\n".join(map(str, errors))
    error: CatalogError = errors[0]
    assert (error.file, error.line, error.column) == (case.file, case.line, case.column), str(error)
    assert case.message in error.message, str(error)
    assert case.hint in error.hint, str(error)
    assert error.path == case.path
    assert str(error).startswith(f"{case.file}:{case.line}:{case.column}: ")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_wharf_validate_reports_it_and_writes_nothing(project: Project, case: Case, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    _place(project, case)
    monkeypatch.chdir(tmp_path)
    before = _tree(tmp_path)
    assert main(["--project", str(project.root), "validate"]) == 1
    out, err = capsys.readouterr()
    assert f"{case.file}:{case.line}:{case.column}:" in err
    assert case.message in err
    assert "1 problem found" in err
    assert "Traceback" not in out + err
    assert "internal error" not in out + err
    assert _tree(tmp_path) == before


def test_wharf_validate_json_lists_the_errors(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    _place(project, CASES[0])
    assert main(["--project", str(project.root), "validate", "--json"]) == 1
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert result["valid"] is False
    assert result["errors"] == [{"file": CRM, "line": 1, "column": 1, "path": "$", "message": "file is empty",
                                 "hint": "expected a mapping of fields, e.g. `name: value` lines"}]
    assert "Traceback" not in err


def test_several_malformed_files_are_all_reported(project: Project) -> None:
    for case in (CASES[0], CASES[-3]):  # empty crm.yaml, and a too-deep pipelines.yaml
        _place(project, case)
    project.write("catalog/datasets/orders_clean.yaml", b"\x00")
    files = [e.file for e in project.errors()]
    assert files == ["catalog/datasets/orders_clean.yaml", CRM, PIPELINES]
