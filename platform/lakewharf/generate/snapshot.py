"""``contract.json``: the catalog's promises to its readers, as one normalized document.

It lists each warehouse table's shape (columns, types, distribution, index, load keys) and who
can read which personal column, so ``wharf diff`` can tell a breaking or privacy-relevant
change from a cosmetic one by comparing two contracts instead of re-parsing SQL.
"""

from __future__ import annotations

from typing import Any

from lakewharf.generate.artifact import Artifact, json_artifact
from lakewharf.model.catalog import Catalog
from lakewharf.model.types import Privacy

CONTRACT = "contract.json"


def _exposures(catalog: Catalog) -> list[dict[str, str]]:
    """Every (object, column, role) where a role can read personal or sensitive data, and how."""
    out = []
    for ds in catalog.datasets.values():
        zone = catalog.platform.zones[ds.zone]
        for col in ds.columns:
            if col.privacy > Privacy.NONE:
                out += [{"object": f"dataset:{ds.name}", "column": col.name, "role": r, "privacy": str(col.privacy),
                         "access": "unmasked"} for r in zone.audience]
    for t in catalog.tables.values():
        for tc in t.columns:
            if tc.column.privacy == Privacy.NONE:
                continue
            for r in t.readers:
                masked = tc.mask is not None and r not in t.unmask
                out.append({"object": f"table:{t.qualified_name}", "column": tc.name, "role": r,
                            "privacy": str(tc.column.privacy), "access": "masked" if masked else "unmasked"})
    return sorted(out, key=lambda e: (e["object"], e["column"], e["role"]))


def contract(catalog: Catalog) -> dict[str, Any]:
    tables = {}
    for t in sorted(catalog.tables.values(), key=lambda t: t.qualified_name):
        tables[t.qualified_name] = {
            "kind": t.kind,
            "columns": {tc.name: {"type": str(tc.column.type), "nullable": tc.column.nullable,
                                  "privacy": str(tc.column.privacy), "mask": tc.mask} for tc in t.columns},
            "distribution": t.distribution + (f"({t.distribution_column})" if t.distribution_column else ""),
            "index": t.index + (f"({', '.join(t.index_columns)})" if t.index_columns else ""),
            "partition": {"column": t.partition_column, "boundaries": list(t.partition_boundaries)}
            if t.partition_column else None,
            "load": {"mode": t.load_mode, "keys": list(t.load_keys), "tracked": list(t.tracked)},
            "readers": sorted(t.readers),
        }
    datasets = {ds.name: {"zone": ds.zone, "columns": {c.name: {"type": str(c.type), "privacy": str(c.privacy)}
                                                       for c in ds.columns}}
                for ds in sorted(catalog.datasets.values(), key=lambda d: d.name)}
    return {"platform": catalog.platform.name, "tables": tables, "datasets": datasets,
            "exposures": _exposures(catalog)}


def contract_artifact(catalog: Catalog) -> Artifact:
    elements = (*(f"table:{t}" for t in sorted(catalog.tables)), *(f"dataset:{d}" for d in sorted(catalog.datasets)))
    return json_artifact(CONTRACT, contract(catalog), elements)
