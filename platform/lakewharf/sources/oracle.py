"""``oracle``: Oracle Database, its connection string a Key Vault secret; usually on premises,
reached through a self-hosted integration runtime (``location: on_premises`` requires
``runtime: self_hosted``).

Data Factory's Oracle connector (linked service ``Oracle``, dataset ``OracleTable``, Copy source
``OracleSource`` with ``oracleReaderQuery``):
https://learn.microsoft.com/azure/data-factory/connector-oracle
Identifiers are left unquoted: Oracle folds them to upper case, as its catalogs store them, so
a catalog's ``customers`` reads ``CUSTOMERS``. Watermarks: ``TO_CHAR`` with an ISO 8601 format,
read back with ``TO_TIMESTAMP`` / ``TO_DATE`` and the same format
(https://docs.oracle.com/en/database/oracle/oracle-database/19/sqlrf/Format-Models.html).
"""

from __future__ import annotations

from lakewharf.sources.base import DatabaseKind
from lakewharf.sources.sql_dialect import SqlDialect

_TIMESTAMP = 'YYYY-MM-DD"T"HH24:MI:SS.FF6'


class OracleDialect(SqlDialect):
    sqlglot = "oracle"

    def ident(self, name: str) -> str:
        return name

    def alias(self, name: str) -> str:
        return f'"{name}"'  # unquoted, Oracle would answer WATERMARK and the Lookup's firstRow.watermark miss

    def as_text(self, expression: str, watermark: str) -> str:
        if watermark == "integer":
            return f"TO_CHAR({expression})"
        return f"TO_CHAR({expression}, '{'YYYY-MM-DD' if watermark == 'date' else _TIMESTAMP}')"

    def typed(self, text: str, watermark: str) -> str:
        if watermark == "integer":
            return f"CAST({self.text(text)} AS NUMBER(19))"
        if watermark == "date":
            return f"TO_DATE({self.text(text)}, 'YYYY-MM-DD')"
        return f"TO_TIMESTAMP({self.text(text)}, '{_TIMESTAMP}')"


ORACLE = DatabaseKind(
    "oracle", "Oracle Database",
    not_verified_locally=("the Oracle connector and its login (generated queries ran on DuckDB, translated from "
                          "Oracle SQL by sqlglot; Oracle's own functions, NUMBER precision and upper-case "
                          "identifier folding are not checked)",),
    dialect=OracleDialect(), linked_service_type="Oracle", dataset_type="OracleTable",
    copy_source_type="OracleSource", query_property="oracleReaderQuery", default_schema="main",
    on_premises=True,
)
