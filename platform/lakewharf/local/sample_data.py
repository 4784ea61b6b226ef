"""Synthetic data for the sample's source systems: a retailer's CRM, orders, product file drops
and web clickstream — realistic volumes, real signal for the models, and deliberately dirty rows.

Behaviour is simulated, not random noise: each customer has a latent activity level and a churn
date; orders and page views follow them, so churn, segments and recommendations have something to
learn. Dirt matches what the catalog's preparations handle: newer duplicates of CRM rows, missing
values, test orders, outlier quantities and prices, products with unparseable prices, anonymous
page views. Everything is seeded, so two runs produce the same data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

HISTORY_START = dt.date(2025, 1, 1)
HISTORY_DAYS = 365
CATEGORIES = ("shoes", "shirts", "trousers", "jackets", "bags", "hats", "socks", "belts")
BRANDS = ("Alder", "Birch", "Cedar", "Dogwood", "Elm")
COUNTRIES = ("FR", "DE", "NL", "BE", "ES", "IT", "GB")
CITIES = ("Lyon", "Berlin", "Utrecht", "Gent", "Madrid", "Milano", "Leeds")
TIERS = ("none", "silver", "gold", "platinum")


@dataclass(frozen=True)
class Volumes:
    customers: int = 2_000
    products: int = 300
    orders: int = 16_000
    page_views: int = 60_000

    def scaled(self, factor: float) -> Volumes:
        def n(x: int) -> int:
            return max(20, int(x * factor))

        return Volumes(n(self.customers), n(self.products), n(self.orders), n(self.page_views))


@dataclass(frozen=True)
class SampleData:
    tables: dict[str, pa.Table]  # "crm.customers", "orders.orders", "orders.order_lines", …
    product_csv: bytes
    page_view_days: dict[str, bytes]  # "yyyy/MM/dd" → JSON lines


def _ts(day: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    base = np.datetime64(HISTORY_START, "s")
    return base + day.astype("timedelta64[D]").astype("timedelta64[s]") + seconds.astype("timedelta64[s]")


def generate(volumes: Volumes = Volumes(), seed: int = 20260101) -> SampleData:
    rng = np.random.default_rng(seed)
    n = volumes.customers
    ids = np.arange(1, n + 1)
    signup = rng.integers(0, HISTORY_DAYS // 2, n)
    activity = rng.gamma(2.0, 1.0, n)  # orders per month, roughly
    churn_day = np.where(rng.random(n) < 0.3, rng.integers(HISTORY_DAYS // 3, HISTORY_DAYS - 95, n), HISTORY_DAYS + 1)
    taste = rng.integers(0, len(CATEGORIES), n)  # favourite category: signal for recommendations

    country_idx = rng.integers(0, len(COUNTRIES), n)
    customers = {
        "customer_id": ids,
        "first_name": [f"Name{i}" for i in ids],
        "last_name": [f"Surname{i}" for i in ids],
        "email": [f"customer{i}@example.com" for i in ids],
        "phone": [f"+33 6 {i:08d}" for i in ids],
        "date_of_birth": [HISTORY_START - dt.timedelta(days=int(d)) for d in rng.integers(18 * 365, 75 * 365, n)],
        "city": [CITIES[i] for i in country_idx],
        "country": [None if r < 0.02 else COUNTRIES[i] for r, i in zip(rng.random(n), country_idx, strict=True)],
        "signup_date": [
            None if r < 0.01 else HISTORY_START + dt.timedelta(days=int(d))
            for r, d in zip(rng.random(n), signup, strict=True)
        ],
        "loyalty_tier": [
            None if r < 0.05 else TIERS[min(3, int(a))] for r, a in zip(rng.random(n), activity, strict=True)
        ],
        "marketing_opt_in": rng.random(n) < 0.6,
        "updated_at": _ts(signup, rng.integers(0, 86_400, n)),
    }
    crm = pa.table(customers)
    # Newer duplicates: the CRM updated 3% of customers (a new city); dedupe must keep the latest.
    dup = rng.choice(n, size=max(1, n * 3 // 100), replace=False)
    changed = crm.take(pa.array(dup)).to_pydict()
    changed["city"] = [CITIES[(CITIES.index(c) + 1) % len(CITIES)] for c in changed["city"]]
    changed["updated_at"] = [t + dt.timedelta(days=30) for t in changed["updated_at"]]
    crm = pa.concat_tables([crm, pa.table(changed, schema=crm.schema)])

    p = volumes.products
    product_ids = np.arange(1, p + 1)
    product_cat = rng.integers(0, len(CATEGORIES), p)
    price = np.round(rng.lognormal(3.3, 0.5, p), 2)

    # Orders: customers order while active (before churn), at a rate set by their activity level.
    weights = activity / activity.sum()
    owner = rng.choice(n, size=volumes.orders, p=weights)
    start = signup[owner]
    end = np.minimum(churn_day[owner], HISTORY_DAYS - 1)
    order_day = start + (rng.random(volumes.orders) * np.maximum(end - start, 1)).astype(int)
    order_ids = np.arange(100_001, 100_001 + volumes.orders)
    status = rng.choice(["shipped", "placed", "returned", "cancelled"], volumes.orders, p=[0.8, 0.1, 0.06, 0.04])
    status[rng.random(volumes.orders) < 0.01] = "test"
    channel = rng.choice(["web", "app", "store"], volumes.orders, p=[0.6, 0.3, 0.1]).astype(object)
    channel[rng.random(volumes.orders) < 0.02] = None
    orders = pa.table(
        {
            "order_id": order_ids,
            "customer_id": ids[owner],
            "order_date": [HISTORY_START + dt.timedelta(days=int(d)) for d in order_day],
            "status": status,
            "channel": channel,
            "updated_at": _ts(order_day, rng.integers(0, 86_400, volumes.orders)),
        }
    )

    lines_per_order = rng.integers(1, 4, volumes.orders)
    line_order = np.repeat(np.arange(volumes.orders), lines_per_order)
    line_no = np.concatenate([np.arange(1, k + 1) for k in lines_per_order])
    favourite = rng.random(len(line_order)) < 0.7  # 70% of items come from the customer's favourite category
    cat = np.where(favourite, taste[owner[line_order]], rng.integers(0, len(CATEGORIES), len(line_order)))
    by_cat = [product_ids[product_cat == c] for c in range(len(CATEGORIES))]
    product = np.array([rng.choice(by_cat[c]) if len(by_cat[c]) else 1 for c in cat])
    quantity = rng.integers(1, 4, len(line_order))
    outlier = rng.random(len(line_order)) < 0.003
    quantity[outlier] = 9999  # a scanner glitch the outlier filter rejects
    unit_price = price[product - 1].copy()
    unit_price[rng.random(len(line_order)) < 0.002] *= 1000  # a decimal-point slip
    discount = np.where(rng.random(len(line_order)) < 0.3, np.nan, rng.choice([0, 5, 10, 20], len(line_order)))
    order_lines = pa.table(
        {
            "order_id": order_ids[line_order],
            "line_no": line_no,
            "product_id": product,
            "quantity": quantity,
            "unit_price": pa.array(np.round(unit_price, 2)).cast(pa.decimal128(10, 2)),
            "discount": pa.array([None if np.isnan(d) else float(d) for d in discount]).cast(pa.decimal128(5, 2)),
            "updated_at": orders["updated_at"].take(pa.array(line_order)),
        }
    )

    return SampleData(
        tables={"crm.customers": crm, "orders.orders": orders, "orders.order_lines": order_lines},
        product_csv=_products_csv(rng, product_ids, product_cat, price),
        page_view_days=_page_views(rng, volumes.page_views, ids, signup, churn_day, taste, product_ids, product_cat),
    )


def _products_csv(rng: np.random.Generator, ids: np.ndarray, cat: np.ndarray, price: np.ndarray) -> bytes:
    rows = ["product_id,sku,name,category,brand,list_price,active"]
    for pid, c, pr in zip(ids, cat, price, strict=True):
        category = "" if rng.random() < 0.02 else CATEGORIES[c]
        listed = "n/a" if pid % 50 == 7 else f"{pr:.2f}"  # a bad type the copy must reject (2%)
        active = "" if rng.random() < 0.05 else ("true" if rng.random() < 0.9 else "false")
        rows.append(
            f'{pid},SKU-{pid:05d},"{CATEGORIES[c].title()} model {pid}",{category},'
            f"{BRANDS[pid % len(BRANDS)]},{listed},{active}"
        )
    return ("\n".join(rows) + "\n").encode("utf-8")


def _page_views(
    rng: np.random.Generator,
    count: int,
    ids: np.ndarray,
    signup: np.ndarray,
    churn: np.ndarray,
    taste: np.ndarray,
    product_ids: np.ndarray,
    product_cat: np.ndarray,
) -> dict[str, bytes]:
    import json

    who = rng.integers(0, len(ids), count)
    start, end = signup[who], np.minimum(churn[who] + 20, HISTORY_DAYS - 1)
    day = start + (rng.random(count) * np.maximum(end - start, 1)).astype(int)
    anonymous = rng.random(count) < 0.25
    page = rng.choice(["home", "search", "product", "cart", "checkout"], count, p=[0.2, 0.2, 0.45, 0.1, 0.05])
    by_cat = [product_ids[product_cat == c] for c in range(int(product_cat.max()) + 1)]
    days: dict[str, list[str]] = {}
    seconds = rng.integers(0, 86_400, count)
    for i in range(count):
        product: Any = None
        if page[i] == "product":
            pool = by_cat[taste[who[i]]] if rng.random() < 0.6 and len(by_cat[taste[who[i]]]) else product_ids
            product = int(rng.choice(pool))
        when = dt.datetime.combine(HISTORY_START, dt.time()) + dt.timedelta(days=int(day[i]), seconds=int(seconds[i]))
        event = {
            "event_id": f"{i:08x}-0000-4000-8000-{i:012x}",
            "session_id": f"s{who[i]}-{day[i]}",
            "customer_id": None if anonymous[i] else int(ids[who[i]]),
            "event_time": when.isoformat() + "Z",
            "page_type": str(page[i]),
            "product_id": product,
            "ip_address": f"10.{i % 250}.{i % 200}.{i % 7 + 1}",
            "user_agent": "Mozilla/5.0",
        }
        days.setdefault(when.strftime("%Y/%m/%d"), []).append(json.dumps(event, separators=(",", ":")))
    return {d: ("\n".join(lines) + "\n").encode("utf-8") for d, lines in sorted(days.items())}
