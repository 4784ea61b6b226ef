"""``file_drop``: files a business application drops into a Blob Storage container (CSV, JSON
lines or Parquet), read through the container's SAS URL kept in Key Vault."""

from lakewharf.sources.base import FileKind
from lakewharf.sources.blob_files import FILE_OPTIONS

FILE_DROP = FileKind(
    "file_drop", "files dropped in Azure Blob Storage", FILE_OPTIONS,
    not_verified_locally=("the Blob Storage SAS URL of file_drop sources (files were read from a local folder or "
                          "the local lake)",),
)
