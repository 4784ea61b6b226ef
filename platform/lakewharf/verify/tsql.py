"""Parse generated Synapse T-SQL with sqlfluff's tsql dialect (the parser only, no style rules).

Why per ``GO`` batch: one unparsable section swallows the rest of its input (sqlfluff reports a
single error and stops), so a whole-file parse would hide every later typo. Each batch is parsed
on its own and positions are mapped back to file lines. Split generated scripts with ``GO``.

sqlfluff 4.5 (tsql) measured on Synapse dedicated SQL pool DDL:

Parses: CREATE TABLE ... WITH (DISTRIBUTION = HASH(c) | ROUND_ROBIN | REPLICATE,
CLUSTERED COLUMNSTORE INDEX | HEAP | CLUSTERED INDEX (c) | CLUSTERED COLUMNSTORE INDEX ORDER (c)),
CTAS (+ OPTION (LABEL = ...)), column-level ``MASKED WITH (FUNCTION = 'email()')`` in CREATE TABLE,
CREATE EXTERNAL DATA SOURCE / FILE FORMAT / TABLE (and CETAS), COPY INTO t FROM ... WITH (...),
MERGE (all WHEN forms), GRANT/DENY on SCHEMA:: / OBJECT:: / table, CREATE USER ... FROM EXTERNAL
PROVIDER, CREATE ROLE, ALTER ROLE ... ADD MEMBER, CREATE DATABASE SCOPED CREDENTIAL, RENAME OBJECT,
CREATE STATISTICS t (c), UPDATE STATISTICS, ALTER INDEX ALL ... REBUILD, TRUNCATE, views,
procedures, IF OBJECT_ID(...) ..., DROP ... IF EXISTS, OPENROWSET(BULK ...).

Does NOT parse (valid T-SQL; generators must avoid it or accept our narrow fallback below):
- ``ADD SENSITIVITY CLASSIFICATION TO ... WITH (...)`` / ``DROP SENSITIVITY CLASSIFICATION``  [fallback]
- ``ALTER TABLE t ALTER COLUMN c ADD MASKED WITH (FUNCTION = '...')`` / ``DROP MASKED``     [fallback]
  (or declare the mask in CREATE TABLE, which sqlfluff parses)
- ``COPY INTO t (col1, col2 DEFAULT 'x' 3) FROM ...``: the column list                      [fallback]
- ``WITH (..., PARTITION (c RANGE RIGHT FOR VALUES (...)))`` in CREATE TABLE
- ``DISTRIBUTION = HASH(c1, c2)`` (multi-column hash distribution)
- ``PRIMARY KEY NONCLUSTERED (c) NOT ENFORCED`` / ``UNIQUE (c) NOT ENFORCED``               [fallback]
  (Synapse requires NOT ENFORCED; sqlfluff parses the constraint without it)
- ``CREATE STATISTICS ... WITH FULLSCAN`` / ``WITH SAMPLE n PERCENT``
- column-level ``GRANT/DENY SELECT ON t (c) TO r``
- ``CREATE WORKLOAD GROUP`` / ``CREATE WORKLOAD CLASSIFIER``

Fallback: the marked forms are matched by strict regular expressions (identifiers, option
names and mask functions spelled out) and blanked (newlines kept, so positions stay right) before
sqlfluff parses the batch. A typo in them does not match and sqlfluff reports the statement.

sqlfluff accepts any identifier as a data type, so data types are checked here against what
Synapse dedicated SQL pool supports. It also reads a statement starting with an unknown word
(``SELCT 1``, ``COPY INTOO t``) as a procedure call without EXEC (T-SQL allows that for the first
statement of a batch; sqlfluff for any): generated SQL always writes EXEC, so we report those.

Measured: import + config ~0.15 s; the 20-batch DDL sample in the tests parses in ~0.07 s.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lakewharf.verify import Problem

_IDENT = r"(?:\[[^\]\n]+\]|[A-Za-z_#][\w@#$]*)"
_NAME = rf"{_IDENT}(?:\s*\.\s*{_IDENT}){{0,3}}"
_STRING = r"N?'(?:[^']|'')*'"
_CLASSIFICATION_OPTION = (rf"(?:LABEL|LABEL_ID|INFORMATION_TYPE|INFORMATION_TYPE_ID)\s*=\s*{_STRING}"
                          r"|RANK\s*=\s*(?:NONE|LOW|MEDIUM|HIGH|CRITICAL)")
_MASK_FUNCTION = (r"'(?:default\(\)|email\(\)|random\(\s*-?[\d.]+\s*,\s*-?[\d.]+\s*\)"
                  r"|partial\(\s*\d+\s*,\s*\"[^\"\n]*\"\s*,\s*\d+\s*\)|datetime\(\"[YMDhms]\"\))'")
_COPY_COLUMN = rf"{_IDENT}(?:\s+DEFAULT\s+(?:{_STRING}|-?\d+(?:\.\d+)?))?(?:\s+\d+)?"

# Statements sqlfluff 4.5 cannot parse, matched strictly; the whole match is blanked.
_BLANKED_STATEMENTS = [
    re.compile(rf"\bADD\s+SENSITIVITY\s+CLASSIFICATION\s+TO\s+{_NAME}(?:\s*,\s*{_NAME})*\s+WITH\s*\(\s*"
               rf"(?:{_CLASSIFICATION_OPTION})(?:\s*,\s*(?:{_CLASSIFICATION_OPTION}))*\s*\)\s*;?", re.I),
    re.compile(rf"\bDROP\s+SENSITIVITY\s+CLASSIFICATION\s+FROM\s+{_NAME}(?:\s*,\s*{_NAME})*\s*;?", re.I),
    re.compile(rf"\bALTER\s+TABLE\s+{_NAME}\s+ALTER\s+COLUMN\s+{_IDENT}\s+(?:ADD\s+MASKED\s+WITH\s*\(\s*"
               rf"FUNCTION\s*=\s*{_MASK_FUNCTION}\s*\)|DROP\s+MASKED)\s*;?", re.I),
]
# COPY INTO's column list: only the parenthesised list (group 1) is blanked; sqlfluff checks the rest.
_COPY_COLUMN_LIST = re.compile(
    rf"\bCOPY\s+INTO\s+{_NAME}\s*(\(\s*{_COPY_COLUMN}(?:\s*,\s*{_COPY_COLUMN})*\s*\))\s*FROM\b", re.I)
# Synapse's mandatory NOT ENFORCED after PRIMARY KEY NONCLUSTERED / UNIQUE: group 2 is blanked.
_NOT_ENFORCED = re.compile(
    rf"(\b(?:PRIMARY\s+KEY\s+NONCLUSTERED|UNIQUE(?:\s+NONCLUSTERED)?)"
    rf"(?:\s*\(\s*{_IDENT}(?:\s*,\s*{_IDENT})*\s*\))?\s+)(NOT\s+ENFORCED)\b", re.I)

_GO = re.compile(r"^\s*GO(?:\s+\d+)?\s*(?:--.*)?$", re.I)
_POSITION_PREFIX = re.compile(r"^Line \d+, Position \d+: ")

# Synapse dedicated SQL pool data types (Microsoft Learn: "Table data types in Synapse SQL").
SYNAPSE_TYPES = {
    "bigint", "binary", "bit", "char", "date", "datetime", "datetime2", "datetimeoffset", "decimal",
    "float", "int", "money", "nchar", "numeric", "nvarchar", "real", "smalldatetime", "smallint",
    "smallmoney", "sysname", "time", "tinyint", "uniqueidentifier", "varbinary", "varchar",
}
UNSUPPORTED_TYPES = {"geometry", "geography", "hierarchyid", "image", "text", "ntext", "sql_variant",
                     "xml", "timestamp", "rowversion"}


def check_sql_tree(sql_dir: Path, *, processes: int | None = None) -> list[Problem]:
    """Parse every ``*.sql`` under ``sql_dir``; report unparsable sections and bad data types.

    sqlfluff parses ~5 batches a second, so a large tree is split across worker processes, one per
    core (``processes`` overrides); every file is still parsed, and problems come back in path order.
    """
    paths = sorted(sql_dir.rglob("*.sql"))
    workers = min(processes or _cores(), len(paths) // _FILES_PER_WORKER)
    if workers <= 1:
        return _check_files(sql_dir, paths)
    import concurrent.futures
    import multiprocessing

    # spawn, not fork: by now `--check` runs .NET (the expression engine) in this process, and a
    # child forked from a process with running threads can deadlock on a lock one of them held.
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=spawn) as pool:
        parts = list(pool.map(_check_files, [sql_dir] * workers, [paths[i::workers] for i in range(workers)]))
    order = {p.relative_to(sql_dir).as_posix(): i for i, p in enumerate(paths)}
    return sorted((p for part in parts for p in part), key=lambda p: order[p.file])  # stable: a file's own order


# A worker costs ~1 s to start (sqlfluff's import and dialect); below this many files each, one process is faster.
_FILES_PER_WORKER = 40


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _check_files(sql_dir: Path, paths: list[Path]) -> list[Problem]:
    from sqlfluff.core import FluffConfig, Linter

    # raw templater: generated SQL is final; Jinja would try to render any "{{".
    linter = Linter(config=FluffConfig(overrides={"dialect": "tsql", "templater": "raw"}))
    problems: list[Problem] = []
    for path in paths:
        rel = path.relative_to(sql_dir).as_posix()
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            problems.append(Problem(rel, f"not UTF-8: {exc}"))
            continue
        problems += [Problem(rel, message) for message in check_sql_text(text, linter)]
    return problems


def check_sql_text(text: str, linter: Any = None) -> list[str]:
    """``line:col: message`` for one script (used by tests and by generators' self-checks)."""
    if linter is None:
        from sqlfluff.core import FluffConfig, Linter

        linter = Linter(config=FluffConfig(overrides={"dialect": "tsql", "templater": "raw"}))
    messages: list[str] = []
    for first_line, batch in _batches(text):
        if not batch.strip():
            continue
        parsed = linter.parse_string(_blank_known_gaps(batch))
        for violation in parsed.violations:
            line = first_line + violation.line_no - 1
            description = _POSITION_PREFIX.sub("", " ".join(violation.desc().split()))
            messages.append(f"{line}:{violation.line_pos}: {description}")
        if parsed.tree is not None:
            messages += [f"{first_line + line - 1}:{col}: {msg}" for line, col, msg in _tree_problems(parsed.tree)]
    return messages


def _batches(text: str) -> Iterator[tuple[int, str]]:
    """(1-based first line, text) of each batch between ``GO`` lines."""
    lines = text.splitlines(keepends=True)
    start, current = 1, []
    for number, line in enumerate(lines, start=1):
        if _GO.match(line):
            yield start, "".join(current)
            start, current = number + 1, []
        else:
            current.append(line)
    yield start, "".join(current)


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def _blank_known_gaps(batch: str) -> str:
    for pattern in _BLANKED_STATEMENTS:
        batch = pattern.sub(lambda m: _blank(m.group(0)), batch)
    batch = _NOT_ENFORCED.sub(lambda m: m.group(1) + _blank(m.group(2)), batch)
    return _COPY_COLUMN_LIST.sub(
        lambda m: m.group(0).replace(m.group(1), _blank(m.group(1)), 1), batch)


def _tree_problems(tree: Any) -> Iterator[tuple[int, int, str]]:
    for segment in tree.recursive_crawl("execute_script_statement"):
        first = next((s for s in segment.segments if not s.is_whitespace and not s.is_meta), None)
        if first is not None and first.raw.upper() not in ("EXEC", "EXECUTE"):
            line, col = segment.pos_marker.line_no, segment.pos_marker.line_pos
            yield line, col, f"{first.raw!r} parses only as a procedure call without EXEC: misspelt keyword?"
    for segment in tree.recursive_crawl("data_type"):
        parts = [s for s in segment.segments if not s.is_whitespace]
        if not parts or any(s.raw == "." for s in parts):
            continue  # schema-qualified: a user-defined type
        name = parts[0].raw.strip("[]").lower()
        line, col = segment.pos_marker.line_no, segment.pos_marker.line_pos
        if name in UNSUPPORTED_TYPES:
            yield line, col, f"data type {parts[0].raw!r} is not supported in Synapse dedicated SQL pool"
        elif name not in SYNAPSE_TYPES and name != "table":  # DECLARE @t TABLE (...)
            yield line, col, f"unknown data type {parts[0].raw!r}"
