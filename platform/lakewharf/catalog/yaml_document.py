"""One parsed catalog file: its plain data, and where in the file each value and key was written.

Positions only word errors, and most files have none: a file that loaded without a problem keeps
its text and works its positions out the first time one is asked for, by composing the text again
and converting it with the positions recorded (``yaml_source.positions``), the same nodes and marks
a full conversion would have recorded. At 1,000 tables that recording was half of turning the
composed nodes into data, and the positions were 4 of the 5.7 MB each worker sent back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lakewharf.errors import CatalogError, JsonPath

_PathLike = Sequence[str | int]
Positions = Mapping[JsonPath, tuple[int, int]]


class YamlDocument:
    """Plain data plus the 1-based (line, column) of every value and key, by JSON path."""

    __slots__ = ("_keys", "_values", "data", "file", "text")

    def __init__(self, file: str, data: Any, value_positions: Positions | None = None,
                 key_positions: Positions | None = None, *, text: str | None = None) -> None:
        """The positions, or ``text`` (the file's text) to find them in when asked, or both."""
        if (value_positions is None or key_positions is None) and text is None:
            raise ValueError("a YamlDocument needs its positions or its text")
        self.file, self.data, self.text = file, data, text
        self._values, self._keys = value_positions, key_positions

    @property
    def value_positions(self) -> Positions:
        return self._positions()[0]

    @property
    def key_positions(self) -> Positions:
        return self._positions()[1]

    def _positions(self) -> tuple[Positions, Positions]:
        if self._values is None or self._keys is None:
            from lakewharf.catalog.yaml_source import positions  # the converter imports this module

            assert self.text is not None
            self._values, self._keys = positions(self.text, self.file)
        return self._values, self._keys

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, YamlDocument):
            return NotImplemented
        return (self.file, self.data, self.value_positions, self.key_positions) == (
            other.file, other.data, other.value_positions, other.key_positions)

    __hash__ = None  # type: ignore[assignment]  # data is mutable, as a dataclass's eq made it

    def __repr__(self) -> str:
        return f"YamlDocument(file={self.file!r}, data={self.data!r})"

    def locate(self, path: _PathLike, *, key: bool = False) -> tuple[int, int]:
        """Position of path (its key when key=True); else the nearest located ancestor; else (1, 1)."""
        values, keys = self._positions()
        here = tuple(path)
        if key and here in keys:
            return keys[here]
        while True:
            if here in values:
                return values[here]
            if not here:
                return (1, 1)
            here = here[:-1]

    def error(self, path: _PathLike, message: str, hint: str = "", *, key: bool = False) -> CatalogError:
        line, column = self.locate(path, key=key)
        return CatalogError(self.file, line, column, tuple(path), message, hint)
