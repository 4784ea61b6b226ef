"""A project with one source per database kind added after the first four (mysql, oracle,
azure_sql): ``wharf init``'s project plus these source files and a pipeline landing them."""

from __future__ import annotations

from pathlib import Path

SOURCES = {
    # An on-premises Oracle ERP, reached through the self-hosted runtime; timestamp watermark.
    "erp": """\
description: The on-premises ERP (Oracle Database).
kind: oracle
location: on_premises
runtime: self_hosted
connection: {secret: erp-oracle-connection-string}
entities:
  invoices:
    table: FIN.INVOICES
    load: {mode: incremental, watermark: changed_at}
    columns:
      invoice_id: {type: bigint, nullable: false, primary_key: true}
      customer_ref: {type: string(20), nullable: false}
      total: {type: "decimal(14,2)", nullable: false}
      issued_on: {type: date, nullable: false}
      changed_at: {type: timestamp, nullable: false}
""",
    # A MySQL shop database in the company network (self-hosted runtime); a full load and a date watermark.
    "legacy_shop": """\
description: The legacy shop (MySQL) in the data centre.
kind: mysql
location: on_premises
runtime: self_hosted
connection: {secret: legacy-shop-mysql-connection-string}
entities:
  products:
    table: shop.products
    load: {mode: full}
    columns:
      product_id: {type: int, nullable: false, primary_key: true}
      title: {type: string(200), nullable: false}
      price: {type: "decimal(10,2)"}
  stock_moves:
    table: shop.stock_moves
    load: {mode: incremental, watermark: moved_on}
    columns:
      move_id: {type: bigint, nullable: false, primary_key: true}
      product_id: {type: int, nullable: false}
      quantity: {type: int, nullable: false}
      moved_on: {type: date, nullable: false}
""",
    # Azure SQL Database with the factory's managed identity: no secret; an integer watermark.
    "billing": """\
description: Subscription billing (Azure SQL Database, managed identity).
kind: azure_sql
options: {server: billing-prod.database.windows.net, database: billing}
entities:
  charges:
    table: dbo.charges
    load: {mode: incremental, watermark: charge_id}
    columns:
      charge_id: {type: bigint, nullable: false, primary_key: true}
      account: {type: string(40), nullable: false}
      amount: {type: "decimal(12,2)", nullable: false}
      charged_at: {type: timestamp, nullable: false}
""",
}

PIPELINE = """
  land_new_kinds:
    description: Land the Oracle, MySQL and Azure SQL sources.
    schedule: {cron: "0 2 * * *", timezone: UTC}
    steps:
      land_erp: {ingest: erp}
      land_legacy_shop: {ingest: legacy_shop}
      land_billing: {ingest: billing}
"""


def add_new_kinds(root: Path) -> Path:
    """Add the three sources and their pipeline to an initialised project at ``root``."""
    for name, text in SOURCES.items():
        (root / "catalog" / "sources" / f"{name}.yaml").write_text(text, encoding="utf-8")
    pipelines = root / "pipelines.yaml"
    pipelines.write_text(pipelines.read_text(encoding="utf-8") + PIPELINE, encoding="utf-8")
    return root
