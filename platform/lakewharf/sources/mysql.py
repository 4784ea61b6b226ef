"""``mysql``: MySQL (on-premises, or Azure Database for MySQL), its connection string a Key Vault
secret.

Data Factory's MySQL connector (linked service ``MySql``, dataset ``MySqlTable`` naming
``tableName``, Copy source ``MySqlSource`` with ``query``):
https://learn.microsoft.com/azure/data-factory/connector-mysql
A MySQL server in a company network is reached through a self-hosted integration runtime
(``runtime: self_hosted``).

Identifiers are quoted with backticks; a table is ``database.table`` (MySQL's schemas are its
databases). Watermarks: ``DATE_FORMAT`` with ``%Y-%m-%dT%H:%i:%s.%f`` gives ISO 8601 text, read
back with ``CAST(... AS DATETIME(6))`` (https://dev.mysql.com/doc/refman/8.0/en/date-and-time-functions.html).
"""

from __future__ import annotations

from lakewharf.model.catalog import Source
from lakewharf.sources.base import DatabaseKind, DatasetShape, Param
from lakewharf.sources.sql_dialect import SqlDialect


class MySqlDialect(SqlDialect):
    sqlglot = "mysql"

    def ident(self, name: str) -> str:
        return f"`{name}`"

    def as_text(self, expression: str, watermark: str) -> str:
        if watermark == "integer":
            return f"CAST({expression} AS CHAR)"
        fmt = "%Y-%m-%d" if watermark == "date" else "%Y-%m-%dT%H:%i:%s.%f"
        return f"DATE_FORMAT({expression}, '{fmt}')"

    def typed(self, text: str, watermark: str) -> str:
        spelled = {"integer": "SIGNED", "date": "DATE"}.get(watermark, "DATETIME(6)")
        return f"CAST({self.text(text)} AS {spelled})"


class MySqlKind(DatabaseKind):
    def dataset(self, source: Source, param: Param) -> DatasetShape:
        # MySqlTable names one tableName (the Copy runs the item's query; the name is for monitoring).
        return DatasetShape(self.dataset_type, {"schema": "String", "table": "String"}, {"tableName": param("table")},
                            "A table of a mysql source.")


MYSQL = MySqlKind(
    "mysql", "MySQL",
    not_verified_locally=("the MySQL connector and its login (generated queries ran on DuckDB, translated from "
                          "MySQL by sqlglot; MySQL's own functions and collations are not checked)",),
    dialect=MySqlDialect(), linked_service_type="MySql", dataset_type="MySqlTable",
    copy_source_type="MySqlSource", query_property="query", default_schema="main",
    on_premises=True,
)
