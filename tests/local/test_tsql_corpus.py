"""The T-SQL conformance corpus (tsql_corpus.yaml) on the local warehouse, through the translation
`wharf query` and the warehouse scripts use; on SQL Server too where WHARF_SQLSERVER is set.

Every case must match SQL Server's documented answer, except the listed exceptions, which must
still differ (or be refused): an exception that starts matching is to be taken off the list.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from lakewharf.local.warehouse import DuckDBWarehouse, SqlServerWarehouse, WarehouseError

CORPUS = yaml.safe_load((Path(__file__).parent / "tsql_corpus.yaml").read_text())
CASES = [(g["name"], g["sources"], c) for g in CORPUS["groups"] for c in g["cases"]]


def _plain(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S")
        return text + (f".{value.microsecond:06d}".rstrip("0") if value.microsecond else "")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, float) or isinstance(got, float):
        return got is not None and want is not None and math.isclose(float(got), float(want), rel_tol=1e-9,
                                                                     abs_tol=1e-12)
    if isinstance(want, str) and isinstance(got, str) and " " in want and ":" in want:  # datetimes
        return got.rstrip("0").rstrip(".") == want.rstrip("0").rstrip(".")
    return bool(got == want)


def _outcome(warehouse: Any, case: dict[str, Any]) -> tuple[bool, str]:
    """(matched, what happened) for one case."""
    try:
        if case.get("statement"):
            warehouse.execute(case["q"])
            rows: list[tuple[Any, ...]] = []
        else:
            rows = warehouse.query(case["q"])[1]
    except WarehouseError as exc:
        if "error" in case and case["error"].lower() in str(exc).lower():
            return True, f"failed as expected: {str(exc).splitlines()[0]}"
        return False, f"error: {str(exc).splitlines()[0]}"
    except Exception as exc:  # pyodbc errors on SQL Server
        matched = "error" in case and case["error"].lower() in str(exc).lower()
        return matched, f"error: {exc}"
    if "error" in case:
        return False, f"no error; rows {rows}"
    if case.get("statement"):
        return True, "ran"
    got = [[_plain(v) for v in row] for row in rows]
    want = case["want"]
    if not isinstance(want, list):
        ok = len(got) == 1 and len(got[0]) >= 1 and _same(got[0][0], want)
        return ok, f"got {got}"
    ok = len(got) == len(want) and all(len(g) == len(w) and all(_same(a, b) for a, b in zip(g, w, strict=True))
                                       for g, w in zip(got, want, strict=True))
    return ok, f"got {got}"


def _run_corpus(warehouse: Any) -> tuple[list[str], list[str]]:
    warehouse.execute(CORPUS["setup"])
    failures, unexpected = [], []
    for group, sources, case in CASES:
        matched, what = _outcome(warehouse, case)
        where = f"[{group}] {case['q']}  ({sources[case['source']]})"
        if "exception" in case:
            if matched:
                unexpected.append(f"{where}: listed as an exception but matches now ({what})")
        elif not matched:
            failures.append(f"{where}: {what}")
    return failures, unexpected


def test_every_case_cites_a_microsoft_learn_page() -> None:
    assert len(CASES) >= 150
    for _, sources, case in CASES:
        assert sources[case["source"]].startswith("https://learn.microsoft.com/")
        assert "want" in case or "error" in case or case.get("statement")


def test_corpus_matches_sql_server_locally(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "wh.duckdb")
    try:
        failures, unexpected = _run_corpus(warehouse)
    finally:
        warehouse.close()
    exceptions = [c for _, _, c in CASES if "exception" in c]
    with capsys.disabled():
        print(f"\nT-SQL corpus on DuckDB: {len(CASES) - len(exceptions) - len(failures)}/{len(CASES)} matched, "
              f"{len(exceptions)} listed exceptions, {len(failures)} unexpected differences")
    assert not failures, "\n".join(failures)
    assert not unexpected, "\n".join(unexpected)


@pytest.mark.skipif(not os.environ.get("WHARF_SQLSERVER"),
                    reason="WHARF_SQLSERVER is not set: no SQL Server to check the corpus against")
def test_corpus_matches_on_sql_server() -> None:  # pragma: no cover - needs a server
    warehouse = SqlServerWarehouse(os.environ["WHARF_SQLSERVER"])
    try:
        for table in ("dbo.t", "dbo.short_text", "dbo.target", "dbo.source"):
            warehouse.execute(f"IF OBJECT_ID(N'{table}') IS NOT NULL DROP TABLE {table};")
        failures = [f for f in _run_corpus(warehouse)[0]]
        # On the real engine the listed exceptions hold too: they describe local differences.
        failures += [f"[{g}] {c['q']}: {what}" for g, _, c in CASES if "exception" in c
                     for matched, what in [_outcome(warehouse, c)] if not matched]
    finally:
        warehouse.close()
    assert not failures, "\n".join(failures)
