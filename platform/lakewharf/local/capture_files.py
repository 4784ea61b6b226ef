"""Event Hubs Capture files, read locally: each Avro record is one event, its ``Body`` the JSON the
catalog's columns come from (``sources.event_hub``).

In Azure the Copy lands the capture's columns and the landing view converts ``Body`` with
``JSON_VALUE`` and ``TRY_CAST``; here the same conversion runs at the copy, so the landing
Parquet holds the typed columns the view returns (the run report says so). Like the view:

- a body that is not a JSON object gives NULLs (``ISJSON`` = 0), counted and warned about;
- a field is its scalar value as text (``JSON_VALUE``: objects and arrays, and text over 4,000
  characters, are NULL in lax mode), then ``TRY_CAST`` to the column's type: NULL if it does not
  convert — never a rejected row, as Azure's Copy of the capture columns rejects none.
Every record read is written: rows read = rows written, counted apart (Avro records, Parquet rows).
"""

from __future__ import annotations

import json
from typing import Any

from lakewharf.local.row_checks import duck_type
from lakewharf.model.catalog import Column, Entity
from lakewharf.sources.event_hub import field_paths

_JSON_VALUE_MAX = 4000  # JSON_VALUE's nvarchar(4000): a longer scalar is NULL in lax mode


def _scalar(value: Any) -> str | None:
    """``JSON_VALUE``'s text of a JSON value: scalars only."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= _JSON_VALUE_MAX else None


def _at(body: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        if not isinstance(body, dict):
            return None
        body = body.get(part)
    return body


def _event(raw: bytes | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return body if isinstance(body, dict) else None


def read_capture(paths: list[str], entity: Entity) -> tuple[Any, int, int]:
    """(pyarrow table of the entity's columns as text plus ``__file``/``__line``, records read,
    records whose Body is not a JSON object)."""
    import fastavro
    import pyarrow

    columns = field_paths(entity)
    values: dict[str, list[str | None]] = {name: [] for name in columns}
    files: list[str] = []
    lines: list[int] = []
    not_json = 0
    for path in paths:
        with open(path, "rb") as handle:
            for number, record in enumerate(fastavro.reader(handle), start=1):
                body = _event(record.get("Body"))  # type: ignore[union-attr]
                not_json += body is None
                for name, parts in columns.items():
                    values[name].append(_scalar(_at(body, parts)) if body is not None else None)
                files.append(path)
                lines.append(number)
    table = pyarrow.table({**{name: pyarrow.array(v, pyarrow.string()) for name, v in values.items()},
                           "__file": pyarrow.array(files, pyarrow.string()),
                           "__line": pyarrow.array(lines, pyarrow.int64())})
    return table, len(lines), not_json


def _try_cast(column: Column) -> str:
    """T-SQL's ``TRY_CAST(<text> AS <type>)`` in DuckDB. Text to BIT takes ``true``/``false`` (any
    case) or an integer (non-zero is 1), where DuckDB's cast also takes yes/no; text to an integer
    type takes digits only, where DuckDB rounds ``1.5``."""
    value = f'"{column.name}"'
    if column.type.base == "boolean":
        text = f"lower(trim({value}))"
        return (f"CASE WHEN {text} IN ('true', 'false') THEN {text} = 'true' "
                f"ELSE TRY_CAST({value} AS BIGINT) <> 0 END")
    if column.type.base in ("smallint", "int", "bigint"):  # T-SQL takes digits only; DuckDB rounds '1.5'
        digits = f"regexp_full_match(trim({value}), '[+-]?[0-9]+')"
        return f"CASE WHEN {digits} THEN TRY_CAST({value} AS {duck_type(column)}) END"
    return f"TRY_CAST({value} AS {duck_type(column)})"


def typed_select(entity: Entity, table: str) -> str:
    """The landing view's conversion in DuckDB: every column TRY_CAST from its text."""
    cols = ", ".join(f'{_try_cast(c)} AS "{c.name}"' for c in entity.columns)
    return f"(SELECT {cols}, __file, __line FROM {table})"
