"""A small input for the step-kind tests, and one step's SQL run on DuckDB over a few rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
from sqlglot import exp

from lakewharf.generate.preparation_render import render
from lakewharf.model.catalog import Column
from lakewharf.model.origin import NOWHERE
from lakewharf.model.steps import STEP_KINDS, Step, StepError
from lakewharf.model.steps.sqltree import LOADED_AT, Chain, StepSql, col, select, sql_type
from lakewharf.model.types import DataType, Privacy

T0 = dt.datetime(2026, 1, 10, 1, 0)
AT = NOWHERE.at("steps", 0)  # where the sample step is; errors are located below it


def column(name: str, type_text: str, privacy: str = "none", *, nullable: bool = True,
           primary_key: bool = False) -> Column:
    return Column(name, DataType.parse(type_text), nullable=nullable, primary_key=primary_key,
                  privacy=Privacy.parse(privacy))


def columns(*cols: Column) -> dict[str, Column]:
    return {c.name: c for c in cols}


INPUT = columns(
    column("customer_id", "int", nullable=False, primary_key=True),
    column("email", "string(100)", "personal"),
    column("city", "string(40)"),
    column("amount", "decimal(10,2)"),
    column("note", "string", "sensitive"),
    column("updated_at", "timestamp"),
)


def parse(op: str, args: Any) -> Step:
    return STEP_KINDS[op].parse(args, AT.at(op))


def no_tables(ref: str) -> tuple[Column, ...] | None:
    return None


def error_of(step: Step, before: Mapping[str, Column] = INPUT,
             tables: Mapping[str, tuple[Column, ...]] | None = None) -> StepError:
    """The StepError the step raises on ``before``; fails if it raises none."""
    try:
        step.columns(before, lambda ref: (tables or {}).get(ref))
    except StepError as exc:
        return exc
    raise AssertionError(f"{step} accepted {list(before)}")


def privacy_agrees(step: Step, before: Mapping[str, Column], tables: Mapping[str, tuple[Column, ...]]) -> None:
    """``privacy`` says of every output column what ``columns`` built it with."""
    columns_of = tables.get
    out = step.columns(before, columns_of)
    assert {n: step.privacy(n, before, columns_of) for n in out} == {n: c.privacy for n, c in out.items()}


@dataclass(frozen=True)
class Ran:
    rows: list[dict[str, Any]]
    rejects: dict[str, list[dict[str, Any]]]  # per step label
    sql: str  # the main query, as DuckDB SQL
    uses_salt: bool


def _create(con: duckdb.DuckDBPyConnection, name: str, cols: list[tuple[str, str]],
            rows: list[dict[str, Any]]) -> None:
    con.execute(f"CREATE TABLE {name} ({', '.join(f'{c} {t}' for c, t in cols)})")
    for row in rows:
        con.execute(f"INSERT INTO {name} VALUES ({', '.join('?' * len(cols))})", [row.get(c) for c, _ in cols])


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, str]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or None)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def run(step: Step, rows: list[dict[str, Any]], before: Mapping[str, Column] = INPUT, *,
        loaded_at: bool = False, tables: Mapping[str, tuple[tuple[Column, ...], list[dict[str, Any]]]] | None = None
        ) -> Ran:
    """Run the step's CTEs over ``rows`` (with a load time column when ``loaded_at``), as the
    generator does: read the input, add the step, select the output columns."""
    tables = tables or {}
    con = duckdb.connect()
    typed = [(n, sql_type(c.type).sql("duckdb")) for n, c in before.items()]
    _create(con, "t_in", typed + ([(LOADED_AT, "TIMESTAMP")] if loaded_at else []), rows)
    for ref, (cols, other) in tables.items():
        _create(con, ref.replace(".", "__"), [(c.name, sql_type(c.type).sql("duckdb")) for c in cols], other)
    after = step.columns(before, lambda ref: tables[ref][0] if ref in tables else None)
    chain = Chain()
    chain.add(select([col(n) for n in [*before, *([LOADED_AT] if loaded_at else [])]], "t_in"))
    step.sql(chain, StepSql(before, after, loaded_at, f"0_{step.op}", lambda ref: exp.to_table(ref.replace(".", "__"))))
    final = chain.with_ctes(select([col(n) for n in after], chain.last))
    params = {"salt": "pepper"} if chain.uses_salt else {}
    sql = render(final, "duckdb")
    rejects = {label: _fetch(con, render(query, "duckdb"), params) for label, query in chain.rejects}
    return Ran(_fetch(con, sql, params), rejects, sql, chain.uses_salt)
