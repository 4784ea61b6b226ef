"""``log``: log files (IoT devices, applications) landed in a Blob Storage container, usually
in dated folders (``{yyyy}/{MM}/{dd}`` in the entity's path); read like a file drop."""

from lakewharf.sources.base import FileKind
from lakewharf.sources.blob_files import FILE_OPTIONS

LOG = FileKind(
    "log", "log files in Azure Blob Storage", FILE_OPTIONS,
    not_verified_locally=("the Blob Storage SAS URL of log sources (files were read from a local folder or the "
                          "local lake)",),
)
