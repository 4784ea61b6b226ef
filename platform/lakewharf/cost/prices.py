"""The price table: a dated YAML file per region shipped with lakewharf, or the user's own.

Prices are data, not code, so a team can swap in its enterprise-agreement rates without touching
lakewharf (``wharf cost --prices FILE``). Each entry keeps where its figure came from; an entry
whose source starts with "assumed" is reported as an assumption next to every line it prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lakewharf.errors import WharfError

PRICES_DIR = Path(__file__).parent / "prices"


class PriceError(WharfError, ValueError):
    """A price file that cannot be used: missing, malformed, or without a price an estimate needs."""


@dataclass(frozen=True)
class Price:
    key: str
    price: float
    unit: str
    source: str

    @property
    def assumed(self) -> bool:
        return self.source.startswith("assumed")


@dataclass(frozen=True)
class PriceTable:
    region: str
    currency: str
    retrieved: str
    path: str  # where it was read from, for the report
    prices: dict[str, Price]

    def get(self, key: str) -> Price:
        try:
            return self.prices[key]
        except KeyError:
            raise PriceError(f"{self.path}: no price {key!r} (the estimate needs it; see the shipped "
                             f"{PRICES_DIR.name}/westeurope.yaml for every key)") from None

    def vm(self, size: str) -> Price:
        if f"vm.{size}" not in self.prices:
            known = sorted(k.removeprefix("vm.") for k in self.prices if k.startswith("vm."))
            raise PriceError(f"{self.path}: no price for Azure ML VM size {size!r} (priced: {', '.join(known)}); "
                             f"add 'vm.{size}' to your own price file and pass it with --prices")
        return self.prices[f"vm.{size}"]


def shipped_regions() -> list[str]:
    return sorted(p.stem for p in PRICES_DIR.glob("*.yaml"))


def load_prices(region: str, override: Path | None = None) -> PriceTable:
    """The user's file when given, else the shipped table for ``region``."""
    if override is not None:
        return _read(override, str(override))
    path = PRICES_DIR / f"{region}.yaml"
    if not path.is_file():
        raise PriceError(f"no shipped price table for region {region!r} (shipped: {', '.join(shipped_regions())}); "
                         "copy one, change its prices and pass it with --prices FILE")
    return _read(path, f"lakewharf/cost/prices/{path.name}")


def _read(path: Path, label: str) -> PriceTable:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PriceError(f"{label}: cannot read the price file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise PriceError(f"{label}: not YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict) or not isinstance(data.get("prices"), dict):
        raise PriceError(f"{label}: expected a map with 'region', 'currency', 'retrieved' and 'prices'")
    missing = [k for k in ("region", "currency", "retrieved") if not data.get(k)]
    if missing:
        raise PriceError(f"{label}: missing {', '.join(missing)} (a price table says where and when its prices hold)")
    prices = {str(k): _price(label, str(k), v) for k, v in data["prices"].items()}
    return PriceTable(str(data["region"]), str(data["currency"]), str(data["retrieved"]), label, prices)


def _price(label: str, key: str, value: Any) -> Price:
    if not isinstance(value, dict) or not isinstance(value.get("price"), (int, float)) or value["price"] < 0:
        raise PriceError(f"{label}: prices.{key}: expected {{price: <number ≥ 0>, unit: …, source: …}}")
    if not value.get("source"):
        raise PriceError(f"{label}: prices.{key}: say where the price comes from ('source'), or 'assumed: …'")
    return Price(key, float(value["price"]), str(value.get("unit", "")), str(value["source"]))
