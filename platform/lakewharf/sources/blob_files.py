"""What the file kinds (``file_drop``, ``log``) share: Azure Blob Storage files in one of three
formats, read by the dataset and Copy source of that format.

- ``ds_src_csv`` / ``ds_src_jsonl`` / ``ds_src_parquet``: the root of the container a file
  source's SAS URL grants; the entity's path (with wildcards) is applied by the Copy source's
  ``storeSettings``, which is where Data Factory takes wildcard filters and modified-time windows:
  https://learn.microsoft.com/azure/data-factory/connector-azure-blob-storage#copy-activity-properties
Formats: https://learn.microsoft.com/azure/data-factory/format-delimited-text,
https://learn.microsoft.com/azure/data-factory/format-json, https://learn.microsoft.com/azure/data-factory/format-parquet
"""

from __future__ import annotations

from typing import Any

from lakewharf.model.catalog import Source
from lakewharf.sources.base import DatasetShape, Param

# format -> (Copy source type, its formatSettings type or None)
FORMAT_SOURCES: dict[str, tuple[str, str | None]] = {
    "csv": ("DelimitedTextSource", "DelimitedTextReadSettings"),
    "jsonl": ("JsonSource", "JsonReadSettings"),
    "parquet": ("ParquetSource", None),
}
# format -> the dataset parameters its source options fill (beyond the vault and the secret)
FORMAT_PARAMETERS: dict[str, dict[str, str]] = {
    "csv": {"delimiter": "String", "header": "Bool", "encoding": "String", "quote": "String"},
    "jsonl": {"encoding": "String"},
    "parquet": {},
}
FORMATS = tuple(FORMAT_SOURCES)

# The `options` a file source accepts (the CSV reader's; encoding also for JSON lines).
FILE_OPTIONS: dict[str, Any] = {
    "delimiter": {"type": "string", "minLength": 1, "maxLength": 1},
    "header": {"type": "boolean"},
    "encoding": {"type": "string"},
    "quote": {"type": "string", "maxLength": 1},
}


def format_dataset(source: Source, param: Param) -> DatasetShape:
    location = {"type": "AzureBlobStorageLocation"}  # the container the SAS URL grants
    if source.format == "csv":
        return DatasetShape("DelimitedText", FORMAT_PARAMETERS["csv"], {
            "location": location, "columnDelimiter": param("delimiter"),
            "firstRowAsHeader": param("header"), "encodingName": param("encoding"),
            "quoteChar": param("quote"), "escapeChar": "\\",
        }, "CSV files of a file source (options per source as parameters).")
    if source.format == "jsonl":  # JSON lines are detected by the Copy source (setOfObjects)
        return DatasetShape("Json", FORMAT_PARAMETERS["jsonl"],
                            {"location": location, "encodingName": param("encoding")},
                            "JSON-lines files of a file source.")
    if source.format == "parquet":
        return DatasetShape("Parquet", {}, {"location": location}, "Parquet files of a file source.")
    raise ValueError(f"source {source.name}: no Data Factory dataset for format {source.format!r}")
