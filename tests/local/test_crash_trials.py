"""Crash trials: `wharf run` killed with SIGKILL in the middle of a warehouse load (a merge into a
fact table, a score table load), then run again, ends with every table as a clean run leaves it:
no partial load, no duplicate, no unreadable file.

The kill is real (kill -9 of the `wharf run` process, so no `finally` runs and nothing is
flushed); tests/local/crash_hook/sitecustomize.py places it after the n-th warehouse statement of
the item that loads a given table, n half of what a clean run executes there.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from tests.conftest import runnable_sample

pytestmark = pytest.mark.integration
HOOK = Path(__file__).with_name("crash_hook")
SCALE = "0.12"
RUN_COLUMNS = {"model_version", "run_id", "scored_at", "valid_from", "valid_to"}  # differ between runs by design


def _project(where: Path) -> Path:
    return runnable_sample(where / "project")


def _wharf_run(root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "WHARF_SAMPLE_SCALE": SCALE, **env,
               "PYTHONPATH": os.pathsep.join([str(HOOK), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "lakewharf.cli.main", "--project", str(root), "run"],
                          env=environ, capture_output=True, text=True, timeout=900)


def _state(root: Path) -> dict[str, tuple[list[tuple], list[int]]]:
    """Per data table: its distinct rows without run metadata, and the row count of each load run."""
    out = {}
    with duckdb.connect(str(root / ".wharf/warehouse.duckdb"), read_only=True) as con:
        tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() "
                             "WHERE schema_name NOT IN ('etl', 'stg') ORDER BY 1, 2").fetchall()
        for schema, table in tables:
            columns = [c for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
                "ORDER BY column_index", [schema, table]).fetchall()]
            kept = [c for c in columns if c not in RUN_COLUMNS and not c.endswith("_sk")]
            current = " WHERE is_current" if "is_current" in columns else ""
            rows = con.execute(f"SELECT DISTINCT {', '.join(kept)} FROM {schema}.{table}{current} "
                               f"ORDER BY ALL").fetchall()
            runs = [n for (n,) in con.execute(f"SELECT COUNT(*) FROM {schema}.{table}{current} GROUP BY run_id "
                                              "ORDER BY 1").fetchall()] if "run_id" in columns else []
            out[f"{schema}.{table}"] = (rows, runs)
    return out


def _rounded(state: dict[str, tuple[list[tuple], list[int]]]) -> dict[str, tuple[list[tuple], set[int]]]:
    """Floats to 9 digits (scores are recomputed), and the set of per-run counts (a table loaded by
    two runs has the same count twice; a partial load would add a different one)."""
    def r(v: object) -> object:
        return round(v, 9) if isinstance(v, float) else v
    return {t: ([tuple(r(v) for v in row) for row in rows], set(runs)) for t, (rows, runs) in state.items()}


def _unreadable_files(root: Path) -> list[str]:
    bad = []
    with duckdb.connect() as con:
        for path in sorted((root / ".wharf/lake").rglob("*.parquet")):
            try:
                con.execute("SELECT COUNT(*) FROM parquet_metadata(?)", [str(path)]).fetchall()
            except duckdb.Error:
                bad.append(str(path.relative_to(root)))
    return bad


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict[str, int]]:
    """A clean run, counting the warehouse statements of each item."""
    where = tmp_path_factory.mktemp("clean")
    root = _project(where)
    counts = where / "counts.json"
    done = _wharf_run(root, WHARF_CRASH_AT=":0", WHARF_CRASH_COUNTS=str(counts))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return _rounded(_state(root)), json.loads(counts.read_text())


@pytest.mark.parametrize("target", ["fact_sales", "churn_scores"])
def test_a_run_killed_inside_a_load_converges_on_rerun(clean, target: str, tmp_path: Path) -> None:
    state, counts = clean
    assert counts.get(target, 0) >= 4, counts  # the load runs several statements: aim between them
    root = _project(tmp_path)
    killed = _wharf_run(root, WHARF_CRASH_AT=f"{target}:{counts[target] // 2}")
    assert killed.returncode == -signal.SIGKILL, killed.stdout[-2000:] + killed.stderr[-2000:]
    rerun = _wharf_run(root)
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]
    after = _rounded(_state(root))
    assert sorted(after) == sorted(state)
    for table in state:
        assert after[table] == state[table], table
    assert _unreadable_files(root) == []
