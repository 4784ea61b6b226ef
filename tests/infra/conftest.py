"""Fixtures for the infra tests: the program run offline under ``RecordingMocks``.

Each run calls ``pulumi.runtime.set_mocks`` itself (inside ``run_offline``), one run at a time,
so no test module sets mocks at import. Runs of the sample are session-scoped: they take about
half a second each and most tests only read what was recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from infra_samples import REPO_ROOT, write_adf_tree

from lakewharf.infra.mocks import OfflineRun, run_offline


@pytest.fixture(scope="session")
def fake_adf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_adf_tree(tmp_path_factory.mktemp("adf"))


@pytest.fixture(scope="session")
def dev(fake_adf: Path) -> OfflineRun:
    return run_offline(REPO_ROOT, "dev", adf_dir=fake_adf)


@pytest.fixture(scope="session")
def prod(fake_adf: Path) -> OfflineRun:
    return run_offline(REPO_ROOT, "prod", adf_dir=fake_adf)


@pytest.fixture(scope="session")
def preview(fake_adf: Path) -> OfflineRun:
    return run_offline(REPO_ROOT, "dev", adf_dir=fake_adf, preview=True)


@pytest.fixture
def run_dev(fake_adf: Path) -> Callable[..., OfflineRun]:
    """Run the dev stack with setting overrides, e.g. ``run_dev(allowedIpRanges={...})``."""
    return lambda adf_dir=fake_adf, **overrides: run_offline(REPO_ROOT, "dev", adf_dir=adf_dir, overrides=overrides)
