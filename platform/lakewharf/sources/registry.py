"""The one registry of source kinds: adding a kind is its module and one line here.

The catalog schema's ``kind`` enum and each kind's ``options`` are assembled from this dict
(``lakewharf.sources.schema``); tests check that the shipped ``source.schema.json`` agrees and that
every kind fills in every hook.
"""

from __future__ import annotations

from lakewharf.model.catalog import Source
from lakewharf.sources.base import DatabaseKind, SourceKind
from lakewharf.sources.file_drop import FILE_DROP
from lakewharf.sources.log import LOG
from lakewharf.sources.postgresql import POSTGRESQL
from lakewharf.sources.sqlserver import SQLSERVER

SOURCE_KINDS: dict[str, SourceKind] = {
    "sqlserver": SQLSERVER,
    "postgresql": POSTGRESQL,
    "file_drop": FILE_DROP,
    "log": LOG,
}


def kind_of(source: Source) -> SourceKind:
    return SOURCE_KINDS[source.kind]


def is_database(source: Source) -> bool:
    return SOURCE_KINDS[source.kind].is_database


def database_kind(family: str) -> DatabaseKind | None:
    """The database kind whose dataset family (and worker pipelines) is ``family``; None for a
    file format."""
    kind = SOURCE_KINDS.get(family)
    return kind if isinstance(kind, DatabaseKind) else None


def linked_service_kinds() -> dict[str, SourceKind]:
    """Linked service key → the first kind using it (kinds sharing a key share its JSON)."""
    out: dict[str, SourceKind] = {}
    for kind in SOURCE_KINDS.values():
        out.setdefault(kind.linked_service_key, kind)
    return out
