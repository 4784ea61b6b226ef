"""Generated JSON is written by orjson where it gives json.dumps's exact bytes, by json.dumps elsewhere."""

from __future__ import annotations

import dataclasses
import datetime
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lakewharf.generate.artifact import json_bytes

_scalars = st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) \
    | st.floats(allow_nan=False, allow_infinity=False) | st.text()
_documents = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=30)


@settings(max_examples=3000, deadline=None)
@given(_documents)
def test_the_bytes_are_json_dumps_indent_2(document: object) -> None:
    assert json_bytes(document) == json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")
    assert json_bytes(document, ascii_only=True) == json.dumps(document, indent=2).encode("utf-8")


def test_the_cases_orjson_spells_otherwise_fall_back() -> None:
    for document in ({"threshold": 1e-05}, {"n": -0.00002}, {1: "int key"}, {"big": 2**80}, ["é", "\u2028"]):
        assert json_bytes(document) == json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")
    assert json_bytes({"name": "café"}, ascii_only=True) == b'{\n  "name": "caf\\u00e9"\n}'


@dataclasses.dataclass
class _NotJson:
    name: str = "x"


@pytest.mark.parametrize("value", [_NotJson(), datetime.date(2026, 12, 3), {1, 2}])
def test_what_json_refuses_is_still_refused(value: object) -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        json_bytes({"value": value})
