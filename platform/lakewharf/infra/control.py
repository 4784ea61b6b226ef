"""The orchestrators' control files (``build/control/<pipeline>/L<n>_<kind>.json``), deployed to
the lake's ``wharf-control`` filesystem, where each orchestrator's Lookup reads them at run time.

Why a dynamic resource and not ``storage.Blob``: the lake refuses shared keys (Entra ID only, see
``infra/lake.py``), and pulumi-azure-native's Blob writes with the account key, so it fails with
``KeyBasedAuthenticationNotPermitted`` (pulumi/pulumi-azure-native#2015). Each file is therefore
written through the Data Lake SDK with the deployer's own Entra identity (``DefaultAzureCredential``:
``az login``, a workload identity in CI, …), which the program grants Storage Blob Data
Contributor on that one filesystem. A file is replaced when its bytes change and deleted when it
leaves the generated tree, so the lake always holds exactly the reviewed files.

Role assignments can take minutes to take effect, so the first write retries a 403 for up to ten:
https://learn.microsoft.com/azure/role-based-access-control/troubleshooting#symptom---role-assignment-changes-are-not-being-detected
"""

from __future__ import annotations

import contextlib
from typing import Any

import pulumi
from pulumi import dynamic

from lakewharf.artifacts.adf_tree import ControlFile
from lakewharf.infra.common import TYPE_PREFIX, child

RBAC_WAIT_SECONDS = 600


class _LakeFileProvider(dynamic.ResourceProvider):
    """Writes one file with the deployer's Entra identity. Pickled into the state by Pulumi, so
    it imports what it needs inside each method."""

    def _client(self, props: dict[str, Any]) -> Any:
        from azure.identity import DefaultAzureCredential
        from azure.storage.filedatalake import DataLakeServiceClient

        service = DataLakeServiceClient(props["endpoint"], credential=DefaultAzureCredential())
        return service.get_file_system_client(props["filesystem"]).get_file_client(props["path"])

    def _write(self, props: dict[str, Any]) -> None:
        import time

        from azure.core.exceptions import HttpResponseError

        deadline = time.monotonic() + RBAC_WAIT_SECONDS
        while True:
            try:
                self._client(props).upload_data(props["content"].encode("utf-8"), overwrite=True)
                return
            except HttpResponseError as exc:
                if exc.status_code != 403 or time.monotonic() > deadline:
                    raise
                time.sleep(15)  # the deployer's new role assignment is still propagating

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        self._write(props)
        return dynamic.CreateResult(id_=f"{props['filesystem']}/{props['path']}", outs=props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        keys = ("endpoint", "filesystem", "path", "sha256")
        changed = [k for k in keys if olds.get(k) != news.get(k)]
        replace = [k for k in changed if k != "sha256"]
        return dynamic.DiffResult(changes=bool(changed), replaces=replace, delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        self._write(news)
        return dynamic.UpdateResult(outs=news)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        with contextlib.suppress(ResourceNotFoundError):  # already gone: nothing to delete
            self._client(props).delete_file()


class LakeFile(dynamic.Resource):
    """One file in a lake filesystem, written with Entra ID (``lakewharf:infra:LakeFile`` in plans)."""

    def __init__(self, name: str, *, endpoint: pulumi.Input[str], filesystem: str, file: ControlFile,
                 opts: pulumi.ResourceOptions) -> None:
        super().__init__(_LakeFileProvider(), name, {
            "endpoint": endpoint, "filesystem": filesystem, "path": file.path,
            "content": file.content, "sha256": file.sha256,
        }, opts)


class ControlFiles(pulumi.ComponentResource):
    """Every generated control file, written once its filesystem and the deployer's grant exist."""

    def __init__(self, name: str, files: list[ControlFile], *, endpoint: pulumi.Input[str], filesystem: str,
                 depends_on: list[pulumi.Resource], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:ControlFiles", name, None, opts)
        self.files = [
            LakeFile(f"control-{f.path.removesuffix('.json').replace('/', '-')}", endpoint=endpoint,
                     filesystem=filesystem, file=f, opts=child(self, depends_on))
            for f in files
        ]
        self.register_outputs({"files": len(self.files)})
