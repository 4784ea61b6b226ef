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
"""

from __future__ import annotations

from lakewharf.model.catalog import Column, Entity

REASON_MAX, RECORD_MAX, VALUE_MAX = 500, 2000, 60


def duck_type(column: Column) -> str:
    from lakewharf.model.type_map import duckdb_type

    return duckdb_type(column.type)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
    """Reason texts (else NULL) for a value that converts but breaks the column's contract."""
    name = column.name.replace("'", "''")
    typed = converted(column, value)
    out = []
    if not column.nullable or column.primary_key:
        out.append(f"CASE WHEN NOT {_present(column, value)} THEN '{name}: missing in a non-nullable column' END")
    if column.type.length is not None:
        size = "octet_length" if column.type.base == "binary" else "length"
        unit = "bytes" if column.type.base == "binary" else "characters"
        out.append(f"CASE WHEN {size}({typed}) > {column.type.length} THEN '{name}: ' || {size}({typed}) || "
                   f"' {unit}, more than {column.type}' END")
    return out


def _reasons(parts: list[str]) -> str:
    return f"concat_ws('; ', {', '.join(parts)})" if parts else "''"


def checked(relation: str, entity: Entity, *, raw: dict[str, str] | None = None,
            located: bool = False, record: bool = False) -> tuple[str, str, str]:
    """(SELECT of the kept rows, typed as the catalog says; SELECT of the rejected rows as
    ``source_file, line, reason, record``; SELECT ``reason, rows`` of kept rows that break the
    contract). ``raw`` names the column holding each value as read when that is not the column
    itself (a database view exposes typed and stored values)."""
    raw = raw or {}
    values = {c.name: _q(raw.get(c.name, c.name)) for c in entity.columns}
    rejects = _reasons([_conversion(c, values[c.name]) for c in entity.columns])
    breaks = _reasons([p for c in entity.columns for p in _contract(c, values[c.name])])
    keep = ", ".join(f"{converted(c, values[c.name])} AS {_q(c.name)}" for c in entity.columns)
    source = "__file" if located else "NULL"
    line = "__line" if located else "NULL"
    text = "__record" if record else "to_json(struct_pack(" + ", ".join(
        f"{_q(c.name)} := {values[c.name]}" for c in entity.columns) + "))"
    with_reason = f"(SELECT *, {rejects} AS __reason, {breaks} AS __breaks FROM {relation})"
    kept = f"SELECT {keep} FROM {with_reason} WHERE __reason = ''"
    rejected = (f"SELECT CAST({source} AS VARCHAR) AS source_file, CAST({line} AS BIGINT) AS line, "
                f"left(__reason, {REASON_MAX}) AS reason, left(CAST({text} AS VARCHAR), {RECORD_MAX}) AS record "
                f"FROM {with_reason} WHERE __reason <> ''")
    broken = (f"SELECT __breaks AS reason, COUNT(*) AS rows FROM {with_reason} "
              "WHERE __reason = '' AND __breaks <> '' GROUP BY __breaks ORDER BY rows DESC, reason")
    return kept, rejected, broken
