"""Data tests in the catalog: the sample's parse into DataTest objects, and each mistake in a
``tests:`` entry is one located error (file:line:col, JSON path, message, hint)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.catalog.test_checks import check, only_error

if TYPE_CHECKING:
    from conftest import Project

FACT = "catalog/warehouse/fact_sales.yaml"
DIM = "catalog/warehouse/dim_customer.yaml"


def test_sample_tests_are_parsed(project: Project) -> None:
    catalog = project.load()
    fact = {t.name: t for t in catalog.tables["fact_sales"].tests}
    rel = fact["relationships_customer_id_to_dim_customer"]
    assert (rel.kind, rel.column, rel.to_owner, rel.to_column, rel.severity) == (
        "relationships", "customer_id", "dim_customer", "customer_id", "error")
    assert fact["sales_on_unknown_customer"].severity == "warn"
    assert fact["row_count"].max_change_percent == 50 and fact["row_count"].min_rows == 1
    assert fact["freshness_order_date"].max_age_hours == 48
    assert catalog.tables["dim_customer"].unknown_member
    assert not catalog.tables["fact_sales"].unknown_member


def test_unknown_column(project: Project) -> None:
    project.replace(FACT, "  - unique: [order_id, line_no]", "  - unique: [order_id, line_nr]")
    check(only_error(project), FACT, project.line_of(FACT, "line_nr"), ("tests", 0, "unique", 1),
          "'line_nr' is not a column of fact_sales", "columns: order_id, line_no")


def test_relationship_to_a_missing_table(project: Project) -> None:
    project.replace(FACT, "to: dim_customer.customer_id", "to: dim_customers.customer_id")
    check(only_error(project), FACT, project.line_of(FACT, "dim_customers"), ("tests", 2, "relationships", "to"),
          "no table named 'dim_customers'", "dim_customer")


def test_relationship_to_a_missing_column(project: Project) -> None:
    project.replace(FACT, "to: dim_customer.customer_id", "to: dim_customer.customer_key")
    check(only_error(project), FACT, project.line_of(FACT, "customer_key"), ("tests", 2, "relationships", "to"),
          "'customer_key' is not a column of dim_customer", "email_hash")


def test_relationship_between_incomparable_types(project: Project) -> None:
    project.replace(FACT, "{column: customer_id, to: dim_customer.customer_id}",
                    "{column: status, to: dim_customer.customer_id}")
    check(only_error(project), FACT, project.line_of(FACT, "column: status, to"), ("tests", 2, "relationships", "to"),
          "status (string(20)) cannot be compared with dim_customer.customer_id (int)")


def test_accepted_values_of_the_wrong_type(project: Project) -> None:
    project.replace(DIM, "values: [none, silver, gold, platinum]", "values: [none, silver, 3, platinum]")
    check(only_error(project), DIM, project.line_of(DIM, "values:"), ("tests", 2, "accepted_values", "values", 2),
          "3 is not a string(20) value: give it as a quoted string", "loyalty_tier is string(20)")


def test_accepted_values_longer_than_the_column(project: Project) -> None:
    project.replace(FACT, "values: [placed, shipped,", "values: [placed_and_waiting_for_payment, shipped,")
    error = only_error(project)
    assert error.path == ("tests", 5, "accepted_values", "values", 0) and "longer than 20" in error.message


def test_freshness_needs_a_date_or_timestamp(project: Project) -> None:
    project.replace(FACT, "freshness: {column: order_date,", "freshness: {column: quantity,")
    check(only_error(project), FACT, project.line_of(FACT, "freshness:"), ("tests", 7, "freshness", "column"),
          "freshness needs a date or timestamp column; quantity is int")


def test_row_count_min_above_max(project: Project) -> None:
    project.replace(FACT, "row_count: {min: 1, max_change_percent: 50}", "row_count: {min: 10, max: 5}")
    check(only_error(project), FACT, project.line_of(FACT, "row_count:"), ("tests", 6, "row_count"),
          "min 10 is above max 5")


def test_custom_sql_needs_a_name(project: Project) -> None:
    project.replace(FACT, "  - name: sales_on_unknown_customer\n    description:", "  - description:")
    check(only_error(project), FACT, project.line_of(FACT, "  - description: sales whose"), ("tests", 4),
          "a custom sql test needs a 'name'")


def test_custom_sql_is_one_select(project: Project) -> None:
    project.replace(FACT, "WHERE customer_id = -1", "WHERE customer_id = -1; DELETE FROM mart.fact_sales")
    check(only_error(project), FACT, project.line_of(FACT, "DELETE FROM"), ("tests", 4, "sql"),
          "one SELECT returning the failing rows")


def test_two_tests_with_one_name(project: Project) -> None:
    line = "  - not_null: [customer_id, product_id, order_date]"
    project.replace(FACT, line, f"{line}\n{line}")
    second = [i for i, line in enumerate(project.read(FACT).splitlines(), 1) if "  - not_null:" in line][1]
    check(only_error(project), FACT, second, ("tests", 2),
          "a second test named 'not_null_customer_id_product_id_order_date'", "give one of them a 'name'")


def test_unknown_kind_or_severity_is_a_schema_error(project: Project) -> None:
    project.replace(FACT, "    severity: warn  # the sample's", "    severity: fatal  # the sample's")
    error = only_error(project)
    assert error.file == FACT and error.path[:2] == ("tests", 7), str(error)


def test_unknown_member_only_on_a_dimension_with_an_integer_merge_key(project: Project) -> None:
    project.replace(FACT, "load: {mode: merge, keys: [order_id, line_no]}",
                    "load: {mode: merge, keys: [order_id, line_no]}\nunknown_member: true")
    check(only_error(project), FACT, project.line_of(FACT, "unknown_member"), ("unknown_member",),
          "unknown_member is for dimensions", "fact_sales is a fact table")


def test_a_misplaced_severity_is_named_in_its_test(project: Project) -> None:
    """The kind names the alternative meant, so the error is the unknown field, not another kind."""
    project.replace(FACT, "  - freshness: {column: order_date, max_age_hours: 48}\n    severity: warn",
                    "  - freshness: {column: order_date, max_age_hours: 48, severity: warn}")
    check(only_error(project), FACT, project.line_of(FACT, "freshness:"), ("tests", 7, "freshness", "severity"),
          "unknown field 'severity'", "allowed: column, max_age_hours")


def test_a_column_whose_type_fails_is_reported_once(project: Project) -> None:
    project.replace(FACT, "  customer_id: {type: int, nullable: false}",
                    "  customer_id: {type: integer, nullable: false}")
    error = only_error(project)
    assert error.path == ("columns", "customer_id", "type"), str(error)


# --- tests on datasets (run on the serverless pool after the CETAS) ----------------------------------

SALES = "catalog/datasets/sales_trusted.yaml"


def test_sample_dataset_tests_are_parsed(project: Project) -> None:
    catalog = project.load()
    sales = {t.name: t for t in catalog.datasets["sales_trusted"].tests}
    rel = sales["relationships_product_id_to_products_trusted"]
    assert (rel.owner, rel.to_owner, rel.to_column, rel.severity) == (
        "sales_trusted", "products_trusted", "product_id", "warn")
    assert sales["unique_order_id_line_no"].columns == ("order_id", "line_no")
    assert not catalog.datasets["orders_clean"].tests


def test_dataset_test_on_an_unknown_column(project: Project) -> None:
    project.replace(SALES, "  - unique: [order_id, line_no]", "  - unique: [order_id, line_nr]")
    check(only_error(project), SALES, project.line_of(SALES, "line_nr"), ("tests", 0, "unique", 1),
          "'line_nr' is not a column of sales_trusted", "columns: order_id, line_no")


def test_dataset_relationship_points_at_a_dataset(project: Project) -> None:
    # The serverless pool cannot read the dedicated pool's tables: a warehouse table is refused.
    project.replace(SALES, "to: products_trusted.product_id", "to: dim_product.product_id")
    check(only_error(project), SALES, project.line_of(SALES, "to: dim_product"),
          ("tests", 1, "relationships", "to"), "no dataset named 'dim_product'", "products_trusted")


def test_dataset_relationship_to_a_missing_column(project: Project) -> None:
    project.replace(SALES, "to: products_trusted.product_id", "to: products_trusted.product_key")
    check(only_error(project), SALES, project.line_of(SALES, "product_key"), ("tests", 1, "relationships", "to"),
          "'product_key' is not a column of products_trusted", "product_id")


def test_dataset_freshness_needs_a_date(project: Project) -> None:
    project.replace(SALES, "  - unique: [order_id, line_no]",
                    "  - unique: [order_id, line_no]\n  - freshness: {column: channel, max_age_hours: 24}")
    check(only_error(project), SALES, project.line_of(SALES, "freshness"), ("tests", 1, "freshness", "column"),
          "freshness needs a date or timestamp column; channel is string(20)")


def test_tests_on_a_dataset_whose_steps_failed_stay_quiet(project: Project) -> None:
    # A preparation that does not build reports its own error, not one per test.
    project.replace(SALES, "FROM order_lines_clean AS l", "FROM order_lines_cleaned AS l")
    errors = project.errors()
    assert errors and not any("tests" in e.path for e in errors), errors


def test_a_dataset_relationship_orders_its_step_after_the_other_dataset(project: Project) -> None:
    # Otherwise the audit could read products_trusted while its own step rewrites it.
    project.replace("pipelines.yaml", "after: [orders, order_lines, products_trusted]", "after: [orders, order_lines]")
    check(only_error(project), "pipelines.yaml", project.line_of("pipelines.yaml", "sales_trusted: {prepare"),
          ("pipelines", "nightly", "steps", "sales_trusted"),
          "step sales_trusted reads products_trusted, which step products_trusted writes, but does not run after it",
          "add products_trusted to its after: list")
