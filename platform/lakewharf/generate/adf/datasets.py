"""Datasets: what each activity reads or writes, one per source entity, landing entity, prepared
dataset, model score output, plus a query-only dataset on the dedicated pool for Lookups.

Lake datasets point at a folder (never a file): Copy names the files it writes, Delete empties the
folder, and the dated landing folder ``<source>/<entity>/yyyy/MM/dd`` is a dataset parameter the
Copy fills from the trigger time or the tumbling window.

Source file datasets point at the root of the container their linked service's SAS URL grants;
the entity's path (with wildcards) is applied by the Copy source's ``storeSettings``, which is
where Data Factory takes wildcard folder/file filters and modified-time windows:
https://learn.microsoft.com/azure/data-factory/connector-azure-blob-storage#copy-activity-properties
Formats: https://learn.microsoft.com/azure/data-factory/format-delimited-text,
https://learn.microsoft.com/azure/data-factory/format-json, https://learn.microsoft.com/azure/data-factory/format-parquet
"""

from __future__ import annotations

from typing import Any

from lakewharf.generate.adf.common import ds_ref, expr, gp, ls_ref, string_params
from lakewharf.generate.adf.linked_services import KV, LAKE, POOL
from lakewharf.generate.artifact import Artifact, json_artifact
from lakewharf.model import lake, naming
from lakewharf.model.catalog import Catalog, Entity, Source

DS_SYNAPSE_POOL = "ds_synapse_pool"  # query-only dataset for Lookups on the warehouse


def rejects_dataset_name(zone: str) -> str:
    """Binary dataset over ``_rejects/<dataset>`` folders of a zone (Delete only). Catalog names
    start with a letter, so the double underscore never collides with zone_dataset_name."""
    return f"ds_{zone}__rejects"


def _dataset(name: str, type_: str, linked_service: dict[str, Any], parameters: tuple[str, ...],
             type_properties: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "properties": {
            "type": type_,
            "description": description,
            "linkedServiceName": linked_service,
            "parameters": string_params(*parameters),
            "annotations": ["lakewharf"],
            "typeProperties": type_properties,
            "schema": [],
        },
    }


def _dataset_param(name: str) -> dict[str, str]:
    return expr("@dataset()." + name)


def _lake_ls() -> dict[str, Any]:
    return ls_ref(naming.LS_LAKE, {LAKE: _dataset_param(LAKE)})


def _lake_location(filesystem: str, folder: str | dict[str, str]) -> dict[str, Any]:
    return {"type": "AzureBlobFSLocation", "fileSystem": filesystem, "folderPath": folder}


def split_table(table: str) -> tuple[str | None, str]:
    schema, _, name = table.rpartition(".")
    return (schema or None), name


def source_dataset(source: Source, entity: Entity) -> dict[str, Any]:
    name = naming.source_dataset_name(source.name, entity.name)
    linked = ls_ref(naming.source_linked_service_name(source.name), {KV: _dataset_param(KV)})
    description = f"Source entity {entity.ref}."
    if source.is_database:
        assert entity.table is not None
        schema, table = split_table(entity.table)
        props: dict[str, Any] = {"table": table}
        if schema:
            props["schema"] = schema
        type_ = "SqlServerTable" if source.kind == "sqlserver" else "AzurePostgreSqlTable"
        return _dataset(name, type_, linked, (KV,), props, description)
    location = {"type": "AzureBlobStorageLocation"}  # the container the SAS URL grants
    options = source.options
    if source.format == "csv":
        return _dataset(name, "DelimitedText", linked, (KV,), {
            "location": location,
            "columnDelimiter": options.get("delimiter", ","),
            "firstRowAsHeader": bool(options.get("header", True)),
            "encodingName": options.get("encoding", "UTF-8"),
            "quoteChar": options.get("quote", '"'),
            "escapeChar": "\\",
        }, description)
    if source.format == "jsonl":  # JSON lines are detected by the Copy source (setOfObjects)
        return _dataset(name, "Json", linked, (KV,), {
            "location": location, "encodingName": options.get("encoding", "UTF-8")}, description)
    if source.format == "parquet":
        return _dataset(name, "Parquet", linked, (KV,), {"location": location}, description)
    raise ValueError(f"source {source.name}: no Data Factory dataset for format {source.format!r}")


def landing_dataset(catalog: Catalog, source: Source, entity: Entity) -> dict[str, Any]:
    filesystem = catalog.platform.zones[source.landing_zone].filesystem
    return _dataset(naming.landing_dataset_name(source.name, entity.name), "Parquet", _lake_ls(), (LAKE, "folder"), {
        "location": _lake_location(filesystem, _dataset_param("folder")),
        "compressionCodec": "snappy",
    }, f"Landing folder of {entity.ref}: {lake.landing_folder(source.name, entity.name)}/yyyy/MM/dd.")


def zone_dataset(catalog: Catalog, dataset: str) -> dict[str, Any]:
    ds = catalog.datasets[dataset]
    filesystem = catalog.platform.zones[ds.zone].filesystem
    return _dataset(naming.zone_dataset_name(ds.zone, dataset), "Parquet", _lake_ls(), (LAKE,), {
        "location": _lake_location(filesystem, lake.dataset_folder(dataset)),
        "compressionCodec": "snappy",
    }, f"Prepared dataset {dataset} in zone {ds.zone}.")


def rejects_dataset(catalog: Catalog, zone: str) -> dict[str, Any]:
    filesystem = catalog.platform.zones[zone].filesystem
    folder = expr("@concat('" + lake.rejects_folder("") + "', dataset().dataset)")
    return _dataset(rejects_dataset_name(zone), "Binary", _lake_ls(), (LAKE, "dataset"), {
        "location": _lake_location(filesystem, folder),
    }, f"Rejected rows of a dataset in zone {zone} (emptied before each preparation).")


def scores_dataset(catalog: Catalog, model: str, output: str) -> dict[str, Any]:
    zone = catalog.models[model].scoring.output_zone
    filesystem = catalog.platform.zones[zone].filesystem
    return _dataset(naming.scores_dataset_name(model, output), "Parquet", _lake_ls(), (LAKE,), {
        "location": _lake_location(filesystem, lake.scores_folder(model, output)),
        "compressionCodec": "snappy",
    }, f"Score output {output} of model {model} in zone {zone}.")


def synapse_pool_dataset() -> dict[str, Any]:
    linked = ls_ref(naming.LS_SYNAPSE_POOL, {p: _dataset_param(p) for p in POOL})
    return _dataset(DS_SYNAPSE_POOL, "AzureSqlDWTable", linked, POOL, {},
                    "Query-only dataset on the dedicated SQL pool (watermark Lookups).")


def lake_ref(name: str, **parameters: Any) -> dict[str, Any]:
    """A reference to a lake dataset, passing the lake endpoint global parameter."""
    return ds_ref(name, {LAKE: expr(gp(LAKE)), **parameters})


def zones_with_rejects(catalog: Catalog, scripts: dict[str, str]) -> list[str]:
    return sorted({catalog.datasets[d].zone for d, text in scripts.items() if has_rejects(d, text)})


def has_rejects(dataset: str, script: str) -> bool:
    """Whether a preparation writes a rejects folder (its CETAS locations say so)."""
    return f"'{lake.rejects_folder(dataset)}/" in script


def artifacts(catalog: Catalog, prepare_scripts: dict[str, str]) -> list[Artifact]:
    out: list[Artifact] = []

    def add(doc: dict[str, Any], *elements: str) -> None:
        out.append(json_artifact(f"adf/dataset/{doc['name']}.json", doc, elements))

    for sname in sorted(catalog.sources):
        source = catalog.sources[sname]
        for ename in sorted(source.entities):
            entity = source.entities[ename]
            add(source_dataset(source, entity), f"source:{sname}", f"entity:{entity.ref}")
            add(landing_dataset(catalog, source, entity), f"source:{sname}", f"entity:{entity.ref}")
    for dname in sorted(catalog.datasets):
        add(zone_dataset(catalog, dname), f"dataset:{dname}")
    for zone in zones_with_rejects(catalog, prepare_scripts):
        users = [d for d, text in sorted(prepare_scripts.items())
                 if catalog.datasets[d].zone == zone and has_rejects(d, text)]
        add(rejects_dataset(catalog, zone), *(f"dataset:{d}" for d in users))
    for mname in sorted(catalog.models):
        for output in catalog.models[mname].outputs:
            add(scores_dataset(catalog, mname, output), f"model:{mname}")
    if any(e.load_mode == "incremental" for s in catalog.sources.values() for e in s.entities.values()):
        add(synapse_pool_dataset(), f"platform:{catalog.platform.name}")
    return out
