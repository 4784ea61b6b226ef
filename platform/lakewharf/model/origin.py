"""Where a model object came from, so any later check can point at the YAML that caused it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from lakewharf.errors import CatalogError, JsonPath


class Locator(Protocol):
    file: str

    def locate(self, path: tuple[str | int, ...], *, key: bool = False) -> tuple[int, int]: ...


@dataclass(frozen=True, eq=False)
class Origin:
    """A place in a catalog file: the document (for line/column lookups) and a JSON path in it."""

    doc: Locator
    path: JsonPath = ()

    def at(self, *parts: str | int) -> Origin:
        return Origin(self.doc, self.path + parts)

    @property
    def file(self) -> str:
        return self.doc.file

    def error(self, message: str, hint: str = "", *, key: bool = False) -> CatalogError:
        line, column = self.doc.locate(self.path, key=key)
        return CatalogError(self.doc.file, line, column, self.path, message, hint)


class _Nowhere:
    file = "<built-in>"

    def locate(self, path: tuple[str | int, ...], *, key: bool = False) -> tuple[int, int]:
        return (0, 0)


NOWHERE = Origin(_Nowhere())
