"""JSON Schema (draft 2020-12) validation of each catalog file, with messages a person can act on.

The schemas are package data (``schemas/*.schema.json``); ``wharf schema --out DIR`` exports them
so editors (yaml-language-server) flag problems while people type. The step list of
``dataset.schema.json`` is written from the step classes (``lakewharf.model.steps``):
``python -m lakewharf.catalog.schema --write`` after adding or changing a step kind; the
source kinds and their options come from ``lakewharf.sources`` the same way.
"""

from __future__ import annotations

import difflib
import json
import sys
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakewharf.catalog.yaml_source import YamlDocument
from lakewharf.errors import CatalogError
from lakewharf.model.steps import steps_schema
from lakewharf.sources.schema import source_schema_text

if TYPE_CHECKING:  # jsonschema (~0.2 s to import) only words the errors of a file that fails
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

KINDS = ("platform", "source", "dataset", "model", "table", "pipelines", "local", "stack")
_BASE = "https://schemas.lakewharf.invalid/"  # only an identifier for the registry; never fetched


def schema_files() -> dict[str, str]:
    """File name → text of every shipped schema (common definitions included)."""
    folder = resources.files("lakewharf.catalog") / "schemas"
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir(), key=lambda p: p.name)
            if p.name.endswith(".schema.json")}


def dataset_schema_text(shipped: str) -> str:
    """``dataset.schema.json`` (its text ``shipped``) with the step list of the registered step kinds."""
    schema = json.loads(shipped)
    schema["properties"]["steps"]["items"] = steps_schema()
    return json.dumps(schema, indent=2) + "\n"


@cache
def _validators() -> dict[str, Draft202012Validator]:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    files = {name: json.loads(text) for name, text in schema_files().items()}
    registry: Registry = Registry().with_resources(
        (_BASE + name, Resource.from_contents(schema, default_specification=DRAFT202012))
        for name, schema in files.items()
    )
    return {
        kind: Draft202012Validator({"$ref": _BASE + f"{kind}.schema.json"}, registry=registry)
        for kind in KINDS
    }


@cache
def _fast_checks() -> dict[str, Callable[[Any], bool]]:
    """kind → jsonschema-rs's yes/no answer for the same schemas (draft 2020-12, the same registry).

    jsonschema's ``iter_errors`` resolves every ``$ref`` through ``referencing`` on each use (20 s
    at 1,000 tables); jsonschema-rs answers valid / not valid for those 1,034 files in 0.03 s (the
    hand-compiled checker it replaces took 0.34 s, fastjsonschema 0.5 s plus 0.2 s to compile at
    each start). Most files are valid, so only a file it does not pass goes through jsonschema,
    which finds and words the errors. Where the two could
    differ jsonschema-rs is the stricter (``$`` before a final newline, Unicode ``\\d``, infinities),
    so its rejection is only a reason to ask jsonschema, never an answer by itself."""
    import jsonschema_rs  # Rust: ~5 ms to build all kinds; only when a file is checked

    registry = jsonschema_rs.Registry([(_BASE + name, json.loads(text)) for name, text in schema_files().items()])
    return {kind: jsonschema_rs.Draft202012Validator({"$ref": _BASE + f"{kind}.schema.json"}, registry=registry,
                                                     validate_formats=False).is_valid
            for kind in KINDS}


def _passes(kind: str, data: Any) -> bool:
    try:
        return _fast_checks()[kind](data)
    except ValueError:  # data it cannot take (a non-text key): jsonschema decides
        return False


def check_document(doc: YamlDocument, kind: str) -> list[CatalogError]:
    if _passes(kind, doc.data):
        return []  # jsonschema would find nothing: jsonschema-rs is the stricter of the two
    validator = _validators()[kind]
    return [_redacted(_to_catalog_error(doc, e), e.instance) for e in _leaf_errors(validator.iter_errors(doc.data))]


def _redacted(error: CatalogError, value: Any) -> CatalogError:
    """The error without the value it quotes when that looks like a credential (a connection
    string with a password where a Key Vault secret's name belongs): messages reach CI logs, and
    the inline-secret scan reports the value itself, located."""
    from dataclasses import replace

    from lakewharf.catalog.secrets import looks_like_secret

    if not isinstance(value, str) or not looks_like_secret(value):
        return error
    hidden = "<the value, which looks like a secret>"
    return replace(error, message=error.message.replace(repr(value), hidden).replace(value, hidden),
                   hint=error.hint.replace(repr(value), hidden).replace(value, hidden))


def _leaf_errors(errors: Iterator[ValidationError]) -> Iterator[ValidationError]:
    """Replace each anyOf/oneOf failure by its most relevant branch error, recursively."""
    from jsonschema.exceptions import best_match

    for error in errors:
        if error.validator in ("anyOf", "oneOf") and error.context:
            if error.validator == "oneOf" and _matches_several(error):
                yield error
                continue
            if all(e.validator == "required" for e in error.context):
                yield error  # none of the alternative fields is there: say which they are
                continue
            chosen = _branch_named_by_its_key(error)
            branch = best_match(chosen or error.context)
            # best_match paths are relative to the anyOf; re-root them for location lookups.
            branch.path = error.path + branch.path  # type: ignore[assignment]
            yield from _leaf_errors(iter([branch]))
        else:
            yield error


def _branch_named_by_its_key(error: ValidationError) -> list[ValidationError]:
    """The errors of the one alternative whose required keys the mapping has: a data test's kind
    (``freshness: {...}``) says which shape was meant, so its problem is the one to report."""
    if not isinstance(error.instance, dict) or not isinstance(error.validator_value, list):
        return []
    fitting = [i for i, alternative in enumerate(error.validator_value)
               if isinstance(alternative, dict) and alternative.get("required")
               and all(k in error.instance for k in alternative["required"])]
    if len(fitting) != 1:
        return []
    return [e for e in error.context or [] if e.schema_path and e.schema_path[0] == fitting[0]]


def _matches_several(error: ValidationError) -> bool:
    failing = {e.schema_path[0] for e in error.context or []}
    return len(failing) < len(error.validator_value) - 1


def _describe(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "a number",
            float: "a number", type(None): "nothing (null)"}.get(type(value), type(value).__name__)


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return "allowed: " + ", ".join(options) if len(options) <= 16 else ""


def _to_catalog_error(doc: YamlDocument, e: ValidationError) -> CatalogError:
    path = tuple(e.absolute_path)
    schema = e.schema if isinstance(e.schema, dict) else {}
    hint = schema.get("description", "") if isinstance(schema, dict) else ""
    v = e.validator
    if v == "additionalProperties" and isinstance(e.instance, dict):
        allowed = sorted(schema.get("properties", {}))
        unknown = [k for k in e.instance if k not in allowed]
        field = unknown[0] if unknown else "?"
        hint = _suggest(field, allowed) if allowed else schema.get("description", "")  # e.g. "takes no options"
        return doc.error((*path, field), f"unknown field {field!r}", hint, key=True)
    if v == "required":
        missing = str(e.message).split("'")[1] if "'" in e.message else str(e.validator_value)
        return doc.error(path, f"missing required field {missing!r}", hint, key=bool(path))
    if v == "type":
        expected = e.validator_value if isinstance(e.validator_value, list) else [e.validator_value]
        names = {"object": "a mapping", "array": "a list", "string": "text", "integer": "a whole number",
                 "number": "a number", "boolean": "true or false", "null": "null"}
        wanted = " or ".join(names.get(t, t) for t in expected)
        return doc.error(path, f"expected {wanted}, found {_describe(e.instance)}", hint)
    if v in ("enum", "const"):
        options = [str(o) for o in (e.validator_value if v == "enum" else [e.validator_value])]
        message = f"{e.instance!r} is not one of: {', '.join(options)}"
        return doc.error(path, message, _suggest(str(e.instance), options))
    if v == "propertyNames":
        # The failing instance is the key itself; point at it.
        return doc.error((*path, e.instance), f"invalid name {e.instance!r}", hint, key=True)
    if v == "pattern":
        return doc.error(path, f"{e.instance!r} has the wrong form", hint or f"expected pattern {e.validator_value}")
    if v in ("minProperties", "maxProperties") and "steps" in path:
        return doc.error(path, "a step holds exactly one operation",
                         "write each operation as its own list item, e.g. '- dedupe: {...}'")
    if v in ("oneOf", "anyOf") and e.context and all(c.validator == "required" for c in e.context):
        names = [str(c.validator_value[0]) for c in e.context if c.validator_value]
        return doc.error(path, f"needs one of: {', '.join(names)}", hint, key=bool(path))
    if v == "oneOf":
        return doc.error(path, "give exactly one of the alternatives", "e.g. one of ingest/prepare/train/score/load")
    if v == "uniqueItems":
        return doc.error(path, "list has duplicate entries", hint)
    return doc.error(path, e.message, hint)


def _write_assembled_schemas() -> None:
    """Rewrite the source tree's dataset.schema.json from the step classes and source.schema.json
    from the source kinds (tests check they agree)."""
    for name, assemble in (("dataset.schema.json", dataset_schema_text), ("source.schema.json", source_schema_text)):
        path = Path(__file__).with_name("schemas") / name
        old = path.read_text(encoding="utf-8")
        new = assemble(old)
        if new != old:
            path.write_text(new, encoding="utf-8")
        print(f"{path}: {'rewritten' if new != old else 'up to date'}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m lakewharf.catalog.schema --write")
    _write_assembled_schemas()
