"""The fast schema check (jsonschema-rs) never passes a document that jsonschema rejects (it may only be
stricter), and passes every valid catalog file of the repository, so the slow validator runs only on
problems; where it is stricter, the catalog's answer is still jsonschema's."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakewharf.catalog import schema
from lakewharf.catalog.loader import FOLDERS
from lakewharf.catalog.yaml_source import load_yaml_file

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = [ROOT, ROOT / "tests/local/own_project", ROOT / "bench/project"]


def _documents() -> list[tuple[str, Any]]:
    out = []
    for project in PROJECTS:
        files = [("pipelines", project / "pipelines.yaml"), ("platform", project / "catalog/platform.yaml")]
        if (project / "local.yaml").exists():
            files.append(("local", project / "local.yaml"))
        for folder, kind in FOLDERS.items():
            files += [(kind, p) for p in sorted((project / "catalog" / folder).glob("*.yaml"))]
        out += [(kind, load_yaml_file(path, path.name).data) for kind, path in files if path.exists()]
    return out


DOCUMENTS = _documents()
values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 100_000) | st.floats(-1e6, 1e6) | st.sampled_from(
        ["", "x", "a_b", "UPPER", "full", "incremental", "int", "string(20)", "merge", "0 1 * * *", "1.5", "ab.cd"])
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["mode", "type", "x", "keys"]),
                                                                inner, max_size=3),
    max_leaves=5,
)


def _slots(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            out += _slots(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += _slots(value, (*path, i))
    return out


def _valid(kind: str, data: Any) -> bool:
    return not list(schema._validators()[kind].iter_errors(data))


def test_every_kind_compiles() -> None:
    assert set(schema._fast_checks()) == set(schema.KINDS)


def test_where_the_fast_check_is_stricter_jsonschema_answers() -> None:
    from lakewharf.catalog.yaml_source import YamlDocument

    data = copy.deepcopy(next(d for k, d in DOCUMENTS if k == "pipelines"))
    steps = data["pipelines"]["nightly"]["steps"]
    steps["land_crm\n"] = steps.pop("land_crm")  # Python's `$` matches before a final newline
    assert _valid("pipelines", data) and not schema._fast_checks()["pipelines"](data)
    assert schema.check_document(YamlDocument("pipelines.yaml", data, {}, {}), "pipelines") == []


@pytest.mark.parametrize("index", range(len(DOCUMENTS)))
def test_valid_files_pass(index: int) -> None:
    kind, data = DOCUMENTS[index]
    assert _valid(kind, data)
    assert schema._fast_checks()[kind](data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fast_pass_implies_jsonschema_pass(draw: st.DataObject) -> None:
    kind, original = draw.draw(st.sampled_from(DOCUMENTS))
    data = copy.deepcopy(original)
    for _ in range(draw.draw(st.integers(1, 3))):
        path = draw.draw(st.sampled_from(_slots(data)))
        if not path:
            continue
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw.draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw.draw(st.sampled_from(["extra", "mode", "type", str(path[-1]) + "_x"]))] = draw.draw(values)
        else:
            parent[path[-1]] = draw.draw(values)
    if schema._fast_checks()[kind](data):
        assert _valid(kind, data), (kind, data)
