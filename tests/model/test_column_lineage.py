"""Column lineage (model.column_lineage) on the sample: the paths the privacy rule was checked on."""

from __future__ import annotations

import pytest
from tests.conftest import Project

from lakewharf.model.catalog import Catalog
from lakewharf.model.column_lineage import ColumnEdge, column_lineage
from lakewharf.project import load_catalog


@pytest.fixture(scope="module")
def catalog(sample_root) -> Catalog:
    return load_catalog(sample_root)


def _up(catalog: Catalog, node: str, column: str) -> set[tuple[str, str, str]]:
    return {(e.upstream[0], e.upstream[1], e.treatment) for e in column_lineage(catalog).edges
            if e.downstream == (node, column)}


def test_steps_trace_hash_rename_derive_and_join(catalog: Catalog) -> None:
    assert _up(catalog, "dataset:customers_clean", "email") == {("entity:crm.customers", "email", "hash")}
    # A rename keeps the path; the hash of the step before it is still the upstream dataset's own.
    assert _up(catalog, "dataset:customers_trusted", "email_hash") == {
        ("dataset:customers_clean", "email", "renamed from email")}
    assert _up(catalog, "dataset:customers_clean", "birth_year") == {
        ("entity:crm.customers", "date_of_birth", "derived: YEAR(date_of_birth)")}
    assert _up(catalog, "dataset:order_lines_clean", "category") == {
        ("dataset:products_clean", "category", "left join with products_clean")}


def test_drops_are_recorded_where_they_happen(catalog: Catalog) -> None:
    dropped = {(d.upstream, d.how) for d in column_lineage(catalog).dropped if d.node == "dataset:customers_clean"}
    assert (("entity:crm.customers", "phone"), "mask: drop") in dropped
    # A renamed column is not dropped: it goes on under its new name.
    assert not [d for d in column_lineage(catalog).dropped
                if d.node == "dataset:customers_trusted" and d.upstream[1] == "email"]


def test_sql_preparations_use_the_traced_lineage(catalog: Catalog) -> None:
    ds = catalog.datasets["churn_training"]
    assert ds.sql is not None and ds.sql_sources
    up = _up(catalog, "dataset:churn_training", "revenue")
    assert up == {("dataset:order_totals", "order_amount", "")}


def test_tables_show_dynamic_data_masking(catalog: Catalog) -> None:
    assert _up(catalog, "table:dim_customer_contact", "email") == {
        ("dataset:customer_contacts", "email", "dynamic data masking email()")}


def test_every_column_of_every_table_has_an_upstream(catalog: Catalog) -> None:
    edges = column_lineage(catalog).edges
    have = {e.downstream for e in edges}
    missing = [(t.name, tc.name) for t in catalog.tables.values() for tc in t.columns
               if (f"table:{t.name}", tc.name) not in have]
    assert missing == []
    assert all(isinstance(e, ColumnEdge) for e in edges)


def test_a_hash_instead_of_a_drop_moves_the_drop_to_the_aggregate(project: Project) -> None:
    ip = ("entity:clickstream.page_views", "ip_address")
    before = {d.how for d in column_lineage(project.load()).dropped if d.upstream == ip}
    project.replace("catalog/datasets/sessions_daily.yaml", "  - mask: {ip_address: drop}",
                    "  - mask: {ip_address: hash}")
    after = {d.how for d in column_lineage(project.load()).dropped if d.upstream == ip}
    assert (before, after) == ({"mask: drop"}, {"aggregate"})  # the hashed column goes on to the group-by
