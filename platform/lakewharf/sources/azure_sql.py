"""``azure_sql``: Azure SQL Database, reached with the factory's system-assigned managed identity
— no secret at all: the source names its server and database in ``options``, and the database
grants the factory's identity (``CREATE USER [<factory>] FROM EXTERNAL PROVIDER`` +
``db_datareader``).

Data Factory's Azure SQL Database connector, recommended version (linked service
``AzureSqlDatabase`` with ``authenticationType: SystemAssignedManagedIdentity``, dataset
``AzureSqlTable``, Copy source ``AzureSqlSource`` with ``sqlReaderQuery``):
https://learn.microsoft.com/azure/data-factory/connector-azure-sql-database#system-assigned-managed-identity-authentication
It speaks T-SQL, so the watermark SQL is SQL Server's.
"""

from __future__ import annotations

from typing import Any

from lakewharf.sources.base import DatabaseKind, Param
from lakewharf.sources.sqlserver import TSqlDialect


class AzureSqlKind(DatabaseKind):
    def linked_service(self, secret: dict[str, Any], param: Param) -> tuple[str, dict[str, Any]]:
        return self.linked_service_type, {
            "server": param("server"), "database": param("database"), "encrypt": "mandatory",
            "trustServerCertificate": False, "authenticationType": "SystemAssignedManagedIdentity",
        }


AZURE_SQL = AzureSqlKind(
    "azure_sql", "Azure SQL Database",
    options={
        "server": {"type": "string", "pattern": r"^[a-z0-9-]+\.database\.windows\.net$",
                   "description": "The logical server's host name, e.g. crm-prod.database.windows.net (azure_sql)."},
        "database": {"type": "string", "minLength": 1, "maxLength": 128,
                     "description": "The database on that server (azure_sql)."},
    },
    not_verified_locally=("the Azure SQL Database connector and the factory's managed-identity login (generated "
                          "queries ran on DuckDB, translated from T-SQL)",),
    needs_secret=False, connection_parameters=("server", "database"),
    dialect=TSqlDialect(), linked_service_type="AzureSqlDatabase", dataset_type="AzureSqlTable",
    copy_source_type="AzureSqlSource", query_property="sqlReaderQuery", default_schema="dbo",
)
