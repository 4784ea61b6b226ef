"""Volumes: rows a load from the schedules, rows held under retention, the located catalog checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import Project

from lakewharf.cost.volumes import DAYS_PER_MONTH, entity_volumes, runs_per_month
from lakewharf.project import load_catalog


def test_the_sample_volumes_become_rows_per_load(sample_root: Path) -> None:
    catalog = load_catalog(sample_root)
    v = entity_volumes(catalog)
    clicks = v["clickstream.page_views"]  # 3 M a day, landed by an hourly tumbling window
    assert clicks.loads_per_day == pytest.approx(24)
    assert clicks.rows_per_load(1) == pytest.approx(3_000_000 / 24)
    assert clicks.rows_per_load(2) == pytest.approx(3_000_000 * 1.04 / 24)
    products = v["products.products"]  # full load: every load copies the whole catalogue
    assert products.rows_per_load(1) == 60_000 and products.source_rows(1) == 60_000
    orders = v["orders.orders"]
    assert orders.source_rows(1) == pytest.approx(15_000_000 + 40_000 * DAYS_PER_MONTH)
    assert runs_per_month(catalog.pipelines["weekly_training"]) == pytest.approx(DAYS_PER_MONTH / 7)


def test_landing_keeps_the_retained_loads_and_the_initial_rows_until_they_expire(sample_root: Path) -> None:
    orders = entity_volumes(load_catalog(sample_root))["orders.orders"]
    assert orders.landed_rows(1, 60) == pytest.approx(15_000_000 + 40_000 * DAYS_PER_MONTH)
    assert orders.landed_rows(3, 60) == pytest.approx(40_000 * 1.03**2 * 60)
    assert orders.landed_rows(2, None) == pytest.approx(15_000_000 + 40_000 * DAYS_PER_MONTH * (1 + 1.03))


@pytest.mark.parametrize("volume, message", [
    ({"rows_per_day": 1, "rows_per_load": 2}, "either rows_per_day or rows_per_load"),
    ({"initial_rows": 5}, "needs rows_per_day or rows_per_load"),
])
def test_a_volume_without_exactly_one_rate_is_a_located_error(project: Project, volume: dict, message: str) -> None:
    def change(data: dict) -> None:
        data["entities"]["orders"]["volume"] = volume
    project.modify("catalog/sources/orders.yaml", change)
    errors = project.errors()
    assert len(errors) == 1 and message in errors[0].message
    assert errors[0].file == "catalog/sources/orders.yaml" and errors[0].line > 0
    assert errors[0].path == ("entities", "orders", "volume")


@pytest.mark.parametrize("volume, field", [({"rows_per_day": -1}, "rows_per_day"),
                                           ({"rows_per_day": 1, "growth": 0.1}, "growth")])
def test_a_malformed_volume_is_refused_by_the_schema(project: Project, volume: dict, field: str) -> None:
    def change(data: dict) -> None:
        data["entities"]["orders"]["volume"] = volume
    project.modify("catalog/sources/orders.yaml", change)
    errors = project.errors()
    assert len(errors) == 1 and errors[0].file == "catalog/sources/orders.yaml" and field in str(errors[0])
