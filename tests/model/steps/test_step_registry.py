"""The registry of step kinds agrees with the dataset schema, the docs and the package's rules."""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from step_samples import INPUT, column, parse, privacy_agrees

from lakewharf.catalog.schema import dataset_schema_text, schema_files
from lakewharf.model.steps import STEP_KINDS, steps_schema

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "platform" / "lakewharf" / "model" / "steps"

# One accepted step per kind, on step_samples.INPUT (plus TABLES for a join).
EXAMPLES: dict[str, Any] = {
    "dedupe": {"keys": ["customer_id"], "latest_by": "updated_at"},
    "cast": {"amount": "double"},
    "missing": {"city": {"fill": "?"}, "email": "reject"},
    "outliers": {"amount": {"min": 0}},
    "filter": "city <> 'Lyon'",
    "derive": {"contact": {"expr": "CONCAT(city, email)", "type": "string"}},
    "join": {"with": "crm.profiles", "on": {"customer_id": "id"}, "columns": ["phone"]},
    "aggregate": {"group_by": ["city"], "measures": {"n": {"fn": "count"}, "last": {"fn": "max", "column": "note"}}},
    "select": ["note", "email"],
    "rename": {"note": "remark"},
    "mask": {"email": "hash", "note": "redact", "city": "drop"},
}
TABLES = {"crm.profiles": (column("id", "int"), column("phone", "string", "personal"))}


def test_dataset_schema_file_is_written_from_the_step_classes() -> None:
    shipped = schema_files()["dataset.schema.json"]
    assert dataset_schema_text(shipped) == shipped, "run: python -m lakewharf.catalog.schema --write"


def test_every_registered_kind_is_in_the_schema_and_back() -> None:
    import json

    shipped = json.loads(schema_files()["dataset.schema.json"])["properties"]["steps"]["items"]
    assert list(shipped["properties"]) == list(STEP_KINDS)
    assert steps_schema()["description"] == "Exactly one operation: " + ", ".join(STEP_KINDS)


@pytest.mark.parametrize("op", list(STEP_KINDS))
def test_one_module_and_one_test_file_per_kind(op: str) -> None:
    cls = STEP_KINDS[op]
    assert cls.op == op
    assert cls.__module__ == f"lakewharf.model.steps.{op}"
    assert len(inspect.getsource(importlib.import_module(cls.__module__)).splitlines()) < 400
    assert (Path(__file__).with_name(f"test_step_{op}.py")).exists()


@pytest.mark.parametrize("op", list(STEP_KINDS))
def test_privacy_says_what_columns_builds(op: str) -> None:
    privacy_agrees(parse(op, EXAMPLES[op]), INPUT, TABLES)


def test_every_kind_has_an_example() -> None:
    assert list(EXAMPLES) == list(STEP_KINDS)


def test_the_reference_shows_every_kind() -> None:
    reference = (ROOT / "docs" / "catalog-reference.md").read_text(encoding="utf-8")
    assert [op for op in STEP_KINDS if f"\n  - {op}:" not in reference] == []


def test_the_package_imports_only_down() -> None:
    """model/ is the floor: the steps import nothing from the rooms above it, not even for types."""
    above = ("lakewharf.catalog", "lakewharf.generate", "lakewharf.local", "lakewharf.infra", "lakewharf.cli")
    found = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.name}: {n}" for n in names if n.startswith(above)]
    assert found == []


def test_importing_the_steps_does_not_load_sqlglot() -> None:
    code = ("import sys; from lakewharf.model.origin import NOWHERE; from lakewharf.model.steps import STEP_KINDS; "
            "STEP_KINDS['dedupe'].parse({'keys': ['a']}, NOWHERE); print('sqlglot' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "platform")})
    assert done.stdout.strip() == "False"
