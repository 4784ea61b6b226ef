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


@dataclass(frozen=True)
class _Target:
    column: str  # what platform.yaml's allow list names (dataset.column, schema.table.column)
    where: str  # how a finding names it
    kind: str
    clearance: Privacy


def _load_personal(ctx: RunContext, con: Any) -> list[_Personal]:
    con.execute("CREATE TABLE personal (source INTEGER, kind VARCHAR, privacy INTEGER, value VARCHAR, once BOOLEAN)")
    found: list[_Personal] = []
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
                con.execute(f"""INSERT INTO personal SELECT {len(found)}, '{kind}', {int(col.privacy)},
                    {_key(kind, quoted)} AS v, COUNT(*) = 1
                    FROM {files} WHERE {quoted} IS NOT NULL GROUP BY v LIMIT {_SAMPLE}""")
                identifying = distinct >= IDENTIFYING_MIN and distinct >= IDENTIFYING_SHARE * rows
                found.append(_Personal(name, col.privacy, kind, identifying))
    return found


def _findings(con: Any, targets: list[_Target], personal: list[_Personal]) -> list[list[str]]:
    """Leaks of ``personal`` into each target, whose distinct keys are in the table ``target_values``.

    One join over every (target, personal column) pair at once, counted per pair: a pair with no
    shared value has no finding, so only pairs that share values come back (a query per pair made
    the check quadratic in the catalog: 71,460 queries at 100 tables).
    """
    totals = dict(con.execute("SELECT target, COUNT(*) FROM target_values GROUP BY target").fetchall())
    pairs = con.execute("""SELECT v.target, p.source, COUNT(*), COUNT(*) FILTER (WHERE p.once)
        FROM target_values v JOIN targets t ON t.id = v.target
        JOIN personal p ON p.kind = t.kind AND p.value = v.value AND p.privacy > t.clearance
        GROUP BY v.target, p.source""").fetchall()
    shared = {(target, source): (hits, unique) for target, source, hits, unique in pairs}
    out: list[list[str]] = []
    for i, target in enumerate(targets):
        total, found = totals.get(i, 0), []
        for j, p in enumerate(personal):
            if (i, j) not in shared:
                continue
            hits, unique = shared[i, j]
            copied = hits >= COPIED_MIN and hits >= COPIED_SHARE * total
            if copied or (p.identifying and unique >= IDENTIFYING_HITS):
                why = (f"{hits:,} of its {total:,} distinct values are values" if copied
                       else f"{unique:,} identifying value(s)")
                found.append(f"{target.where} holds {why} of {p.name} ({p.privacy})")
        out.append(found)
    return out


def check_privacy(ctx: RunContext) -> PrivacyCheck:
    import duckdb
    import pyarrow

    result = PrivacyCheck()
    con = duckdb.connect()
    personal = _load_personal(ctx, con)
    if not personal:
        return result
    con.execute("CREATE TABLE target_values (target INTEGER, value VARCHAR)")
    targets: list[_Target] = []

    def add(relation: str, clearance: Privacy, columns: list[tuple[str, str, str, str]]) -> None:
        """The distinct keys of the (allow-list name, where, kind, field) columns of one relation,
        in one scan of it (the two lists unnest side by side: one row per column and row)."""
        ids = ", ".join(str(len(targets) + i) for i in range(len(columns)))
        keys = ", ".join(_key(kind, field) for _, _, kind, field in columns)
        con.execute(f"INSERT INTO target_values SELECT DISTINCT t, v FROM (SELECT unnest([{ids}]) AS t, "
                    f"unnest([{keys}]) AS v FROM {relation}) WHERE v IS NOT NULL")
        targets.extend(_Target(column, where, kind, clearance) for column, where, kind, _ in columns)

    platform = ctx.catalog.platform
    for ds in ctx.catalog.datasets.values():
        clearance = platform.clearance_of(platform.zones[ds.zone].audience)
        glob = ctx.files.parquet_glob(ctx.filesystem(ds.zone), lake.dataset_folder(ds.name))
        columns = [c for c in ds.columns if kind_of(c.type)]
        if glob is None or not columns:
            continue
        result.checked.append(f"dataset:{ds.name}")
        add(f"read_parquet('{glob}', union_by_name = true)", clearance,
            [(f"{ds.name}.{c.name}", f"dataset {ds.name}.{c.name} in zone {ds.zone}", kind_of(c.type) or "",
              f'"{c.name}"') for c in columns])
    for table in ctx.catalog.tables.values():
        clearance = platform.clearance_of(table.readers)
        for tc in table.columns:
            if tc.mask is not None and tc.column.privacy > clearance:
                result.not_verified.append(f"dynamic data masking of {table.qualified_name}.{tc.name}")
        columns = [tc for tc in table.columns if kind_of(tc.column.type) and tc.mask is None]
        if not columns:
            continue
        result.checked.append(f"table:{table.qualified_name}")
        # One read of the table (each warehouse query is translated and typed: once, not per column),
        # its values as text (as the warehouse's client gives them) in an Arrow table for DuckDB.
        names, rows = ctx.warehouse.query(
            "SELECT " + ", ".join(f"[{tc.name}]" for tc in columns) + f" FROM [{table.schema}].[{table.name}]")
        if not rows:
            continue
        seen = pyarrow.table({f"c{i}": pyarrow.array([None if row[i] is None else str(row[i]) for row in rows],
                                                      pyarrow.string()) for i in range(len(names))})
        con.register("seen", seen)
        add("seen", clearance, [(f"{table.qualified_name}.{tc.name}", f"table {table.qualified_name}.{tc.name}",
                                 kind_of(tc.column.type) or "", f'"c{i}"') for i, tc in enumerate(columns)])
        con.unregister("seen")
    con.register("targets", pyarrow.table({"id": pyarrow.array(range(len(targets)), pyarrow.int32()),
                                           "kind": pyarrow.array([t.kind for t in targets], pyarrow.string()),
                                           "clearance": pyarrow.array([int(t.clearance) for t in targets],
                                                                      pyarrow.int32())}))
    allowed = dict(platform.privacy_allow)
    for target, findings in zip(targets, _findings(con, targets, personal), strict=True):
        if target.column in allowed:
            result.allowed += [f"{f} — allowed: {allowed[target.column]}" for f in findings]
        else:
            result.violations += findings
    return result
