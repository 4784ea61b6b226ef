"""``files``: binary and media content (images, PDFs, audio…) in a Blob Storage container, copied
as-is into landing, with a metadata table preparations read like any landing data.

Data Factory cannot write a table while it copies binary files (a ``Binary`` dataset sinks only to
``Binary``: https://learn.microsoft.com/azure/data-factory/format-binary), so one item's worker
(``wk_ingest_files_<mode>``) does it in steps, all from the item's fields:

1. ``list_files``: Get Metadata ``childItems`` of the entity's folder, with the copy's
   modified-time window (``exists`` keeps a missing day folder from failing the run):
   https://learn.microsoft.com/azure/data-factory/control-flow-get-metadata-activity
2. ``pick_files``: a Filter keeping the files matching the entity's name pattern (Get Metadata
   takes no wildcard), so the pattern is ``<prefix>*<suffix>`` or a plain name;
3. ``copy_files``: one Binary → Binary Copy of the same folder, pattern and window into
   ``<landing>/<source>/_files/<entity>/yyyy/MM/dd/<run id>/`` with ``PreserveHierarchy`` (the
   files keep their names and paths);
4. ``each_file``: a ForEach over the picked files: Get Metadata ``itemName``, ``size``,
   ``lastModified``, ``contentMD5`` of each source file, appended to the ``files`` variable;
5. ``write_metadata``: a Copy whose source is the dedicated pool running ``OPENJSON`` over that
   array (the item's ``metadata_query``), into the entity's dated landing folder as Parquet with
   ``_loaded_at``/``_run_id``, through the same translator and fault tolerance as every ingest.
   Dedicated SQL pools parse JSON with OPENJSON:
   https://learn.microsoft.com/training/modules/understand-data-warehouse-developer-features-of-azure-synapse-analytics/8-work-json-data-sql-pools

Metadata Data Factory does not give: the content type (Get Metadata returns none), so it is mapped
from the file's extension by ``CONTENT_TYPES`` (the same table here and in the generated SQL; an
unknown extension is ``application/octet-stream``); and a SHA-256 (no pipeline activity computes
one): ``content_md5`` is the store's Content-MD5 (base64), which Azure Blob Storage and ADLS Gen2
return only when the blob has one (a block upload without it leaves it NULL).
Incremental loads select files by modified time (the watermark pattern on ``lastModified``);
window loads by the trigger's window; both in one folder, so the path has no date placeholders.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from lakewharf.model.catalog import Entity, Source
from lakewharf.model.lake import DAY_TOKENS, any_day_path, day_path
from lakewharf.sources.base import DatasetShape, FileKind, Param

Problem = tuple[tuple[str, ...], str, str]

# The metadata table: column -> (catalog type, what it holds). An entity declares the ones it keeps.
METADATA: dict[str, tuple[str, str]] = {
    "path": ("string(1024)", "the file's path in the source container"),
    "name": ("string(255)", "the file's name"),
    "landed_path": ("string(1024)", "where the copy is, in the landing filesystem"),
    "size_bytes": ("bigint", "Get Metadata's size"),
    "content_type": ("string(100)", "mapped from the extension"),
    "modified_at": ("timestamp", "Get Metadata's lastModified (UTC)"),
    "content_md5": ("string(24)", "the store's Content-MD5, base64; NULL when the blob has none"),
}
# Extension -> MIME type (IANA names); deterministic, unlike the platform's mimetypes tables.
CONTENT_TYPES: dict[str, str] = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".tif": "image/tiff", ".tiff": "image/tiff", ".svg": "image/svg+xml",
    ".pdf": "application/pdf", ".wav": "audio/wav", ".mp3": "audio/mpeg", ".m4a": "audio/mp4",
    ".mp4": "video/mp4", ".mov": "video/quicktime", ".txt": "text/plain", ".json": "application/json",
    ".xml": "application/xml", ".zip": "application/zip",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
UNKNOWN_TYPE = "application/octet-stream"
FILES_PLACEHOLDER, LANDED_PLACEHOLDER = "{{files}}", "{{landed_folder}}"
FOREACH_BATCH = 20  # Get Metadata calls at once per item (Data Factory allows 50 per ForEach)
_PATTERN = re.compile(r"^([^*?\[\]]*)(\*?)([^*?\[\]]*)$")


def content_type(name: str) -> str:
    dot = name.rfind(".")
    return CONTENT_TYPES.get(name[dot:].lower(), UNKNOWN_TYPE) if dot >= 0 else UNKNOWN_TYPE


def split_path(path: str) -> tuple[str, str, str, str]:
    """(folder, file pattern, name prefix, name suffix) of an entity path ``folder/prefix*suffix``."""
    folder, _, pattern = path.rpartition("/")
    match = _PATTERN.match(pattern)
    prefix, star, suffix = match.groups() if match else (pattern, "", "")
    return folder, pattern, prefix, suffix if star else ""


def _literal(text: str) -> str:
    return "N'" + text.replace("'", "''") + "'"


def metadata_query(folder: str) -> str:
    """T-SQL over the Get Metadata outputs (``{{files}}``, a JSON array) giving the table's columns."""
    ext = "LOWER(RIGHT(f.itemName, CHARINDEX('.', REVERSE(f.itemName))))"
    cases = " ".join(f"WHEN '{e}' THEN '{t}'" for e, t in CONTENT_TYPES.items())
    prefix = folder + "/" if folder else ""
    return (f"SELECT CONCAT({_literal(prefix)}, f.itemName) AS [path], f.itemName AS [name], "
            f"CONCAT(N'{LANDED_PLACEHOLDER}/', {_literal(prefix)}, f.itemName) AS [landed_path], "
            f"f.size AS [size_bytes], CASE {ext} {cases} ELSE '{UNKNOWN_TYPE}' END AS [content_type], "
            "CAST(f.lastModified AS DATETIME2(3)) AS [modified_at], f.contentMD5 AS [content_md5] "
            f"FROM OPENJSON(N'{FILES_PLACEHOLDER}') WITH (itemName NVARCHAR(255) '$.itemName', "
            "size BIGINT '$.size', lastModified DATETIMEOFFSET '$.lastModified', "
            "contentMD5 VARCHAR(24) '$.contentMD5') AS f")


_QUERY = re.compile(r"CONCAT\(N'((?:[^']|'')*)', f\.itemName\) AS \[path\].*?CONCAT\(N'((?:[^']|'')*)/', "
                    r".*?OPENJSON\(N'((?:[^']|'')*)'\) WITH", re.S)


def metadata_rows(query: str) -> list[dict[str, Any]]:
    """The rows ``metadata_query`` gives once the worker filled it in (what the local runner lands):
    the same columns, content types and paths, computed here from the same JSON."""
    match = _QUERY.search(query)
    if not match:
        raise ValueError("not a files metadata query")
    prefix, landed, listing = (m.replace("''", "'") for m in match.groups())
    rows = []
    for meta in json.loads(listing):
        name = meta["itemName"]
        modified = dt.datetime.fromisoformat(str(meta["lastModified"]).replace("Z", "+00:00"))
        rows.append({"path": prefix + name, "name": name, "landed_path": f"{landed}/{prefix}{name}",
                     "size_bytes": int(meta["size"]), "content_type": content_type(name),
                     "modified_at": modified.astimezone(dt.UTC).replace(tzinfo=None),
                     "content_md5": meta.get("contentMD5")})
    return rows


def content_md5(data: bytes) -> str:
    """Content-MD5 as Blob Storage returns it (base64 of the digest)."""
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode("ascii")


@dataclass(frozen=True)
class FilesKind(FileKind):
    """Files copied as they are (Binary datasets), described by a metadata table."""

    def dataset_family(self, source: Source) -> str:
        return self.name

    def dataset(self, source: Source, param: Param) -> DatasetShape:
        location = {"type": "AzureBlobStorageLocation", "folderPath": param("folder"), "fileName": param("file")}
        return DatasetShape("Binary", {"folder": "String", "file": "String"}, {"location": location},
                            "Files of a files source as they are (a folder, or one file of it).")

    def ingest_fields(self, source: Source, entity: Entity, windowed: bool) -> dict[str, Any] | None:
        assert entity.path is not None
        folder, pattern, prefix, suffix = split_path(entity.path)
        return {"source_folder": folder, "wildcard_file": pattern, "name_prefix": prefix, "name_suffix": suffix,
                "files_folder": f"{source.name}/_files/{entity.name}", "metadata_query": metadata_query(folder)}

    def ingest_worker(self, family: str, mode: str, parts: Any) -> dict[str, Any] | None:
        if family.removesuffix("_self_hosted") != self.name:
            return None
        from lakewharf.sources.files_worker import files_worker

        return files_worker(family, mode, parts)

    def query_rows(self, query: str) -> list[dict[str, Any]]:
        return metadata_rows(query)

    def local_glob(self, entity: Entity, source: Source | None = None) -> tuple[str, str]:
        """Where a drop must hold files of the entity: any day for a dated path."""
        folder, pattern, _, _ = split_path(entity.path or "")
        return any_day_path(folder), pattern

    def local_files(self, entity: Entity, table: Any, source: Source | None = None) -> dict[str, bytes]:
        """Small real files for the entity's pattern (a PNG, a PDF, a WAV), when nothing is bound."""
        from lakewharf.sources.files_samples import sample_files

        folder, _, prefix, suffix = split_path(entity.path or "")
        today = dt.datetime.now(dt.UTC).date()  # the day a full load of a dated path reads
        return sample_files(day_path(folder, today), prefix, suffix, max(3, min(12, table.num_rows // 50)))

    def problems(self, source: dict[str, Any]) -> list[Problem]:
        found = [p for p in super().problems(source) if "needs 'format'" not in p[1]]
        if "format" in source:
            found.append((("format",), "a files source copies files as they are: it takes no format",
                          "remove format (csv, jsonl and parquet are file_drop's)"))
        for name, entity in (source.get("entities") or {}).items():
            found += _entity_problems(name, entity)
        return found


def _entity_problems(name: str, entity: dict[str, Any]) -> list[Problem]:
    at = ("entities", name)
    found: list[Problem] = []
    path = str(entity.get("path", ""))
    folder, pattern, _, _ = split_path(path)
    if any(c in folder for c in "*?[]"):
        found.append(((*at, "path"), f"a files entity reads one folder; {folder!r} has wildcards",
                      "e.g. path: scans/*.pdf, or {yyyy}/{MM}/{dd} for the run's day"))
    if not folder:
        found.append(((*at, "path"), "a files entity reads a folder of the container: its path names one",
                      "e.g. path: scans/*.pdf"))
    if not _PATTERN.match(pattern) or "*" not in pattern:
        found.append(((*at, "path"), f"{pattern!r}: a files entity's name pattern is <prefix>*<suffix>",
                      "e.g. *.png, invoice-*.pdf (Get Metadata takes no wildcard: a Filter applies it)"))
    incremental = (entity.get("load") or {}).get("mode") == "incremental"
    if incremental and any(t in folder for t in DAY_TOKENS):
        found.append(((*at, "path"), "an incremental files entity selects by modified time in one folder: "
                      "its path takes no date placeholders", "load: {mode: full} reads the run's day folder"))
    columns = entity.get("columns") or {}
    if "path" not in columns:
        found.append(((*at, "columns"), "a files entity's metadata table needs the column 'path'",
                      "path: {type: string(1024), nullable: false, primary_key: true}"))
    for column, spec in columns.items():
        if column not in METADATA:
            found.append(((*at, "columns", column), f"{column!r} is not a files metadata column",
                          "one of " + ", ".join(METADATA)))
        elif isinstance(spec, dict) and str(spec.get("type", "")).replace(" ", "") != METADATA[column][0]:
            kind, what = METADATA[column]
            found.append(((*at, "columns", column, "type"), f"{column} is {kind} ({what})", f"type: {kind}"))
    if incremental and (entity.get("load") or {}).get("watermark") not in (None, "modified_at"):
        found.append(((*at, "load", "watermark"), "a files entity's watermark is modified_at (the files' lastModified)",
                      "load: {mode: incremental, watermark: modified_at}"))
    return found


FILES = FilesKind(
    "files", "binary and media files in Azure Blob Storage", {},
    not_verified_locally=(
        "the Blob Storage SAS URL of files sources (files were read from a local folder or the local lake)",
        "Content-MD5 on the real store: Blob Storage returns it only for blobs uploaded with one (else NULL); "
        "locally every file has the MD5 of its bytes",
        "the metadata query (OPENJSON on the dedicated SQL pool): locally its rows come from the same Get Metadata "
        "JSON, computed by lakewharf",
    ),
)
