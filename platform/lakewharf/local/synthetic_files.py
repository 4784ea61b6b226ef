"""File-drop and log files for ``lakewharf.local.synthetic``: rows laid out so the entity's path
glob matches them, written in the source's format.

A path with ``{yyyy}``/``{MM}``/``{dd}`` gets one file per day of the rows' watermark (or first
date/timestamp column), ``*`` becoming ``part-0000``; an incremental entity with a plain ``*`` gets
a file per day named by the date (``sales_20250102.csv``); anything else is one snapshot named
after the last day. CSV follows RFC 4180 quoting with the source's delimiter, quote, header and
encoding options: ISO dates, ``2025-01-02 10:11:12`` timestamps, true/false, an empty field for
NULL, bytes as ``\\xHH`` (what DuckDB reads as a BLOB). JSON lines hold one object per row with
ISO-8601 ``Z`` timestamps and bare numbers. Parquet is written by pyarrow (deterministic bytes).
"""

from __future__ import annotations

import csv
import datetime
import io
import json

import numpy as np
import pyarrow
import pyarrow.parquet as pq

from lakewharf.local import synthetic_values as sv
from lakewharf.model.catalog import Entity, Source
from lakewharf.model.lake import DAY_TOKENS, day_path
from lakewharf.model.types import DataType

BAD_TEXT = ("n/a", "unknown", "#N/A")  # what a typed column of a bad-type row holds in the file


def entity_files(source: Source, entity: Entity, values: dict[str, np.ndarray], nulls: dict[str, np.ndarray],
                 time: np.ndarray, bad: np.ndarray, table: pyarrow.Table, seed: int,
                 last_day: datetime.date) -> dict[str, bytes]:
    """Relative path → content. ``values``/``nulls`` are working columns of every row, in row order;
    ``bad`` marks the rows written with a bad-type value (``table`` holds the others)."""
    path = entity.path or f"{entity.name}/*.{source.format}"
    times = [c for c in entity.columns if c.type.base in ("date", "timestamp")]
    when = next((c for c in times if c.name == entity.watermark), times[0] if times else None)
    day = time.astype("datetime64[D]")
    if when is not None:
        day = np.where(nulls[when.name], day, values[when.name].astype("datetime64[D]"))
    by_day = any(tok in path for tok in DAY_TOKENS)
    if by_day and entity.load_mode == "full":
        # A full load reads the folder of the day it runs (formatDateTime(TriggerTime) in the copy's
        # wildcardFolderPath), so the whole snapshot is today's drop.
        names, which = [_expand(path, snapshot_day(), True)], np.zeros(len(day), dtype=np.int64)
    elif by_day or (entity.load_mode == "incremental" and "*" in path):  # daily drops
        days, which = np.unique(day, return_inverse=True)
        names = [_expand(path, d, by_day) for d in days.tolist()]
    else:  # one snapshot, even of no rows
        names, which = [_expand(path, last_day, False)], np.zeros(len(day), dtype=np.int64)
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(len(names) + 1))
    parts: dict[str, list[np.ndarray]] = {}
    for i, name in enumerate(names):  # days share a file when the path has no {dd}
        parts.setdefault(name, []).append(order[bounds[i]:bounds[i + 1]])
    groups = {name: np.sort(np.concatenate(p)) for name, p in sorted(parts.items())}
    if source.format == "parquet":  # typed: never holds bad-type rows, so rows are the table's
        return {name: _parquet(table.take(pyarrow.array(idx, pyarrow.int64()))) for name, idx in groups.items()}
    as_json = source.format == "jsonl"
    cells = _cells(entity, values, nulls, bad, seed, as_json)
    write = _jsonl if as_json else _csv
    return {name: write(source, entity, cells, idx) for name, idx in groups.items()}


def snapshot_day() -> datetime.date:
    """Today in UTC: the day a local run's trigger time falls on."""
    return datetime.datetime.now(datetime.UTC).date()


def _expand(path: str, day: datetime.date, by_day: bool) -> str:
    path = day_path(path, day)
    return path.replace("**", "*").replace("*", "part-0000" if by_day else day.strftime("%Y%m%d")).replace("?", "0")


def _cells(entity: Entity, values: dict[str, np.ndarray], nulls: dict[str, np.ndarray], bad: np.ndarray,
           seed: int, as_json: bool) -> dict[str, list[str | None]]:
    """Text of every cell: None for NULL, and a bad-type text in one typed column of each bad row."""
    make = json_cells if as_json else cell_text
    cells: dict[str, list[str | None]] = {}
    for c in entity.columns:
        text: list[str | None] = list(make(c.type, values[c.name]))
        for i in np.flatnonzero(nulls[c.name]).tolist():
            text[i] = "null" if as_json else None
        cells[c.name] = text
    typed = [c for c in entity.columns if c.type.base not in sv.TEXT_BASES]
    typed = [c for c in typed if not c.primary_key] or typed
    rows, rng = np.flatnonzero(bad), sv.rng_for(seed, entity.ref, "", "bad_cells")
    for i, col, word in zip(rows.tolist(), rng.integers(0, len(typed), len(rows)).tolist(),
                            rng.integers(0, len(BAD_TEXT), len(rows)).tolist(), strict=True):
        cells[typed[col].name][i] = f'"{BAD_TEXT[word]}"' if as_json else BAD_TEXT[word]
    return cells


def cell_text(t: DataType, values: np.ndarray, timestamp_sep: str = " ") -> list[str]:
    """Each value as file text: ISO dates, true/false, decimals at their scale, bytes as \\xHH."""
    if t.base == "boolean":
        return np.where(values, "true", "false").tolist()
    if t.base == "float":
        return values.astype(np.float32).astype(str).tolist()  # shortest text that reads back exactly
    if t.base == "decimal":
        scale = 10**t.scale  # type: ignore[operator]
        if scale == 1:
            return values.astype(str).tolist()
        return [f"{'-' if u < 0 else ''}{abs(u) // scale}.{abs(u) % scale:0{t.scale}d}" for u in values.tolist()]
    if t.base == "timestamp":
        return [s.replace("T", timestamp_sep) for s in values.astype("datetime64[s]").astype(str).tolist()]
    if t.base == "binary":
        return ["".join(f"\\x{b:02X}" for b in v) for v in values.tolist()]
    return values.tolist() if t.base == "string" else values.astype(str).tolist()


def json_cells(t: DataType, values: np.ndarray) -> list[str]:
    """Each value as a JSON fragment: numbers and booleans bare, timestamps ISO-8601 with Z."""
    if t.base == "timestamp":
        return [f'"{s}Z"' for s in cell_text(t, values, "T")]
    text = cell_text(t, values)
    return [json.dumps(s) for s in text] if t.base in ("string", "binary", "date") else text


def _encode(source: Source, text: str) -> bytes:
    try:
        return text.encode(str(source.options.get("encoding", "utf-8")))
    except LookupError:  # an encoding name Python does not know: UTF-8, Data Factory's default
        return text.encode("utf-8")


def _csv(source: Source, entity: Entity, cells: dict[str, list[str | None]], idx: np.ndarray) -> bytes:
    options = source.options
    quote, delimiter = str(options.get("quote", '"')), str(options.get("delimiter", ","))
    columns = [cells[c.name] for c in entity.columns]
    rows = [[c.name for c in entity.columns]] if options.get("header", True) else []
    rows += [["" if col[i] is None else col[i] for col in columns] for i in idx.tolist()]
    if not quote:  # no quoting: fields as they are, a delimiter inside one escaped like the dataset declares
        return _encode(source, "".join(delimiter.join(f.replace(delimiter, "\\" + delimiter) for f in row) + "\n"
                                       for row in rows))
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, quotechar=quote, lineterminator="\n").writerows(rows)
    return _encode(source, buf.getvalue())


def _jsonl(source: Source, entity: Entity, cells: dict[str, list[str | None]], idx: np.ndarray) -> bytes:
    keys = [json.dumps(c.name) for c in entity.columns]
    columns = [cells[c.name] for c in entity.columns]
    lines = ["{" + ",".join(f"{k}:{col[i]}" for k, col in zip(keys, columns, strict=True)) + "}" for i in idx.tolist()]
    return _encode(source, "".join(line + "\n" for line in lines))


def _parquet(table: pyarrow.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="snappy")
    return buf.getvalue()
