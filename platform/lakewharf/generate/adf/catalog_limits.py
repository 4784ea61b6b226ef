"""Data Factory's service limits as located catalog errors: the factory the catalog would generate
is built in memory (no SQL read, no file written) and each limit it breaks is reported at the
pipeline (or platform) that causes it. See lakewharf.generate.adf.limits for the limits."""

from __future__ import annotations

from lakewharf.errors import CatalogError
from lakewharf.model.catalog import Catalog


def check_adf_limits(catalog: Catalog) -> list[CatalogError]:
    from lakewharf.generate.adf.factory import factory_documents

    errors = []
    for breach in factory_documents(catalog).breaches():
        kind, _, name = breach.element.partition(":")
        if kind == "pipeline" and name in catalog.pipelines:
            origin = catalog.pipelines[name].origin
            if breach.field:
                origin = origin.at(breach.field)
        else:
            origin = catalog.platform.origin
        errors.append(origin.error(breach.message, breach.hint, key=True))
    return errors
