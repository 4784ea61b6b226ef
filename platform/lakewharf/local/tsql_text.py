"""Splitting generated T-SQL into batches and statements, without a full T-SQL parser.

The generated scripts follow strict conventions (``GO`` alone on a line between batches, ``;``
after every statement), which is what makes this small splitter sufficient.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GO = re.compile(r"^\s*GO\s*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class CopyInto:
    table: str  # schema.table
    columns: list[tuple[str, int]]  # (column, 1-based position in the Parquet file)
    location: str  # URL of the folder or file


def strip_comments(sql: str) -> str:
    out, i, n = [], 0, len(sql)
    while i < n:
        c = sql[i]
        if c == "'":
            j = i + 1
            while j < n and not (sql[j] == "'" and (j + 1 >= n or sql[j + 1] != "'")):
                j += 2 if sql[j] == "'" else 1
            out.append(sql[i : j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            i = sql.find("\n", i) if "\n" in sql[i:] else n
        elif sql.startswith("/*", i):
            i = sql.find("*/", i) + 2 if "*/" in sql[i:] else n
        else:
            out.append(c)
            i += 1
    return "".join(out)


def split_statements(batch: str) -> list[str]:
    """Split on ``;`` outside strings and parentheses; comments must be stripped already."""
    parts, depth, start, i, in_string = [], 0, 0, 0, False
    while i < len(batch):
        c = batch[i]
        if c == "'":
            in_string = not in_string
        elif not in_string:
            depth += c == "("
            depth -= c == ")"
            if c == ";" and depth == 0:
                parts.append(batch[start:i].strip())
                start = i + 1
        i += 1
    parts.append(batch[start:].strip())
    return [p for p in parts if p]


def temp_names(sql: str) -> str:
    """``#src`` → ``tmp_src`` outside strings (DuckDB temp tables are plain names)."""
    return re.sub(r"(?<![\w'])#(\w+)", r"tmp_\1", sql)


def unbracket(name: str) -> str:
    return name.replace("[", "").replace("]", "").strip()
