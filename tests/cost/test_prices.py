"""The price table: shipped and dated, replaceable by the user's own file, refused when unusable."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lakewharf.cost.prices import PRICES_DIR, PriceError, load_prices


def test_the_shipped_table_names_its_region_date_and_a_source_per_price() -> None:
    table = load_prices("westeurope")
    assert table.region == "westeurope" and table.currency == "USD" and table.retrieved
    assert all(p.source for p in table.prices.values())
    assert table.get("adf.activity_run").price == 0.001
    assert table.vm("Standard_DS3_v2").assumed


def test_a_users_file_overrides_the_shipped_one(tmp_path: Path) -> None:
    data = yaml.safe_load((PRICES_DIR / "westeurope.yaml").read_text())
    data["prices"]["synapse.dwu100_hour"] = {"price": 1.0, "unit": "100 DWU-hour", "source": "our EA, 2026-11"}
    mine = tmp_path / "ea.yaml"
    mine.write_text(yaml.safe_dump(data))
    assert load_prices("westeurope", mine).get("synapse.dwu100_hour").price == 1.0


@pytest.mark.parametrize("text, message", [
    ("prices: {}\n", "missing region"),
    ("region: x\ncurrency: EUR\nretrieved: '2026'\nprices: {a: {price: -1, source: s}}\n", "prices.a"),
    ("region: x\ncurrency: EUR\nretrieved: '2026'\nprices: {a: {price: 1}}\n", "where the price comes from"),
    (": : :\n", "not YAML"),
])
def test_an_unusable_price_file_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text(text)
    with pytest.raises(PriceError, match=message):
        load_prices("westeurope", bad)


def test_an_unknown_region_or_vm_size_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(PriceError, match="--prices"):
        load_prices("mars-north")
    with pytest.raises(PriceError, match=r"vm\.Standard_Z9"):
        load_prices("westeurope").vm("Standard_Z9")
