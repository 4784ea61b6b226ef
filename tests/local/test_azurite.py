"""Azurite process control: start, status, stop by pid, and clear messages when it cannot run."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from lakewharf.local import azurite
from lakewharf.local.lake import BlobLake, LakeUnavailable
from lakewharf.local.settings import LocalSettings

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(tmp_path: Path, port: int) -> LocalSettings:
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    return replace(LocalSettings(root=tmp_path), lake_backend="azurite", azurite_port=port)


def test_start_status_stop(settings: LocalSettings, tmp_path: Path) -> None:
    started = azurite.start(settings)
    try:
        assert started.running and started.pid
        assert azurite.status(settings).running
        assert azurite.start(settings).pid == started.pid  # already running: reused
        assert (tmp_path / ".wharf/azurite").is_dir()  # persisted under .wharf/
    finally:
        assert azurite.stop(settings) is True
    assert azurite.status(settings) == azurite.AzuriteStatus(False, None, settings.blob_endpoint)
    assert azurite.stop(settings) is False


def test_stopped_emulator_gives_a_clear_message(settings: LocalSettings) -> None:
    with pytest.raises(LakeUnavailable, match="is Azurite running"):
        BlobLake(settings.blob_endpoint).list("landing")


def test_busy_port_is_reported(settings: LocalSettings, azurite_settings: LocalSettings) -> None:
    with pytest.raises(azurite.AzuriteError, match="already in use"):
        azurite.start(replace(settings, azurite_port=azurite_settings.azurite_port))


def test_missing_install_is_reported(tmp_path: Path) -> None:
    with pytest.raises(azurite.AzuriteError, match="not installed"):
        azurite.start(LocalSettings(root=tmp_path))
