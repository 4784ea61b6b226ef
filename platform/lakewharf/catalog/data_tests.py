"""``tests:`` of a warehouse table or dataset file → ``DataTest`` objects, with located errors.

Per file (while the table or dataset is built): the columns a test names exist, accepted values
have the column's type, a freshness column is a date or timestamp, min ≤ max, custom SQL is one
SELECT with a name, names are unique. Across files (``check_data_tests``, once every table and
dataset resolved): a relationship points at an existing column of a comparable type (a table's
at a table, a dataset's at a dataset), and ``unknown_member`` sits on a dimension whose one merge
key is an integer primary key.
"""

from __future__ import annotations

import re
from typing import Any

from lakewharf.errors import CatalogError
from lakewharf.model.catalog import Catalog, Table
from lakewharf.model.data_tests import KINDS, DataTest
from lakewharf.model.origin import Origin
from lakewharf.model.types import DataType

_SELECT = re.compile(r"^\s*(?:--[^\n]*\n\s*)*SELECT\b", re.I)


def build_tests(owner: str, columns: dict[str, DataType | None], specs: list[dict[str, Any]] | None,
                origin: Origin) -> tuple[tuple[DataTest, ...], list[CatalogError]]:
    tests: list[DataTest] = []
    errors: list[CatalogError] = []
    seen: dict[str, int] = {}
    for i, spec in enumerate(specs or []):
        o = origin.at(i)
        kind = next(k for k in KINDS if k in spec)  # the schema allows exactly one kind per item
        built, problems = _build(owner, kind, spec, columns, o)
        errors.extend(problems)
        if built is None:
            continue
        if built.name in seen:
            errors.append((o.at("name") if "name" in spec else o).error(
                f"a second test named {built.name!r} on {owner} (the first is test {seen[built.name]})",
                "give one of them a 'name'", key="name" not in spec))
            continue
        seen[built.name] = i
        tests.append(built)
    return tuple(tests), errors


def _build(owner: str, kind: str, spec: dict[str, Any], columns: dict[str, DataType | None],
           o: Origin) -> tuple[DataTest | None, list[CatalogError]]:
    arg = spec[kind]
    at = o.at(kind)
    common: dict[str, Any] = {"owner": owner, "kind": kind, "severity": spec.get("severity", "error"),
                              "description": spec.get("description", ""), "origin": o}
    errors: list[CatalogError] = []

    def column(name: str, where: Origin) -> str:
        if name not in columns:
            errors.append(where.error(f"{name!r} is not a column of {owner}", "columns: " + ", ".join(columns)))
        return name

    name = spec.get("name")
    if kind in ("unique", "not_null"):
        names = [arg] if isinstance(arg, str) else list(arg)
        cols = tuple(column(c, at if isinstance(arg, str) else at.at(j)) for j, c in enumerate(names))
        test = DataTest(name=name or f"{kind}_{'_'.join(cols)}", columns=cols, **common)
    elif kind == "relationships":
        col = column(arg["column"], at.at("column"))
        to_owner, _, to_column = arg["to"].partition(".")
        test = DataTest(name=name or f"relationships_{col}_to_{to_owner}", columns=(col,), to_owner=to_owner,
                        to_column=to_column, **common)
    elif kind == "accepted_values":
        col = column(arg["column"], at.at("column"))
        dtype = columns.get(col)
        for j, value in enumerate(arg["values"] if dtype is not None else []):
            problem = _value_problem(value, dtype)
            if problem:
                errors.append(at.at("values", j).error(f"{value!r} is not a {dtype} value: {problem}",
                                                       f"{col} is {dtype}"))
        test = DataTest(name=name or f"accepted_values_{col}", columns=(col,), values=tuple(arg["values"]), **common)
    elif kind == "row_count":
        low, high = arg.get("min"), arg.get("max")
        if low is not None and high is not None and low > high:
            errors.append(at.error(f"min {low} is above max {high}"))
        test = DataTest(name=name or "row_count", min_rows=low, max_rows=high,
                        max_change_percent=arg.get("max_change_percent"), **common)
    elif kind == "freshness":
        col = column(arg["column"], at.at("column"))
        dtype = columns.get(col)
        if dtype is not None and dtype.base not in ("date", "timestamp"):
            errors.append(at.at("column").error(f"freshness needs a date or timestamp column; {col} is {dtype}"))
        test = DataTest(name=name or f"freshness_{col}", columns=(col,), max_age_hours=float(arg["max_age_hours"]),
                        **common)
    else:
        sql = arg.strip().rstrip(";").strip()
        if not name:
            errors.append(o.error("a custom sql test needs a 'name'", "e.g. name: no_negative_amounts", key=True))
        if not _SELECT.match(sql) or ";" in sql:
            errors.append(at.error("a custom sql test is one SELECT returning the failing rows",
                                   "no WITH (it becomes a derived table), no ORDER BY, no ';'"))
        test = DataTest(name=name or "sql", sql=sql, **common)
    return (None if errors else test), errors


def _value_problem(value: Any, dtype: DataType) -> str:
    if dtype.base == "boolean":
        return "" if isinstance(value, bool) else "give true or false"
    if isinstance(value, bool):
        return "a boolean for a non-boolean column"
    if dtype.is_numeric:
        if not isinstance(value, (int, float)):
            return "give a number"
        if dtype.base in ("smallint", "int", "bigint") and not float(value).is_integer():
            return "an integer column takes whole numbers"
        return ""
    if dtype.base == "string":
        if not isinstance(value, str):
            return "give it as a quoted string"
        if dtype.length is not None and len(value) > dtype.length:
            return f"longer than {dtype.length} characters"
        return ""
    if dtype.base in ("date", "timestamp"):
        import datetime as dt

        try:
            (dt.date if dtype.base == "date" else dt.datetime).fromisoformat(str(value))
        except ValueError:
            return "give it as ISO 8601 text ('YYYY-MM-DD')"
        return ""
    return f"accepted_values does not apply to {dtype.base} columns"


def _comparable(a: DataType, b: DataType) -> bool:
    return (a.is_numeric and b.is_numeric and "boolean" not in (a.base, b.base)) or a.base == b.base


def check_data_tests(catalog: Catalog) -> list[CatalogError]:
    errors: list[CatalogError] = []
    targets = {t.name: {c.name: c.column.type for c in t.columns} for t in catalog.tables.values()}
    for table in catalog.tables.values():
        types = {c.name: c.column.type for c in table.columns}
        errors += _relationships(table.tests, types, targets, "table")
        if table.unknown_member:
            errors += _unknown_member_problems(table)
    # A dataset's audit runs on the serverless pool, which cannot read the dedicated pool's
    # tables: its relationships point at another dataset (a lake table it can read).
    datasets = {d.name: {c.name: c.type for c in d.columns} for d in catalog.datasets.values()}
    for dataset in catalog.datasets.values():
        errors += _relationships(dataset.tests, datasets[dataset.name], datasets, "dataset")
    return errors


def _relationships(tests: tuple[DataTest, ...], types: dict[str, DataType],
                   targets: dict[str, dict[str, DataType]], kind: str) -> list[CatalogError]:
    errors = []
    for t in tests:
        if t.kind != "relationships" or t.column not in types:  # a column whose type failed: reported
            continue
        where = t.origin.at("relationships", "to")
        assert t.to_owner is not None and t.to_column is not None
        if t.to_owner not in targets:
            errors.append(where.error(f"no {kind} named {t.to_owner!r}",
                                      f"a {kind}'s test refers to a {kind}: " + ", ".join(sorted(targets))))
        elif t.to_column not in targets[t.to_owner]:
            errors.append(where.error(f"{t.to_column!r} is not a column of {t.to_owner}",
                                      "columns: " + ", ".join(targets[t.to_owner])))
        elif not _comparable(types[t.column], targets[t.to_owner][t.to_column]):
            errors.append(where.error(
                f"{t.column} ({types[t.column]}) cannot be compared with {t.to_owner}.{t.to_column} "
                f"({targets[t.to_owner][t.to_column]})"))
    return errors


def _unknown_member_problems(table: Table) -> list[CatalogError]:
    """The unknown row is keyed -1 on the one merge key: a merge load keeps that key unique, so a
    fact's lookup of it never multiplies rows (a history table's key repeats per version)."""
    where = table.origin.at("unknown_member")
    keys = {c.name: c.column for c in table.columns if c.column.primary_key}
    if table.kind != "dimension":
        return [where.error("unknown_member is for dimensions", f"{table.name} is a {table.kind} table")]
    if table.load_mode != "merge" or len(table.load_keys) != 1:
        return [where.error("unknown_member needs a merge load on one key column",
                            "load: {mode: merge, keys: [<key>]}")]
    key = table.load_keys[0]
    column = keys.get(key)
    if column is None or column.type.base not in ("smallint", "int", "bigint"):
        return [where.error(f"unknown_member needs an integer primary key as the merge key; {key} is not one",
                            f"{key}: {{type: int, nullable: false, primary_key: true}}")]
    return []
