"""The template contract, checked on what the templates render rather than stated in a docstring.

Every SQL template under ``templates/`` is rendered for the sample catalog and for three others
(``wharf init``'s, a 20-table synthetic one from bench/scale_catalog.py, and an init project with
an event_hub source, whose landing view is a template of its own). Each generated script
must split into the same batches three ways: the local layer's tokens, the batches Data Factory's
Script activities are given (``generate.preparations.split_batches``) and sqlcmd's ``GO`` lines as
the sqlfluff validator reads them; every statement must end with ``;``; and every statement the
local runner executes must run there: the warehouse DDL, procedures and load scripts on DuckDB,
each preparation batch on the local serverless pool. (The serverless setup and landing views are
not executed locally: the local runner makes its lake views from the catalog.)
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import pytest

from lakewharf.cli.main import main
from lakewharf.generate.preparations import split_batches
from lakewharf.local.sql_activities import serverless_statement
from lakewharf.local.tsql_local import ThrownError
from lakewharf.local.tsql_text import batches, tokens
from lakewharf.local.tsql_translate import to_duckdb
from lakewharf.local.warehouse import DuckDBWarehouse
from lakewharf.verify.tsql import _batches as sqlcmd_batches

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Rendered:
    root: Path
    scripts: dict[str, str]  # build path → text, synapse/**/*.sql
    templates: frozenset[str]  # templates rendered (names under templates/)


def _project(kind: str, tmp: Path) -> Path:
    if kind == "sample":
        return ROOT
    if kind in ("init", "event_hub"):
        assert main(["init", str(tmp / "init")]) == 0
        if kind == "event_hub":  # the one kind with a template of its own: its landing view
            from tests.sources.event_hub_kind import add_event_hub_source

            return add_event_hub_source(tmp / "init")
        return tmp / "init"
    spec = importlib.util.spec_from_file_location("scale_catalog", ROOT / "bench" / "scale_catalog.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write(20, tmp / "scale")


@pytest.fixture(scope="module", params=["sample", "init", "scale", "event_hub"])
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return render(_project(request.param, tmp_path_factory.mktemp(request.param)))


def render(root: Path) -> Rendered:
    """Generate ``root``'s build, recording which templates were rendered."""
    from lakewharf.generate import generate_all as generate_module
    from lakewharf.generate.templates import template_environment
    from lakewharf.project import load_catalog

    used: set[str] = set()

    def recording(project: Path):  # type: ignore[no-untyped-def]
        env = template_environment(project)
        get = env.get_template

        def get_template(name, *args, **kwargs):  # type: ignore[no-untyped-def]
            used.add(getattr(name, "name", name))
            return get(name, *args, **kwargs)

        env.get_template = get_template  # type: ignore[method-assign]
        return env

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(generate_module, "template_environment", recording)
        artifacts = generate_module.generate_all(load_catalog(root))
    scripts = {a.path: a.content.decode("utf-8") for a in artifacts
               if a.path.startswith("synapse/") and a.path.endswith(".sql")}
    return Rendered(root, scripts, frozenset(used))


def _raw(sql: str) -> list[str]:
    """The text of each token, as written: what a batch holds once comments are set aside."""
    return [sql[t.start : t.end + 1] for t in tokens(sql)]


# Templates only a source kind renders, and the corpus above that has the kind.
KIND_TEMPLATES = {"synapse/serverless/landing_capture_view.sql.j2": "event_hub"}


def test_every_sql_template_is_rendered(rendered: Rendered, request: pytest.FixtureRequest) -> None:
    corpus = request.node.callspec.params["rendered"]
    on_disk = {p.relative_to(rendered.root / "templates").as_posix()
               for p in (rendered.root / "templates").rglob("*.sql.j2")}
    expected = {t for t in on_disk if KIND_TEMPLATES.get(t, corpus) == corpus}
    assert expected and expected <= rendered.templates, sorted(expected - rendered.templates)


def test_batches_split_as_data_factory_and_sqlcmd_split_them(rendered: Rendered) -> None:
    check_batches(rendered)


def check_batches(rendered: Rendered) -> None:
    for path, text in rendered.scripts.items():
        local = [_raw(b) for b in batches(text)]
        assert local == [_raw(b) for b in split_batches(text)], f"{path}: not the batches Data Factory runs"
        assert local == [_raw(b) for _, b in sqlcmd_batches(text) if tokens(b)], f"{path}: not sqlcmd's batches"


def test_every_statement_ends_with_a_semicolon(rendered: Rendered) -> None:
    for path, text in rendered.scripts.items():
        for batch in batches(text):
            last = tokens(batch)[-1]
            procedure = _raw(batch)[:2] in (["CREATE", "PROCEDURE"], ["CREATE", "PROC"])
            assert last.text == ";" or (procedure and last.text.upper() == "END"), f"{path}: {batch[-200:]}"


def test_the_local_warehouse_runs_every_warehouse_statement(rendered: Rendered, tmp_path: Path) -> None:
    check_warehouse(rendered, tmp_path)


def check_warehouse(rendered: Rendered, tmp_path: Path) -> None:
    copies: list[str] = []
    warehouse = DuckDBWarehouse(tmp_path / "wh.duckdb", copy_into=lambda c: copies.append(c.table) or 0)
    try:
        scripts = rendered.scripts
        applied = ("synapse/warehouse/tables/", "synapse/warehouse/procedures/")
        ddl = ["synapse/warehouse/00_schemas.sql", *sorted(p for p in scripts if p.startswith(applied))]
        loads = sorted(p for p in scripts if p.startswith("synapse/warehouse/load/"))
        assert len(ddl) > 2 and loads
        for path in ddl:
            warehouse.execute(scripts[path])
        thrown: list[str] = []
        for path in loads:  # COPY INTO reads nothing here; the procedure then runs on empty staging
            for batch in split_batches(scripts[path].replace("@{pipeline().RunId}", "run-1")):
                try:
                    warehouse.execute(batch)
                except ThrownError as exc:
                    # A data test failing on the empty warehouse (row_count min 1) is its audit
                    # having run to its THROW: the statement ran, as it would on Synapse.
                    assert str(exc).startswith("data test ") and "etl.audit_" in batch, (path, exc)
                    thrown.append(path)
        assert len(copies) == len(loads)
        assert {t.split(".")[0] for t in warehouse.tables()} >= {"stg"}
    finally:
        warehouse.close()


def test_the_local_serverless_pool_takes_every_preparation_batch(rendered: Rendered) -> None:
    prepared = [p for p in rendered.scripts if p.startswith("synapse/serverless/prepare/")]
    assert prepared
    for path in prepared:
        kinds = [serverless_statement(b) for b in split_batches(rendered.scripts[path])]
        selects = [k[2] for k in kinds if k is not None]
        assert selects and len(selects) * 2 == len(kinds), path  # each CETAS after its DROP guard
        for select in selects:
            assert to_duckdb(select, case_insensitive=False).lstrip().upper().startswith(("SELECT", "WITH")), path


@pytest.mark.parametrize(("old", "new", "check"), [
    # A GO line inside a block comment: line-based splitters cut there, the tokens do not.
    ("-- files; every statement is idempotent.", "-- files; every statement is idempotent.\n/*\nGO\n*/", "batches"),
    # A statement without its ';' runs into the next one.
    ("EXEC(N'CREATE SCHEMA {{ schema.name | bracket }}');", "EXEC(N'CREATE SCHEMA {{ schema.name | bracket }}')",
     "warehouse"),
])
def test_a_template_breaking_the_contract_is_caught(tmp_path: Path, old: str, new: str, check: str) -> None:
    from lakewharf.errors import WharfError

    root = _project("init", tmp_path)
    template = root / "templates" / "synapse" / "warehouse" / "schemas.sql.j2"
    text = template.read_text(encoding="utf-8")
    assert old in text
    template.write_text(text.replace(old, new, 1), encoding="utf-8")
    broken = render(root)
    with pytest.raises((AssertionError, WharfError)):
        check_batches(broken) if check == "batches" else check_warehouse(broken, tmp_path)
