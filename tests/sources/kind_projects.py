"""Helpers of the source kinds' tests (``conftest.built`` generates the project they make)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from lakewharf.cli.main import main


def init_with(factory: pytest.TempPathFactory, name: str, add: Callable[[Path], Path]) -> Path:
    """A ``wharf init`` project with ``add``'s source, catalog and pipeline in it."""
    root = factory.mktemp(name) / "project"
    assert main(["init", str(root)]) == 0
    return add(root)


def adf_doc(build: Path, kind: str, name: str) -> dict:
    """The ``properties`` of a generated Data Factory document (``adf/<kind>/<name>.json``)."""
    return json.loads((build / "adf" / kind / f"{name}.json").read_text(encoding="utf-8"))["properties"]
