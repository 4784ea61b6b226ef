"""The registry of source kinds is all there is to a kind: the schema, the generators and the local
runner ask it, and every registered kind answers every hook."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlglot

from lakewharf.catalog.schema import schema_files
from lakewharf.model.catalog import Column, Entity, Source
from lakewharf.model.types import DataType
from lakewharf.sources import SOURCE_KINDS, DatabaseKind, FileKind
from lakewharf.sources.blob_files import FORMATS
from lakewharf.sources.event_hub import CaptureKind
from lakewharf.sources.rest import ApiKind
from lakewharf.sources.schema import source_schema_text
from lakewharf.sources.sql_dialect import WATERMARK_KINDS

if TYPE_CHECKING:
    from conftest import Project

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "platform" / "lakewharf"
CRM = "catalog/sources/crm.yaml"


def _source(kind: str, fmt: str | None = None) -> Source:
    columns = (Column("id", DataType.parse("int"), nullable=False, primary_key=True),
               Column("changed", DataType.parse("timestamp")))
    database = SOURCE_KINDS[kind].is_database
    entity = Entity("s", "things", "app.things" if database else None, None if database else "things/*.csv",
                    "incremental", "changed", columns)
    return Source("s", kind, fmt, {}, "secret", None, "landing", {"things": entity})


def test_the_shipped_source_schema_is_assembled_from_the_registry() -> None:
    shipped = schema_files()["source.schema.json"]
    assert source_schema_text(shipped) == shipped, "run: python -m lakewharf.catalog.schema --write"
    assert json.loads(shipped)["properties"]["kind"]["enum"] == list(SOURCE_KINDS)


@pytest.mark.parametrize("name", list(SOURCE_KINDS))
def test_every_kind_answers_every_hook(name: str) -> None:
    kind = SOURCE_KINDS[name]
    assert kind.name == name and kind.title and kind.not_verified_locally
    assert kind.entity_field in ("table", "path") and kind.entity_hint
    api = isinstance(kind, ApiKind)
    capture = isinstance(kind, CaptureKind)
    formats = [None] if kind.is_database or api or capture else list(FORMATS)
    for fmt in formats:
        source = _source(name, fmt)
        secret = {"type": "AzureKeyVaultSecret", "secretName": "x"}
        type_, props = kind.linked_service(secret, lambda p: f"@{{linkedService().{p}}}")
        assert type_ and props
        shape = kind.dataset(source, lambda p: {"value": f"@dataset().{p}", "type": "Expression"})
        assert shape.type and shape.description
        families = (name,) if kind.is_database or capture else (*FORMATS, name)  # a format's, or the kind's own (files)
        assert kind.dataset_family(source) in ((f"{name}_anonymous",) if api else families)
        assert kind.owns_linked_service(kind.linked_service_key_of(source))
    if api:
        assert kind.incremental == "none" and kind.problems({})  # a base_url and entity records are required
        return
    if capture:  # Capture's Avro in the lake, chosen by modified time; no secret, no format
        assert kind.incremental == "modified_time" and not kind.needs_secret and not kind.problems({})
        assert kind.problems({"format": "csv"}) and kind.landing_view(_source(name).entities["things"])
        return
    if isinstance(kind, DatabaseKind):
        assert kind.incremental == "watermark" and kind.default_schema
        assert kind.copy_source_type and kind.query_property and kind.dataset_type and kind.linked_service_type
        entity = _source(name).entities["things"]
        select = kind.dialect.select(entity)
        for watermark in WATERMARK_KINDS:  # the generated watermark SQL parses in the kind's own dialect
            sql = (f"SELECT {kind.dialect.as_text('MAX(x)', watermark)} FROM t "
                   f"WHERE x > {kind.dialect.typed('2020-01-01', watermark)}")
            sqlglot.parse_one(sql, read=kind.dialect.sqlglot)
        sqlglot.parse_one(select, read=kind.dialect.sqlglot)
    else:
        assert isinstance(kind, FileKind) and kind.incremental == "modified_time"
        if kind.dataset_family(_source(name, "csv")) == name:  # files as they are: no format
            assert kind.problems({"format": "csv"}) and not kind.problems({})
        else:
            assert kind.problems({}) and not kind.problems({"format": "csv"})


def test_no_module_outside_the_sources_room_branches_on_a_kind() -> None:
    """Adding a kind is its module and one registry line: no other module compares a source's kind
    with a kind name or keeps a table keyed by kind names (as ``DIALECTS`` and ``_DB_SOURCE`` were)."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).parts[0] == "sources":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Compare) and any(_is_kind(x) for x in [node.left, *node.comparators]):
                names = [c.value for x in [node.left, *node.comparators] for c in ast.walk(x)
                         if isinstance(c, ast.Constant) and c.value in SOURCE_KINDS]
            elif isinstance(node, ast.Dict):
                keys = [k.value for k in node.keys if isinstance(k, ast.Constant) and k.value in SOURCE_KINDS]
                names = keys if len(keys) > 1 else []
            if names:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {names}")
    assert not offenders, "\n".join(offenders)


def _is_kind(node: ast.expr) -> bool:
    """``x.kind`` or ``d["kind"]``."""
    if isinstance(node, ast.Attribute):
        return node.attr == "kind"
    return isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value == "kind"


def test_a_database_kind_refuses_file_options(project: Project) -> None:
    project.replace(CRM, "kind: sqlserver\n", "kind: sqlserver\noptions: {delimiter: ';'}\n")
    errors = project.errors()
    assert len(errors) == 1, errors
    assert errors[0].path == ("options", "delimiter") and "a sqlserver source takes no options" in errors[0].hint


def test_an_entity_must_name_what_its_kind_reads(project: Project) -> None:
    project.replace(CRM, "    table: dbo.customers\n", "")
    error = project.errors()[0]
    assert error.message == "a sqlserver entity needs 'table'" and error.path == ("entities", "customers")
