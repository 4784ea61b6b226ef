"""The one base of every error a user can cause or fix: bad input, a missing service, a refused write.

The catalog's own error type lives here too: ``CatalogError`` is one located problem (file, line,
column, JSON path, message, hint) and ``CatalogInvalid`` carries all of them, so the CLI prints
``file:line:col: json.path: message`` and exits 1 without a traceback.

Every room raises its own subclass (``CatalogInvalid``, ``SettingsError``, ``BindingError``,
``LakeUnavailable`` …) with a message and, where there is one, a hint; ``cli/main.py`` handles
the base once, so any of them ends a command with one clear line and exit status 1. Anything
else that escapes a command is a bug in lakewharf and is reported as an internal error.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


class WharfError(Exception):
    """A problem in the user's input or environment, with what to do about it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


JsonPath = tuple[str | int, ...]


def format_json_path(path: Sequence[str | int]) -> str:
    """``("entities", "customers", "columns", 0)`` → ``$.entities.customers.columns[0]``."""
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.replace("_", "a").isalnum() and not part[:1].isdigit():
            out += f".{part}"
        else:
            out += "[" + repr(part) + "]"
    return out


@dataclass(frozen=True, order=True)
class CatalogError:
    """A located problem in the catalog. Lines and columns are 1-based; 0 means unknown."""

    file: str
    line: int
    column: int
    path: JsonPath
    message: str
    hint: str = field(default="", compare=False)

    @property
    def json_path(self) -> str:
        return format_json_path(self.path)

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}:{self.column}: {self.json_path}: {self.message}"
        return f"{text}\n  hint: {self.hint}" if self.hint else text

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.json_path,
            "message": self.message,
            "hint": self.hint,
        }


class CatalogInvalid(WharfError):
    """Raised with every problem found, so callers report them all at once."""

    def __init__(self, errors: Iterable[CatalogError]) -> None:
        self.errors: list[CatalogError] = sorted(set(errors))
        super().__init__(f"{len(self.errors)} catalog problem(s)")
