"""Imports point down the floors (cli → infra / local → artifacts → project → generate → verify →
catalog → sources → model → errors): the import-linter contract in pyproject.toml, run on the package as it is and
on a copy with one arrow planted upwards, which it must refuse."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(source_root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT), "--no-cache", "--config", str(ROOT / "pyproject.toml")], cwd=source_root,
                          capture_output=True, text=True, timeout=300)


def test_the_package_keeps_the_floors_contract() -> None:
    done = _lint(ROOT / "platform")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 kept, 0 broken" in done.stdout


def test_an_import_pointing_up_breaks_it(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "platform" / "lakewharf", tmp_path / "lakewharf",
                    ignore=shutil.ignore_patterns("__pycache__"))
    naming = tmp_path / "lakewharf" / "model" / "naming.py"
    naming.write_text(naming.read_text(encoding="utf-8") + "\nfrom lakewharf.local import runner  # noqa\n")
    done = _lint(tmp_path)
    assert done.returncode == 1
    assert "lakewharf.model is not allowed to import lakewharf.local" in done.stdout
