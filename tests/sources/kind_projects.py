"""Helpers of the source kinds' tests (``conftest.built`` generates the project they make)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from lakewharf.cli.main import main
from lakewharf.errors import CatalogInvalid
from lakewharf.project import load_catalog


def init_with(factory: pytest.TempPathFactory, name: str, add: Callable[[Path], Path]) -> Path:
    """A ``wharf init`` project with ``add``'s source, catalog and pipeline in it."""
    root = factory.mktemp(name) / "project"
    assert main(["init", str(root)]) == 0
    return add(root)


def adf_doc(build: Path, kind: str, name: str) -> dict:
    """The ``properties`` of a generated Data Factory document (``adf/<kind>/<name>.json``)."""
    return json.loads((build / "adf" / kind / f"{name}.json").read_text(encoding="utf-8"))["properties"]


def catalog_errors(project: Path, tmp_path: Path, file: str, old: str, new: str) -> list[str]:
    """The errors of a copy of ``project`` whose ``file`` has its first ``old`` replaced by ``new``."""
    copy = tmp_path / "copy"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns(".wharf", "build", "report.json"))
    path = copy / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(CatalogInvalid) as info:
        load_catalog(copy)
    return [str(e) for e in info.value.errors]
