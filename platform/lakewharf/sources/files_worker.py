"""The ``files`` kind's worker pipeline (``wk_ingest_files_<full|incremental|window>``), built from
the generator's parts (``generate.adf.workers_ingest.WorkerParts``): see ``sources.files`` for
the steps and why. One worker serves every files entity; its item holds the folder, the name
pattern and the metadata query.

Shapes: Get Metadata (fieldList, storeSettings with modifiedDatetimeStart/End, exists):
https://learn.microsoft.com/azure/data-factory/control-flow-get-metadata-activity ; Binary Copy
with PreserveHierarchy and the modified-time window:
https://learn.microsoft.com/azure/data-factory/format-binary ,
https://learn.microsoft.com/azure/data-factory/connector-azure-blob-storage#copy-activity-properties ;
Filter (its output's ``value``), ForEach and Append Variable:
https://learn.microsoft.com/azure/data-factory/control-flow-filter-activity ,
https://learn.microsoft.com/azure/data-factory/control-flow-append-variable-activity ; Append
Variable in a parallel ForEach is Microsoft's way of aggregating its outputs (only SetVariable is
unsafe there), and the worker's ForEach sits in a pipeline the orchestrator's ForEach executes, the
two-level design that page gives for nesting:
https://learn.microsoft.com/azure/data-factory/control-flow-for-each-activity#aggregating-outputs
"""

from __future__ import annotations

from typing import Any

from lakewharf.sources.files import FILES_PLACEHOLDER, FOREACH_BATCH, LANDED_PLACEHOLDER

_STORE = "AzureBlobStorageReadSettings"


def files_worker(family: str, mode: str, parts: Any) -> dict[str, Any]:
    p, pe, expr = parts.p, parts.pe, parts.expr
    def dated(text: str) -> str:  # a full load: the path's date placeholders are the run's day (query's too)
        return parts.run_day(text) if mode == "full" else text

    folder = dated(p("source_folder"))
    # One window for the listing and the copy, so both see the same files: a file arriving during the
    # run (modified after the trigger time) waits for the next run in every mode.
    window: dict[str, Any] = {"modifiedDatetimeEnd": pe("trigger_time")}
    if mode == "window":
        window = {"modifiedDatetimeStart": pe("window_start"), "modifiedDatetimeEnd": pe("window_end")}
    elif mode == "incremental":
        window = {"modifiedDatetimeStart": expr("@activity('old_watermark').output.firstRow.watermark"),
                  "modifiedDatetimeEnd": pe("trigger_time")}

    def source(file: Any) -> dict[str, Any]:
        return parts.source_ref(family, {"folder": expr(f"@{folder}"), "file": file})

    landed = (f"concat({p('files_folder')}, '/', formatDateTime({p('landing_time')}, 'yyyy/MM/dd'), '/', "
              f"{p('run_id')})")
    listing = {
        "name": "list_files", "type": "GetMetadata", "policy": parts.policy(),
        "description": "List the files of the entity's folder modified in the copy's window.",
        "typeProperties": {"dataset": source(""), "fieldList": ["exists", "childItems"],
                           "storeSettings": {"type": _STORE, **window},
                           "formatSettings": {"type": "BinaryReadSettings"}},
    }
    # The name test must be case-sensitive, as the Copy's wildcard on Blob Storage is: startsWith and
    # endsWith ignore case, replace does not (Microsoft's expression reference). A name holds no '/', so
    # '/<prefix>' can only occur at the start of '/<name>' and '<suffix>/' only at the end of '<name>/'.
    name, prefix, suffix = "item().name", p("name_prefix"), p("name_suffix")
    starts = f"not(equals(replace(concat('/', {name}), concat('/', {prefix}), ''), concat('/', {name})))"
    ends = f"not(equals(replace(concat({name}, '/'), concat({suffix}, '/'), ''), concat({name}, '/')))"
    room = f"greaterOrEquals(length({name}), add(length({prefix}), length({suffix})))"
    pick = {
        "name": "pick_files", "type": "Filter",
        "description": "Keep the files matching the entity's name pattern (<prefix>*<suffix>, case-sensitive).",
        "typeProperties": {
            "items": expr("@coalesce(activity('list_files').output?.childItems, json('[]'))"),
            "condition": expr(f"@and(equals(item().type, 'File'), and({starts}, and({ends}, {room})))"),
        },
    }
    copy = {
        "name": "copy_files", "type": "Copy", "policy": parts.policy(),
        "description": "Copy the files as they are into the run's landing folder (names and paths kept).",
        "userProperties": [{"name": "item", "value": pe("item")}, {"name": "target", "value": pe("target")}],
        "inputs": [parts.source_ref(family, {"folder": "", "file": ""})],
        "outputs": [parts.lake_ref(parts.lake_binary, pe("filesystem"), expr(f"@{landed}"))],
        "typeProperties": {
            "source": {"type": "BinarySource", "formatSettings": {"type": "BinaryReadSettings"},
                       "storeSettings": {"type": _STORE, "recursive": False, "wildcardFolderPath": expr(f"@{folder}"),
                                         "wildcardFileName": pe("wildcard_file"), **window}},
            "sink": {"type": "BinarySink",
                     "storeSettings": {"type": "AzureBlobFSWriteSettings", "copyBehavior": "PreserveHierarchy"}},
            "enableStaging": False,
        },
    }
    each = {
        "name": "each_file", "type": "ForEach",
        "description": "Get each picked file's size, last modified time and Content-MD5.",
        "typeProperties": {
            "items": expr("@activity('pick_files').output.value"), "isSequential": False,
            "batchCount": FOREACH_BATCH,
            "activities": [
                {"name": "file_metadata", "type": "GetMetadata", "policy": parts.policy(),
                 "typeProperties": {"dataset": source(expr("@item().name")),
                                    "fieldList": ["itemName", "size", "lastModified", "contentMD5"],
                                    "storeSettings": {"type": _STORE},
                                    "formatSettings": {"type": "BinaryReadSettings"}}},
                {"name": "add_file", "type": "AppendVariable",
                 "dependsOn": [{"activity": "file_metadata", "dependencyConditions": ["Succeeded"]}],
                 "typeProperties": {"variableName": "files", "value": expr("@activity('file_metadata').output")}},
            ],
        },
    }
    query = (f"@replace(replace({dated(p('metadata_query'))}, '{FILES_PLACEHOLDER}', "
             f"replace(string(variables('files')), '''', '''''')), '{LANDED_PLACEHOLDER}', {landed})")
    write = parts.landing_copy(family, {"type": "SqlDWSource", "sqlReaderQuery": expr(query),
                                        "queryTimeout": "00:10:00"}, [parts.pool_ref()])
    write |= {"name": "write_metadata", "description": "Land the files' metadata table (Parquet) from the "
              "Get Metadata outputs."}
    activities = [listing, pick, copy, each, write]
    params = {"secret": "String", "source_folder": "String", "wildcard_file": "String", "name_prefix": "String",
              "name_suffix": "String", "files_folder": "String", "metadata_query": "String",
              "rejects_path": "String", "filesystem": "String", "folder": "String", "translator": "Object",
              "pipeline": "String", "run_id": "String", "trigger_time": "String", "landing_time": "String"}
    if mode == "window":
        params |= {"window_start": "String", "window_end": "String"}
    if mode == "incremental":
        activities = [parts.old_watermark(), *activities, parts.save_watermark(p("trigger_time"))]
        params |= {"old_query": "String", "save_script": "String"}
    return parts.worker(f"ingest_{family}_{mode}", f"Copy the files of one files entity as they are and land their "
                        f"metadata ({mode}, one item).", parts.chain(activities), params,
                        {"files": {"type": "Array", "defaultValue": []}})
