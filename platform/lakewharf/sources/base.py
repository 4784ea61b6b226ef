"""What a source kind declares: the hooks every kind module fills in.

Two families share most of their behaviour, so a kind subclasses one of them:

- ``DatabaseKind``: entities are tables; the Copy runs a generated query in the kind's
  ``SqlDialect``; incremental loads follow the watermark pattern
  (https://learn.microsoft.com/azure/data-factory/tutorial-incremental-copy-overview); locally the
  data is a database (the user's, bound in ``local.yaml``, or lakewharf's DuckDB seed).
- ``FileKind``: entities are path globs in a container; the Copy reads the files matching them in
  the source's ``format``; incremental loads select files by modified time; locally the data is
  a folder (bound) or a drop container of the local lake.

Both copy with fault tolerance (incompatible rows skipped into the rejects folder):
https://learn.microsoft.com/azure/data-factory/copy-activity-fault-tolerance
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from lakewharf.model.catalog import Source
from lakewharf.model.lake import DAY_TOKENS
from lakewharf.sources.sql_dialect import SqlDialect

# What an API entity says about its responses (``sources.rest``); other kinds' entities refuse them.
API_FIELDS = ("records", "pagination", "fields", "headers")

# How any placeholder in a file path is spelt (only ``lake.DAY_TOKENS`` are expanded).
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")

# A dataset parameter reference (``@dataset().name``) as the generator spells it.
Param = Callable[[str], Any]


@dataclass(frozen=True)
class DatasetShape:
    """A source dataset: its ADF type, the parameters beyond the vault and secret, its
    typeProperties and description."""

    type: str
    parameters: Mapping[str, str]
    type_properties: Mapping[str, Any]
    description: str


@dataclass(frozen=True)
class SourceKind:
    name: str  # the catalog's `kind`
    title: str  # for docs and messages: "SQL Server"
    options: Mapping[str, Any] = field(default_factory=dict)  # JSON Schema properties of `options`
    not_verified_locally: tuple[str, ...] = ()  # run-report lines whenever a source of the kind runs
    on_premises: bool = False  # may run in a company network (``location: on_premises``, self-hosted runtime)
    needs_secret: bool = True  # its linked service reads `connection.secret` from Key Vault
    # Linked service parameters beyond the vault and the secret, each filled from the source's
    # option of the same name (e.g. an Azure SQL server reached with the factory's identity).
    connection_parameters: tuple[str, ...] = ()

    is_database: ClassVar[bool]
    incremental: ClassVar[str]  # "watermark" or "modified_time"
    entity_field: ClassVar[str]  # what each entity must name: "table" or "path"
    entity_hint: ClassVar[str]

    # --- Data Factory ---------------------------------------------------------------------
    @property
    def linked_service_key(self) -> str:
        """Sources sharing a key share one linked service (``ls_src_<key>``)."""
        raise NotImplementedError

    def linked_service(self, secret: dict[str, Any], param: Param) -> tuple[str, dict[str, Any]]:
        """(type, typeProperties) of the linked service; ``secret`` is the Key Vault reference of the
        source's secret, ``param`` spells a reference to one of its parameters."""
        raise NotImplementedError

    def linked_service_key_of(self, source: Source) -> str:
        """The key of one source's linked service: the kind's, unless its sources differ (REST auth)."""
        return self.linked_service_key

    def owns_linked_service(self, key: str) -> bool:
        return key == self.linked_service_key

    def reads_secret(self, key: str) -> bool:
        """Whether the linked service of ``key`` reads the source's Key Vault secret."""
        return self.needs_secret

    def linked_service_for(self, key: str, secret: dict[str, Any], param: Param) -> tuple[str, dict[str, Any]]:
        """The linked service of ``key`` (a kind whose sources share one takes no notice of the key)."""
        return self.linked_service(secret, param)

    def local_files(self, entity: Any, table: Any, source: Source | None = None) -> dict[str, bytes] | None:
        """The files the local runner serves for the generated rows (a pyarrow table) of ``entity``
        of ``source``; None: the files of the source's format."""
        return None

    def local_glob(self, entity: Any, source: Source | None = None) -> tuple[str, str] | None:
        """(folder, file pattern) of the entity's files in a local drop; None: its ``path`` glob."""
        return None

    def ingest_fields(self, source: Source, entity: Any, windowed: bool) -> dict[str, Any] | None:
        """The ingest item's fields beyond the common ones, for a kind with its own worker; None: the
        family's (a database's query, a file format's wildcards and options)."""
        return None

    def ingest_worker(self, family: str, mode: str, parts: Any) -> dict[str, Any] | None:
        """The worker pipeline ``wk_ingest_<family>_<mode>`` when ``family`` is this kind's own and it
        builds its worker from the generator's ``parts`` (``generate.adf.workers_ingest.WorkerParts``);
        None: the family's generic worker."""
        return None

    def query_rows(self, query: str) -> list[dict[str, Any]] | None:
        """The rows a Copy's pool query of the kind's worker gives (the ``files`` metadata query), as
        the local runner lands them; None: the kind's worker runs no such query."""
        return None

    def landing_view(self, entity: Any) -> tuple[str, dict[str, Any]] | None:
        """(template, extra values) of the entity's serverless landing view; None: the common view
        over landing Parquet that holds the catalog's columns."""
        return None

    def dataset_family(self, source: Source) -> str:
        """Sources sharing a family share one dataset (``ds_src_<family>``) and worker pipelines."""
        raise NotImplementedError

    def dataset(self, source: Source, param: Param) -> DatasetShape:
        raise NotImplementedError

    # --- catalog --------------------------------------------------------------------------
    def problems(self, source: dict[str, Any]) -> list[tuple[tuple[str, ...], str, str]]:
        """(path, message, hint) for what the schema cannot say about one source document."""
        options = source.get("options", {})
        found = [(("options",) if "options" in source else (), f"a {self.name} source needs options.{name}",
                  f"options: {{{name}: ...}}") for name in self.connection_parameters if name not in options]
        found += [(("entities", name, key), f"a {self.name} entity takes no '{key}'", "only rest entities do")
                  for name, entity in (source.get("entities") or {}).items() for key in API_FIELDS if key in entity]
        return found + self._reach(source)

    def _reach(self, source: dict[str, Any]) -> list[tuple[tuple[str, ...], str, str]]:
        """An on-premises source is reached only through a self-hosted integration runtime: the
        managed (VNet) runtime cannot route into a company network.
        https://learn.microsoft.com/azure/data-factory/concepts-integration-runtime#self-hosted-integration-runtime"""
        if source.get("location") != "on_premises":
            return []
        if not self.on_premises:
            return [(("location",), f"a {self.name} source ({self.title}) is an Azure service, never on premises",
                     "remove location, or use the kind of the server you run (sqlserver, oracle, mysql)")]
        if source.get("runtime") != "self_hosted":
            return [(("location",), f"an on-premises {self.name} source needs the self-hosted integration runtime",
                     "add 'runtime: self_hosted' (the stack prints how to register its node; docs/deploy.md)")]
        return []


@dataclass(frozen=True)
class DatabaseKind(SourceKind):
    dialect: SqlDialect = field(default_factory=SqlDialect)
    linked_service_type: str = ""
    dataset_type: str = ""
    copy_source_type: str = ""  # the Copy (and Lookup) source type
    query_property: str = "query"  # where that source takes its query
    default_schema: str = ""  # the engine's schema when an entity's table names none

    is_database: ClassVar[bool] = True
    incremental: ClassVar[str] = "watermark"
    entity_field: ClassVar[str] = "table"
    entity_hint: ClassVar[str] = "e.g. table: dbo.customers"

    @property
    def linked_service_key(self) -> str:
        return self.name

    def linked_service(self, secret: dict[str, Any], param: Param) -> tuple[str, dict[str, Any]]:
        return self.linked_service_type, {"connectionString": secret}

    def dataset_family(self, source: Source) -> str:
        return self.name

    def dataset(self, source: Source, param: Param) -> DatasetShape:
        return DatasetShape(self.dataset_type, {"schema": "String", "table": "String"},
                            {"schema": param("schema"), "table": param("table")}, f"A table of a {self.name} source.")

    def copy_source(self, query: Any) -> dict[str, Any]:
        return {"type": self.copy_source_type, self.query_property: query}


@dataclass(frozen=True)
class FileKind(SourceKind):
    is_database: ClassVar[bool] = False
    incremental: ClassVar[str] = "modified_time"
    entity_field: ClassVar[str] = "path"
    entity_hint: ClassVar[str] = "a glob under the drop container"

    @property
    def linked_service_key(self) -> str:
        return "blob"

    def linked_service(self, secret: dict[str, Any], param: Param) -> tuple[str, dict[str, Any]]:
        # sasUri may reference a Key Vault secret holding the container-level (service) SAS URL:
        # https://learn.microsoft.com/azure/data-factory/connector-azure-blob-storage#shared-access-signature-authentication
        return "AzureBlobStorage", {"sasUri": secret}

    def dataset_family(self, source: Source) -> str:
        assert source.format is not None
        return source.format

    def dataset(self, source: Source, param: Param) -> DatasetShape:
        from lakewharf.sources.blob_files import format_dataset

        return format_dataset(source, param)

    def problems(self, source: dict[str, Any]) -> list[tuple[tuple[str, ...], str, str]]:
        found = super().problems(source)
        if "format" not in source:
            found.append(((), f"a {self.name} source needs 'format'", "csv, jsonl or parquet"))
        for name, entity in (source.get("entities") or {}).items():
            # Only the day tokens are expanded (ingest worker, local readers); any other {..} would
            # be read as a literal folder name and silently match nothing.
            unknown = sorted(set(_PLACEHOLDER.findall(str((entity or {}).get("path", "")))) - set(DAY_TOKENS))
            if unknown:
                found.append((("entities", name, "path"), f"unknown placeholder {', '.join(unknown)} in the path",
                              "only {yyyy}, {MM} and {dd} (the run's day) are allowed"))
        return found
