"""The one registry of source kinds: adding a kind is its module and one line here.

The catalog schema's ``kind`` enum and each kind's ``options`` are assembled from this dict
(``lakewharf.sources.schema``); tests check that the shipped ``source.schema.json`` agrees and that
every kind fills in every hook.
"""

from __future__ import annotations

from lakewharf.model.catalog import Source
from lakewharf.sources.azure_sql import AZURE_SQL
from lakewharf.sources.base import DatabaseKind, SourceKind
from lakewharf.sources.event_hub import EVENT_HUB, CaptureKind
from lakewharf.sources.file_drop import FILE_DROP
from lakewharf.sources.files import FILES
from lakewharf.sources.log import LOG
from lakewharf.sources.mysql import MYSQL
from lakewharf.sources.oracle import ORACLE
from lakewharf.sources.postgresql import POSTGRESQL
from lakewharf.sources.rest import REST, ApiKind
from lakewharf.sources.sqlserver import SQLSERVER

SOURCE_KINDS: dict[str, SourceKind] = {
    "sqlserver": SQLSERVER,
    "postgresql": POSTGRESQL,
    "file_drop": FILE_DROP,
    "log": LOG,
    "mysql": MYSQL,
    "oracle": ORACLE,
    "azure_sql": AZURE_SQL,
    "rest": REST,
    "event_hub": EVENT_HUB,
    "files": FILES,
}


SELF_HOSTED_RUNTIME = "ir-self-hosted"  # the factory's one self-hosted integration runtime
_SELF_HOSTED = "_self_hosted"  # suffix of the linked services, datasets and workers that use it


def kind_of(source: Source) -> SourceKind:
    return SOURCE_KINDS[source.kind]


def is_database(source: Source) -> bool:
    return SOURCE_KINDS[source.kind].is_database


def family_of(source: Source) -> str:
    """The dataset family (``ds_src_<family>``, ``wk_ingest_<family>_<mode>``) of a source: its
    kind's, with ``_self_hosted`` when it runs on the self-hosted runtime (its linked service then
    differs by ``connectVia``)."""
    return kind_of(source).dataset_family(source) + (_SELF_HOSTED if source.runtime == "self_hosted" else "")


def linked_service_key(source: Source) -> str:
    """Sources with one key share one linked service (``ls_src_<key>``)."""
    return kind_of(source).linked_service_key_of(source) + (_SELF_HOSTED if source.runtime == "self_hosted" else "")


def split_family(family: str) -> tuple[str, bool]:
    """(the kind's family or key, whether it runs on the self-hosted runtime)."""
    if family.endswith(_SELF_HOSTED):
        return family.removesuffix(_SELF_HOSTED), True
    return family, False


def database_kind(family: str) -> DatabaseKind | None:
    """The database kind whose dataset family (and worker pipelines) is ``family`` (a kind name,
    maybe with the self-hosted suffix); None for a file format."""
    kind = SOURCE_KINDS.get(split_family(family)[0])
    return kind if isinstance(kind, DatabaseKind) else None


def linked_service_kind(key: str) -> SourceKind:
    """The first kind whose linked service key is ``key`` (kinds sharing a key share its JSON)."""
    base = split_family(key)[0]
    return next(k for k in SOURCE_KINDS.values() if k.owns_linked_service(base))


def api_kind(family: str) -> ApiKind | None:
    """The API kind whose dataset family (and worker pipelines) is ``family``; None for the others."""
    base = split_family(family)[0]
    return next((k for k in SOURCE_KINDS.values() if isinstance(k, ApiKind) and k.owns_linked_service(base)), None)


def capture_kind(family: str) -> CaptureKind | None:
    """The capture kind (Event Hubs Capture files in the lake) whose family is ``family``; None for the others."""
    kind = SOURCE_KINDS.get(split_family(family)[0])
    return kind if isinstance(kind, CaptureKind) else None
