"""Warehouse table files → ``Table`` objects, resolving where each column is loaded from."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lakewharf.catalog.build import Builder
from lakewharf.catalog.data_tests import build_tests
from lakewharf.catalog.loader import LoadedFile
from lakewharf.errors import CatalogError
from lakewharf.model.catalog import Column, Dataset, Model, Platform, Table, TableColumn
from lakewharf.model.origin import Origin
from lakewharf.model.scores import RECOMMENDATION_OUTPUTS
from lakewharf.model.types import DataType


def build_table(b: Builder, f: LoadedFile, datasets: dict[str, Dataset], models: dict[str, Model],
                platform: Platform) -> Table | None:
    d, o = f.doc.data, Origin(f.doc)
    src = d["source"]
    upstream: dict[str, Column] | None = None
    output = None
    if "dataset" in src:
        if src["dataset"] not in datasets:
            b.unknown(o.at("source", "dataset"), "dataset", src["dataset"], datasets)
        else:
            upstream = datasets[src["dataset"]].column_map
    else:
        model = models.get(src["model"])
        if model is None:
            b.unknown(o.at("source", "model"), "model", src["model"], models)
        else:
            output = src.get("output", "predictions")
            if output not in model.outputs:
                hint = ("recommendation models have: " + ", ".join(RECOMMENDATION_OUTPUTS)
                        if model.task == "recommendation" else f"a {model.task} model has only 'predictions'")
                b.errors.append(o.at("source", "output").error(f"model {model.name} has no output {output!r}", hint))
            else:
                upstream = {c.name: c for c in model.outputs[output]}
    if d["kind"] == "scores" and "model" not in src:
        b.errors.append(o.at("kind").error("a scores table loads from a model", "source: {model: <name>}"))
    columns = []
    for name, spec in d["columns"].items():
        co = o.at("columns", name)
        built = b.columns({name: spec}, o.at("columns"))
        if not built:
            continue
        from_name = spec.get("from", name)
        if upstream is not None and from_name not in upstream:
            where = co.at("from") if "from" in spec else co
            b.errors.append(where.error(f"{from_name!r} is not a column of its source",
                                        "columns there: " + ", ".join(upstream), key="from" not in spec))
        # The privacy of a warehouse column is that of the data loaded into it.
        column = built[0]
        if upstream is not None and from_name in upstream and upstream[from_name].privacy > column.privacy:
            from dataclasses import replace

            column = replace(column, privacy=upstream[from_name].privacy)
        mask = spec.get("mask")
        problem = _mask_problem(mask, column.type) if mask else None
        if problem:
            b.errors.append(co.at("mask").error(problem, "default() masks any type"))
        columns.append(TableColumn(column, from_name, mask))
    names = set(d["columns"])  # also those whose type failed (reported once, above)
    for field in ("keys", "tracked"):
        for i, key in enumerate(d["load"].get(field, [])):
            if key not in names:
                b.errors.append(o.at("load", field, i).error(f"{key!r} is not a column of the table"))
    dist = d["distribution"]
    hash_column = dist["hash"] if isinstance(dist, dict) else None
    if hash_column is not None and hash_column not in names:
        b.errors.append(o.at("distribution", "hash").error(f"{hash_column!r} is not a column of the table"))
    index = d["index"]
    index_columns = tuple(index["clustered"]) if isinstance(index, dict) else ()
    for i, col in enumerate(index_columns):
        if col not in names:
            b.errors.append(o.at("index", "clustered", i).error(f"{col!r} is not a column of the table"))
    part = d.get("partition")
    if part and part["column"] not in names:
        b.errors.append(o.at("partition", "column").error(f"{part['column']!r} is not a column of the table"))
    elif part:
        typed = {c.name: c.column.type for c in columns}  # a column whose type failed is reported already
        if part["column"] in typed:
            b.errors.extend(_boundary_problems(o.at("partition", "boundaries"), typed[part["column"]],
                                               part["boundaries"]))
    for field in ("readers", "unmask"):
        for i, role in enumerate(d.get(field, [])):
            if role not in platform.roles:
                b.unknown(o.at(field, i), "role", role, platform.roles)
    # A column whose type failed is still a column (reported once, above): its tests check names only.
    typed: dict[str, DataType | None] = {name: None for name in d["columns"]}
    typed.update({c.name: c.column.type for c in columns})
    tests, problems = build_tests(f.name, typed, d.get("tests"), o.at("tests"))
    b.errors.extend(problems)
    return Table(
        f.name, d["schema"], d["kind"], src.get("dataset"), src.get("model"), output, tuple(columns),
        "hash" if hash_column else dist, hash_column,
        "clustered" if index_columns else index, index_columns,
        part["column"] if part else None, tuple(part["boundaries"]) if part else (),
        part.get("range", "right") if part else "right",
        d["load"]["mode"], tuple(d["load"].get("keys", ())), tuple(d["load"].get("tracked", ())),
        tuple(d["readers"]), tuple(d.get("unmask", ())), d.get("description", ""), o,
        tests=tests, unknown_member=bool(d.get("unknown_member", False)),
    )


def _boundary_problems(where: Origin, dtype: DataType, boundaries: list[Any]) -> list[CatalogError]:
    """Boundaries are literals of the partition column's type, in ascending order: Synapse takes
    them as they are, and out-of-order or unparseable values fail only at CREATE TABLE.
    https://learn.microsoft.com/azure/synapse-analytics/sql-data-warehouse/sql-data-warehouse-tables-partition"""
    parsed = []
    for i, value in enumerate(boundaries):
        try:
            if dtype.base in ("date", "timestamp"):
                parsed.append((dt.date if dtype.base == "date" else dt.datetime).fromisoformat(str(value)))
            elif dtype.is_numeric and not isinstance(value, bool):
                parsed.append(float(value))
            elif dtype.base == "string":
                parsed.append(str(value))
            else:
                return [where.error(f"a {dtype} column cannot be a partition column",
                                    "partition on a date, timestamp, number or string column")]
        except (TypeError, ValueError):
            return [where.at(i).error(f"boundary {value!r} is not a {dtype} value",
                                      "dates as 'YYYY-MM-DD', numbers as numbers")]
    if parsed != sorted(parsed):
        return [where.error(f"boundaries must ascend: {boundaries}", f"e.g. {sorted(boundaries, key=str)}")]
    return []


def _mask_problem(mask: str, dtype: DataType) -> str | None:
    """Dynamic data masking functions by data type: random() for numbers, email() and partial() for
    strings. https://learn.microsoft.com/sql/relational-databases/security/dynamic-data-masking"""
    function = mask.split("(", 1)[0].strip().lower()
    if function == "random" and not dtype.is_numeric:
        return f"random() masks numeric columns; this one is {dtype}"
    if function in ("email", "partial") and dtype.base != "string":
        return f"{function}() masks string columns; this one is {dtype}"
    return None
