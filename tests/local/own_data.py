"""A team's own data for the hardware-chain project in tests/local/own_project: a SQLite
database of the stores' operations and a folder of item CSV drops, made deterministically."""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
LOCAL_YAML = """sources:
  ops: {database: "sqlite:///data/ops.sqlite"}
  store_files: {folder: data/drops}
"""


def make_project(target: Path, customers: int = 300, tickets: int = 1500, items: int = 80) -> Path:
    """The project (catalog, pipelines, the repository's templates) and its data under data/."""
    shutil.copytree(HERE / "own_project", target)
    shutil.copytree(REPO / "templates", target / "templates")
    (target / "local.yaml").write_text(LOCAL_YAML, encoding="utf-8")
    rng = random.Random(7)
    data = target / "data"
    (data / "drops" / "items").mkdir(parents=True)
    db = sqlite3.connect(data / "ops.sqlite")
    # SQLite has no schemas: the catalog's dbo.customer is found as customer.
    db.execute("CREATE TABLE customer (c_customer_sk INTEGER PRIMARY KEY, c_first_name TEXT, c_email TEXT, "
               "c_birth_year INTEGER, c_city TEXT, updated_at TEXT)")
    db.execute("CREATE TABLE store_sales (ss_ticket INTEGER, ss_line INTEGER, ss_customer_sk INTEGER, "
               "ss_item_sk INTEGER, ss_quantity INTEGER, ss_net_paid NUMERIC, ss_sold_at TEXT, "
               "PRIMARY KEY (ss_ticket, ss_line))")
    cities = ["Jackson", "Franklin", "Salem", "Fairview", "Madison"]
    db.executemany("INSERT INTO customer VALUES (?, ?, ?, ?, ?, ?)", [
        (i, f"First{i}", f"c{i}@example.org", rng.randint(1940, 2005), rng.choice(cities),
         f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} 10:00:00")
        for i in range(1, customers + 1)])
    lines = []
    for ticket in range(1, tickets + 1):
        for line in range(1, rng.randint(1, 4) + 1):
            quantity = rng.choice([1, 1, 2, 3, 5, 0, -1]) if rng.random() < 0.1 else rng.randint(1, 6)
            cents = rng.randint(99, 25_000)
            lines.append((ticket, line, rng.randint(1, customers), rng.randint(1, items), quantity,
                          f"{cents // 100}.{cents % 100:02d}", f"2025-{rng.randint(1, 12):02d}-"
                          f"{rng.randint(1, 28):02d} {rng.randint(8, 20):02d}:{rng.randint(0, 59):02d}:00"))
    db.executemany("INSERT INTO store_sales VALUES (?, ?, ?, ?, ?, ?, ?)", lines)
    db.commit()
    db.close()
    rows = ["i_item_sk,i_name,i_category,i_price"]
    for i in range(1, items + 1):
        price = "n/a" if i % 40 == 0 else f"{rng.randint(1, 900)}.{rng.randint(0, 99):02d}"  # 2 bad rows
        category = "" if i % 9 == 0 else rng.choice(["tools", "garden", "paint"])
        rows.append(f'{i},"Item {i}",{category},{price}')
    (data / "drops" / "items" / "item_2025.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return target
