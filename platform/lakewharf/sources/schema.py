"""``source.schema.json``'s kind list and options, assembled from the registered kinds.

The shipped schema is written from here (``python -m lakewharf.catalog.schema --write``) and a
test checks that the two agree, so an editor and ``wharf validate`` know a new kind as soon as
its module is registered. ``options`` lists every kind's options (an unknown one is reported with
the closest known name); a kind that takes fewer gets an ``if kind … then`` rule naming its own.
"""

from __future__ import annotations

import json
from typing import Any

from lakewharf.sources.registry import SOURCE_KINDS


def _all_options() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for kind in SOURCE_KINDS.values():
        for name, spec in kind.options.items():
            if merged.setdefault(name, spec) != spec:
                raise ValueError(f"source option {name!r} is declared differently by two kinds")
    return merged


def source_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (the shipped source schema) with the registry's kinds and their options."""
    props = schema["properties"]
    props["kind"] = {"enum": list(SOURCE_KINDS), "description": "The kind of source system: " + ", ".join(
        f"{name} ({kind.title})" for name, kind in SOURCE_KINDS.items()) + "."}
    every = _all_options()
    props["options"] = {"type": "object", "properties": every, "additionalProperties": False}
    rules = []
    for name, kind in SOURCE_KINDS.items():
        if set(kind.options) == set(every):
            continue
        own = sorted(kind.options)
        rules.append({
            "if": {"properties": {"kind": {"const": name}}, "required": ["kind"]},
            "then": {"properties": {"options": {
                "properties": {o: every[o] for o in own}, "additionalProperties": False,
                "description": (f"a {name} source takes the options: {', '.join(own)}" if own
                                else f"a {name} source takes no options"),
            }}},
        })
    secret = [name for name, kind in SOURCE_KINDS.items() if kind.needs_secret]
    rules.append({"if": {"properties": {"kind": {"enum": secret}}, "required": ["kind"]},
                  "then": {"required": ["connection"]}})  # the others log in with the factory's identity
    if rules:
        schema["allOf"] = rules
    else:
        schema.pop("allOf", None)
    return schema


def source_schema_text(shipped: str) -> str:
    return json.dumps(source_schema(json.loads(shipped)), indent=2) + "\n"
