"""``sqlserver``: SQL Server, its whole connection string a Key Vault secret.

Data Factory's SQL Server connector (linked service ``SqlServer``, dataset ``SqlServerTable``,
Copy source ``SqlServerSource`` with ``sqlReaderQuery``):
https://learn.microsoft.com/azure/data-factory/connector-sql-server
Watermarks: ``CONVERT(..., 126)`` gives ISO 8601 text and reads it back
(https://learn.microsoft.com/sql/t-sql/functions/cast-and-convert-transact-sql#date-and-time-styles).
"""

from __future__ import annotations

from lakewharf.sources.base import DatabaseKind
from lakewharf.sources.sql_dialect import SqlDialect


class TSqlDialect(SqlDialect):
    sqlglot = "tsql"

    def ident(self, name: str) -> str:
        return f"[{name}]"

    def text(self, value: str) -> str:
        return f"N'{value}'"

    def as_text(self, expression: str, watermark: str) -> str:
        if watermark == "integer":
            return f"CAST({expression} AS NVARCHAR(33))"
        return f"CONVERT(NVARCHAR(33), {expression}, 126)"

    def typed(self, text: str, watermark: str) -> str:
        if watermark == "integer":
            return f"CAST({self.text(text)} AS BIGINT)"
        return f"CONVERT({'DATE' if watermark == 'date' else 'DATETIME2'}, {self.text(text)}, 126)"


SQLSERVER = DatabaseKind(
    "sqlserver", "SQL Server",
    not_verified_locally=("the SQL Server connector and its login (generated queries ran on DuckDB, translated "
                          "from T-SQL, unless a SQL Server is bound in local.yaml)",),
    dialect=TSqlDialect(), linked_service_type="SqlServer", dataset_type="SqlServerTable",
    copy_source_type="SqlServerSource", query_property="sqlReaderQuery", default_schema="dbo", on_premises=True,
)
