"""The estimate follows the catalog: doubling a source's volume doubles its storage and copy figures."""

from __future__ import annotations

import pytest
from tests.conftest import Project
from tests.cost.conftest import estimate, quantity

from lakewharf.cost.estimate import Assumptions

ENTITY = "orders.order_lines"
LANDED = ("Lake storage", f"zone:landing {ENTITY}", "hot storage")
COPY = ("Data Factory", f"ingest:{ENTITY}", "copy DIU-hours")


def _set_volume(project: Project, rows_per_day: int) -> None:
    def change(data: dict) -> None:
        data["entities"]["order_lines"]["volume"] = {"initial_rows": 0, "rows_per_day": rows_per_day}
    project.modify("catalog/sources/orders.yaml", change)


def test_doubling_a_source_volume_doubles_its_storage_and_copy(project: Project) -> None:
    _set_volume(project, 200_000_000)  # large enough that a copy lasts many minutes (billed in whole minutes)
    before = estimate(project.root, month=2)
    _set_volume(project, 400_000_000)
    after = estimate(project.root, month=2)
    assert quantity(after, *LANDED) == pytest.approx(2 * quantity(before, *LANDED), rel=1e-9)
    assert quantity(after, *COPY) == pytest.approx(2 * quantity(before, *COPY), rel=0.05)
    # the datasets prepared from it hold twice the rows too, and serverless SQL reads twice the bytes
    assert quantity(after, "Lake storage", "zone:development order_lines_clean", "hot storage") == pytest.approx(
        2 * quantity(before, "Lake storage", "zone:development order_lines_clean", "hot storage"), rel=1e-9)
    assert after.by_service()["Synapse serverless"] > before.by_service()["Synapse serverless"]
    # what does not depend on that source stays put
    other = ("Lake storage", "zone:landing crm.customers", "hot storage")
    assert quantity(after, *other) == quantity(before, *other)


def test_storage_grows_until_retention_then_with_growth_only(project: Project) -> None:
    """Full loads: every load lands a snapshot, kept for the zone's retention (a zone holding
    incremental loads cannot have one: `wharf validate` refuses it, they are the only history)."""
    def change(data: dict) -> None:
        data["entities"]["order_lines"]["load"] = {"mode": "full"}
        data["entities"]["order_lines"]["volume"] = {"rows_per_day": 1_000_000, "growth_per_month": 0.0}
    project.modify("catalog/sources/orders.yaml", change)
    months = [quantity(estimate(project.root, month=m), *LANDED) for m in (1, 2, 3)]
    assert months[0] < months[1] < months[2]  # no retention: every load stays

    def retain(days: int) -> None:
        def change(data: dict) -> None:
            data["zones"]["landing"]["retention_days"] = days
        project.modify("catalog/platform.yaml", change)

    for source in ("clickstream", "crm", "orders"):  # every load in landing full: a retention is allowed
        def full(data: dict) -> None:
            for entity in data["entities"].values():
                entity["load"] = {"mode": "full"}
        project.modify(f"catalog/sources/{source}.yaml", full)
    retain(30)
    months = [quantity(estimate(project.root, month=m), *LANDED) for m in (1, 2, 3)]
    assert months[0] == months[1] == months[2]  # landing keeps 30 days: full from month 1 (30.4 days)
    retain(90)
    months = [quantity(estimate(project.root, month=m), *LANDED) for m in (1, 2, 3, 4)]
    assert months[0] < months[1] < months[2] == months[3]


def test_the_pool_costs_its_sku_hours_and_a_pause_schedule_shortens_them(project: Project) -> None:
    full = estimate(project.root)
    line = next(x for x in full.lines if x.service == "Synapse dedicated pool" and x.meter.startswith("compute"))
    assert line.quantity == pytest.approx(730)  # DW100c: one block of 100 DWU, 730 h
    assert line.cost == pytest.approx(730 * 1.51)
    paused = estimate(project.root, assumptions=Assumptions(pool_hours_per_day=12))
    assert quantity(paused, "Synapse dedicated pool", "stack:dev", "compute DW100c") == pytest.approx(365)
    project.replace("Pulumi.dev.yaml", "lakewharf:sqlPoolSku: DW100c", "lakewharf:sqlPoolSku: DW500c")
    assert quantity(estimate(project.root), "Synapse dedicated pool", "stack:dev", "compute DW500c") == \
        pytest.approx(5 * 730)


def test_every_line_says_its_formula_and_basis(project: Project) -> None:
    e = estimate(project.root)
    assert e.lines and all(line.formula and line.basis in ("measured", "estimated", "assumed") for line in e.lines)
    services = set(e.by_service())
    assert {"Lake storage", "Data Factory", "Synapse dedicated pool", "Synapse serverless", "Azure ML",
            "Key Vault", "Log Analytics"} <= services


def test_an_entity_without_volume_is_priced_on_the_stated_default(project: Project) -> None:
    def change(data: dict) -> None:
        del data["entities"]["customers"]["volume"]
    project.modify("catalog/sources/crm.yaml", change)
    e = estimate(project.root)
    line = next(x for x in e.lines if x.element == "ingest:crm.customers")
    assert line.basis == "assumed"
