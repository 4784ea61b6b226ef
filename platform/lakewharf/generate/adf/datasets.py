"""Datasets: one per linked service and format, never one per entity, so the factory's entity
count does not grow with the catalog (Data Factory allows 5,000 entities per factory).

Every dataset is parameterised; the worker pipelines fill the parameters from their item:
https://learn.microsoft.com/azure/data-factory/parameterize-linked-services

- ``ds_src_<family>``: one per source family, shaped by its kind module (``lakewharf.sources``):
  ``ds_src_sqlserver`` / ``ds_src_postgresql`` a table of a database source (the Copy runs its
  generated query; the table parameters name what it reads for monitoring), ``ds_src_csv`` /
  ``ds_src_jsonl`` / ``ds_src_parquet`` the root of the container a file source's SAS URL grants
  (``lakewharf.sources.blob_files``).
- ``ds_lake_parquet``: a folder of Parquet files in a lake filesystem (landing, zones, scores).
- ``ds_lake_binary``: a lake folder for Delete activities (CETAS targets, rejects, score outputs).
- ``ds_lake_json``: one JSON file in the lake: the orchestrators' control files (item lists).
- ``ds_synapse_pool``: query-only dataset on the dedicated pool for the watermark Lookups.
"""

from __future__ import annotations

from typing import Any

from lakewharf.generate.adf.common import ds_ref, expr, gp, ls_ref
from lakewharf.generate.adf.linked_services import KV, LAKE, POOL, SECRET, source_kind_key
from lakewharf.generate.artifact import Artifact, json_artifact
from lakewharf.model import naming
from lakewharf.model.catalog import Catalog, Source
from lakewharf.sources.registry import family_of, kind_of
from lakewharf.sources.sql_dialect import split_table

__all__ = ["split_table"]  # re-exported for the generators that name tables

DS_SYNAPSE_POOL = "ds_synapse_pool"
DS_LAKE_PARQUET, DS_LAKE_BINARY, DS_LAKE_JSON = "ds_lake_parquet", "ds_lake_binary", "ds_lake_json"


def source_dataset_name(source: Source) -> str:
    """``ds_src_<family>``: the kind for databases, the format for file sources."""
    return f"ds_src_{family_of(source)}"


def _dataset(name: str, type_: str, linked_service: dict[str, Any], parameters: dict[str, str],
             type_properties: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "properties": {
            "type": type_,
            "description": description,
            "linkedServiceName": linked_service,
            "parameters": {p: {"type": t} for p, t in parameters.items()},
            "annotations": ["lakewharf"],
            "typeProperties": type_properties,
            "schema": [],
        },
    }


def _p(name: str) -> dict[str, str]:
    return expr("@dataset()." + name)


def _lake_location(with_file: bool = False) -> dict[str, Any]:
    location = {"type": "AzureBlobFSLocation", "fileSystem": _p("filesystem"), "folderPath": _p("folder")}
    if with_file:
        location["fileName"] = _p("file")
    return location


def source_dataset(source: Source) -> dict[str, Any]:
    """The dataset of a source family; its shape is the kind's (``lakewharf.sources``)."""
    kind = kind_of(source)
    connection = (KV, SECRET, *kind.connection_parameters)
    linked = ls_ref(naming.source_linked_service_name(source_kind_key(source)), {p: _p(p) for p in connection})
    shape = kind.dataset(source, _p)
    params = {**dict.fromkeys(connection, "String"), **shape.parameters}
    return _dataset(source_dataset_name(source), shape.type, linked, params, dict(shape.type_properties),
                    shape.description)


def lake_datasets() -> list[dict[str, Any]]:
    linked = ls_ref(naming.LS_LAKE, {LAKE: _p(LAKE)})
    folder = {LAKE: "String", "filesystem": "String", "folder": "String"}
    return [
        _dataset(DS_LAKE_PARQUET, "Parquet", linked, folder,
                 {"location": _lake_location(), "compressionCodec": "snappy"}, "A Parquet folder in the lake."),
        _dataset(DS_LAKE_BINARY, "Binary", linked, folder, {"location": _lake_location()},
                 "A lake folder, emptied by Delete activities."),
        _dataset(DS_LAKE_JSON, "Json", linked, folder | {"file": "String"},
                 {"location": _lake_location(with_file=True), "encodingName": "UTF-8"},
                 "One JSON file in the lake: an orchestrator's control file (its item list)."),
    ]


def synapse_pool_dataset() -> dict[str, Any]:
    linked = ls_ref(naming.LS_SYNAPSE_POOL, {p: _p(p) for p in POOL})
    return _dataset(DS_SYNAPSE_POOL, "AzureSqlDWTable", linked, dict.fromkeys(POOL, "String"), {},
                    "Query-only dataset on the dedicated SQL pool (watermark Lookups).")


def lake_ref(name: str, filesystem: Any, folder: Any, **more: Any) -> dict[str, Any]:
    """A reference to a lake dataset, passing the lake endpoint global parameter."""
    return ds_ref(name, {LAKE: expr(gp(LAKE)), "filesystem": filesystem, "folder": folder, **more})


def artifacts(catalog: Catalog) -> list[Artifact]:
    out: list[Artifact] = []
    platform = f"platform:{catalog.platform.name}"
    families: dict[str, tuple[Source, list[str]]] = {}
    for sname in sorted(catalog.sources):
        source = catalog.sources[sname]
        families.setdefault(source_dataset_name(source), (source, []))[1].append(f"source:{sname}")
    for name, (source, elements) in sorted(families.items()):
        out.append(json_artifact(f"adf/dataset/{name}.json", source_dataset(source), tuple(elements)))
    for doc in lake_datasets():
        out.append(json_artifact(f"adf/dataset/{doc['name']}.json", doc, (platform,)))
    if any(e.load_mode == "incremental" for s in catalog.sources.values() for e in s.entities.values()):
        out.append(json_artifact(f"adf/dataset/{DS_SYNAPSE_POOL}.json", synapse_pool_dataset(), (platform,)))
    return out
