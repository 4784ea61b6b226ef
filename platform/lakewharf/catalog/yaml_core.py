"""The YAML 1.2 core schema for plain scalars (not PyYAML's YAML 1.1 resolver, where ``NO`` is False)."""

from __future__ import annotations

import math
import re
from typing import Any

_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_NON_FINITE = re.compile(r"[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")


def resolve_plain(text: str) -> Any:
    """YAML 1.2 core schema; ValueError for numbers JSON cannot hold."""
    if _NULL.fullmatch(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.fullmatch(text):
        if len(text) > 4000:  # Python refuses longer int strings anyway
            raise ValueError(f"integer with {len(text)} digits is too long")
        return int(text[2:], 16 if text[1] == "x" else 8) if text[:2] in ("0x", "0o") else int(text)
    if _NON_FINITE.fullmatch(text) or (_FLOAT.fullmatch(text) and not math.isfinite(float(text))):
        raise ValueError(f"{text[:40]!r} is not a finite number (JSON has no infinity or NaN)")
    if _FLOAT.fullmatch(text):
        return float(text)
    return text
