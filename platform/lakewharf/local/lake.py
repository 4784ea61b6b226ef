"""The lake, locally: one small interface with a folder backend and a Blob API backend.

Data goes through azure-storage-blob, which works against Azurite and real ADLS Gen2 alike.
Azurite has no Data Lake (DFS) endpoint (Azurite issue #409), so ACLs and atomic renames —
ADLS Gen2-only features — are capabilities a backend may lack; the run report lists what could
not be checked instead of pretending.

Writes are never seen half-done: the folder backend writes a temporary file and renames it; a
block blob becomes visible only when its block list is committed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from lakewharf.errors import WharfError
from lakewharf.local.settings import AZURITE_ACCOUNT, AZURITE_KEY, LocalSettings


class LakeUnavailable(WharfError, RuntimeError):
    """The lake cannot be reached (e.g. Azurite is not running): a user-facing message."""


class NotSupportedHere(RuntimeError):
    """An ADLS Gen2-only operation on a backend that lacks it (see ``Capabilities``)."""


@dataclass(frozen=True)
class Capabilities:
    acls: bool  # POSIX ACLs on folders (ADLS Gen2 only)
    atomic_rename: bool  # rename a folder in one step (ADLS Gen2 hierarchical namespace)


class Lake(Protocol):
    name: str
    capabilities: Capabilities

    def ensure_filesystem(self, filesystem: str) -> None: ...
    def write(self, filesystem: str, path: str, data: bytes) -> None: ...
    def put_file(self, filesystem: str, path: str, local: Path) -> None: ...
    def read(self, filesystem: str, path: str) -> bytes: ...
    def list(self, filesystem: str, prefix: str = "") -> list[str]: ...
    def delete_prefix(self, filesystem: str, prefix: str) -> int: ...
    def rename_folder(self, filesystem: str, source: str, target: str) -> None: ...
    def set_acl(self, filesystem: str, folder: str, acl: str) -> None: ...


class FolderLake:
    """The embedded default: ``.wharf/lake/<filesystem>/<path>`` on the local disk."""

    name = "folder"
    capabilities = Capabilities(acls=False, atomic_rename=True)

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, filesystem: str, path: str) -> Path:
        target = (self.root / filesystem / path).resolve()
        if not target.is_relative_to((self.root / filesystem).resolve()):
            raise ValueError(f"path {path!r} leaves filesystem {filesystem!r}")
        return target

    def ensure_filesystem(self, filesystem: str) -> None:
        (self.root / filesystem).mkdir(parents=True, exist_ok=True)

    def write(self, filesystem: str, path: str, data: bytes) -> None:
        target = self._path(filesystem, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, target)

    def put_file(self, filesystem: str, path: str, local: Path) -> None:
        """Move a finished local file into place: one rename, so readers see all of it or nothing."""
        target = self._path(filesystem, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        shutil.move(str(local), temporary)
        os.replace(temporary, target)

    def read(self, filesystem: str, path: str) -> bytes:
        return self._path(filesystem, path).read_bytes()

    def list(self, filesystem: str, prefix: str = "") -> list[str]:
        base = self.root / filesystem
        # Only the folder the prefix names is walked: walking the whole filesystem for each list made
        # every listing cost the size of the lake (116,000 paths per list at 100 tables).
        below = base / prefix.rpartition("/")[0] if "/" in prefix else base
        if not below.is_dir() or not below.resolve().is_relative_to(base.resolve()):
            return []
        found = (p.relative_to(base).as_posix() for p in below.rglob("*") if p.is_file())
        return sorted(p for p in found if p.startswith(prefix) and not p.split("/")[-1].startswith("."))

    def delete_prefix(self, filesystem: str, prefix: str) -> int:
        names = self.list(filesystem, prefix)
        for name in names:
            self._path(filesystem, name).unlink()
        folder = self._path(filesystem, prefix.rstrip("/")) if prefix else None
        if folder is not None and folder.is_dir():
            shutil.rmtree(folder)
        return len(names)

    def rename_folder(self, filesystem: str, source: str, target: str) -> None:
        """One rename: readers see the old folder or the new one, never a mix."""
        destination = self._path(filesystem, target)
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._path(filesystem, source), destination)

    def set_acl(self, filesystem: str, folder: str, acl: str) -> None:
        raise NotSupportedHere("the embedded folder lake has no POSIX ACLs; ADLS Gen2 has (WHARF_LAKE=adls)")


class BlobLake:
    """Azurite locally, or a real ADLS Gen2 account, through the Blob API."""

    name = "azurite"
    capabilities = Capabilities(acls=False, atomic_rename=False)

    def __init__(self, endpoint: str, account: str = AZURITE_ACCOUNT, key: str = AZURITE_KEY) -> None:
        from azure.storage.blob import BlobServiceClient

        self.endpoint = endpoint
        # A refused connection means the emulator is down: say so at once instead of retrying.
        self.service = BlobServiceClient(
            account_url=endpoint,
            credential={"account_name": account, "account_key": key},
            retry_connect=0,
            retry_total=2,
            connection_timeout=5,
        )

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        from azure.core.exceptions import ServiceRequestError

        try:
            return fn(*args, **kwargs)
        except ServiceRequestError as exc:
            raise LakeUnavailable(
                f"cannot reach the lake at {self.endpoint}: is Azurite running? Start it with `wharf local up`."
            ) from exc

    def ensure_filesystem(self, filesystem: str) -> None:
        from azure.core.exceptions import ResourceExistsError

        with contextlib.suppress(ResourceExistsError):
            self._call(self.service.create_container, filesystem)

    def write(self, filesystem: str, path: str, data: bytes) -> None:
        blob = self.service.get_blob_client(filesystem, path)
        self._call(blob.upload_blob, data, overwrite=True)

    def put_file(self, filesystem: str, path: str, local: Path) -> None:
        blob = self.service.get_blob_client(filesystem, path)
        with local.open("rb") as stream:  # streamed in blocks; visible only once the block list commits
            self._call(blob.upload_blob, stream, overwrite=True, max_concurrency=4)
        local.unlink()

    def read(self, filesystem: str, path: str) -> bytes:
        blob = self.service.get_blob_client(filesystem, path)
        return self._call(lambda: blob.download_blob().readall())

    def list(self, filesystem: str, prefix: str = "") -> list[str]:
        from azure.core.exceptions import ResourceNotFoundError

        container = self.service.get_container_client(filesystem)
        try:
            return sorted(self._call(lambda: [b.name for b in container.list_blobs(name_starts_with=prefix or None)]))
        except ResourceNotFoundError:
            return []

    def delete_prefix(self, filesystem: str, prefix: str) -> int:
        names = self.list(filesystem, prefix)
        container = self.service.get_container_client(filesystem)
        for start in range(0, len(names), 256):  # a blob batch holds at most 256 sub-requests
            self._call(container.delete_blobs, *names[start : start + 256])
        return len(names)

    def rename_folder(self, filesystem: str, source: str, target: str) -> None:
        raise NotSupportedHere(
            "the Blob API has no atomic folder rename; only ADLS Gen2's Data Lake API has it "
            "(and Azurite has no Data Lake endpoint, Azurite issue #409)"
        )

    def set_acl(self, filesystem: str, folder: str, acl: str) -> None:
        raise NotSupportedHere("ACLs need ADLS Gen2's Data Lake API, which Azurite lacks (Azurite issue #409)")


class AdlsLake(BlobLake):
    """A real ADLS Gen2 account: data through the Blob API, ACLs and atomic renames through the
    Data Lake API (azure-storage-file-datalake), signed in with DefaultAzureCredential."""

    name = "adls"
    capabilities = Capabilities(acls=True, atomic_rename=True)

    def __init__(self, blob_endpoint: str, dfs_endpoint: str, credential: Any = None) -> None:
        from azure.storage.blob import BlobServiceClient
        from azure.storage.filedatalake import DataLakeServiceClient

        if credential is None:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        self.endpoint = blob_endpoint
        self.service = BlobServiceClient(account_url=blob_endpoint, credential=credential, retry_connect=0)
        self.datalake = DataLakeServiceClient(account_url=dfs_endpoint, credential=credential, retry_connect=0)

    def _dfs(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        from azure.core.exceptions import HttpResponseError

        try:
            return self._call(fn, *args, **kwargs)
        except HttpResponseError as exc:
            raise NotSupportedHere(
                f"the Data Lake endpoint refused the call ({exc.status_code}): is this an ADLS "
                "Gen2 account with hierarchical namespace?"
            ) from exc

    def rename_folder(self, filesystem: str, source: str, target: str) -> None:
        directory = self.datalake.get_file_system_client(filesystem).get_directory_client(source)
        self._dfs(directory.rename_directory, f"{filesystem}/{target}")

    def set_acl(self, filesystem: str, folder: str, acl: str) -> None:
        """POSIX ACL entries (``user::rwx,group:<object id>:r-x,...``) on a folder and everything below it."""
        directory = self.datalake.get_file_system_client(filesystem).get_directory_client(folder)
        self._dfs(directory.set_access_control_recursive, acl=acl)


def open_lake(settings: LocalSettings) -> Lake:
    if settings.lake_backend == "azurite":
        return BlobLake(settings.blob_endpoint)
    if settings.lake_backend == "adls":
        account = os.environ.get("WHARF_ADLS_ACCOUNT")
        if not account:
            raise LakeUnavailable("WHARF_LAKE=adls needs WHARF_ADLS_ACCOUNT (the storage account name)")
        return AdlsLake(f"https://{account}.blob.core.windows.net", f"https://{account}.dfs.core.windows.net")
    if settings.lake_backend != "folder":
        raise LakeUnavailable(f"unknown WHARF_LAKE {settings.lake_backend!r}: use 'folder', 'azurite' or 'adls'")
    return FolderLake(settings.lake_folder)
