"""An artifact: one generated file, its bytes, and the catalog elements it came from."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True)
class Artifact:
    path: str  # relative to the output folder, forward slashes
    content: bytes
    elements: tuple[str, ...]  # catalog elements, e.g. ("dataset:customers_clean",)
    # Column lineage it implements: ("entity:crm.customers.email", "dataset:customers_clean.email")
    lineage: tuple[tuple[str, str], ...] = ()


# A float below 1e-4 in orjson's spellings (0.00001, 2.5e-6), which Python's json writes 1e-05, 2.5e-06.
_SMALL_FLOAT = re.compile(rb"\b0\.0000|[0-9]e-[0-9](?![0-9])")
# What every match of _SMALL_FLOAT contains. Searched first: a literal-led pattern and ``in`` scan
# megabytes ~40× faster than _SMALL_FLOAT's leading digit class, and most documents hold neither.
_E_MINUS_DIGIT = re.compile(rb"e-[0-9]")
# Printable ASCII and the indent's newlines (orjson's own): what ensure_ascii never escapes.
_PRINTABLE_ASCII = bytes([0x0A, *range(0x20, 0x7F)])


def json_bytes(data: Any, *, ascii_only: bool = False) -> bytes:
    """``json.dumps(data, indent=2, ensure_ascii=ascii_only)`` as UTF-8, byte for byte, without its
    pure-Python indenting encoder (the standard library's C encoder does not indent): orjson writes
    the same bytes ~15× faster. Where the two could differ (a small float, a non-ASCII text that
    must be escaped, a key or value orjson refuses), the standard library writes it, and raises
    for what is not JSON as before (dataclasses and dates are passed through to it, not written)."""
    import orjson

    options = orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
    try:
        text = orjson.dumps(data, option=options)
    except TypeError:  # non-string keys, integers beyond 64 bits, dataclasses, dates, other types
        text = b""
    # bytes.translate deleting the printable leaves what is not (8x faster than searching for it)
    if not text or _may_hold_small_float(text) or (ascii_only and text.translate(None, _PRINTABLE_ASCII)):
        return json.dumps(data, indent=2, ensure_ascii=ascii_only).encode("utf-8")
    return text


def _may_hold_small_float(text: bytes) -> bool:
    return (b"0.0000" in text or _E_MINUS_DIGIT.search(text) is not None) and _SMALL_FLOAT.search(text) is not None


def json_artifact(path: str, data: Any, elements: tuple[str, ...],
                  lineage: tuple[tuple[str, str], ...] = ()) -> Artifact:
    """JSON as Data Factory Studio writes it: two-space indent, UTF-8, final newline."""
    return Artifact(path, json_bytes(data) + b"\n", elements, lineage)


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # Multi-line strings (commands, SQL) as literal blocks, so reviews read them as written.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def yaml_artifact(path: str, data: Any, elements: tuple[str, ...], header: str = "") -> Artifact:
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)
    return Artifact(path, (header + text).encode("utf-8"), elements)


def text_artifact(path: str, text: str, elements: tuple[str, ...],
                  lineage: tuple[tuple[str, str], ...] = ()) -> Artifact:
    if not text.endswith("\n"):
        text += "\n"
    return Artifact(path, text.encode("utf-8"), elements, lineage)
