"""JSON lines, read one line at a time, so one broken line is one rejected row.

A line that is not valid in the file's encoding, not JSON, or not a JSON object is refused with
its file, line number, byte offset and the parser's reason; the other lines carry on. Values are
handed over as text (objects and arrays as their JSON), to be typed by ``row_checks`` like every
other reader's; a key the catalog does not declare is ignored, as the Copy's explicit mapping
ignores it. Blank lines are not records (JSON lines allows a trailing newline).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lakewharf.local.row_checks import REASON_MAX, RECORD_MAX
from lakewharf.model.catalog import Entity


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def read_json_lines(paths: list[str], entity: Entity, encoding: str = "UTF-8") -> tuple[Any, Any, int]:
    """(rows as text with ``__file``, ``__line``, ``__record``; refused lines as
    ``source_file, line, reason, record``; the number of records read)."""
    import pyarrow as pa

    names = [c.name for c in entity.columns]
    columns: dict[str, list[str | None]] = {n: [] for n in [*names, "__file", "__line", "__record"]}
    refused: dict[str, list[Any]] = {"source_file": [], "line": [], "reason": [], "record": []}
    records = 0
    codec = encoding.lower().replace("_", "-")
    for path in paths:
        offset = 0
        for number, raw in enumerate(Path(path).read_bytes().split(b"\n"), start=1):
            start, offset = offset, offset + len(raw) + 1
            if not raw.strip():
                continue
            records += 1
            try:
                text = raw.decode(codec)
                value = json.loads(text)
                if not isinstance(value, dict):
                    raise ValueError(f"a JSON {type(value).__name__}, not an object")
            except (UnicodeDecodeError, ValueError) as exc:
                reason = (f"invalid {encoding} at byte {start + exc.start} of the file"
                          if isinstance(exc, UnicodeDecodeError) else f"malformed JSON at byte {start}: {exc}")
                refused["source_file"].append(path)
                refused["line"].append(number)
                refused["reason"].append(reason[:REASON_MAX])
                refused["record"].append(raw[:RECORD_MAX].decode(codec, errors="replace"))
                continue
            for n in names:
                columns[n].append(_text(value.get(n)))
            columns["__file"].append(path)
            columns["__line"].append(str(number))
            columns["__record"].append(text[:RECORD_MAX])
    rows = pa.table({n: pa.array(v, pa.string()) for n, v in columns.items()})
    rows = rows.set_column(rows.schema.get_field_index("__line"), "__line", rows["__line"].cast(pa.int64()))
    schema = pa.schema([("source_file", pa.string()), ("line", pa.int64()), ("reason", pa.string()),
                        ("record", pa.string())])
    return rows, pa.table(refused, schema=schema), records
