"""Estimates of throw-away projects: the sample copy, generated in memory, priced offline."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.conftest import REPO_ROOT, Project, copy_sample

from lakewharf.cost.estimate import Estimate, estimate_month
from lakewharf.cost.report import Options, context_for
from lakewharf.generate.generate_all import generate_all
from lakewharf.project import load_catalog


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A copy of the sample with what generation and pricing read besides the catalog."""
    root = copy_sample(tmp_path / "project")
    shutil.copytree(REPO_ROOT / "templates", root / "templates")
    shutil.copy2(REPO_ROOT / "Pulumi.dev.yaml", root / "Pulumi.dev.yaml")
    return Project(root)


def estimate(root: Path, month: int = 1, **options: object) -> Estimate:
    catalog = load_catalog(root)
    tree = {a.path: a.content for a in generate_all(catalog)}
    return estimate_month(context_for(catalog, tree, Options(measure=False, **options)), month)  # type: ignore[arg-type]


def quantity(e: Estimate, service: str, element: str, meter: str) -> float:
    hits = [line.quantity for line in e.lines if (line.service, line.element, line.meter) == (service, element, meter)]
    assert len(hits) == 1, f"{service}/{element}/{meter}: {len(hits)} lines"
    return hits[0]
