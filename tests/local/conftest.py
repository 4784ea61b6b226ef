"""Fixtures for local-stack tests: an Azurite process per session on a free loopback port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from lakewharf.local import azurite
from lakewharf.local.settings import LocalSettings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def port() -> int:
    return free_port()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def azurite_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSettings]:
    """Azurite in memory (no garbage left behind), started here and stopped by pid."""
    if not azurite.executable(ROOT).exists():
        pytest.fail("Azurite is not installed: run `make setup` (npm install)")
    state = tmp_path_factory.mktemp("azurite-project")
    (state / "node_modules").symlink_to(ROOT / "node_modules")
    settings = replace(LocalSettings(root=state), lake_backend="azurite", azurite_port=free_port(),
                       azurite_in_memory=True)
    azurite.start(settings)
    try:
        yield settings
    finally:
        azurite.stop(settings)
