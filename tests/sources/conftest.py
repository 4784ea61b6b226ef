"""What the source kinds' tests share: each module's ``project`` (a ``wharf init`` project with
its kind's test catalog added, ``kind_projects.init_with``) generated once with ``--check``."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakewharf.cli.main import main


@pytest.fixture(scope="module")
def built(project: Path) -> Path:
    assert main(["generate", "--check", "--project", str(project)]) == 0  # ADF models, flow check, sqlfluff
    return project / "build"
