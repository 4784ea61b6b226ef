"""join: columns of another dataset or source entity, matched on keys."""

from __future__ import annotations

from step_samples import AT, INPUT, column, error_of, parse, privacy_agrees, run

from lakewharf.model.types import Privacy

PROFILES = (column("id", "int", nullable=False, primary_key=True), column("segment", "string(10)", nullable=False),
            column("phone", "string(20)", "personal"))
TABLES = {"crm.profiles": PROFILES}
JOIN = {"with": "crm.profiles", "on": {"customer_id": "id"}, "columns": ["segment", "phone"]}


def test_parse_and_reads() -> None:
    step = parse("join", JOIN)
    assert (step.other, step.on, step.columns_taken, step.how) == (
        "crm.profiles", {"customer_id": "id"}, ("segment", "phone"), "left")
    assert step.reads() == ("crm.profiles",)


def test_columns_come_from_the_right_side() -> None:
    out = parse("join", JOIN).columns(INPUT, TABLES.get)
    assert list(out) == [*INPUT, "segment", "phone"]
    assert out["segment"].nullable  # a left join may find nothing
    assert not parse("join", {**JOIN, "how": "inner"}).columns(INPUT, TABLES.get)["segment"].nullable
    assert out["phone"].privacy == Privacy.PERSONAL
    assert not any(c.primary_key for c in list(out.values())[len(INPUT):])
    privacy_agrees(parse("join", JOIN), INPUT, TABLES)


def test_mistakes() -> None:
    assert error_of(parse("join", {**JOIN, "with": "crm.nothing"}), tables=TABLES).origin.path == (
        *AT.path, "join", "with")
    clash = error_of(parse("join", {**JOIN, "on": {"customer_id": "id"}, "columns": ["segment"]}),
                     {**INPUT, "segment": INPUT["city"]}, TABLES)
    assert clash.message == "column 'segment' already exists on the left side"
    wrong_key = error_of(parse("join", {**JOIN, "on": {"customer_id": "customer_id"}}), tables=TABLES)
    assert (wrong_key.origin.path, wrong_key.message) == ((*AT.path, "join", "on", "customer_id"),
                                                          "unknown column 'customer_id'")


def test_sql_left_join() -> None:
    rows = [{"customer_id": 1}, {"customer_id": 2}]
    ran = run(parse("join", JOIN), rows, tables={"crm.profiles": (PROFILES, [{"id": 1, "segment": "gold"}])})
    assert sorted((r["customer_id"], r["segment"]) for r in ran.rows) == [(1, "gold"), (2, None)]
    assert "LEFT JOIN crm__profiles AS r" in ran.sql
