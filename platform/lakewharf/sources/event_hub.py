"""``event_hub``: a stream of JSON events in Azure Event Hubs, landed by Event Hubs Capture.

https://learn.microsoft.com/azure/event-hubs/event-hubs-capture-overview

- One source is one Event Hubs namespace (Standard tier: Basic has no Capture), named by the stack
  per environment (``evhns-<platform>-<source>-<env>-<suffix>``: globally unique); each entity is
  one event hub, its ``path`` the hub's name (the ``EntityPath`` of a connection string). The
  stack (``lakewharf.infra.streams``) creates both, with the catalog's ``partitions`` and
  ``retention_days``, and turns Capture on: Avro files written by the namespace's managed identity
  into the source's landing container every ``capture_interval_seconds`` or ``capture_size_mb``,
  whichever comes first, named by the default ``archiveNameFormat`` (every field is required, in
  any order): ``{Namespace}/{EventHub}/{PartitionId}/{Year}/{Month}/{Day}/{Hour}/{Minute}/{Second}``.
- Synapse serverless SQL reads CSV, Parquet and Delta, not Avro
  (https://learn.microsoft.com/azure/synapse-analytics/sql/query-data-storage), so the ingest
  worker copies the capture files into the entity's dated landing folder as Parquet, like any
  other source: a Copy with an ``AvroSource`` over the lake (``ls_src_event_hub``: ADLS Gen2
  through the factory's managed identity), the files chosen by modified time (full: every capture
  file; incremental: since the last cut-off; window: the tumbling window).
- The Copy cannot parse JSON inside the ``Body`` bytes (its mapping maps columns, and Avro maps
  are not copied: https://learn.microsoft.com/azure/data-factory/format-avro#data-type-support),
  so it lands the capture's own columns — ``SequenceNumber``, ``Offset``, ``EnqueuedTimeUtc`` and
  ``Body`` — and the entity's landing view turns ``Body`` into the catalog's typed columns with
  ``JSON_VALUE`` and ``TRY_CAST`` (``templates/synapse/serverless/landing_capture_view.sql.j2``):
  reviewable SQL, one place, and preparations read the view as they read every landing view.
  A value that does not convert, or a body that is not JSON, is NULL there (the contract checks
  of the first preparation then reject NULLs in non-nullable columns), never a failed load.
  Locally the Copy lands the same columns and the local serverless pool runs that view's own SQL,
  translated to DuckDB with T-SQL's answers (``local.capture_files``, ``local.tsql_json``).
- ``fields`` maps a column to a dotted path in the event's JSON (default: the column's name).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from lakewharf.model.catalog import Entity, Source
from lakewharf.sources.base import DatasetShape, Param, SourceKind

LAKE_ENDPOINT = "lake_dfs_endpoint"  # the factory's global parameter for the lake (generate.adf)
OPTIONS: dict[str, Any] = {
    "partitions": {"type": "integer", "minimum": 1, "maximum": 32, "description": "Partitions per event hub."},
    "retention_days": {"type": "integer", "minimum": 1, "maximum": 7,
                       "description": "Days Event Hubs keeps each event (Standard tier: 1-7)."},
    "capture_interval_seconds": {"type": "integer", "minimum": 60, "maximum": 900,
                                 "description": "Capture's time window: a file at least this often per partition."},
    "capture_size_mb": {"type": "integer", "minimum": 10, "maximum": 500,
                        "description": "Capture's size window: a file once this much has built up."},
}
DEFAULTS = {"partitions": 2, "retention_days": 1, "capture_interval_seconds": 300, "capture_size_mb": 300}
ARCHIVE_NAME_FORMAT = "{Namespace}/{EventHub}/{PartitionId}/{Year}/{Month}/{Day}/{Hour}/{Minute}/{Second}"
# The schema every capture file has (Microsoft.ServiceBus.Messaging.EventData).
CAPTURE_SCHEMA: dict[str, Any] = {
    "type": "record", "name": "EventData", "namespace": "Microsoft.ServiceBus.Messaging",
    "fields": [
        {"name": "SequenceNumber", "type": "long"},
        {"name": "Offset", "type": "string"},
        {"name": "EnqueuedTimeUtc", "type": "string"},
        {"name": "SystemProperties", "type": {"type": "map", "values": ["long", "double", "string", "bytes"]}},
        {"name": "Properties", "type": {"type": "map", "values": ["long", "double", "string", "bytes", "null"]}},
        {"name": "Body", "type": ["null", "bytes"]},
    ],
}
# What the Copy lands of each event (the two maps are left out: Copy does not take Avro maps).
LANDED = ("SequenceNumber", "Offset", "EnqueuedTimeUtc", "Body")
_FIELDS_ONLY = ("records", "pagination", "headers")  # API fields an event hub entity refuses
# https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsofteventhub
_HUB_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,254}[A-Za-z0-9])?$")

Problem = tuple[tuple[str, ...], str, str]


def option(source: Source, name: str) -> Any:
    return source.options.get(name, DEFAULTS.get(name))


def capture_folder(entity: Entity, namespace: str = "*") -> str:
    """The folder Capture writes the hub's files under, in the landing container. The namespace
    is the stack's (a globally unique name per environment, ``infra.names``), so the Copy matches
    any namespace folder holding the hub: ``*/<hub>``."""
    return f"{namespace}/{entity.path}"


def local_namespace(source: Source) -> str:
    """The namespace folder of the local capture files (any name: the Copy matches ``*``)."""
    return "evhns-" + source.name.replace("_", "-")


def field_paths(entity: Entity) -> dict[str, tuple[str, ...]]:
    """Column -> its path inside the event's JSON body (``fields``; default: the column's name)."""
    fields = entity.api.get("fields", {})
    return {c.name: tuple(str(fields.get(c.name, c.name)).split(".")) for c in entity.columns}


def json_path(parts: tuple[str, ...]) -> str:
    """A T-SQL JSON path (lax): ``$."a"."b"`` quotes every key, so any name is safe."""
    return "$" + "".join('."' + p.replace('"', '\\"') + '"' for p in parts)


@dataclass(frozen=True)
class CaptureKind(SourceKind):
    is_database: ClassVar[bool] = False
    incremental: ClassVar[str] = "modified_time"  # capture files are chosen as file drops are: by modified time
    entity_field: ClassVar[str] = "path"
    entity_hint: ClassVar[str] = "the event hub's name, e.g. path: telemetry"

    @property
    def linked_service_key(self) -> str:
        return self.name

    def linked_service(self, secret: dict[str, Any], param: Param) -> tuple[str, dict[str, Any]]:
        # ADLS Gen2 with only a URL: the factory's system-assigned managed identity.
        # https://learn.microsoft.com/azure/data-factory/connector-azure-data-lake-storage#managed-identity
        return "AzureBlobFS", {"url": param(LAKE_ENDPOINT)}

    def dataset_family(self, source: Source) -> str:
        return self.name

    def dataset(self, source: Source, param: Param) -> DatasetShape:
        # https://learn.microsoft.com/azure/data-factory/format-avro#dataset-properties
        return DatasetShape("Avro", {"filesystem": "String"},
                            {"location": {"type": "AzureBlobFSLocation", "fileSystem": param("filesystem")}},
                            "Event Hubs Capture files (Avro) in a landing container of the lake.")

    def copy_source(self, store: dict[str, Any]) -> dict[str, Any]:
        return {"type": "AvroSource", "storeSettings": {"type": "AzureBlobFSReadSettings", **store}}

    def wildcards(self, source: Source, entity: Entity) -> tuple[str, str]:
        """(wildcardFolderPath, wildcardFileName) of the hub's capture files; ``recursive`` reads
        every partition and time folder below the hub's folder."""
        return capture_folder(entity), "*.avro"

    def mapping(self) -> list[tuple[str, str]]:
        """(Avro field, landed column) of the Copy's translator: the capture's columns as they are."""
        return [(name, name) for name in LANDED]

    def landing_view(self, entity: Entity) -> tuple[str, dict[str, Any]]:
        """The template of the entity's landing view and what it needs beyond the common values."""
        return "synapse/serverless/landing_capture_view.sql.j2", {
            "paths": {c: json_path(p) for c, p in field_paths(entity).items()}, "landed": LANDED}

    def capture(self, source: Source) -> dict[str, Any]:
        """What the stack provisions for one source (infra.streams reads it)."""
        return {"archive_name_format": ARCHIVE_NAME_FORMAT, **{name: option(source, name) for name in DEFAULTS}}

    # --- local ------------------------------------------------------------------------------
    def local_glob(self, entity: Entity, source: Source | None = None) -> tuple[str, str] | None:
        return capture_folder(entity) + "/*", "*.avro"  # any namespace: a bound folder holds the user's

    def local_files(self, entity: Entity, table: Any, source: Source | None = None) -> dict[str, bytes] | None:
        """The entity's rows as capture files in Capture's layout, one per partition and time
        window: each row's JSON is an event's Body, enqueued a second apart from 2026-01-01."""
        if source is None:
            return None
        import datetime as dt
        import io

        import fastavro

        partitions, window = int(option(source, "partitions")), int(option(source, "capture_interval_seconds"))
        start = dt.datetime(2026, 1, 1)
        paths = field_paths(entity)
        files: dict[tuple[int, int], list[dict[str, Any]]] = {}
        for i, row in enumerate(table.to_pylist()):
            body: dict[str, Any] = {}
            for column, parts in paths.items():
                _put(body, parts, row.get(column))
            partition = i % partitions
            sequence = i // partitions
            enqueued = start + dt.timedelta(seconds=i)
            files.setdefault((partition, i // window), []).append({
                "SequenceNumber": sequence, "Offset": str(sequence * 512), "EnqueuedTimeUtc": _capture_time(enqueued),
                "SystemProperties": {"x-opt-enqueued-time": int(enqueued.replace(tzinfo=dt.UTC).timestamp() * 1000)},
                "Properties": {},
                "Body": json.dumps(body, default=str, ensure_ascii=False).encode("utf-8")})
        parsed = fastavro.parse_schema(CAPTURE_SCHEMA)
        out = {}
        for (partition, number), records in sorted(files.items()):
            at = start + dt.timedelta(seconds=number * window)
            buffer = io.BytesIO()
            fastavro.writer(buffer, parsed, records, codec="null", sync_marker=b"lakewharf-eh-syn")
            folder = capture_folder(entity, local_namespace(source))
            out[f"{folder}/{partition}/{at:%Y/%m/%d/%H/%M/%S}.avro"] = buffer.getvalue()
        return out

    # --- catalog ----------------------------------------------------------------------------
    def problems(self, source: dict[str, Any]) -> list[Problem]:
        found: list[Problem] = []
        if "connection" in source:
            found.append((("connection",), "an event_hub source uses no secret: Capture writes with the namespace's "
                          "managed identity and the factory reads the lake with its own", "remove connection"))
        if "format" in source:
            found.append((("format",), "an event_hub source takes no format: Capture writes Avro", "remove format"))
        for name, entity in (source.get("entities") or {}).items():
            found += [(("entities", name, key), f"an event_hub entity takes no '{key}'", "only rest entities do")
                      for key in _FIELDS_ONLY if key in entity]
            columns = entity.get("columns") or {}
            found += [(("entities", name, "fields", column), f"fields maps {column!r}, which is not a column of {name}",
                       "map declared columns only") for column in entity.get("fields") or {} if column not in columns]
            if "path" in entity and not _HUB_NAME.match(str(entity["path"])):
                found.append((("entities", name, "path"), "an event_hub entity's path is the event hub's name: 1-256 "
                              "letters, digits, periods, hyphens or underscores, starting and ending with a letter or "
                              "digit", "e.g. path: telemetry (Capture picks the folders)"))
        return found + self._reach(source)


def _capture_time(at: Any) -> str:
    """EnqueuedTimeUtc as Capture writes it: .NET's invariant culture, e.g. 1/1/2026 12:00:05 AM."""
    hour = at.hour % 12 or 12
    return f"{at.month}/{at.day}/{at.year} {hour}:{at.minute:02d}:{at.second:02d} {'AM' if at.hour < 12 else 'PM'}"


def _put(target: dict[str, Any], parts: tuple[str, ...], value: Any) -> None:
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


EVENT_HUB = CaptureKind(
    "event_hub", "an Azure Event Hubs stream, landed by Capture", OPTIONS, needs_secret=False,
    connection_parameters=(LAKE_ENDPOINT,),
    not_verified_locally=(
        "Event Hubs Capture itself: when files are written (time or size window, empty windows skipped), how "
        "events spread over partitions, and checkpoints; the local capture files are lakewharf's or yours",
        "that Data Factory's Avro source reads the capture files with the two Avro map columns left unmapped "
        "(locally fastavro reads them)",
        "that serverless SQL's OPENROWSET reads the landed Body (Parquet bytes) as VARBINARY(MAX): locally the "
        "landing view's own SELECT ran on DuckDB over the same landed columns, translated from T-SQL",
    ),
)
