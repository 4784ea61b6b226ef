"""mask: hash (salted SHA-256), redact or drop; a masked column is no longer personal."""

from __future__ import annotations

import hashlib

from step_samples import AT, column, columns, error_of, no_tables, parse, run

from lakewharf.model.types import DataType, Privacy

RAW = columns(column("id", "int", nullable=False), column("email", "string(100)", "personal", primary_key=True),
              column("note", "string", "sensitive"), column("salary", "int", "sensitive"),
              column("phone", "string", "personal"))
MASK = {"email": "hash", "note": "redact", "salary": "redact", "phone": "drop"}


def test_columns() -> None:
    out = parse("mask", MASK).columns(RAW, no_tables)
    assert list(out) == ["id", "email", "note", "salary"]
    assert (out["email"].type, out["email"].privacy, out["email"].primary_key) == (
        DataType("string", length=64), Privacy.NONE, False)
    assert (out["salary"].type, out["salary"].privacy) == (DataType("int"), Privacy.NONE)


def test_privacy() -> None:
    step = parse("mask", {"email": "hash"})
    assert [step.privacy(n, RAW, no_tables) for n in ("email", "note")] == [Privacy.NONE, Privacy.SENSITIVE]


def test_unknown_column() -> None:
    exc = error_of(parse("mask", {"fax": "drop"}), RAW)
    assert exc.origin.path == (*AT.path, "mask", "fax")


def test_sql_hashes_with_the_salt_and_keeps_null_missing() -> None:
    rows = [{"id": 1, "email": "a@x", "note": "n", "salary": 10, "phone": "5"},
            {"id": 2, "email": None, "note": None, "salary": None}]
    ran = run(parse("mask", MASK), rows, RAW)
    assert ran.uses_salt
    assert ran.rows == [
        {"id": 1, "email": hashlib.sha256(b"peppera@x").hexdigest(), "note": "***", "salary": None},
        {"id": 2, "email": None, "note": None, "salary": None},
    ]


def test_sql_without_hash_needs_no_salt() -> None:
    assert not run(parse("mask", {"phone": "drop"}), [{"id": 1}], RAW).uses_salt
