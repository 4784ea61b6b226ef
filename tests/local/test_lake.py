"""Both lake backends honour one contract: write, read, list by prefix, delete a folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakewharf.local.lake import AdlsLake, BlobLake, FolderLake, Lake, NotSupportedHere
from lakewharf.local.settings import LocalSettings


@pytest.fixture(params=["folder", pytest.param("azurite", marks=pytest.mark.integration)])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> Lake:
    if request.param == "folder":
        return FolderLake(tmp_path / "lake")
    settings: LocalSettings = request.getfixturevalue("azurite_settings")
    return BlobLake(settings.blob_endpoint)


def test_write_read_list_delete(lake: Lake, request: pytest.FixtureRequest) -> None:
    fs = f"t-{abs(hash(request.node.name)) % 10**8}"
    lake.ensure_filesystem(fs)
    lake.ensure_filesystem(fs)  # idempotent
    lake.write(fs, "a/2026/01/01/part-0.parquet", b"one")
    lake.write(fs, "a/2026/01/02/part-0.parquet", b"two")
    lake.write(fs, "b/x.csv", b"three")
    lake.write(fs, "a/2026/01/02/part-0.parquet", b"two again")  # overwrite
    assert lake.list(fs, "a/") == ["a/2026/01/01/part-0.parquet", "a/2026/01/02/part-0.parquet"]
    assert lake.read(fs, "a/2026/01/02/part-0.parquet") == b"two again"
    assert lake.delete_prefix(fs, "a/2026/01/01/") == 1
    assert lake.list(fs) == ["a/2026/01/02/part-0.parquet", "b/x.csv"]
    assert lake.list("no-such-filesystem") == []


def test_folder_lake_never_exposes_partial_files(tmp_path: Path) -> None:
    lake = FolderLake(tmp_path)
    lake.write("fs", "data.parquet", b"x" * 1000)
    assert [p.name for p in (tmp_path / "fs").iterdir()] == ["data.parquet"]  # the temporary name is gone


def test_folder_lake_rejects_paths_outside_the_filesystem(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="leaves filesystem"):
        FolderLake(tmp_path).write("fs", "../other/x", b"")


def test_capabilities_say_what_azurite_cannot_check() -> None:
    assert BlobLake.capabilities.acls is False
    assert FolderLake.capabilities.acls is False


def test_folder_lake_renames_a_folder_in_one_step(tmp_path: Path) -> None:
    lake = FolderLake(tmp_path)
    lake.write("fs", "staging/run-1/part-0.parquet", b"x")
    lake.rename_folder("fs", "staging/run-1", "published/current")
    assert lake.list("fs") == ["published/current/part-0.parquet"]
    with pytest.raises(NotSupportedHere, match="no POSIX ACLs"):
        lake.set_acl("fs", "published", "user::rwx")


@pytest.mark.integration
def test_blob_api_backends_say_what_only_adls_gen2_can_do(azurite_settings: LocalSettings) -> None:
    lake = BlobLake(azurite_settings.blob_endpoint)
    with pytest.raises(NotSupportedHere, match="#409"):
        lake.rename_folder("fs", "a", "b")
    with pytest.raises(NotSupportedHere, match="#409"):
        lake.set_acl("fs", "a", "user::rwx")


@pytest.mark.integration
def test_adls_operations_run_the_data_lake_client_and_fail_cleanly_on_azurite(azurite_settings: LocalSettings) -> None:
    from azure.storage.blob import BlobServiceClient

    from lakewharf.local.settings import AZURITE_ACCOUNT, AZURITE_KEY

    key = {"account_name": AZURITE_ACCOUNT, "account_key": AZURITE_KEY}
    lake = AdlsLake(azurite_settings.blob_endpoint, azurite_settings.blob_endpoint, key)
    assert isinstance(lake.service, BlobServiceClient)
    lake.ensure_filesystem("adls-check")
    lake.write("adls-check", "zone/part-0.parquet", b"x")  # data goes through the Blob API: works
    with pytest.raises(NotSupportedHere, match="refused"):  # Azurite has no Data Lake endpoint
        lake.set_acl("adls-check", "zone", "user::rwx,group::r-x,other::---")
