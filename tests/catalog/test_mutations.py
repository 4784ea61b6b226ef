"""Property: whatever one edit does to one sample file, ``load_catalog`` either accepts the catalog or
raises ``CatalogInvalid`` with located errors — never another exception."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakewharf.catalog.yaml_source import load_yaml_text
from lakewharf.errors import CatalogInvalid
from lakewharf.project import load_catalog

SAMPLE = Path(__file__).resolve().parents[2]
FILES = sorted(p.relative_to(SAMPLE).as_posix()
               for p in [SAMPLE / "pipelines.yaml", *(SAMPLE / "catalog").rglob("*.yaml")])
MUTATIONS = ("delete_key", "replace_value", "rename_key", "duplicate_line", "truncate", "insert_bytes",
             "swap_lines")
Path_ = tuple[str | int, ...]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=6,
)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _walk(data: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _walk(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _walk(value, (*path, i))


def _parent(data: Any, path: Path_) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


def _structural(text: bytes, rel: str, mutation: str, draw: st.DataObject) -> bytes:
    data = load_yaml_text(text, rel).data
    entries = [p for p, _ in _walk(data) if p and isinstance(_parent(data, p), dict)]
    if mutation == "replace_value":
        path = draw.draw(st.sampled_from([p for p, _ in _walk(data)]), label="path")
        old = _parent(data, path)[path[-1]] if path else data
        new = draw.draw(json_values.filter(lambda v: _kind(v) != _kind(old)), label="value")
        if path:
            _parent(data, path)[path[-1]] = new
        else:
            data = new
    else:
        path = draw.draw(st.sampled_from(entries), label="path")
        parent = _parent(data, path)
        if mutation == "delete_key":
            del parent[path[-1]]
        else:  # rename_key, keeping the order of the mapping
            name = draw.draw(st.sampled_from(["name", "zone", "columns", "type", "x"]) | st.text(max_size=12),
                             label="new name")
            items = [(name if k == path[-1] else k, v) for k, v in parent.items()]
            parent.clear()
            parent.update(items)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()


def _textual(text: bytes, mutation: str, draw: st.DataObject) -> bytes:
    if mutation == "truncate":
        return text[: draw.draw(st.integers(0, len(text)), label="cut at")]
    if mutation == "insert_bytes":
        at = draw.draw(st.integers(0, len(text)), label="at")
        return text[:at] + draw.draw(st.binary(min_size=1, max_size=16), label="bytes") + text[at:]
    lines = text.splitlines(keepends=True)
    i = draw.draw(st.integers(0, len(lines) - 1), label="line")
    if mutation == "duplicate_line":
        return b"".join([*lines[: i + 1], lines[i], *lines[i + 1:]])
    j = draw.draw(st.integers(0, len(lines) - 1), label="other line")
    lines[i], lines[j] = lines[j], lines[i]
    return b"".join(lines)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the sample for all examples; each example restores the file it changed."""
    root = tmp_path_factory.mktemp("mutations")
    shutil.copy2(SAMPLE / "pipelines.yaml", root / "pipelines.yaml")
    shutil.copytree(SAMPLE / "catalog", root / "catalog")
    return root


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(rel=st.sampled_from(FILES), mutation=st.sampled_from(MUTATIONS), draw=st.data())
def test_one_mutation_never_crashes_the_loader(base: Path, rel: str, mutation: str, draw: st.DataObject) -> None:
    target = base / rel
    original = target.read_bytes()
    if mutation in ("delete_key", "replace_value", "rename_key"):
        mutated = _structural(original, rel, mutation, draw)
    else:
        mutated = _textual(original, mutation, draw)
    try:
        target.write_bytes(mutated)
        try:
            load_catalog(base)
        except CatalogInvalid as exc:
            assert exc.errors
            for error in exc.errors:
                assert not Path(error.file).is_absolute() and (base / error.file).exists(), str(error)
                assert error.line >= 0 and error.column >= 0, str(error)
                assert str(error).startswith(f"{error.file}:{error.line}:{error.column}: $")
                json.dumps(error.to_dict())
    finally:
        target.write_bytes(original)
