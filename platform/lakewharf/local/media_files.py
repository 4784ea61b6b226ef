"""Get Metadata and the Binary Copy, locally, over a source's drop (a bound folder or the local
lake's drop container), as Data Factory runs them on Blob Storage:

- Get Metadata of a folder: ``exists`` and ``childItems`` (``{name, type}`` of what sits directly
  in it; with ``modifiedDatetimeStart``/``End``, only its files modified in the range, no folders); of a
  file: ``itemName``, ``size``, ``lastModified`` (ISO 8601, UTC) and ``contentMD5`` (base64 of the
  MD5 of its bytes: the real store has it only for blobs uploaded with one).
  https://learn.microsoft.com/azure/data-factory/control-flow-get-metadata-activity
- Binary Copy: the files matching the wildcards and window, bytes unchanged, to the sink folder
  with ``PreserveHierarchy`` (each keeps its path below the source dataset's root); its report
  line counts files (read, written) and the output has Data Factory's ``filesRead``/``filesWritten``.
- The files kind's metadata Copy (a pool query over the Get Metadata outputs) lands the rows its
  kind computes from the same JSON (``SourceKind.query_rows``).
"""

from __future__ import annotations

import datetime as dt
import posixpath
from pathlib import Path
from typing import Any

import pyarrow

from lakewharf.local.context import Measured, RunContext
from lakewharf.local.source_readers import DropFile, in_window, matching
from lakewharf.model.type_map import arrow_type
from lakewharf.sources.files import content_md5
from lakewharf.sources.registry import kind_of


def _source(ctx: RunContext) -> Any:
    entity = ctx.item_entity()
    if entity is None:
        raise RuntimeError(f"{ctx.target!r} (the item's target) is not a source entity of the catalog")
    return ctx.catalog.sources[entity.source]


def _modified(f: DropFile) -> dt.datetime:
    if f.modified is not None:
        return f.modified
    return dt.datetime.fromtimestamp(Path(f.path).stat().st_mtime, dt.UTC).replace(tzinfo=None)


def run_get_metadata(ctx: RunContext, props: dict[str, Any]) -> tuple[dict[str, Any], Measured]:
    dataset = ctx.adf.dataset(props["dataset"])
    drop = ctx.sources.drop(_source(ctx).name)
    folder, file = (dataset.folder or "").strip("/"), dataset.file or ""
    fields = props.get("fieldList") or []
    files = drop.files()
    if file:
        wanted = posixpath.join(folder, file)
        found = next((f for f in files if f.name == wanted), None)
        if found is None:
            raise FileNotFoundError(f"Get Metadata: {wanted} is not in {drop.where}")
        data = Path(found.path).read_bytes()
        values = {"itemName": file, "itemType": "File", "size": len(data), "exists": True,
                  "lastModified": _modified(found).strftime("%Y-%m-%dT%H:%M:%SZ"), "contentMD5": content_md5(data)}
        return {k: values[k] for k in fields if k in values}, Measured()
    prefix = folder + "/" if folder else ""
    inside = [f for f in files if f.name.startswith(prefix)]
    output: dict[str, Any] = {"exists": bool(inside)} if "exists" in fields else {}
    if not inside and "exists" not in fields:
        raise FileNotFoundError(f"Get Metadata: the folder {folder!r} is not in {drop.where}")
    if inside and "childItems" in fields:
        store = props.get("storeSettings") or {}
        # With a modified-time filter, childItems holds only the folder's own files in the range, no folders.
        windowed = bool(store.get("modifiedDatetimeStart") or store.get("modifiedDatetimeEnd"))
        children: dict[str, str] = {}
        for f in inside:
            rest = f.name[len(prefix):]
            if "/" in rest:
                if not windowed:
                    children.setdefault(rest.split("/", 1)[0], "Folder")
            elif in_window(f, store):
                children[rest] = "File"
        output["childItems"] = [{"name": n, "type": t} for n, t in sorted(children.items())]
    return output, Measured()


def run_binary_copy(ctx: RunContext, props: dict[str, Any], sink_ds: Any) -> tuple[dict[str, Any], Measured]:
    store = props["source"]["storeSettings"]
    drop = ctx.sources.drop(_source(ctx).name)
    chosen = [f for f in matching(drop.files(), store.get("wildcardFolderPath", ""), store.get("wildcardFileName", "*"))
              if in_window(f, store)]
    filesystem, folder = sink_ds.filesystem or "", (sink_ds.folder or "").strip("/")
    ctx.lake.ensure_filesystem(filesystem)
    written = size = 0
    for f in chosen:  # PreserveHierarchy: the path below the source dataset's root (the container)
        data = Path(f.path).read_bytes()
        ctx.lake.write(filesystem, f"{folder}/{f.name}", data)
        written, size = written + 1, size + len(data)
    measured = Measured(rows_read=len(chosen), rows_written=written, rows_rejected=0)
    measured.notes.append(f"{written:,} file(s), {size:,} bytes, copied as they are (counts are files)")
    if not chosen:
        measured.warnings.append(f"{ctx.target}: 0 files copied from {drop.where}")
    return {"filesRead": len(chosen), "filesWritten": written, "dataRead": size, "dataWritten": size}, measured


def metadata_relation(ctx: RunContext, con: Any, query: str) -> tuple[str, int]:
    """(relation, rows) of the rows the kind's metadata query gives: the catalog's columns plus the
    ``__file``/``__line`` the copy's checks read."""
    entity = ctx.item_entity()
    assert entity is not None
    rows = kind_of(_source(ctx)).query_rows(query)
    if rows is None:
        raise RuntimeError(f"{entity.ref}: the Copy's pool query has no local executor")
    names = [c.name for c in entity.columns]
    table = pyarrow.Table.from_pylist([{n: r.get(n) for n in names} for r in rows],
                                      schema=pyarrow.schema([(c.name, arrow_type(c.type)) for c in entity.columns]))
    con.register("files_metadata", table)
    return "(SELECT *, NULL::VARCHAR AS __file, NULL::BIGINT AS __line FROM files_metadata)", len(rows)

