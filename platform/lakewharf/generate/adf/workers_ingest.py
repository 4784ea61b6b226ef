"""Ingest workers: copy one source entity into its dated landing folder as Parquet.

One worker per source family and load mode (``wk_ingest_<sqlserver|postgresql|csv|jsonl|parquet>
_<full|incremental|window>``), generated only when the catalog uses it; the Copy source of a
database family is its kind's (``lakewharf.sources``), a file format's is in ``sources.blob_files``:

- full: one Copy of the item's query (databases) or of the files matching its wildcards, the
  date placeholders of the path replaced by the run's day;
- incremental, databases: Microsoft's watermark pattern (Lookup the old watermark in
  ``etl.watermarks``, Lookup the new one at the source, Copy the rows between, advance it):
  https://learn.microsoft.com/azure/data-factory/tutorial-incremental-copy-overview
- incremental, files: the files *modified* since the stored cut-off up to the trigger time;
  window: the files modified in the tumbling window (re-running a window copies the same files);
- Event Hubs Capture (``wk_ingest_event_hub_<mode>``): the same three modes over the hub's Avro
  capture files in the landing container (``AvroSource``; ``full`` takes every capture file).

Every row gets ``_loaded_at`` and ``_run_id`` (the orchestrator's trigger time and run id)
through ``additionalColumns``; the item's explicit mapping (``translator``) writes exactly the
catalog's columns, as the metadata-driven copy task passes its mappings:
https://learn.microsoft.com/azure/data-factory/copy-activity-schema-and-type-mapping#parameterize-mapping
File rows that do not convert are skipped into the rejects path (fault tolerance):
https://learn.microsoft.com/azure/data-factory/copy-activity-fault-tolerance
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from lakewharf.generate.adf.common import ds_ref, expr, gp, gp_args, ls_ref
from lakewharf.generate.adf.datasets import DS_LAKE_BINARY, DS_LAKE_PARQUET, DS_SYNAPSE_POOL, lake_ref
from lakewharf.generate.adf.items import NEW, OLD, UNSELECTABLE
from lakewharf.generate.adf.linked_services import KV, LAKE, POOL, SECRET
from lakewharf.generate.adf.workers import p, pe, policy, script, worker
from lakewharf.model import naming
from lakewharf.model.lake import DAY_TOKENS, LOADED_AT, RUN_ID
from lakewharf.sources.blob_files import FORMAT_PARAMETERS, FORMAT_SOURCES
from lakewharf.sources.registry import SOURCE_KINDS, api_kind, capture_kind, database_kind, split_family


def _chain(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for before, after in pairwise(activities):
        after["dependsOn"] = [{"activity": before["name"], "dependencyConditions": ["Succeeded"]}]
    return activities


def _source_ref(family: str) -> dict[str, Any]:
    params: dict[str, Any] = {KV: expr(gp(KV)), SECRET: pe("secret")}
    kind = database_kind(family)
    api = api_kind(family)
    if kind:
        params |= {name: pe(name) for name in kind.connection_parameters}
        params |= {"schema": pe("schema"), "table": pe("table")}
    elif api:
        params |= {name: pe(name) for name in api.connection_parameters} | {"relative_url": pe("relative_url")}
    elif capture_kind(family):  # the capture files sit in the item's landing container of the lake
        params |= {LAKE: expr(gp(LAKE)), "filesystem": pe("filesystem")}
    else:
        params |= {name: pe(name) for name in FORMAT_PARAMETERS[split_family(family)[0]]}
    return ds_ref(f"ds_src_{family}", params)


def _copy(family: str, source_props: dict[str, Any], *, files: bool,
          inputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    sink_store: dict[str, Any] = {"type": "AzureBlobFSWriteSettings"}
    if files:
        sink_store["copyBehavior"] = "FlattenHierarchy"  # unique generated names: no overwrite in a day folder
    folder = expr(f"@concat({p('folder')}, '/', formatDateTime({p('landing_time')}, 'yyyy/MM/dd'))")
    props: dict[str, Any] = {
        "source": {**source_props, "additionalColumns": [
            {"name": LOADED_AT, "value": expr(f"@formatDateTime({p('trigger_time')}, 'yyyy-MM-ddTHH:mm:ss.fffffffZ')")},
            {"name": RUN_ID, "value": pe("run_id")},
        ]},
        "sink": {"type": "ParquetSink", "storeSettings": sink_store,
                 "formatSettings": {"type": "ParquetWriteSettings"}},
        "enableStaging": False,
        "translator": pe("translator"),
    }
    # Fault tolerance: a row whose value does not convert to its column's type (or a file row with
    # the wrong number of columns) is skipped and logged to the entity's rejects folder, and the
    # rest of the copy lands; the local runner rejects the same rows, with a reason, for every
    # source kind: https://learn.microsoft.com/azure/data-factory/copy-activity-fault-tolerance
    props |= {"enableSkipIncompatibleRow": True, "redirectIncompatibleRowSettings": {
        "linkedServiceName": ls_ref(naming.LS_LAKE, gp_args("lake_dfs_endpoint")), "path": pe("rejects_path")}}
    return {
        "name": "copy",
        "type": "Copy",
        "description": "Copy the item's entity into its dated landing folder.",
        "policy": policy(),
        "userProperties": [{"name": "item", "value": pe("item")}, {"name": "target", "value": pe("target")}],
        "inputs": inputs or [_source_ref(family)],
        "outputs": [lake_ref(DS_LAKE_PARQUET, pe("filesystem"), folder)],
        "typeProperties": props,
    }


def _lookup(name: str, dataset: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "type": "Lookup", "policy": policy(),
            "typeProperties": {"source": source, "dataset": dataset, "firstRowOnly": True}}


def _old_watermark() -> dict[str, Any]:
    return _lookup("old_watermark", ds_ref(DS_SYNAPSE_POOL, gp_args(*POOL)),
                   {"type": "SqlDWSource", "sqlReaderQuery": pe("old_query"), "queryTimeout": "00:10:00"})


def _save_watermark(value: str, unselectable: str | None = None) -> dict[str, Any]:
    text = f"replace({p('save_script')}, '{NEW}', {value})"
    if unselectable is not None:
        text = f"replace({text}, '{UNSELECTABLE}', string({unselectable}))"
    return script("save_watermark", naming.LS_SYNAPSE_POOL, POOL, expr(f"@{text}"),
                  f"Advance the item's watermark in {naming.watermark_table()}.")


def _watermark(activity: str) -> str:
    return f"activity('{activity}').output.firstRow.watermark"


def database_worker(family: str, incremental: bool) -> dict[str, Any]:
    kind = database_kind(family)
    assert kind is not None
    params = {"secret": "String", "schema": "String", "table": "String", "query": "String", "rejects_path": "String",
              "filesystem": "String", "folder": "String", "translator": "Object",
              "pipeline": "String", "run_id": "String", "trigger_time": "String", "landing_time": "String",
              **dict.fromkeys(kind.connection_parameters, "String")}
    name = f"ingest_{family}_{'incremental' if incremental else 'full'}"
    if not incremental:
        copy = _copy(family, kind.copy_source(pe("query")), files=False)
        return worker(name, f"Full copy of one {family} table (one item).", [copy], params)
    old, new = _watermark("old_watermark"), _watermark("new_watermark")
    new_query = expr(f"@replace({p('new_query')}, '{OLD}', {old})")
    copy_query = expr(f"@replace(replace({p('query')}, '{OLD}', {old}), '{NEW}', {new})")
    activities = _chain([
        _old_watermark(),
        _lookup("new_watermark", _source_ref(family), kind.copy_source(new_query)),
        _copy(family, kind.copy_source(copy_query), files=False),
        _save_watermark(new, "activity('new_watermark').output.firstRow.rows_without_watermark"),
    ])
    params |= {"old_query": "String", "new_query": "String", "save_script": "String"}
    return worker(name, f"Watermark copy of one {family} table (one item).", activities, params)


def _run_day(text: str) -> str:
    """An expression of ``text`` (an expression of a path) with its day placeholders set to the
    run's day (its landing time): the folder a full load reads."""
    for token, (fmt, _) in DAY_TOKENS.items():
        text = f"replace({text}, '{token}', formatDateTime({p('landing_time')}, '{fmt}'))"
    return text


def file_worker(family: str, mode: str) -> dict[str, Any]:
    folder = p("wildcard_folder")
    capture = capture_kind(family)
    if mode == "full" and not capture:  # the path's date placeholders are the run's day
        folder = _run_day(folder)
    store: dict[str, Any] = {"type": "AzureBlobStorageReadSettings", "recursive": True,
                             "wildcardFolderPath": expr(f"@{folder}"), "wildcardFileName": pe("wildcard_file")}
    fmt = split_family(family)[0]
    if capture:  # Event Hubs Capture's Avro files in the lake (sources.event_hub)
        source = capture.copy_source({k: v for k, v in store.items() if k != "type"})
        store = source["storeSettings"]
        formats: dict[str, str] = {}
    else:
        source_type, read_settings = FORMAT_SOURCES[fmt]  # the format, whatever the runtime
        source = {"type": source_type, "storeSettings": store}
        if read_settings:
            source["formatSettings"] = {"type": read_settings}
        formats = FORMAT_PARAMETERS[fmt]
    params = {"secret": "String", "wildcard_folder": "String", "wildcard_file": "String", "rejects_path": "String",
              "filesystem": "String", "folder": "String", "translator": "Object", **formats,
              "pipeline": "String", "run_id": "String", "trigger_time": "String", "landing_time": "String"}
    kind = f"ingest_{family}_{mode}"
    if mode == "full":
        return worker(kind, f"Copy the {family} files of one entity (one item).", [_copy(family, source, files=True)],
                      params)
    if mode == "window":
        store["modifiedDatetimeStart"], store["modifiedDatetimeEnd"] = pe("window_start"), pe("window_end")
        params |= {"window_start": "String", "window_end": "String"}
        return worker(kind, f"Copy the {family} files of one entity modified in the window (one item).",
                      [_copy(family, source, files=True)], params)
    store["modifiedDatetimeStart"] = expr(f"@{_watermark('old_watermark')}")
    store["modifiedDatetimeEnd"] = pe("trigger_time")
    activities = _chain([_old_watermark(), _copy(family, source, files=True), _save_watermark(p("trigger_time"))])
    params |= {"old_query": "String", "save_script": "String"}
    return worker(kind, f"Copy the {family} files of one entity modified since the last run (one item).",
                  activities, params)


def api_worker(family: str) -> dict[str, Any]:
    """Every page of one API resource (the REST connector follows the item's pagination rules)."""
    kind = api_kind(family)
    assert kind is not None
    params = {"secret": "String", "relative_url": "String", "pagination": "Object", "headers": "Object",
              "rejects_path": "String", "filesystem": "String", "folder": "String", "translator": "Object",
              "pipeline": "String", "run_id": "String", "trigger_time": "String", "landing_time": "String",
              **dict.fromkeys(kind.connection_parameters, "String")}
    copy = _copy(family, kind.copy_source(pe("pagination"), pe("headers")), files=False)
    return worker(f"ingest_{family}_full", f"Copy every page of one {family} resource (one item).", [copy], params)


class WorkerParts:
    """What a kind that builds its own ingest worker (``SourceKind.ingest_worker``) builds it from:
    the same parameters, policies, dataset references, landing Copy and watermark steps as the
    generic workers (the ``sources`` room cannot import the generators)."""

    p = staticmethod(p)
    pe = staticmethod(pe)
    expr = staticmethod(expr)
    policy = staticmethod(policy)
    lake_ref = staticmethod(lake_ref)
    lake_binary = DS_LAKE_BINARY
    chain = staticmethod(_chain)
    run_day = staticmethod(_run_day)
    worker = staticmethod(worker)

    @staticmethod
    def source_ref(family: str, parameters: dict[str, Any]) -> dict[str, Any]:
        """``ds_src_<family>`` with the vault, the item's secret and ``parameters``."""
        return ds_ref(f"ds_src_{family}", {KV: expr(gp(KV)), SECRET: pe("secret"), **parameters})

    @staticmethod
    def pool_ref() -> dict[str, Any]:
        return ds_ref(DS_SYNAPSE_POOL, gp_args(*POOL))

    @staticmethod
    def landing_copy(family: str, source_props: dict[str, Any], inputs: list[dict[str, Any]]) -> dict[str, Any]:
        """The ingest Copy into the item's dated landing folder (translator, added columns, rejects)."""
        return _copy(family, source_props, files=False, inputs=inputs)

    @staticmethod
    def old_watermark() -> dict[str, Any]:
        return _old_watermark()

    @staticmethod
    def save_watermark(value: str) -> dict[str, Any]:
        return _save_watermark(value)


def ingest_worker(kind: str) -> dict[str, Any]:
    family, _, mode = kind.removeprefix("ingest_").rpartition("_")  # families may hold "_" (azure_sql)
    for source_kind in SOURCE_KINDS.values():  # a kind with a worker of its own (files)
        own = source_kind.ingest_worker(family, mode, WorkerParts())
        if own is not None:
            return own
    if database_kind(family):
        return database_worker(family, mode == "incremental")
    if api_kind(family):
        return api_worker(family)
    return file_worker(family, mode)
