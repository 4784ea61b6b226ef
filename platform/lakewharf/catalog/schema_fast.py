"""A fast yes/no check of a document against the catalog's JSON Schemas, compiled once into closures.

jsonschema's ``iter_errors`` walks every keyword through its generic machinery and resolves each
``$ref`` through the ``referencing`` registry on every use: ~6 ms per catalog file, 12 s for a
1,000-table catalog. Most files are valid, so ``schema.check_document`` first asks this checker, and
only a document it does not pass is validated by jsonschema, which then finds and words the errors.

The checker is conservative by construction: it passes a document only when jsonschema would
(stricter equality for ``enum``/``const``/``uniqueItems``, integers must be ``int``), and a schema
using a keyword it does not know is refused at compile time (``Unsupported``), so that kind is
always checked by jsonschema alone. ``format`` is an annotation here as it is for jsonschema
without a format checker.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "$comment", "title", "description", "default", "examples",
                          "format", "deprecated", "readOnly", "writeOnly"})
_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: type(v) is int,
    "number": lambda v: type(v) in (int, float),
    "boolean": lambda v: type(v) is bool,
    "null": lambda v: v is None,
}
_SCALARS = (str, int, float, bool, type(None))


class Unsupported(Exception):
    """The schema uses a keyword or form this checker does not implement."""


def _number(v: Any) -> bool:
    return type(v) in (int, float)


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same type: implies jsonschema's equality (which also has 1 == 1.0)."""
    return type(a) is type(b) and a == b


class Compiler:
    """Compiles the schema files (name → parsed JSON) into one check per ``$ref`` target."""

    def __init__(self, files: Mapping[str, Any]) -> None:
        self.files = files
        self.compiled: dict[str, Check] = {}

    def ref(self, base: str, ref: str) -> Check:
        file, _, pointer = ref.partition("#")
        key = f"{file or base}#{pointer}"
        if key not in self.compiled:
            box: list[Check] = []
            self.compiled[key] = lambda v: box[0](v)  # recursive references resolve once compiled
            target = self.files[file or base]
            for part in (p for p in pointer.split("/") if p):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            box.append(self.compile(target, file or base))
            self.compiled[key] = box[0]
        return self.compiled[key]

    def compile(self, schema: Any, base: str) -> Check:
        if schema is True:
            return lambda v: True
        if schema is False:
            return lambda v: False
        if not isinstance(schema, dict):
            raise Unsupported(f"schema {schema!r}")
        checks: list[Check] = []
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS or keyword in ("properties", "additionalProperties"):
                continue
            checks.append(self.keyword(keyword, value, schema, base))
        if "properties" in schema or "additionalProperties" in schema:
            checks.append(self.object_properties(schema, base))
        if len(checks) == 1:
            return checks[0]
        return lambda v: all(c(v) for c in checks)

    def keyword(self, keyword: str, value: Any, schema: dict[str, Any], base: str) -> Check:
        if keyword == "$ref":
            return self.ref(base, value)
        if keyword == "type":
            tests = [_TYPES[t] for t in (value if isinstance(value, list) else [value])]
            return lambda v: any(t(v) for t in tests)
        if keyword in ("enum", "const"):
            options = value if keyword == "enum" else [value]
            if not all(isinstance(o, _SCALARS) for o in options):
                raise Unsupported(f"{keyword} with non-scalar values")
            return lambda v: isinstance(v, _SCALARS) and any(_same(v, o) for o in options)
        if keyword == "required":
            return lambda v: not isinstance(v, dict) or all(k in v for k in value)
        if keyword == "minProperties":
            return lambda v: not isinstance(v, dict) or len(v) >= value
        if keyword == "maxProperties":
            return lambda v: not isinstance(v, dict) or len(v) <= value
        if keyword == "propertyNames":
            names = self.compile(value, base)
            return lambda v: not isinstance(v, dict) or all(names(k) for k in v)
        if keyword == "pattern":
            search = re.compile(value).search
            return lambda v: not isinstance(v, str) or search(v) is not None
        if keyword == "minLength":
            return lambda v: not isinstance(v, str) or len(v) >= value
        if keyword == "maxLength":
            return lambda v: not isinstance(v, str) or len(v) <= value
        if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            compare: Callable[[Any], bool] = {
                "minimum": lambda v: v >= value, "maximum": lambda v: v <= value,
                "exclusiveMinimum": lambda v: v > value, "exclusiveMaximum": lambda v: v < value}[keyword]
            return lambda v: not _number(v) or compare(v)
        if keyword == "items":
            item = self.compile(value, base)
            return lambda v: not isinstance(v, list) or all(item(i) for i in v)
        if keyword == "minItems":
            return lambda v: not isinstance(v, list) or len(v) >= value
        if keyword == "maxItems":
            return lambda v: not isinstance(v, list) or len(v) <= value
        if keyword == "uniqueItems":
            if not value:
                return lambda v: True
            return lambda v: not isinstance(v, list) or _unique(v)
        if keyword in ("anyOf", "oneOf", "allOf"):
            branches = [self.compile(b, base) for b in value]
            if keyword == "anyOf":
                return lambda v: any(b(v) for b in branches)
            if keyword == "allOf":
                return lambda v: all(b(v) for b in branches)
            return lambda v: sum(1 for b in branches if b(v)) == 1
        raise Unsupported(f"keyword {keyword!r}")

    def object_properties(self, schema: dict[str, Any], base: str) -> Check:
        if "patternProperties" in schema:
            raise Unsupported("patternProperties")
        properties = {name: self.compile(s, base) for name, s in schema.get("properties", {}).items()}
        extra_schema = schema.get("additionalProperties", True)
        extra = None if extra_schema is True else self.compile(extra_schema, base)

        def check(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            for key, item in v.items():
                test = properties.get(key, extra)
                if test is not None and not test(item):
                    return False
            return True

        return check


def _unique(items: list[Any]) -> bool:
    if not all(isinstance(i, str) for i in items):
        return False  # numbers (1 == 1.0 == True for jsonschema?) and containers: leave it to jsonschema
    return len(set(items)) == len(items)
