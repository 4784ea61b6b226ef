"""The retail sample's curated data as a source provider (``{sample: retail}`` in local.yaml).

The sample's data (``lakewharf.local.sample_data``) simulates customers with a latent activity
level and a churn date, so its models have something to learn; this module hands one source's
part of it to the seeding, in the shape every provider gives: a table per database entity, the
files of its path glob per file entity.
"""

from __future__ import annotations

from typing import Any

from lakewharf.local.settings import LocalSettings
from lakewharf.local.sources import EntityRows
from lakewharf.model.catalog import Entity, Source
from lakewharf.sources.registry import is_database


def sample_rows(source: Source, settings: LocalSettings, cache: dict[str, Any]) -> dict[str, EntityRows]:
    """``cache`` holds the generated sample across the sources of one seeding (it is made once)."""
    from lakewharf.local.sample_data import Volumes, generate

    if "data" not in cache:
        cache["data"] = generate(Volumes().scaled(settings.sample_scale))
    data = cache["data"]
    out = {}
    for entity in source.entities.values():
        if is_database(source):
            if entity.ref in data.tables:
                out[entity.ref] = EntityRows(data.tables[entity.ref], {})
        else:
            out[entity.ref] = EntityRows(None, _files_for(entity, data))
    return out


def _files_for(entity: Entity, data: Any) -> dict[str, bytes]:
    """Lay the sample files out under the entity's path glob (``{yyyy}/{MM}/{dd}`` expanded)."""
    assert entity.path is not None
    folder = entity.path.rsplit("/", 1)[0]
    if entity.ref == "products.products":
        return {f"{folder}/products_20251231.csv": data.product_csv}
    if entity.ref == "clickstream.page_views":
        out = {}
        for day, content in data.page_view_days.items():
            yyyy, mm, dd = day.split("/")
            out[folder.replace("{yyyy}", yyyy).replace("{MM}", mm).replace("{dd}", dd) + "/part-0000.jsonl"] = content
        return out
    return {}
