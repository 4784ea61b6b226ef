"""Row by row, what a copy keeps and what it rejects — with the reason, never a silent loss.

Every reader (database, CSV, JSON lines, Parquet) hands over a relation holding, per catalog
column ``c``, the value as read in ``c``; it may add ``__file``, ``__line`` and ``__record`` (the
raw line). A row is rejected when one of its values

- does not convert to the column's catalog type (``"n/a"`` in a decimal column),
- is missing from a non-nullable (or primary-key) column — caught at landing, not at the
  warehouse load, where it would fail the whole table,
- is longer than its ``string(n)`` / ``binary(n)``,

and the reason names each such column.

Only the first is a *reject*: it is what Data Factory's fault tolerance skips and logs as an
incompatible row (https://learn.microsoft.com/azure/data-factory/copy-activity-fault-tolerance).
A missing value in a non-nullable column or an over-long text is copied by Azure's Copy into
Parquet all the same, so locally it is copied too — and counted, and reported as a warning for
the entity, so a contract the source breaks is seen at landing instead of at the warehouse load.
Reasons are bounded (500 characters) and so is the logged record (2,000), so a 10 MB field cannot
flood a reject file or a message.

The checks are SQL over whole columns (DuckDB's TRY_CAST), not Python over rows: a TPC-H scale 1
lineitem (6 M rows) is checked as fast as it is read.
"""

from __future__ import annotations

from typing import Any

from lakewharf.local.warehouse import identifier
from lakewharf.model.catalog import Column, Entity

REASON_MAX, RECORD_MAX, VALUE_MAX = 500, 2000, 60


def duck_type(column: Column) -> str:
    from lakewharf.model.type_map import duckdb_type

    return duckdb_type(column.type)


def converted(column: Column, value: str) -> str:
    """``value`` as the column's type, NULL when it does not convert. Text stays as it is; for
    other types surrounding blanks are ignored and an empty text is missing, as in a CSV file."""
    if column.type.base == "string":
        return f"TRY_CAST({value} AS VARCHAR)"
    if column.type.base == "binary":
        return f"TRY_CAST({value} AS BLOB)"
    return f"TRY_CAST(NULLIF(TRIM(CAST({value} AS VARCHAR)), '') AS {duck_type(column)})"


def _present(column: Column, value: str) -> str:
    if column.type.base in ("string", "binary"):
        return f"({value} IS NOT NULL)"
    return f"(NULLIF(TRIM(CAST({value} AS VARCHAR)), '') IS NOT NULL)"


def _conversion(column: Column, value: str) -> str:
    name = column.name.replace("'", "''")
    shown = f"left(CAST({value} AS VARCHAR), {VALUE_MAX})"
    return (f"CASE WHEN {_present(column, value)} AND {converted(column, value)} IS NULL "
            f"THEN '{name}: ' || {shown} || ' is not {column.type}' END")


def _contract(column: Column, value: str) -> list[str]:
    """Reason texts (else NULL) for a kept value, as landed (converted), that breaks the contract."""
    name = column.name.replace("'", "''")
    out = []
    if not column.nullable or column.primary_key:
        out.append(f"CASE WHEN {value} IS NULL THEN '{name}: missing in a non-nullable column' END")
    if column.type.length is not None:
        size = "octet_length" if column.type.base == "binary" else "length"
        unit = "bytes" if column.type.base == "binary" else "characters"
        out.append(f"CASE WHEN {size}({value}) > {column.type.length} THEN '{name}: ' || {size}({value}) || "
                   f"' {unit}, more than {column.type}' END")
    return out


def _reasons(parts: list[str]) -> str:
    return f"concat_ws('; ', {', '.join(parts)})" if parts else "''"


def column_types(con: Any, relation: str) -> dict[str, str]:
    """The relation's column → DuckDB type, as DuckDB names it (planned, not run)."""
    return {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}


def catalog_types(con: Any, entity: Entity) -> dict[str, str]:
    """Each catalog column's DuckDB type, named as ``column_types`` names it (``VARCHAR(100)`` is
    ``VARCHAR``: DuckDB keeps no length)."""
    casts = ", ".join(f"CAST(NULL AS {duck_type(c)}) AS {identifier(c.name)}" for c in entity.columns)
    return column_types(con, f"(SELECT {casts})")


def checked(relation: str, entity: Entity, *, raw: dict[str, str] | None = None, located: bool = False,
            record: bool = False, typed: frozenset[str] = frozenset(),
            landed: str = "landed") -> tuple[str, str | None, str | None]:
    """(SELECT of the kept rows, typed as the catalog says; SELECT of the rejected rows as
    ``source_file, line, reason, record``, or None when no value can fail to convert; SELECT
    ``reason, rows`` of the rows of ``landed`` — the kept rows once written — that break the
    contract, or None when no column has one).

    ``raw`` names the column holding each value as read when that is not the column itself (a
    database view exposes typed and stored values); ``typed`` names the catalog columns whose
    values are read already in the catalog's type (a typed CSV read, a DuckDB column of that type):
    converting such a value gives it back unchanged and never fails, so it is not converted.

    Each value is converted once, a row's reasons are put into words only for a rejected row, and
    the contract is checked on the written rows, reading only the columns it concerns: on a kept
    row, a value is missing exactly when its converted value is NULL (a present value that does
    not convert is a reject), and a length is the converted value's.
    """
    raw = raw or {}
    values = {c.name: identifier(raw.get(c.name, c.name)) for c in entity.columns}
    converting = [c for c in entity.columns if c.name not in typed]
    typed_values = ", ".join(f"{converted(c, values[c.name])} AS {identifier('__typed_' + c.name)}" for c in converting)
    source = "__file" if located else "NULL"
    line = "__line" if located else "NULL"
    text = "__record" if record else "to_json(struct_pack(" + ", ".join(
        f"{identifier(c.name)} := {values[c.name]}" for c in entity.columns) + "))"
    keep = ", ".join(f"{identifier('__typed_' + c.name) if c in converting else values[c.name]} AS {identifier(c.name)}"
                     for c in entity.columns)
    if not converting:
        kept, rejected = f"SELECT {keep} FROM {relation}", None
    else:
        with_typed = f"(SELECT *, {typed_values} FROM {relation})"
        bad = " OR ".join(f"({_present(c, values[c.name])} AND {identifier('__typed_' + c.name)} IS NULL)"
                          for c in converting)
        reasons = _reasons([_conversion(c, values[c.name]) for c in converting])
        kept = f"SELECT {keep} FROM {with_typed} WHERE NOT ({bad})"
        rejected = (f"SELECT CAST({source} AS VARCHAR) AS source_file, CAST({line} AS BIGINT) AS line, "
                    f"left({reasons}, {REASON_MAX}) AS reason, left(CAST({text} AS VARCHAR), {RECORD_MAX}) AS record "
                    f"FROM {with_typed} WHERE {bad}")
    contract = [p for c in entity.columns for p in _contract(c, identifier(c.name))]
    broken = None if not contract else (
        f"SELECT reason, COUNT(*) AS rows FROM (SELECT {_reasons(contract)} AS reason FROM {landed}) "
        "WHERE reason <> '' GROUP BY reason ORDER BY rows DESC, reason")
    return kept, rejected, broken
