"""Shared fixtures: the sample project (the repository itself) and throw-away copies of it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from lakewharf.errors import CatalogError, CatalogInvalid
from lakewharf.model.catalog import Catalog
from lakewharf.project import load_catalog

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Project:
    """A private copy of the sample project (pipelines.yaml, local.yaml, catalog/) that a test may edit."""

    root: Path

    def path(self, rel: str) -> Path:
        return self.root / rel

    def read(self, rel: str) -> str:
        return self.path(rel).read_text(encoding="utf-8")

    def write(self, rel: str, content: str | bytes) -> Path:
        target = self.path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        return target

    def replace(self, rel: str, old: str, new: str) -> None:
        """Replace the one occurrence of ``old`` in a file (fails loudly if the sample changed)."""
        text = self.read(rel)
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {rel}"
        self.write(rel, text.replace(old, new))

    def modify(self, rel: str, change: Callable[[Any], Any]) -> None:
        """Load a file with yaml.safe_load, let ``change`` edit (or return) the data, dump it back."""
        data = yaml.safe_load(self.read(rel))
        result = change(data)
        self.write(rel, yaml.safe_dump(data if result is None else result, sort_keys=False, allow_unicode=True))

    def line_of(self, rel: str, needle: str) -> int:
        """1-based number of the one line of ``rel`` that contains ``needle``."""
        hits = [i for i, line in enumerate(self.read(rel).splitlines(), 1) if needle in line]
        assert len(hits) == 1, f"{needle!r} is on lines {hits} of {rel}"
        return hits[0]

    def load(self) -> Catalog:
        return load_catalog(self.root)

    def errors(self) -> list[CatalogError]:
        with pytest.raises(CatalogInvalid) as info:
            load_catalog(self.root)
        assert info.value.errors, "CatalogInvalid must carry at least one error"
        return info.value.errors

    def snapshot(self) -> dict[str, bytes | None]:
        """Every file (its bytes) and folder (None) of the project, to show that a command wrote nothing."""
        return {p.relative_to(self.root).as_posix(): p.read_bytes() if p.is_file() else None
                for p in sorted(self.root.rglob("*"))}


def copy_sample(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO_ROOT / "pipelines.yaml", target / "pipelines.yaml")
    shutil.copy2(REPO_ROOT / "local.yaml", target / "local.yaml")  # the sample's curated data
    shutil.copytree(REPO_ROOT / "catalog", target / "catalog",
                    ignore=shutil.ignore_patterns("__pycache__", ".*"))
    return target


def runnable_sample(target: Path) -> Path:
    """A copy of the sample that ``wharf run`` can run: its templates, and Azurite from the checkout."""
    copy_sample(target)
    shutil.copytree(REPO_ROOT / "templates", target / "templates", ignore=shutil.ignore_patterns("__pycache__"))
    (target / "node_modules").symlink_to(REPO_ROOT / "node_modules")
    return target


@pytest.fixture(scope="session")
def sample_root() -> Path:
    """The repository root, which is also the sample project."""
    return REPO_ROOT


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A fresh copy of the sample project for one test."""
    return Project(copy_sample(tmp_path / "project"))
