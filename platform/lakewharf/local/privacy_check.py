"""Check the data, not only the metadata: personal values must not be readable where they may not be.

``wharf validate`` proves from lineage that no personal column reaches a reader without clearance;
this check looks at the data a run produced for what lineage cannot see — a SQL expression that
copies a column under another name, a hash that is not one. For every personal or sensitive
source column (its distinct values, read from landing) and every column of the same kind of value
(text, number, date) of a prepared dataset or warehouse table that a reader without clearance can
read unmasked, it compares the distinct values, and finds a leak when

- the target column looks *copied*: at least 90% of its distinct values are values of the personal
  column, and at least 20 of them (exact birth years in an int column, dates of birth), or
- the personal column *identifies* people (at least 90% of its values are distinct, at least 50 of
  them: e-mails, phones, full names) and the target holds at least 3 of the values that occur
  only once in it (a first name many people share identifies nobody).

A few shared common values are not a leak: a city named like a surname, a decade that is also a
birth year. A team acknowledges a finding it has looked at in platform.yaml
(``privacy_check: {allow: [{column: mart.dim_customer.city, because: …}]}``); the report lists it
with the reason. Columns masked with dynamic data masking cannot be verified locally (DuckDB has no
masking) and are said so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lakewharf.local.context import RunContext
from lakewharf.model import lake
from lakewharf.model.catalog import Column
from lakewharf.model.types import DataType, Privacy

_SAMPLE = 20_000  # distinct personal values kept per source column
COPIED_SHARE, COPIED_MIN = 0.9, 20
IDENTIFYING_SHARE, IDENTIFYING_MIN, IDENTIFYING_HITS = 0.9, 50, 3


@dataclass
class PrivacyCheck:
    checked: list[str] = field(default_factory=list)  # "dataset:x" / "table:y" scanned
    violations: list[str] = field(default_factory=list)
    not_verified: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)  # findings the catalog acknowledges, with the reason


def kind_of(t: DataType) -> str | None:
    """Values are compared within a kind: text with text, numbers with numbers, dates with dates."""
    if t.base == "string":
        return "text"
    if t.base in ("smallint", "int", "bigint", "decimal", "float", "double"):
        return "number"
    if t.base in ("date", "timestamp"):
        return "date"
    return None


def _key(kind: str, column: str) -> str:
    """One spelling per value: trimmed lower-case text, numbers as numbers, dates without time."""
    if kind == "text":
        return f"lower(trim(CAST({column} AS VARCHAR)))"
    if kind == "number":
        return f"CAST(CAST({column} AS DOUBLE) AS VARCHAR)"
    return f"CAST(CAST({column} AS DATE) AS VARCHAR)"


@dataclass(frozen=True)
class _Personal:
    name: str  # source.entity.column
    privacy: Privacy
    kind: str
    identifying: bool


def _load_personal(ctx: RunContext, con: Any) -> list[_Personal]:
    con.execute("CREATE TABLE personal (source VARCHAR, value VARCHAR, once BOOLEAN)")
    found = []
    for source in ctx.catalog.sources.values():
        for entity in source.entities.values():
            columns = [c for c in entity.columns if c.privacy > Privacy.NONE and kind_of(c.type)]
            glob = ctx.files.parquet_glob(ctx.filesystem(source.landing_zone),
                                          lake.landing_folder(source.name, entity.name)) if columns else None
            for col in columns if glob else []:
                kind, name = kind_of(col.type) or "", f"{entity.ref}.{col.name}"
                files, quoted = f"read_parquet('{glob}', union_by_name = true)", f'"{col.name}"'
                rows, distinct = con.execute(
                    f"SELECT COUNT({quoted}), COUNT(DISTINCT {_key(kind, quoted)}) FROM {files}").fetchone()
                if not rows:
                    continue
                con.execute(f"""INSERT INTO personal SELECT '{name}', {_key(kind, quoted)} AS v, COUNT(*) = 1
                    FROM {files} WHERE {quoted} IS NOT NULL GROUP BY v LIMIT {_SAMPLE}""")
                identifying = distinct >= IDENTIFYING_MIN and distinct >= IDENTIFYING_SHARE * rows
                found.append(_Personal(name, col.privacy, kind, identifying))
    return found


def _findings(con: Any, values: str, target: Column, personal: list[_Personal], clearance: Privacy,
              where: str) -> list[str]:
    """Leaks of ``personal`` into one target column whose distinct keys are in the relation ``values``."""
    kind = kind_of(target.type)
    out = []
    total = con.execute(f"SELECT COUNT(*) FROM {values}").fetchone()[0]
    for p in personal:
        if p.kind != kind or p.privacy <= clearance or not total:
            continue
        hits, unique = con.execute(f"SELECT COUNT(*), COUNT(*) FILTER (WHERE p.once) FROM {values} v "
                                   f"JOIN personal p ON v.value = p.value WHERE p.source = '{p.name}'").fetchone()
        copied = hits >= COPIED_MIN and hits >= COPIED_SHARE * total
        if copied or (p.identifying and unique >= IDENTIFYING_HITS):
            why = (f"{hits:,} of its {total:,} distinct values are values" if copied
                   else f"{unique:,} identifying value(s)")
            out.append(f"{where} holds {why} of {p.name} ({p.privacy})")
    return out


def check_privacy(ctx: RunContext) -> PrivacyCheck:
    import duckdb

    result = PrivacyCheck()
    con = duckdb.connect()
    personal = _load_personal(ctx, con)
    if not personal:
        return result
    allowed = dict(ctx.catalog.platform.privacy_allow)

    def report(column: str, findings: list[str]) -> None:
        if column in allowed:
            result.allowed += [f"{f} — allowed: {allowed[column]}" for f in findings]
        else:
            result.violations += findings

    platform = ctx.catalog.platform
    for ds in ctx.catalog.datasets.values():
        clearance = platform.clearance_of(platform.zones[ds.zone].audience)
        glob = ctx.files.parquet_glob(ctx.filesystem(ds.zone), lake.dataset_folder(ds.name))
        targets = [c for c in ds.columns if kind_of(c.type)]
        if glob is None or not targets:
            continue
        result.checked.append(f"dataset:{ds.name}")
        for col in targets:
            values = (f"(SELECT DISTINCT {_key(kind_of(col.type) or '', f'{chr(34)}{col.name}{chr(34)}')} AS value "
                      f"FROM read_parquet('{glob}', union_by_name = true) WHERE \"{col.name}\" IS NOT NULL)")
            report(f"{ds.name}.{col.name}", _findings(con, values, col, personal, clearance,
                                                       f"dataset {ds.name}.{col.name} in zone {ds.zone}"))
    for table in ctx.catalog.tables.values():
        clearance = platform.clearance_of(table.readers)
        for tc in table.columns:
            if tc.mask is not None and tc.column.privacy > clearance:
                result.not_verified.append(f"dynamic data masking of {table.qualified_name}.{tc.name}")
        targets = [tc for tc in table.columns if kind_of(tc.column.type) and tc.mask is None]
        if not targets:
            continue
        result.checked.append(f"table:{table.qualified_name}")
        # One read of the table (each warehouse query is translated and typed: once, not per column).
        names, rows = ctx.warehouse.query(
            "SELECT " + ", ".join(f"[{tc.name}]" for tc in targets) + f" FROM [{table.schema}].[{table.name}]")
        if not rows:
            continue
        con.execute("CREATE OR REPLACE TEMP TABLE seen (" + ", ".join(f'"c{i}" VARCHAR' for i in range(len(names)))
                    + ")")
        con.executemany(f"INSERT INTO seen VALUES ({', '.join('?' for _ in names)})",
                        [tuple(None if v is None else str(v) for v in row) for row in rows])
        for i, tc in enumerate(targets):
            kind, column = kind_of(tc.column.type) or "", f'"c{i}"'
            values = f"(SELECT DISTINCT {_key(kind, column)} AS value FROM seen WHERE {column} IS NOT NULL)"
            report(f"{table.qualified_name}.{tc.name}",
                   _findings(con, values, tc.column, personal, clearance, f"table {table.qualified_name}.{tc.name}"))
    return result
