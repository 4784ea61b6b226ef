"""The plain-file conversion (lakewharf.catalog.yaml_plain) and the positions it leaves for later
(lakewharf.catalog.yaml_document): the same data, positions and errors as the full converter."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakewharf.catalog import yaml_source
from lakewharf.catalog.yaml_document import YamlDocument
from lakewharf.catalog.yaml_plain import NOT_PLAIN, plain_data
from lakewharf.catalog.yaml_source import MAX_DEPTH, MAX_NODES, load_yaml_text
from lakewharf.errors import CatalogInvalid

FILE = "catalog/datasets/orders.yaml"


def _outcome(text: str) -> tuple[str, Any]:
    try:
        doc = load_yaml_text(text.encode(), FILE)
    except CatalogInvalid as exc:
        return "errors", exc.errors
    return "doc", (doc.data, dict(doc.value_positions), dict(doc.key_positions))


def _both(text: str) -> tuple[tuple[str, Any], tuple[str, Any]]:
    """(this loader's outcome, the full converter's) for ``text``."""
    fast = _outcome(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(yaml_source, "plain_data", lambda *args: NOT_PLAIN)
        full = _outcome(text)
    return fast, full


def _plain_taken(text: str) -> bool:
    root = yaml_source.compose_in_c(text, yaml_source._PLAIN, MAX_NODES)
    return root is not None and plain_data(root, yaml_source._PLAIN, MAX_DEPTH) is not NOT_PLAIN


PLAIN = """\
description: orders, cleaned
inputs: [shop.orders]
steps:
  - op: cast
    columns: {amount: decimal(12,2), placed: timestamp}
  - {op: dedupe, keys: [order_id], keep: latest}
flags: [yes, no, on, Off, true, FALSE, ~, null, '', 0x1F, 0o17, 1e3, -2.5, .5, "1", 007]
"1": numeric key
true: a key spelled like a boolean
multi: |
  two
  lines
"""


def test_a_plain_file_loads_as_the_converter_loads_it() -> None:
    assert _plain_taken(PLAIN)
    fast, full = _both(PLAIN)
    assert fast == full
    assert fast[1][0]["flags"][:3] == ["yes", "no", "on"]  # YAML 1.2: no Norway problem
    assert fast[1][0]["1"] == "numeric key" and fast[1][0]["true"]


@pytest.mark.parametrize("text", [
    "a: 1\na: 2\n",  # a duplicate key
    "a: !!int '3'\n",  # a tag
    "a: !custom x\n",
    "base: {x: 1}\nb:\n  <<: {x: 2}\n  y: 3\n",  # a merge key
    "'<<': quoted merge is a key\n",
    "a: .inf\n",  # no JSON number
    "a: 1e999\n",
    "? [a, b]\n: complex key\n",
    "a: !!str 1\nb: !!seq [1]\nc: !!map {x: 1}\n",
    "[" * 60 + "]" * 60 + "\n",  # deeper than the limit
    "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 52)) + "  " * 52 + "v\n",
])
def test_what_is_not_plain_goes_to_the_converter(text: str) -> None:
    fast, full = _both(text)
    assert fast == full


def test_positions_are_found_when_asked_and_survive_pickling() -> None:
    doc = load_yaml_text(PLAIN.encode(), FILE)
    copy = pickle.loads(pickle.dumps(doc))
    assert copy.locate(("steps", 1, "keys", 0)) == (6, 25)
    assert copy.locate(("multi",), key=True) == (10, 1)
    assert copy.error(("steps", 0, "op"), "bad").line == 4
    assert copy == doc and copy.data is not doc.data


def test_a_document_needs_positions_or_text() -> None:
    with pytest.raises(ValueError):
        YamlDocument("x.yaml", {})
    assert YamlDocument("x.yaml", {"a": 1}, {(): (1, 1)}, {}).locate(("a",)) == (1, 1)


_SCALARS = st.one_of(
    st.sampled_from(["yes", "No", "on", "true", "False", "~", "null", "", "0x1F", "0o7", "1e3", "-.5", ".inf",
                     ".NaN", "007", "1_000", "3.", "+1", "<<", "a: b", "- x", "#c", "'q'", "\"d\""]),
    st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
    st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=12),
)
_KEYS = st.one_of(st.sampled_from(["<<", "1", "true", "null", "a", "b", "a b"]), st.text(min_size=1, max_size=6))
_DOCS = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4)), max_leaves=20)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.dictionaries(_KEYS, _DOCS, min_size=1, max_size=5), flow=st.booleans(),
       twist=st.sampled_from(["", "dup", "tag"]))
def test_any_document_loads_as_the_converter_loads_it(data: dict[str, Any], flow: bool, twist: str) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True, sort_keys=False)
    if twist == "dup":
        text += text.splitlines()[0] + "\n" if not flow else ""
    elif twist == "tag":
        text = text.replace(": ", ": !!str ", 1)
    fast, full = _both(text)
    assert fast == full
