"""missing: fill a default, reject the row, or drop it; the column is no longer nullable."""

from __future__ import annotations

import pytest
from step_samples import AT, column, columns, error_of, no_tables, parse, run

from lakewharf.model.steps.missing import Fill

RAW = columns(column("id", "int", nullable=False), column("country", "string(2)"), column("qty", "int"),
              column("opt_in", "boolean"), column("email", "string", "personal"))


def test_parse_keeps_fill_values_as_written() -> None:
    step = parse("missing", {"country": {"fill": "ZZ"}, "qty": {"fill": 0}, "email": "reject"})
    assert step.rules == {"country": Fill("ZZ"), "qty": Fill(0), "email": "reject"}


def test_columns_become_not_null() -> None:
    out = parse("missing", {"country": {"fill": "ZZ"}, "email": "drop_row"}).columns(RAW, no_tables)
    assert [c.nullable for c in out.values()] == [False, False, True, True, False]
    assert out["email"].privacy == RAW["email"].privacy


@pytest.mark.parametrize(("rule", "message"), [
    ({"qty": {"fill": "none"}}, "qty is int; fill it with a number"),
    ({"qty": {"fill": True}}, "qty is int; fill it with a number"),
    ({"opt_in": {"fill": 1}}, "opt_in is boolean; fill it with true or false"),
    ({"country": {"fill": "unknown"}}, "fill value 'unknown' has 7 characters; country is string(2)"),
])
def test_fill_must_fit_the_column(rule: dict[str, object], message: str) -> None:
    exc = error_of(parse("missing", rule), RAW)
    assert exc.message == message
    assert exc.origin.path == (*AT.path, "missing", next(iter(rule)), "fill")


def test_sql_fills_rejects_and_drops() -> None:
    rows = [{"id": 1, "country": None, "qty": 1, "opt_in": None, "email": "a@x"},
            {"id": 2, "country": "FR", "qty": None, "email": "b@x"},
            {"id": 3, "country": "FR", "qty": 3, "email": None}]
    step = parse("missing", {"country": {"fill": "ZZ"}, "opt_in": {"fill": False}, "qty": "reject",
                             "email": "drop_row"})
    ran = run(step, rows, RAW)
    assert ran.rows == [{"id": 1, "country": "ZZ", "qty": 1, "opt_in": False, "email": "a@x"}]
    assert [(r["id"], r["_reject_reason"]) for r in ran.rejects["0_missing"]] == [(2, "missing:qty")]
