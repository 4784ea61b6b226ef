"""One test per semantic check: each puts exactly one mistake into a copy of the sample project and
asserts where it is reported (file, line, JSON path), what is said, and that nothing else is."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lakewharf.errors import CatalogError, CatalogInvalid
from lakewharf.project import load_catalog

if TYPE_CHECKING:
    from conftest import Project

PIPELINES = "pipelines.yaml"
PLATFORM = "catalog/platform.yaml"
CRM = "catalog/sources/crm.yaml"
ORDERS_CLEAN = "catalog/datasets/orders_clean.yaml"
CUSTOMERS_CLEAN = "catalog/datasets/customers_clean.yaml"
INTERACTIONS = "catalog/datasets/interactions.yaml"
SESSIONS = "catalog/datasets/sessions_daily.yaml"
CHURN = "catalog/models/churn.yaml"
FACT_SALES = "catalog/warehouse/fact_sales.yaml"
CONTACT = "catalog/warehouse/dim_customer_contact.yaml"


def only_error(project: Project) -> CatalogError:
    """The one error the catalog reports: a single mistake must not cascade."""
    errors = project.errors()
    assert len(errors) == 1, "\n".join(map(str, errors))
    return errors[0]


def check(error: CatalogError, file: str, line: int, path: tuple[str | int, ...], message: str,
          hint: str | None = None) -> None:
    assert (error.file, error.line, error.path) == (file, line, path), str(error)
    assert message in error.message, str(error)
    assert error.column >= 1
    assert str(error).startswith(f"{file}:{line}:{error.column}: {error.json_path}: ")
    if hint is not None:
        assert hint in error.hint, str(error)
        assert f"\n  hint: {error.hint}" in str(error)


def test_sample_is_valid(project: Project) -> None:
    catalog = project.load()
    assert catalog.platform.name == "retail"


# --- references -----------------------------------------------------------------------------------


def test_unknown_zone(project: Project) -> None:
    project.replace(ORDERS_CLEAN, "zone: development", "zone: developmnet")
    check(only_error(project), ORDERS_CLEAN, project.line_of(ORDERS_CLEAN, "zone:"), ("zone",),
          "unknown zone 'developmnet'", "did you mean 'development'?")


def test_unknown_role_in_table_readers(project: Project) -> None:
    rel = "catalog/warehouse/dim_product.yaml"
    project.replace(rel, "readers: [analyst,", "readers: [analyts,")
    check(only_error(project), rel, project.line_of(rel, "readers:"), ("readers", 0),
          "unknown role 'analyts'", "did you mean 'analyst'?")


def test_unknown_role_in_zone_readers(project: Project) -> None:
    project.replace(PLATFORM, "readers: [data_engineer, crm_operator]", "readers: [data_engineer, crm_operater]")
    check(only_error(project), PLATFORM, project.line_of(PLATFORM, "crm_operater"),
          ("zones", "restricted", "readers", 1), "unknown role 'crm_operater'", "did you mean 'crm_operator'?")


def test_unknown_dataset(project: Project) -> None:
    rel = "catalog/datasets/customers_trusted.yaml"
    project.replace(rel, "input: customers_clean", "input: customer_clean")
    check(only_error(project), rel, project.line_of(rel, "input:"), ("input",),
          "unknown dataset 'customer_clean'", "did you mean 'customers_clean'?")


def test_unknown_source_entity_as_input(project: Project) -> None:
    project.replace(ORDERS_CLEAN, "input: orders.orders", "input: orders.order")
    check(only_error(project), ORDERS_CLEAN, project.line_of(ORDERS_CLEAN, "input:"), ("input",),
          "unknown dataset 'orders.order'", "did you mean 'orders.orders'?")


def test_unknown_source_entity_in_ingest_step(project: Project) -> None:
    project.replace(PIPELINES, "{ingest: orders}", "{ingest: orders.order}")
    check(only_error(project), PIPELINES, project.line_of(PIPELINES, "orders.order}"),
          ("pipelines", "nightly", "steps", "land_orders", "ingest"),
          "unknown entity 'orders.order'", "did you mean 'orders.orders'?")


def test_unknown_model(project: Project) -> None:
    rel = "catalog/warehouse/churn_scores.yaml"
    project.replace(rel, "source: {model: churn}", "source: {model: chrun}")
    check(only_error(project), rel, project.line_of(rel, "source:"), ("source", "model"),
          "unknown model 'chrun'", "did you mean 'churn'?")


def test_unknown_table(project: Project) -> None:
    project.replace(PIPELINES, "{load: dim_date,", "{load: dim_dat,")
    check(only_error(project), PIPELINES, project.line_of(PIPELINES, "dim_dat,"),
          ("pipelines", "nightly", "steps", "load_dim_date", "load"),
          "unknown table 'dim_dat'", "did you mean 'dim_date'?")


def test_unknown_compute(project: Project) -> None:
    project.replace(CHURN, "  compute: cpu-cluster\nscoring", "  compute: cpu-clustr\nscoring")
    check(only_error(project), CHURN, project.line_of(CHURN, "cpu-clustr"), ("training", "compute"),
          "unknown compute 'cpu-clustr'", "did you mean 'cpu-cluster'?")


def test_unknown_column(project: Project) -> None:
    project.replace(CHURN, "label: churned", "label: churnd")
    check(only_error(project), CHURN, project.line_of(CHURN, "label:"), ("label",),
          "unknown column 'churnd'", "did you mean 'churned'?")


def test_unknown_column_without_close_match_lists_the_columns(project: Project) -> None:
    project.replace(CHURN, "label: churned", "label: xyz")
    check(only_error(project), CHURN, project.line_of(CHURN, "label:"), ("label",),
          "unknown column 'xyz'", "columns of churn_training: customer_id, country")


SCORED_ON = "  dataset: customer_features  # today's features: the next 90 days are what we want to know\n"
FEATURES = "catalog/datasets/customer_features.yaml"


def test_unknown_scoring_dataset(project: Project) -> None:
    project.replace(CHURN, SCORED_ON, "  dataset: customer_featurs\n")
    check(only_error(project), CHURN, project.line_of(CHURN, "  dataset: customer_featurs"), ("scoring", "dataset"),
          "unknown dataset 'customer_featurs'", "did you mean 'customer_features'?")


def test_scoring_dataset_lacks_a_feature(project: Project) -> None:
    # The batch job would feed the model a frame without a column it was fitted on.
    project.replace(FEATURES, "         COALESCE(e.sessions_30d, 0) AS sessions_30d\n", "         0 AS visits\n")
    project.replace(FEATURES, "  sessions_30d: {type: int}\n", "  visits: {type: int}\n")
    project.replace("catalog/models/segmentation.yaml", ", sessions_30d]", "]")
    check(only_error(project), CHURN, project.line_of(CHURN, SCORED_ON.rstrip("\n")), ("scoring", "dataset"),
          "scoring dataset customer_features has no column 'sessions_30d'",
          "a model scores the columns it was trained on, with the same types")


def test_scoring_dataset_types_must_match_training(project: Project) -> None:
    project.replace(FEATURES, "  tenure_days: {type: int}\n", "  tenure_days: {type: bigint}\n")
    check(only_error(project), CHURN, project.line_of(CHURN, SCORED_ON.rstrip("\n")), ("scoring", "dataset"),
          "scoring dataset customer_features has tenure_days as bigint, the training dataset churn_training as int")


def test_scoring_defaults_to_the_training_dataset(project: Project) -> None:
    project.replace(CHURN, SCORED_ON, "")
    catalog = project.load()
    assert catalog.models["churn"].scoring.dataset == "churn_training"
    assert project.load().models["segmentation"].scoring.dataset == "customer_features"


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Mars/Olympus", "CET"])
def test_time_zone_must_be_a_windows_id(project: Project, zone: str) -> None:
    # Data Factory schedule triggers take Windows IDs; an IANA name would fail only on deployment.
    project.replace(PIPELINES, '    schedule: {cron: "0 1 * * *", timezone: W. Europe Standard Time}',
                    f'    schedule: {{cron: "0 1 * * *", timezone: {zone}}}')
    check(only_error(project), PIPELINES, 19, ("pipelines", "nightly", "schedule", "timezone"),
          f"time zone {zone!r} is not a Windows time zone ID", "'W. Europe Standard Time' (Europe/Berlin")


@pytest.mark.parametrize("zone", ["UTC", "UTC+12", "Pacific Standard Time", "Russia Time Zone 3 Standard Time"])
def test_windows_time_zones_pass(project: Project, zone: str) -> None:
    project.replace(PIPELINES, '    schedule: {cron: "0 1 * * *", timezone: W. Europe Standard Time}',
                    f'    schedule: {{cron: "0 1 * * *", timezone: {zone}}}')
    assert project.load().pipelines["nightly"].schedule.timezone == zone


@pytest.mark.parametrize(("column", "message"), [
    ("status", "watermark 'status' is string(20), which does not order rows by change"),
    ("order_id_typo", "watermark 'order_id_typo' is not a column"),
])
def test_watermark_must_order_rows(project: Project, column: str, message: str) -> None:
    orders = "catalog/sources/orders.yaml"  # the first entity, orders, on line 11
    text = project.read(orders)
    project.write(orders, text.replace("watermark: updated_at}", f"watermark: {column}}}", 1))
    check(only_error(project), orders, 11, ("entities", "orders", "load", "watermark"), message)


def test_nullable_watermark_would_drop_rows(project: Project) -> None:
    orders = "catalog/sources/orders.yaml"  # the first entity, orders: its watermark on line 11
    text = project.read(orders)
    column = "      updated_at: {type: timestamp, nullable: false}"
    project.write(orders, text.replace(column, column.replace("false", "true"), 1))
    check(only_error(project), orders, 11, ("entities", "orders", "load", "watermark"),
          "watermark 'updated_at' is nullable: rows where it is NULL would never load")


def test_label_is_not_a_feature(project: Project) -> None:
    project.replace(CHURN, "features: [country,", "features: [churned, country,")
    check(only_error(project), CHURN, 6, ("features", 0),
          "the label 'churned' is also a feature", "remove it from features")


def test_fill_value_longer_than_its_column(project: Project) -> None:
    # Synapse would cut 'TOOLONG' to 'TO' in a string(2) column without a word.
    project.replace(CUSTOMERS_CLEAN, "      country: {fill: ZZ}", "      country: {fill: TOOLONG}")
    check(only_error(project), CUSTOMERS_CLEAN, project.line_of(CUSTOMERS_CLEAN, "country: {fill: TOOLONG}"),
          ("steps", 1, "missing", "country", "fill"),
          "fill value 'TOOLONG' has 7 characters; country is string(2)", "use at most 2 characters")


@pytest.mark.parametrize(("boundaries", "message"), [
    ('["2024-01-01", "2023-01-01"]', "boundaries must ascend"),
    ('["2024-01-01", "banana"]', "boundary 'banana' is not a date value"),
    ('[2024, 2025]', "boundary 2024 is not a date value"),
])
def test_partition_boundaries_match_the_column(project: Project, boundaries: str, message: str) -> None:
    # Synapse would take them as they are and fail at CREATE TABLE, after deployment.
    project.replace(FACT_SALES, '  boundaries: ["2024-01-01", "2025-01-01", "2026-01-01"]',
                    f"  boundaries: {boundaries}")
    error = only_error(project)
    assert error.file == FACT_SALES and error.path[:2] == ("partition", "boundaries"), str(error)
    assert message in error.message, str(error)


def test_random_mask_only_on_numbers(project: Project) -> None:
    # Synapse's random() masking function takes numeric columns only.
    line = next(li for li in project.read(CONTACT).splitlines() if "mask:" in li and "email()" not in li)
    column = line.strip().split(":")[0]
    project.replace(CONTACT, line, line.split("mask:")[0] + 'mask: "random(1, 5)"}')
    error = only_error(project)
    assert (error.file, error.path) == (CONTACT, ("columns", column, "mask")), str(error)
    assert "random() masks numeric columns" in error.message and error.hint == "default() masks any type"


def test_misspelt_step_kind_names_the_kinds(project: Project) -> None:
    # Not "missing required field 'ingest'": the step lacks whichever kind it meant.
    project.replace(PIPELINES, "{load: churn_scores, after: [score_churn]}",
                    "{lod: churn_scores, after: [score_churn]}")
    errors = {e.message: e for e in project.errors()}
    assert set(errors) == {"needs one of: ingest, prepare, train, score, load", "unknown field 'lod'"}
    assert errors["unknown field 'lod'"].hint == "did you mean 'load'?"


def test_unknown_step_in_after(project: Project) -> None:
    project.replace(PIPELINES, "{prepare: customers_clean, after: [land_crm]}",
                    "{prepare: customers_clean, after: [land_cmr]}")
    check(only_error(project), PIPELINES, project.line_of(PIPELINES, "land_cmr"),
          ("pipelines", "nightly", "steps", "customers", "after", 0), "unknown step 'land_cmr'",
          "steps of nightly: land_crm,")


def test_whole_source_as_input(project: Project) -> None:
    project.replace(ORDERS_CLEAN, "input: orders.orders", "input: orders")
    check(only_error(project), ORDERS_CLEAN, project.line_of(ORDERS_CLEAN, "input:"), ("input",),
          "unknown dataset 'orders'", "a whole source cannot be an input; name an entity, e.g. orders.<entity>")


# --- cycles and ordering --------------------------------------------------------------------------


def test_dataset_cycle(project: Project) -> None:
    # products_trusted already reads products_clean; make products_clean read products_trusted.
    rel = "catalog/datasets/products_clean.yaml"
    project.replace(rel, "input: products.products", "input: products_trusted")
    check(only_error(project), rel, 2, (),
          "datasets form a cycle: products_clean → products_trusted → products_clean")


def test_pipeline_after_cycle(project: Project) -> None:
    project.replace(PIPELINES, "  nightly:\n    description: Land the operational sources",
                    "  nightly:\n    after: [weekly_training]\n    description: Land the operational sources")
    check(only_error(project), PIPELINES, project.line_of(PIPELINES, "after: [weekly_training]"),
          ("pipelines", "nightly", "after"),
          "pipelines depend on each other in a cycle: nightly → weekly_training → nightly")


def test_pipeline_after_itself(project: Project) -> None:
    project.replace(PIPELINES, "    after: [nightly]\n    schedule: {cron: \"0 3 * * 0\"",
                    "    after: [weekly_training]\n    schedule: {cron: \"0 3 * * 0\"")
    check(only_error(project), PIPELINES, project.line_of(PIPELINES, "after: [weekly_training]"),
          ("pipelines", "weekly_training", "after", 0), "a pipeline cannot run after itself")


def test_step_after_cycle(project: Project) -> None:
    project.replace(PIPELINES, "land_orders: {ingest: orders}", "land_orders: {ingest: orders, after: [orders]}")
    check(only_error(project), PIPELINES, project.line_of(PIPELINES, "land_crm: {ingest: crm}"),
          ("pipelines", "nightly", "steps"),
          "steps depend on each other in a cycle: land_orders → orders → land_orders")


def test_step_reads_what_a_sibling_writes_without_after(project: Project) -> None:
    project.replace(PIPELINES, "customers: {prepare: customers_clean, after: [land_crm]}",
                    "customers: {prepare: customers_clean}")
    check(only_error(project), PIPELINES, project.line_of(PIPELINES, "customers: {prepare: customers_clean}"),
          ("pipelines", "nightly", "steps", "customers"),
          "step customers reads crm.customers, which step land_crm writes, but does not run after it",
          "add land_crm to its after: list")


def test_load_of_a_dataset_no_pipeline_prepares(project: Project) -> None:
    project.replace(PIPELINES, "      calendar: {prepare: calendar, after: [orders]}\n", "")
    project.replace(PIPELINES, "{load: dim_date, after: [calendar]}", "{load: dim_date}")
    check(only_error(project), PIPELINES, project.line_of(PIPELINES, "load_dim_date:"),
          ("pipelines", "nightly", "steps", "load_dim_date"),
          "step load_dim_date needs calendar, but no pipeline prepares it", "add a step that produces it")


def test_score_of_a_model_no_pipeline_trains(project: Project) -> None:
    project.replace(PIPELINES, "      train_segmentation: {train: segmentation}\n", "")
    check(only_error(project), PIPELINES, project.line_of(PIPELINES, "score_segmentation:"),
          ("pipelines", "daily_scoring", "steps", "score_segmentation"),
          "step score_segmentation needs segmentation, but no pipeline trains it")


def test_model_scoring_schedule_disagrees_with_its_pipeline(project: Project) -> None:
    project.replace(CHURN, 'schedule: {cron: "0 4 * * *"}', 'schedule: {cron: "0 5 * * *"}')
    check(only_error(project), CHURN, project.line_of(CHURN, "schedule:"), ("scoring", "schedule"),
          "model churn wants scoring at '0 5 * * *' but pipeline daily_scoring runs at 0 4 * * *",
          "make them agree")


def test_warehouse_table_no_pipeline_loads(project: Project) -> None:
    # The DDL would create it and nothing would ever fill it.
    project.replace(PIPELINES, "      load_churn: {load: churn_scores, after: [score_churn]}\n", "")
    check(only_error(project), "catalog/warehouse/churn_scores.yaml", 2, (),  # line 1: the modeline
          "table scores.churn_scores is loaded by no pipeline",
          "add a step '{load: churn_scores}' to the pipeline that produces its source")


# --- privacy --------------------------------------------------------------------------------------


@pytest.mark.parametrize("expression", [
    "first_name", "UPPER(first_name)", "CONCAT(first_name, ' ', last_name)", "LEFT(c.first_name, 1)"])
def test_personal_column_through_sql_reaches_trusted(project: Project, expression: str) -> None:
    # GDPR: a SQL preparation passes on the privacy of every column an output is computed from,
    # through functions and CTEs, as declarative steps do.
    project.write("catalog/datasets/contact_names.yaml", f"""description: Names for analysts.
zone: trusted
inputs: [customer_contacts]
sql: |
  WITH c AS (SELECT customer_id, first_name, last_name FROM customer_contacts)
  SELECT c.customer_id, {expression} AS name FROM c
columns:
  customer_id: {{type: int}}
  name: {{type: string(200)}}
""")
    project.replace(PIPELINES, "      contacts: {prepare: customer_contacts, after: [land_crm]}\n",
                    "      contacts: {prepare: customer_contacts, after: [land_crm]}\n"
                    "      names: {prepare: contact_names, after: [contacts]}\n")
    check(only_error(project), "catalog/datasets/contact_names.yaml", 2, ("zone",),
          "personal column name reaches zone 'trusted', readable by data_scientist (none), analyst (none)",
          "leave name out of the SELECT, or, once the SELECT hashes or generalises it, declare "
          "'name: {..., privacy: none}' under columns")
    project.replace("catalog/datasets/contact_names.yaml", "  name: {type: string(200)}",
                    "  name: {type: string(200), privacy: none}")
    assert project.load().datasets["contact_names"].column_map["name"].privacy.name == "NONE"


def test_personal_column_reaches_development_without_mask(project: Project) -> None:
    project.replace(CUSTOMERS_CLEAN, "      phone: drop\n", "")
    check(only_error(project), CUSTOMERS_CLEAN, project.line_of(CUSTOMERS_CLEAN, "zone:"), ("zone",),
          "personal column phone reaches zone 'development', readable by data_scientist (none), ml (none)",
          "add a step '- mask: {phone: hash}'")


@pytest.mark.parametrize("fix", ["  - mask: {phone: hash}\n", "  - mask: {phone: drop}\n",
                                 "  - mask: {phone: redact}\n"])
def test_masking_the_personal_column_fixes_the_leak(project: Project, fix: str) -> None:
    project.replace(CUSTOMERS_CLEAN, "      phone: drop\n", "")
    project.replace(CUSTOMERS_CLEAN, "  - mask:\n", fix + "  - mask:\n")
    columns = project.load().datasets["customers_clean"].column_map
    assert ("phone" in columns) == ("drop" not in fix)
    if "hash" in fix:
        assert str(columns["phone"].type) == "string(64)"


def test_personal_warehouse_column_readable_by_analysts_without_ddm_mask(project: Project) -> None:
    project.replace(CONTACT, "  email: {type: string(256), mask: email()}", "  email: {type: string(256)}")
    check(only_error(project), CONTACT, project.line_of(CONTACT, "email:"), ("columns", "email"),
          "personal column email is readable by analyst (none)", "dynamic data masking")


def test_ddm_mask_fixes_the_warehouse_leak(project: Project) -> None:
    project.modify(CONTACT, lambda d: d["columns"]["email"].update(mask="email()"))
    table = project.load().tables["dim_customer_contact"]
    assert {c.name: c.mask for c in table.columns}["email"] == "email()"


def test_unmask_role_without_clearance(project: Project) -> None:
    project.replace(CONTACT, "unmask: [crm_operator]", "unmask: [crm_operator, analyst]")
    check(only_error(project), CONTACT, project.line_of(CONTACT, "unmask:"), ("unmask", 1),
          "role analyst (none) may not see personal columns unmasked")


# --- types ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "old", "new", "column", "message"),
    [
        (CONTACT, "  email: {type: string(256), mask: email()}", "  email: {type: string(64), mask: email()}",
         "email", "email is string(64) but its source email is string(256)"),
        (FACT_SALES, '  net_amount: {type: "decimal(14,2)"}', "  net_amount: {type: int}",
         "net_amount", "net_amount is int but its source net_amount is decimal(14,2)"),
        (FACT_SALES, "  order_id: {type: bigint, nullable: false, primary_key: true}",
         "  order_id: {type: int, nullable: false, primary_key: true}",
         "order_id", "order_id is int but its source order_id is bigint"),
        (CONTACT, "  customer_id: {type: int, nullable: false, primary_key: true}",
         "  customer_id: {type: string(20), nullable: false, primary_key: true}",
         "customer_id", "customer_id is string(20) but its source customer_id is int"),
    ],
)
def test_incompatible_types(project: Project, rel: str, old: str, new: str, column: str, message: str) -> None:
    project.replace(rel, old, new)
    check(only_error(project), rel, project.line_of(rel, f"  {column}:"), ("columns", column, "type"),
          message, "widen the column to")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("  quantity: {type: int}", "  quantity: {type: bigint}"),
        ('  unit_price: {type: "decimal(10,2)"}', '  unit_price: {type: "decimal(14,2)"}'),
        ("  order_date: {type: date, nullable: false}", "  order_date: {type: timestamp, nullable: false}"),
        ("  quantity: {type: int}", '  quantity: {type: "decimal(12,2)"}'),
        ("  channel: {type: string(20)}", "  channel: {type: string}"),
    ],
)
def test_compatible_widenings_pass(project: Project, old: str, new: str) -> None:
    project.replace(FACT_SALES, old, new)
    project.load()


def test_not_null_column_fed_by_nullable_column(project: Project) -> None:
    project.replace(FACT_SALES, "  channel: {type: string(20)}", "  channel: {type: string(20), nullable: false}")
    check(only_error(project), FACT_SALES, project.line_of(FACT_SALES, "channel:"),
          ("columns", "channel", "nullable"), "channel is NOT NULL but its source channel may be null",
          "fill it upstream with a '- missing:' step")


# --- names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Trusted", "a--b", "ab", "-trusted", "trusted-"])
def test_invalid_filesystem_name(project: Project, name: str) -> None:
    project.replace(PLATFORM, "filesystem: trusted", f"filesystem: {name}")
    check(only_error(project), PLATFORM, project.line_of(PLATFORM, f"filesystem: {name}"),
          ("zones", "trusted", "filesystem"), f"{name!r} is not a valid ADLS Gen2 filesystem name")


def test_filesystem_shared_by_two_zones(project: Project) -> None:
    line = project.line_of(PLATFORM, "filesystem: trusted")
    project.replace(PLATFORM, "filesystem: trusted", "filesystem: development")
    check(only_error(project), PLATFORM, line, ("zones", "trusted", "filesystem"),
          "filesystem 'development' is also used by zone development")


@pytest.mark.parametrize("word", ["order", "select", "key"])
def test_sql_reserved_word_as_table_column(project: Project, word: str) -> None:
    project.replace(FACT_SALES, "  status: {type: string(20)}", f"  {word}: {{type: string(20), from: status}}")
    project.replace(FACT_SALES, "{column: status,", f"{{column: {word},")  # its data test follows it
    error = only_error(project)
    check(error, FACT_SALES, project.line_of(FACT_SALES, f"  {word}:"), ("columns", word),
          f"{word!r} is a T-SQL reserved keyword", "rename it, loading it with from: <source column>")
    assert error.column == 3  # the key, not its value


def test_renaming_with_from_keeps_the_source_column(project: Project) -> None:
    project.replace(FACT_SALES, "  status: {type: string(20)}", "  order_status: {type: string(20), from: status}")
    project.replace(FACT_SALES, "{column: status,", "{column: order_status,")  # its data test follows it
    table = project.load().tables["fact_sales"]
    assert {c.name: c.source_column for c in table.columns}["order_status"] == "status"


def test_model_name_too_long_for_the_batch_endpoint(project: Project) -> None:
    name = "customer_segmentation_by_behaviour"
    project.path("catalog/models/segmentation.yaml").rename(project.path(f"catalog/models/{name}.yaml"))
    project.replace("catalog/warehouse/customer_segments.yaml", "{model: segmentation}", f"{{model: {name}}}")
    project.replace(PIPELINES, "{train: segmentation}", f"{{train: {name}}}")
    project.replace(PIPELINES, "{score: segmentation}", f"{{score: {name}}}")
    check(only_error(project), f"catalog/models/{name}.yaml", 2, (),
          "its scoring batch endpoint name 'retail-customer-segmentation-by-behaviour' is not a valid Azure ML "
          "endpoint", "choose a shorter model or platform name")


def test_model_name_too_long_only_for_the_training_endpoint(project: Project) -> None:
    name = "segmentation_by_val"  # retail-segmentation-by-val fits (26 + the stack suffix), retail-train-… does not
    project.path("catalog/models/segmentation.yaml").rename(project.path(f"catalog/models/{name}.yaml"))
    project.replace("catalog/warehouse/customer_segments.yaml", "{model: segmentation}", f"{{model: {name}}}")
    project.replace(PIPELINES, "{train: segmentation}", f"{{train: {name}}}")
    project.replace(PIPELINES, "{score: segmentation}", f"{{score: {name}}}")
    check(only_error(project), f"catalog/models/{name}.yaml", 2, (),
          "its training batch endpoint name 'retail-train-segmentation-by-val' is not a valid Azure ML endpoint",
          "choose a shorter model or platform name")


# --- inline secrets -------------------------------------------------------------------------------

CONNECTION_STRING = '"Server=tcp:crm.database.windows.net;User ID=etl;Password=hunter2;"'
ACCOUNT_KEY = '"DefaultEndpointsProtocol=https;AccountName=retail;AccountKey=' + "Ab1+" * 11 + '=="'


@pytest.mark.parametrize(
    ("rel", "old"),
    [
        (PLATFORM, "description: Data platform of a mid-size online retailer (CRM, orders, products, web "
                   "clickstream)."),
        (CRM, "description: CRM customer master, an Azure SQL Database."),
        (ORDERS_CLEAN, "description: Orders without test orders, one row per order."),
        ("catalog/models/segmentation.yaml",
         "description: Customer segments from purchase behaviour and engagement (k-means)."),
        ("catalog/warehouse/dim_product.yaml", "description: One row per product."),
        (PIPELINES, "    description: Retrain the three models on the latest data."),
    ],
)
@pytest.mark.parametrize(("secret", "what"), [(CONNECTION_STRING, "a connection string with a password"),
                                              (ACCOUNT_KEY, "a storage account key")])
def test_inline_secret_in_any_file(project: Project, rel: str, old: str, secret: str, what: str) -> None:
    indent = old[: len(old) - len(old.lstrip())]
    project.replace(rel, old, f"{indent}description: {secret}")
    path = ("pipelines", "weekly_training", "description") if rel == PIPELINES else ("description",)
    check(only_error(project), rel, project.line_of(rel, secret), path,
          f"looks like {what} written inline", "store the value in Key Vault")


def test_password_field(project: Project) -> None:
    rel = "catalog/models/segmentation.yaml"
    project.replace(rel, "hyperparameters: {n_clusters: 5, n_init: 10}",
                    "hyperparameters: {n_clusters: 5, n_init: 10, password: hunter2}")
    error = only_error(project)
    check(error, rel, project.line_of(rel, "password"), ("training", "hyperparameters", "password"),
          "field 'password' holds a secret value inline", "Key Vault")


def test_password_field_where_the_schema_allows_none(project: Project) -> None:
    project.replace(CRM, "  secret: crm-sql-connection-string", "  secret: crm-sql-connection-string\n  password: x1")
    messages = {e.message for e in project.errors()}
    assert messages == {"field 'password' holds a secret value inline", "unknown field 'password'"}


# --- preparations ---------------------------------------------------------------------------------


def test_sql_reads_a_table_not_in_inputs(project: Project) -> None:
    project.replace(INTERACTIONS, "inputs: [orders_clean, order_lines_clean]", "inputs: [order_lines_clean]")
    check(only_error(project), INTERACTIONS, project.line_of(INTERACTIONS, "sql: |"), ("sql",),
          "the SELECT reads 'orders_clean', which is not in inputs", "add orders_clean to inputs")


def test_sql_unused_input(project: Project) -> None:
    project.replace(INTERACTIONS, "inputs: [orders_clean, order_lines_clean]",
                    "inputs: [orders_clean, order_lines_clean, products_clean]")
    check(only_error(project), INTERACTIONS, project.line_of(INTERACTIONS, "inputs:"), ("inputs",),
          "input 'products_clean' is not used by the SELECT")


def test_sql_declared_column_not_produced(project: Project) -> None:
    project.replace(INTERACTIONS, "  affinity: {type: double, nullable: false}",
                    "  affinity: {type: double, nullable: false}\n  weight: {type: double}")
    check(only_error(project), INTERACTIONS, project.line_of(INTERACTIONS, "customer_id: {type"), ("columns",),
          "declared but not produced by the SELECT: weight")


def test_sql_produced_column_not_declared(project: Project) -> None:
    project.replace(INTERACTIONS, "  affinity: {type: double, nullable: false}\n", "")
    check(only_error(project), INTERACTIONS, project.line_of(INTERACTIONS, "customer_id: {type"), ("columns",),
          "produced by the SELECT but not declared: affinity", "declare every output column")


def test_sql_not_a_select(project: Project) -> None:
    text = project.read(INTERACTIONS)
    start, end = text.index("sql: |\n"), text.index("columns:\n")
    project.write(INTERACTIONS, text[:start] + "sql: |\n  DELETE FROM orders_clean WHERE status = 'test'\n"
                  + text[end:])
    check(only_error(project), INTERACTIONS, project.line_of(INTERACTIONS, "sql: |"), ("sql",),
          "sql must be exactly one SELECT statement")


def test_sql_two_statements(project: Project) -> None:
    project.replace(INTERACTIONS, "  GROUP BY o.customer_id, l.product_id\n",
                    "  GROUP BY o.customer_id, l.product_id;\n  SELECT 1 AS x\n")
    check(only_error(project), INTERACTIONS, project.line_of(INTERACTIONS, "sql: |"), ("sql",),
          "sql must be exactly one SELECT statement")


def test_sql_unparsable(project: Project) -> None:
    project.replace(INTERACTIONS, "  GROUP BY o.customer_id, l.product_id",
                    "  GROUP BY BY o.customer_id, l.product_id)")
    check(only_error(project), INTERACTIONS, project.line_of(INTERACTIONS, "sql: |"), ("sql",),
          "cannot parse SQL", "near line 5")


def test_sql_with_an_unclosed_quote(project: Project) -> None:
    project.replace(INTERACTIONS, "  GROUP BY o.customer_id, l.product_id",
                    "  GROUP BY o.customer_id, l.product_id HAVING 'x")
    check(only_error(project), INTERACTIONS, project.line_of(INTERACTIONS, "sql: |"), ("sql",), "cannot parse SQL")


def test_derive_expression_reads_unknown_column(project: Project) -> None:
    project.replace(SESSIONS, "CAST(event_time AS DATE)", "CAST(event_timestamp AS DATE)")
    check(only_error(project), SESSIONS, project.line_of(SESSIONS, "event_timestamp"),
          ("steps", 3, "derive", "event_date", "expr"), "unknown column 'event_timestamp'",
          "columns here: event_id, session_id, customer_id, event_time")


def test_aggregate_sum_over_a_string_column(project: Project) -> None:
    project.replace(SESSIONS, "sessions: {fn: count_distinct, column: session_id}",
                    "sessions: {fn: sum, column: session_id}")
    check(only_error(project), SESSIONS, project.line_of(SESSIONS, "sessions: {fn: sum"),
          ("steps", 4, "aggregate", "measures", "sessions"), "sum needs a numeric column; session_id is string(36)")


def test_join_column_collision(project: Project) -> None:
    rel = "catalog/datasets/order_lines_clean.yaml"
    project.replace(rel, "columns: [category]", "columns: [category, product_id]")
    check(only_error(project), rel, project.line_of(rel, "columns: [category"), ("steps", 3, "join", "columns", 1),
          "column 'product_id' already exists on the left side", "add a rename step before the join")


# --- schedules ------------------------------------------------------------------------------------


def test_cron_with_six_fields(project: Project) -> None:
    project.replace(CRM, 'cron: "0 1 * * *"', 'cron: "0 0 1 * * *"')
    check(only_error(project), CRM, project.line_of(CRM, "cron:"), ("schedule", "cron"),
          "cron '0 0 1 * * *': expected 5 fields", "Data Factory schedule triggers need a recurrence")


def test_cron_with_a_month(project: Project) -> None:
    project.replace(PIPELINES, 'cron: "0 3 * * 0"', 'cron: "0 3 * 6 0"')
    check(only_error(project), PIPELINES, project.line_of(PIPELINES, "0 3 * 6 0"),
          ("pipelines", "weekly_training", "schedule", "cron"), "month must be '*'")


# --- files and folders ----------------------------------------------------------------------------


def test_file_name_with_a_dash(project: Project) -> None:
    project.write("catalog/sources/my-crm.yaml", project.read(CRM))
    check(only_error(project), "catalog/sources/my-crm.yaml", 1, (),
          "file name 'my-crm.yaml' is not a valid object name", "lower-case letters, digits and underscores")


def test_same_object_in_yaml_and_yml(project: Project) -> None:
    project.write("catalog/sources/crm.yml", project.read(CRM))
    check(only_error(project), "catalog/sources/crm.yml", 1, (),
          "source 'crm' is also defined in catalog/sources/crm.yaml")


def test_unexpected_file_in_catalog(project: Project) -> None:
    project.write("catalog/notes.yaml", "a: 1\n")
    check(only_error(project), "catalog/notes.yaml", 1, (), "unexpected file in catalog/",
          "catalog files go in catalog/sources")


def test_unexpected_folder_in_catalog(project: Project) -> None:
    project.path("catalog/misc").mkdir()
    check(only_error(project), "catalog/misc", 1, (), "unexpected folder in catalog/",
          "known folders: sources, datasets, models, warehouse")


def test_missing_platform_file(project: Project) -> None:
    project.path(PLATFORM).unlink()
    check(only_error(project), PLATFORM, 1, (), "missing file", "catalog/platform.yaml")


def test_not_a_project_folder(tmp_path: Path) -> None:
    with pytest.raises(CatalogInvalid) as info:
        load_catalog(tmp_path)
    (error,) = info.value.errors
    assert (error.file, error.line, error.path) == (str(tmp_path), 0, ())
    assert error.message == "not a lakewharf project"
    assert "--project DIR" in error.hint


def test_catalog_folder_without_pipelines_is_not_a_project(project: Project) -> None:
    project.path(PIPELINES).unlink()
    with pytest.raises(CatalogInvalid) as info:
        project.load()
    assert [e.message for e in info.value.errors] == ["not a lakewharf project"]


# --- one mistake, one error -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("rel", "old", "new", "line_needle", "path", "message"),
    [
        # crm.customers feeds customers_clean and customer_contacts, and through them most of the catalog.
        (CRM, "kind: sqlserver", "kind: sqlservr", "kind:", ("kind",), "'sqlservr' is not one of"),
        (CRM, "      customer_id: {type: int,", "      customer_id: {type: integer,", "customer_id:",
         ("entities", "customers", "columns", "customer_id", "type"), "'integer' has the wrong form"),
        # products.products feeds products_clean, which order_lines_clean joins.
        ("catalog/sources/products.yaml", "kind: file_drop", "kind: filedrop", "kind:", ("kind",),
         "'filedrop' is not one of"),
        ("catalog/datasets/products_clean.yaml", "zone: development", "zone: [development]", "zone:", ("zone",),
         "expected text, found a list"),
        ("catalog/models/recommender.yaml", "task: recommendation", "task: recommend", "task:", ("task",),
         "'recommend' is not one of"),
    ],
)
def test_schema_error_in_a_used_file_is_the_only_error(project: Project, rel: str, old: str, new: str,
                                                       line_needle: str, path: tuple[str, ...],
                                                       message: str) -> None:
    project.replace(rel, old, new)
    check(only_error(project), rel, project.line_of(rel, line_needle), path, message)


def test_yaml_error_in_a_used_file_is_the_only_error(project: Project) -> None:
    project.replace(CRM, "kind: sqlserver", "kind: [sqlserver")
    error = only_error(project)
    assert error.file == CRM and error.message.startswith("YAML syntax error")


@pytest.mark.parametrize(
    ("rel", "old", "new", "column_path", "message"),
    [
        # a source column feeding datasets, joins and tables
        (CRM, "first_name: {type: string(100)", 'first_name: {type: "decimal(40,2)"',
         ("entities", "customers", "columns", "first_name", "type"), "decimal(40,2): need 1 <= p <= 38"),
        ("catalog/sources/products.yaml", "sku: {type: string(32)", "sku: {type: string(0)",
         ("entities", "products", "columns", "sku", "type"), "string(0): length must be between 1 and 8000"),
        # a declared column of a SQL preparation
        (INTERACTIONS, "affinity: {type: double", 'affinity: {type: "decimal(39,1)"',
         ("columns", "affinity", "type"), "decimal(39,1)"),
        # a warehouse column that is also the distribution column
        (FACT_SALES, "  customer_id: {type: int, nullable: false}", "  customer_id: {type: string(0), nullable: false}",
         ("columns", "customer_id", "type"), "string(0)"),
        # a cast step
        ("catalog/datasets/products_clean.yaml", 'cast: {list_price: "decimal(10,2)"}',
         'cast: {list_price: "decimal(10,20)"}', ("steps", 1, "cast", "list_price"), "decimal(10,20)"),
        # more digits than int() converts
        (CRM, "first_name: {type: string(100)", "first_name: {type: string(" + "9" * 5000 + ")",
         ("entities", "customers", "columns", "first_name", "type"), "length must be between 1 and 8000"),
    ],
)
def test_bad_type_is_the_only_error(project: Project, rel: str, old: str, new: str,
                                    column_path: tuple[str | int, ...], message: str) -> None:
    project.replace(rel, old, new)
    check(only_error(project), rel, project.line_of(rel, new), column_path, message)


@pytest.mark.parametrize("cron", ["² 1 * * *", "*/² 1 * * *", "0 1 * * ٣", "*/ 1 * * *"])
def test_cron_with_non_ascii_digits_or_empty_step(project: Project, cron: str) -> None:
    project.replace(CRM, 'cron: "0 1 * * *"', f'cron: "{cron}"')
    check(only_error(project), CRM, project.line_of(CRM, "cron:"), ("schedule", "cron"), f"cron {cron!r}: ")


# --- history ----------------------------------------------------------------------------------------


def test_retention_on_a_zone_holding_incremental_loads(project: Project) -> None:
    """Incremental loads land only what changed: deleting old landed files would lose those rows."""
    project.replace(PLATFORM, "    format: parquet\n    # No retention_days",
                    "    format: parquet\n    retention_days: 30\n    # No retention_days")
    check(only_error(project), PLATFORM, project.line_of(PLATFORM, "retention_days: 30"),
          ("zones", "landing", "retention_days"),
          "only copy of the incremental loads of clickstream.page_views, crm.customers, orders.orders",
          "load: {mode: full}")


def test_retention_is_fine_where_every_load_is_full(project: Project) -> None:
    project.replace(PLATFORM, "    format: parquet\n    # No retention_days",
                    "    format: parquet\n    retention_days: 30\n    # No retention_days")
    project.replace("catalog/sources/clickstream.yaml", "load: {mode: incremental, watermark: event_time}",
                    "load: {mode: full}")
    project.replace(CRM, "mode: incremental\n      watermark: updated_at", "mode: full")
    orders = "catalog/sources/orders.yaml"  # orders and order_lines
    project.write(orders, project.read(orders).replace("load: {mode: incremental, watermark: updated_at}",
                                                       "load: {mode: full}"))
    assert project.load().platform.zones["landing"].retention_days == 30
