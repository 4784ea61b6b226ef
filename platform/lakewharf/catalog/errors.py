"""The one error type for anything wrong with a user's catalog.

Every problem — unreadable bytes, YAML syntax, schema violations, broken references,
privacy leaks — becomes a ``CatalogError`` that points at a place in a file, so the CLI can
print ``file:line:col: json.path: message`` and exit 1 without a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lakewharf.errors import WharfError

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
