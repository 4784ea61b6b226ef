"""DuckDB connections for local execution: bounded memory, spilling to ``.wharf/tmp``.

Sample-sized runs never notice; at TPC-H scale factor 1 this is what keeps peak memory under
control on a laptop (DuckDB spills sorts, joins and aggregates to disk past the limit).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lakewharf.local.settings import duckdb_memory_limit


def configure(con: Any, state: Path) -> Any:
    (state / "tmp").mkdir(parents=True, exist_ok=True)
    con.execute(f"SET memory_limit = '{duckdb_memory_limit()}'")
    con.execute(f"SET temp_directory = '{state / 'tmp'}'")
    con.execute("SET preserve_insertion_order = false")  # row order carries no meaning in the lake
    return con


def connect(state: Path) -> Any:
    import duckdb

    return configure(duckdb.connect(), state)
