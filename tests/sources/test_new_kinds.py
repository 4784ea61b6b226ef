"""mysql, oracle and azure_sql sources in a ``wharf init`` project: they validate, generate files
the Data Factory models accept, and run locally with every row accounted for; on-premises
sources need the self-hosted runtime."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from new_kinds import add_new_kinds

from lakewharf.cli.main import main
from lakewharf.errors import CatalogInvalid
from lakewharf.project import load_catalog

ENTITIES = {"erp": {"invoices": "FIN.INVOICES"}, "legacy_shop": {"products": "shop.products",
            "stock_moves": "shop.stock_moves"}, "billing": {"charges": "dbo.charges"}}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kinds") / "project"
    assert main(["init", str(root)]) == 0
    return add_new_kinds(root)


@pytest.fixture(scope="module")
def built(project: Path) -> Path:
    assert main(["generate", "--check", "--project", str(project)]) == 0  # the ADF models, sqlfluff, azure-ai-ml
    return project / "build" / "adf"


def test_they_validate(project: Path) -> None:
    catalog = load_catalog(project)
    assert {s.kind for s in catalog.sources.values()} == {"sqlserver", "oracle", "mysql", "azure_sql"}
    assert catalog.sources["erp"].runtime == "self_hosted" and catalog.sources["billing"].secret == ""


def _doc(adf: Path, kind: str, name: str) -> dict:
    return json.loads((adf / kind / f"{name}.json").read_text(encoding="utf-8"))["properties"]


def test_self_hosted_sources_connect_via_the_self_hosted_runtime(built: Path) -> None:
    assert _doc(built, "integrationRuntime", "ir-self-hosted")["type"] == "SelfHosted"
    for key, type_ in (("oracle_self_hosted", "Oracle"), ("mysql_self_hosted", "MySql")):
        ls = _doc(built, "linkedService", f"ls_src_{key}")
        assert ls["type"] == type_ and ls["connectVia"]["referenceName"] == "ir-self-hosted"
        assert ls["typeProperties"]["connectionString"]["type"] == "AzureKeyVaultSecret"
    # Cloud sources keep running on the managed (VNet) runtime: no connectVia.
    for key in ("azure_sql", "sqlserver"):
        assert "connectVia" not in _doc(built, "linkedService", f"ls_src_{key}")


def test_azure_sql_logs_in_with_the_factory_identity(built: Path) -> None:
    ls = _doc(built, "linkedService", "ls_src_azure_sql")
    assert ls["type"] == "AzureSqlDatabase"
    assert ls["typeProperties"]["authenticationType"] == "SystemAssignedManagedIdentity"
    assert "password" not in json.dumps(ls) and "connectionString" not in ls["typeProperties"]
    worker = _doc(built, "pipeline", "wk_ingest_azure_sql_incremental")
    copy = next(a for a in worker["activities"] if a["name"] == "copy")
    assert copy["typeProperties"]["source"]["type"] == "AzureSqlSource"
    assert copy["inputs"][0]["parameters"]["server"] == {"value": "@pipeline().parameters.server",
                                                         "type": "Expression"}


def test_each_kind_copies_with_its_own_source_type(built: Path) -> None:
    for worker, type_, query in (("wk_ingest_oracle_self_hosted_incremental", "OracleSource", "oracleReaderQuery"),
                                 ("wk_ingest_mysql_self_hosted_full", "MySqlSource", "query")):
        copy = next(a for a in _doc(built, "pipeline", worker)["activities"] if a["name"] == "copy")
        assert copy["typeProperties"]["source"]["type"] == type_ and query in copy["typeProperties"]["source"]


def test_they_run_locally_with_rows_conserved(project: Path, built: Path) -> None:
    report_file = project / "report.json"
    assert main(["run", "land_new_kinds", "--project", str(project), "--report", str(report_file)]) == 0
    report = json.loads(report_file.read_text(encoding="utf-8"))
    copies = {a["activity"].split("/")[0]: a for a in report["activities"] if a["type"] == "Copy"}
    for source, entities in ENTITIES.items():
        with duckdb.connect(str(project / ".wharf" / "sources" / f"{source}.duckdb"), read_only=True) as con:
            for entity, table in entities.items():
                schema, name = table.split(".")
                seeded = con.execute(f'SELECT COUNT(*) FROM "{schema}"."{name}"').fetchone()[0]
                copy = copies[f"land_{source}__{entity}"]
                landed = duckdb.sql(f"SELECT COUNT(*) FROM read_parquet('{project}/.wharf/lake/landing/{source}/"
                                    f"{entity}/**/*.parquet')").fetchone()[0]
                assert seeded > 0 and copy["rows_read"] == seeded, (source, entity, copy)
                assert copy["rows_written"] + copy["rows_rejected"] == seeded and landed == copy["rows_written"]
    notes = " ".join(report["not_verified_locally"])
    assert "Oracle connector" in notes and "MySQL connector" in notes and "Azure SQL Database connector" in notes


def _errors(project: Path, source: str, text: str, tmp_path: Path) -> list[str]:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns(".wharf", "build"))
    (copy / "catalog" / "sources" / f"{source}.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogInvalid) as info:
        load_catalog(copy)
    return [str(e) for e in info.value.errors]


def test_an_on_premises_source_needs_the_self_hosted_runtime(project: Path, tmp_path: Path) -> None:
    text = (project / "catalog" / "sources" / "erp.yaml").read_text(encoding="utf-8")
    errors = _errors(project, "erp", text.replace("runtime: self_hosted\n", ""), tmp_path)
    assert len(errors) == 1 and errors[0].startswith("catalog/sources/erp.yaml:3:")
    assert "needs the self-hosted integration runtime" in errors[0] and "runtime: self_hosted" in errors[0]


def test_a_cloud_only_kind_is_never_on_premises(project: Path, tmp_path: Path) -> None:
    text = (project / "catalog" / "sources" / "billing.yaml").read_text(encoding="utf-8")
    errors = _errors(project, "billing", text.replace("kind: azure_sql\n", "kind: azure_sql\nlocation: on_premises\n"),
                     tmp_path)
    assert len(errors) == 1 and "is an Azure service, never on premises" in errors[0]


def test_azure_sql_needs_its_server(project: Path, tmp_path: Path) -> None:
    text = (project / "catalog" / "sources" / "billing.yaml").read_text(encoding="utf-8")
    errors = _errors(project, "billing", text.replace("server: billing-prod.database.windows.net, ", ""), tmp_path)
    assert len(errors) == 1 and "needs options.server" in errors[0]


def test_oracle_result_columns_keep_the_case_the_pipeline_reads(built: Path) -> None:
    """Oracle folds unquoted names to upper case; the worker reads firstRow.watermark."""
    items = json.loads((built.parent / "control" / "pl_land_new_kinds" /
                        "L01_ingest_oracle_self_hosted_incremental.json").read_text(encoding="utf-8"))
    new_query = items[0]["new_query"]
    assert 'AS "watermark"' in new_query and 'AS "rows_without_watermark"' in new_query
    assert "FROM FIN.INVOICES" in new_query and "TO_CHAR(MAX(changed_at)" in new_query
