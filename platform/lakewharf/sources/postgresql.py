"""``postgresql``: Azure Database for PostgreSQL, its connection string a Key Vault secret.

Data Factory's connector (linked service ``AzurePostgreSql``, dataset ``AzurePostgreSqlTable``,
Copy source ``AzurePostgreSqlSource`` with ``query``):
https://learn.microsoft.com/azure/data-factory/connector-azure-database-for-postgresql
Watermarks: ``to_char`` with an ISO 8601 pattern, read back with a cast.
"""

from __future__ import annotations

from lakewharf.sources.base import DatabaseKind
from lakewharf.sources.sql_dialect import SqlDialect


class PostgresDialect(SqlDialect):
    sqlglot = "postgres"

    def as_text(self, expression: str, watermark: str) -> str:
        if watermark == "integer":
            return f"CAST({expression} AS varchar)"
        fmt = "YYYY-MM-DD" if watermark == "date" else 'YYYY-MM-DD"T"HH24:MI:SS.US'
        return f"to_char({expression}, '{fmt}')"

    def typed(self, text: str, watermark: str) -> str:
        return f"CAST({self.text(text)} AS {'bigint' if watermark == 'integer' else watermark})"


POSTGRESQL = DatabaseKind(
    "postgresql", "Azure Database for PostgreSQL",
    not_verified_locally=("the Azure Database for PostgreSQL connector and its login (generated queries ran on "
                          "DuckDB, translated from PostgreSQL, unless a PostgreSQL server is bound in local.yaml)",),
    dialect=PostgresDialect(), linked_service_type="AzurePostgreSql", dataset_type="AzurePostgreSqlTable",
    copy_source_type="AzurePostgreSqlSource", query_property="query", default_schema="public",
)
