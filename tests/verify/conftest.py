"""Fixtures for tests/verify: fresh copies of the valid samples in verify_samples."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from verify_samples import adf_docs, aml_files, write_tree


@pytest.fixture
def adf() -> dict[str, Any]:
    return adf_docs()


@pytest.fixture
def aml() -> dict[str, str]:
    return aml_files()


@pytest.fixture
def write(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    """Write {relative path: JSON document or text} below a fresh folder and return it."""
    return lambda files: write_tree(tmp_path / "tree", files)
