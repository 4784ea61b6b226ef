"""Synapse SQL generator: file layout, key shapes of the sample, load procedures, placeholders.

sqlfluff parsing of every generated file lives in test_synapse_sql.py (integration: ~5 s).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from lakewharf.errors import CatalogInvalid
from lakewharf.generate.artifact import Artifact
from lakewharf.generate.synapse import LAKE_ENDPOINT, RUN_ID_EXPR, copy_into_sql, generate, load_call_sql
from lakewharf.generate.synapse.audits import audit_call_sql
from lakewharf.generate.synapse.procedures import load_plan
from lakewharf.generate.synapse.sqltypes import Pool, UnsupportedType, classification, synapse_type
from lakewharf.generate.synapse.tables import table_def
from lakewharf.generate.templates import template_environment
from lakewharf.model.catalog import Catalog, Column
from lakewharf.model.types import DataType, Privacy
from lakewharf.project import load_catalog

ROOT = Path(__file__).resolve().parents[2]
W = "synapse/warehouse"


def run(catalog: Catalog) -> dict[str, Artifact]:
    return {a.path: a for a in generate(catalog, template_environment(catalog.root))}


@pytest.fixture(scope="module")
def sample() -> Catalog:
    return load_catalog(ROOT)


@pytest.fixture(scope="module")
def files(sample: Catalog) -> dict[str, str]:
    return {path: a.content.decode("utf-8") for path, a in run(sample).items()}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A private copy of the sample project, templates included."""
    dest = tmp_path / "project"
    dest.mkdir()
    for name in ("catalog", "templates"):
        shutil.copytree(ROOT / name, dest / name)
    shutil.copy(ROOT / "pipelines.yaml", dest / "pipelines.yaml")
    return dest


def edit(project: Path, rel: str, old: str, new: str) -> None:
    path = project / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} in {rel}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def squash(sql: str) -> str:
    """SQL without comments, on one line with single spaces: for shape checks."""
    return " ".join(re.sub(r"--[^\n]*", "", sql).split())


def protections(sql: str) -> dict[str, set[str]]:
    """Masks, classifications and grants a table file declares, for the privacy checks."""
    masks = re.findall(r"\[(\w+)\] \w+(?:\(\d+\))?(?: COLLATE \w+)? MASKED WITH \(FUNCTION = '([^']+)'\)", sql)
    return {
        "masks": {f"{column}:{function}" for column, function in masks},
        "classified": set(re.findall(r"ADD SENSITIVITY CLASSIFICATION TO \[\w+\]\.\[\w+\]\.\[(\w+)\]", sql)),
        "select": set(re.findall(r"GRANT SELECT ON OBJECT::\S+ TO \[(\w+)\];", sql)),
        "unmask": set(re.findall(r"GRANT UNMASK ON OBJECT::\S+ TO \[(\w+)\];", sql)),
    }


# --- layout -------------------------------------------------------------------------------------


def test_one_set_of_files_per_table_and_landing_entity(sample: Catalog, files: dict[str, str]) -> None:
    for t in sample.tables.values():
        schema = t.schema
        for path in (f"{W}/tables/{schema}.{t.name}.sql", f"{W}/tables/stg.{schema}__{t.name}.sql",
                     f"{W}/procedures/etl.load_{t.name}.sql", f"{W}/load/{t.name}.sql"):
            assert path in files, path
    assert f"{W}/00_schemas.sql" in files and "synapse/serverless/00_setup.sql" in files
    landing = {p for p in files if p.startswith("synapse/serverless/landing/")}
    assert landing == {f"synapse/serverless/landing/{s.name}__{e}.sql"
                       for s in sample.sources.values() for e in s.entities}
    assert all(text.endswith("\n") and "\t" not in text for text in files.values())


def test_generation_is_deterministic_and_independent_of_the_project_folder(sample: Catalog, project: Path) -> None:
    first, second, moved = run(sample), run(sample), run(load_catalog(project))
    assert [a.path for a in first.values()] == [a.path for a in second.values()] == [a.path for a in moved.values()]
    for path, artifact in first.items():
        assert artifact == second[path] == moved[path], path
        assert str(ROOT) not in artifact.content.decode() and str(project) not in artifact.content.decode()


def test_schemas_roles_and_control_tables(files: dict[str, str]) -> None:
    sql = files[f"{W}/00_schemas.sql"]
    for schema in ("crm", "mart", "scores", "stg", "etl"):
        assert f"IF SCHEMA_ID(N'{schema}') IS NULL EXEC(N'CREATE SCHEMA [{schema}]');" in sql
    roles = set(re.findall(r"EXEC\(N'CREATE ROLE \[(\w+)\]'\)", sql))
    assert roles == {"role_analyst", "role_crm_operator", "role_data_engineer", "role_data_scientist"}
    assert "IF OBJECT_ID(N'[etl].[watermarks]', N'U') IS NULL" in sql
    assert re.search(r"\[entity\] NVARCHAR\(256\) NOT NULL.*\[watermark_value\].*\[updated_at\] DATETIME2\(3\)",
                     squash(sql))


# --- key shapes of the sample -------------------------------------------------------------------


def test_dim_customer_is_replicated_columnstore_with_unenforced_key(files: dict[str, str]) -> None:
    sql = squash(files[f"{W}/tables/mart.dim_customer.sql"])
    assert "IF OBJECT_ID(N'[mart].[dim_customer]', N'U') IS NULL BEGIN CREATE TABLE [mart].[dim_customer]" in sql
    # Text columns state the catalog's warehouse collation (platform.yaml warehouse.collation).
    assert "[customer_id] INT NOT NULL, [email_hash] NVARCHAR(64) COLLATE SQL_Latin1_General_CP1_CI_AS NULL," in sql
    assert "[marketing_opt_in] BIT NULL" in sql
    assert "WITH ( DISTRIBUTION = REPLICATE, CLUSTERED COLUMNSTORE INDEX )" in sql
    assert ("ALTER TABLE [mart].[dim_customer] ADD CONSTRAINT [pk_mart_dim_customer] "
            "PRIMARY KEY NONCLUSTERED ([customer_id]) NOT ENFORCED;") in sql
    assert "Synapse does not enforce PRIMARY KEY or UNIQUE" in files[f"{W}/tables/mart.dim_customer.sql"]
    assert protections(sql) == {"masks": set(), "classified": set(), "unmask": set(),
                                "select": {"role_analyst", "role_data_engineer", "role_data_scientist"}}


def test_fact_sales_is_hash_distributed_and_partitioned(files: dict[str, str]) -> None:
    sql = squash(files[f"{W}/tables/mart.fact_sales.sql"])
    assert "DISTRIBUTION = HASH([customer_id]), CLUSTERED COLUMNSTORE INDEX," in sql
    assert ("PARTITION ([order_date] RANGE RIGHT FOR VALUES (''2024-01-01'', ''2025-01-01'', ''2026-01-01''))"
            in sql)  # inside EXEC(N'...'), see table.sql.j2
    assert "[unit_price] DECIMAL(10, 2) NULL" in sql and "[order_id] BIGINT NOT NULL" in sql
    assert "PRIMARY KEY NONCLUSTERED ([order_id], [line_no]) NOT ENFORCED" in sql
    proc = squash(files[f"{W}/procedures/etl.load_fact_sales.sql"])
    assert "MERGE INTO [mart].[fact_sales] AS t USING #src AS s ON t.[order_id] = s.[order_id] AND " \
           "t.[line_no] = s.[line_no]" in proc
    assert "WHEN NOT MATCHED BY TARGET THEN INSERT" in proc
    assert "CREATE TABLE #src WITH (DISTRIBUTION = HASH([customer_id]), HEAP)" in proc


def test_customer_segments_keeps_type_2_history(files: dict[str, str]) -> None:
    table = squash(files[f"{W}/tables/scores.customer_segments.sql"])
    assert "[customer_segments_sk] BIGINT IDENTITY(1, 1) NOT NULL," in table
    assert ("[valid_from] DATETIME2(3) NOT NULL, [valid_to] DATETIME2(3) NOT NULL, [is_current] BIT NOT NULL )"
            in table)
    assert "PRIMARY KEY NONCLUSTERED ([customer_segments_sk]) NOT ENFORCED" in table
    doc = files[f"{W}/tables/scores.customer_segments.sql"]
    assert "Type-2 history on customer_id" in doc and "when cluster_id changes" in doc

    proc = squash(files[f"{W}/procedures/etl.load_customer_segments.sql"])
    assert "MERGE" not in proc  # MERGE cannot insert into a table with an IDENTITY column
    close = proc.index("SET [valid_to] = @now, [is_current] = 0")
    type1 = proc.index("SET [distance] = s.[distance], [model_version] = s.[model_version]")
    insert = proc.index("INSERT INTO [scores].[customer_segments] ([customer_id], [cluster_id], [distance], "
                        "[model_version], [run_id], [scored_at], [valid_from], [valid_to], [is_current])")
    assert close < type1 < insert < proc.index("COMMIT TRANSACTION") < proc.index(
        "TRUNCATE TABLE [stg].[scores__customer_segments]")
    assert "WHERE [scores].[customer_segments].[is_current] = 1 AND ( ([scores].[customer_segments].[cluster_id] " \
           "<> s.[cluster_id]" in proc
    assert "@now, '9999-12-31 23:59:59.999', 1 FROM #src AS s WHERE NOT EXISTS" in proc
    assert "AND t.[is_current] = 1" in proc


def test_dim_customer_contact_masks_classifies_and_unmasks(files: dict[str, str]) -> None:
    sql = files[f"{W}/tables/crm.dim_customer_contact.sql"]
    assert protections(sql) == {
        "masks": {"first_name:default()", "last_name:default()", "email:email()", 'phone:partial(0,"XXX-XXX-",4)'},
        "classified": {"first_name", "last_name", "email", "phone"},
        "select": {"role_analyst", "role_crm_operator"},
        "unmask": {"role_crm_operator"},
    }
    assert ("ADD SENSITIVITY CLASSIFICATION TO [crm].[dim_customer_contact].[email]\n"
            "WITH (LABEL = 'Confidential - GDPR', INFORMATION_TYPE = 'Contact Info', RANK = MEDIUM);") in sql
    assert "INFORMATION_TYPE = 'Name'" in sql
    assert "DISTRIBUTION = REPLICATE,\n        HEAP" in sql
    # REPLICATE target: UPDATE then INSERT, not MERGE (NOT MATCHED needs a HASH target).
    proc = squash(files[f"{W}/procedures/etl.load_dim_customer_contact.sql"])
    assert "MERGE INTO" not in proc
    assert ("UPDATE [crm].[dim_customer_contact] SET [first_name] = s.[first_name]" in proc
            and "FROM [crm].[dim_customer_contact] INNER JOIN #src AS s ON "
                "[crm].[dim_customer_contact].[customer_id] = s.[customer_id]" in proc)
    assert "WHERE NOT EXISTS ( SELECT 1 FROM [crm].[dim_customer_contact] AS t WHERE t.[customer_id] = " \
           "s.[customer_id] );" in proc


def test_staging_tables_are_nullable_heaps_with_run_id(files: dict[str, str]) -> None:
    sql = squash(files[f"{W}/tables/stg.crm__dim_customer_contact.sql"])
    assert "CREATE TABLE [stg].[crm__dim_customer_contact] ( [customer_id] INT NULL," in sql
    create = sql[sql.index("CREATE TABLE"):]  # after the guard that drops the previous shape
    assert "[_run_id] NVARCHAR(64) NULL" in create and "NOT NULL" not in create and "MASKED" not in sql
    assert "WITH ( DISTRIBUTION = ROUND_ROBIN, HEAP )" in sql
    # Staging holds nothing between loads: recreated each time, it always has the catalog's columns.
    assert ("IF OBJECT_ID(N'[stg].[crm__dim_customer_contact]', N'U') IS NOT NULL DROP TABLE "
            "[stg].[crm__dim_customer_contact]; CREATE TABLE") in sql


def test_merge_procedures_deduplicate_staging_latest_first(files: dict[str, str]) -> None:
    proc = squash(files[f"{W}/procedures/etl.load_churn_scores.sql"])
    assert "CREATE PROCEDURE [etl].[load_churn_scores] @run_id NVARCHAR(64) AS BEGIN" in proc
    assert ("ROW_NUMBER() OVER (PARTITION BY s.[customer_id] ORDER BY [scored_at] DESC, [predicted_label] DESC"
            in proc)
    assert "WHERE d.[_rn] = 1;" in proc
    # matched rows are only rewritten when something changed: a re-run with the same staging is a no-op
    assert "WHEN MATCHED AND ( (t.[predicted_label] <> s.[predicted_label] OR (t.[predicted_label] IS NULL" in proc
    assert proc.index("BEGIN TRANSACTION") < proc.index("MERGE") < proc.index("COMMIT TRANSACTION") < proc.index(
        "TRUNCATE TABLE [stg].[scores__churn_scores]")
    assert "IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION; THROW;" in proc


@pytest.mark.parametrize(("table", "strategy"), [
    ("dim_customer", "update_insert"), ("dim_customer_contact", "update_insert"), ("fact_sales", "merge"),
    ("churn_scores", "merge"), ("customer_segments", "history"),
])
def test_load_strategy_follows_synapse_merge_rules(sample: Catalog, table: str, strategy: str) -> None:
    assert load_plan(table_def(sample, sample.tables[table])).strategy == strategy


def test_append_loads_skip_runs_already_applied(project: Path) -> None:
    edit(project, "catalog/warehouse/predicted_ratings.yaml",
         "load: {mode: merge, keys: [customer_id, product_id]}", "load: {mode: append}")
    proc = squash(run(load_catalog(project))[f"{W}/procedures/etl.load_predicted_ratings.sql"].content.decode())
    assert "#src" not in proc and "MERGE" not in proc
    assert ("INSERT INTO [scores].[predicted_ratings] ([customer_id], [product_id], [predicted_rating], "
            "[model_version], [run_id], [scored_at]) SELECT s.[customer_id]") in proc
    assert ("FROM [stg].[scores__predicted_ratings] AS s WHERE NOT EXISTS ( SELECT 1 FROM [etl].[load_log] AS l "
            "WHERE l.[table_name] = N'scores.predicted_ratings' AND l.[run_id] = s.[_run_id] );") in proc
    assert "GROUP BY s.[_run_id];" in proc


# --- privacy follows the catalog ------------------------------------------------------------------


def test_dropping_a_mask_or_reader_drops_it_from_the_sql(project: Path) -> None:
    rel = "catalog/warehouse/dim_customer_contact.yaml"
    edit(project, rel, "readers: [crm_operator, analyst]", "readers: [crm_operator]")
    edit(project, rel, "email: {type: string(256), mask: email()}", "email: {type: string(256)}")
    sql = run(load_catalog(project))[f"{W}/tables/crm.dim_customer_contact.sql"].content.decode()
    got = protections(sql)
    assert "email:email()" not in got["masks"] and "first_name:default()" in got["masks"]
    assert got["select"] == {"role_crm_operator"} and got["unmask"] == {"role_crm_operator"}
    assert "email" in got["classified"]  # still personal data, masked or not


def test_dropping_unmask_drops_the_grant(project: Path) -> None:
    edit(project, "catalog/warehouse/dim_customer_contact.yaml", "unmask: [crm_operator]\n", "")
    sql = run(load_catalog(project))[f"{W}/tables/crm.dim_customer_contact.sql"].content.decode()
    assert protections(sql)["unmask"] == set() and "GRANT UNMASK" not in sql


def test_changing_a_mask_function_changes_the_ddl(project: Path) -> None:
    edit(project, "catalog/warehouse/dim_customer_contact.yaml", "mask: email()", "mask: default()")
    sql = run(load_catalog(project))[f"{W}/tables/crm.dim_customer_contact.sql"].content.decode()
    assert "email:default()" in protections(sql)["masks"]


# --- types ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("portable", "dedicated", "serverless"), [
    ("boolean", "BIT", "BIT"),
    ("smallint", "SMALLINT", "SMALLINT"),
    ("int", "INT", "INT"),
    ("bigint", "BIGINT", "BIGINT"),
    ("float", "REAL", "REAL"),
    ("double", "FLOAT", "FLOAT"),
    ("decimal(14,2)", "DECIMAL(14, 2)", "DECIMAL(14, 2)"),
    ("date", "DATE", "DATE"),
    ("timestamp", "DATETIME2(3)", "DATETIME2(7)"),
    ("string(64)", "NVARCHAR(64)", "VARCHAR(256)"),
    ("string(4000)", "NVARCHAR(4000)", "VARCHAR(MAX)"),
    ("string", "NVARCHAR(4000)", "VARCHAR(MAX)"),
    ("binary(16)", "VARBINARY(16)", "VARBINARY(16)"),
    ("binary", "VARBINARY(8000)", "VARBINARY(MAX)"),
])
def test_type_mapping(portable: str, dedicated: str, serverless: str) -> None:
    t = DataType.parse(portable)
    assert synapse_type(t, columnstore=True) == dedicated
    assert synapse_type(t, Pool.SERVERLESS) == serverless


def test_long_strings_need_a_rowstore_table() -> None:
    long = DataType.parse("string(5000)")
    assert synapse_type(long) == "NVARCHAR(MAX)"  # heap or clustered index (staging tables are heaps)
    with pytest.raises(UnsupportedType, match="columnstore"):
        synapse_type(long, columnstore=True)


def test_a_long_string_in_a_columnstore_table_is_a_catalog_error(project: Path) -> None:
    edit(project, "catalog/warehouse/dim_customer.yaml", "city: {type: string(100)}", "city: {type: string(5000)}")
    with pytest.raises(CatalogInvalid) as info:
        run(load_catalog(project))
    (error,) = info.value.errors
    assert error.file.endswith("dim_customer.yaml") and error.line > 0 and "NVARCHAR(MAX)" in error.message


def test_history_columns_must_not_clash_with_catalog_columns(project: Path) -> None:
    edit(project, "catalog/warehouse/customer_segments.yaml", "  scored_at: {type: timestamp}\n",
         "  scored_at: {type: timestamp}\n  valid_from: {type: timestamp, from: scored_at}\n")
    with pytest.raises(CatalogInvalid, match="1 catalog problem") as info:
        run(load_catalog(project))
    assert "'valid_from' is a column lakewharf adds" in info.value.errors[0].message


@pytest.mark.parametrize(("name", "privacy", "expected"), [
    ("email", Privacy.PERSONAL, ("Confidential - GDPR", "Contact Info", "MEDIUM")),
    ("last_name", Privacy.PERSONAL, ("Confidential - GDPR", "Name", "MEDIUM")),
    ("date_of_birth", Privacy.PERSONAL, ("Confidential - GDPR", "Date Of Birth", "MEDIUM")),
    ("ip_address", Privacy.PERSONAL, ("Confidential - GDPR", "Networking", "MEDIUM")),
    ("religion", Privacy.SENSITIVE, ("Highly Confidential - GDPR", "Other", "HIGH")),
])
def test_classification(name: str, privacy: Privacy, expected: tuple[str, str, str]) -> None:
    c = classification(Column(name, DataType.parse("string(10)"), privacy=privacy))
    assert c is not None and (c.label, c.information_type, c.rank) == expected
    assert classification(Column(name, DataType.parse("string(10)"))) is None


# --- loading: COPY INTO and the procedure call, as Data Factory embeds them ----------------------------


def test_load_file_holds_exactly_what_data_factory_embeds(sample: Catalog, files: dict[str, str]) -> None:
    for t in sample.tables.values():
        text = files[f"{W}/load/{t.name}.sql"]
        copy, call = copy_into_sql(sample, t), load_call_sql(t)
        audit = audit_call_sql(t, RUN_ID_EXPR) if t.tests else ""  # the data tests, right after the load
        assert text.endswith(copy + call + audit), t.name
        assert copy == copy_into_sql(sample, t.name, LAKE_ENDPOINT)
        assert "GO" not in text.split()  # one Script activity, no client-side batch separators


def test_copy_into_maps_parquet_fields_by_contract_position(sample: Catalog) -> None:
    sql = copy_into_sql(sample, "product_recommendations")
    staging = "[stg].[scores__product_recommendations]"
    assert sql.startswith(f"TRUNCATE TABLE {staging};\nCOPY INTO {staging}\n(\n    [customer_id] 1,")
    model = sample.models["recommender"]
    order = [c.name for c in model.outputs["top_items"]]
    for name, number in re.findall(r"\[(\w+)\] (\d+)", sql):
        assert order.index(name) + 1 == int(number)
    assert "FROM 'https://lake-storage-account.dfs.core.windows.net/trusted/scores/recommender/top_items/'" in sql
    assert "FILE_TYPE = 'PARQUET'" in sql and "CREDENTIAL = (IDENTITY = 'Managed Identity')" in sql
    assert "_run_id" not in sql  # set by the load procedure


def test_copy_into_takes_a_data_factory_endpoint_expression(sample: Catalog) -> None:
    adf = "https://@{pipeline().globalParameters.lake_storage_account}.dfs.core.windows.net/"
    sql = copy_into_sql(sample, "dim_customer", adf)
    assert ("FROM 'https://@{pipeline().globalParameters.lake_storage_account}.dfs.core.windows.net/trusted/"
            "customers_trusted/'") in sql
    assert sql.replace(adf.rstrip("/"), LAKE_ENDPOINT) == copy_into_sql(sample, "dim_customer")


def test_load_call(sample: Catalog) -> None:
    assert load_call_sql("dim_customer") == "EXEC [etl].[load_dim_customer] @run_id = N'@{pipeline().RunId}';\n"
    expr = "@{pipeline().parameters['run']}"  # Data Factory evaluates it before SQL sees the quotes
    assert load_call_sql(sample.tables["fact_sales"], expr) == f"EXEC [etl].[load_fact_sales] @run_id = N'{expr}';\n"
    assert RUN_ID_EXPR == "@{pipeline().RunId}"


def test_lineage_links_source_columns_to_table_columns(sample: Catalog) -> None:
    artifacts = run(sample)
    load = artifacts[f"{W}/load/dim_customer.sql"]
    assert ("dataset:customers_trusted.email_hash", "table:dim_customer.email_hash") in load.lineage
    assert load.elements == ("table:dim_customer", "dataset:customers_trusted")
    scores = artifacts[f"{W}/tables/scores.churn_scores.sql"]
    assert ("model:churn.predictions.probability", "table:churn_scores.probability") in scores.lineage
    assert len(scores.lineage) == len(sample.tables["churn_scores"].columns)


# --- serverless ---------------------------------------------------------------------------------------


def test_serverless_setup_creates_what_preparations_use(sample: Catalog, files: dict[str, str]) -> None:
    sql = files["synapse/serverless/00_setup.sql"]
    assert "CREATE DATABASE [lakehouse] COLLATE Latin1_General_100_BIN2_UTF8;" in sql
    assert "CREATE DATABASE SCOPED CREDENTIAL [cred_lake] WITH IDENTITY = 'Managed Identity';" in sql
    assert "CREATE MASTER KEY;" in sql and "PASSWORD" not in sql  # no secret in generated files
    for zone in sample.platform.zones.values():
        assert f"IF SCHEMA_ID(N'{zone.name}') IS NULL" in sql
        assert (f"CREATE EXTERNAL DATA SOURCE [eds_{zone.name}]\n    WITH (LOCATION = "
                f"'abfss://{zone.filesystem}@lake-storage-account.dfs.core.windows.net', CREDENTIAL = [cred_lake]);"
                ) in sql
    assert "CREATE EXTERNAL FILE FORMAT [ff_parquet]" in sql


def test_landing_views_are_what_preparations_read(sample: Catalog, files: dict[str, str]) -> None:
    prep = pytest.importorskip("lakewharf.generate.preparation_sql")
    sql = files["synapse/serverless/landing/crm__customers.sql"]
    assert f"CREATE VIEW [{prep.input_table(sample, 'crm.customers').sql('tsql').replace('.', '].[')}]" in sql
    assert "BULK 'crm/customers/**',\n    DATA_SOURCE = 'eds_landing',\n    FORMAT = 'PARQUET'" in sql
    assert "[email] VARCHAR(1024)," in sql and "[updated_at] DATETIME2(7)," in sql
    assert f"r.[{prep.LOADED_AT}]" in sql and f"[{prep.LOADED_AT}] DATETIME2(7)" in sql

