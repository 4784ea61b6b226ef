"""The sample catalog generates exactly the reviewed tree in tests/golden (refresh: make golden)."""

from __future__ import annotations

import difflib
from pathlib import Path

from lakewharf.generate.generate_all import generate_all
from lakewharf.project import load_catalog

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"


def test_generated_tree_matches_the_golden_files() -> None:
    generated = {a.path: a.content for a in generate_all(load_catalog(ROOT))}
    golden = {p.relative_to(GOLDEN).as_posix(): p.read_bytes() for p in GOLDEN.rglob("*") if p.is_file()}
    missing, extra = sorted(set(generated) - set(golden)), sorted(set(golden) - set(generated))
    changed = sorted(p for p in set(generated) & set(golden) if generated[p] != golden[p])
    detail = ""
    if changed:
        first = changed[0]
        detail = "".join(difflib.unified_diff(golden[first].decode().splitlines(True),
                                              generated[first].decode().splitlines(True),
                                              f"golden/{first}", f"generated/{first}", n=1))[:3000]
    assert not (missing or extra or changed), (
        f"generated output differs from tests/golden (refresh with `make golden` if intended):\n"
        f"new: {missing[:10]}\ngone: {extra[:10]}\nchanged: {changed[:10]}\n{detail}")
