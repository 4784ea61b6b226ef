"""The lineage graph as Cytoscape.js elements: sources → zones (holding entities and datasets) →
models → warehouse tables.

Nodes are the element ids of ``lakewharf.model.graph`` (plus ``source:`` and ``zone:``); zones
and the warehouse are compound nodes around what they hold. An edge carries personal data when a
personal column upstream feeds a personal column downstream; it *protects* it where a personal
column is hashed, redacted, dropped or masked on the way (its label says how).
"""

from __future__ import annotations

from typing import Any

from lakewharf.model.catalog import Catalog
from lakewharf.model.column_lineage import ColumnLineage
from lakewharf.model.graph import upstream_refs
from lakewharf.model.types import Privacy

WAREHOUSE = "group:warehouse"
ML = "group:ml"


def personal_columns(catalog: Catalog) -> set[tuple[str, str]]:
    """(node, column) of every personal or sensitive column, with the names column lineage uses."""
    out = {(f"entity:{e.ref}", c.name) for s in catalog.sources.values() for e in s.entities.values()
           for c in e.columns if c.privacy > Privacy.NONE}
    out |= {(f"dataset:{d.name}", c.name) for d in catalog.datasets.values() for c in d.columns
            if c.privacy > Privacy.NONE}
    out |= {(f"model:{m.name}", f"{o}.{c.name}") for m in catalog.models.values() for o, cs in m.outputs.items()
            for c in cs if c.privacy > Privacy.NONE}
    out |= {(f"table:{t.name}", tc.name) for t in catalog.tables.values() for tc in t.columns
            if tc.column.privacy > Privacy.NONE}
    return out


def lineage_elements(catalog: Catalog, lin: ColumnLineage, href: dict[str, str]) -> list[dict[str, Any]]:
    """Nodes then edges, each sorted by id, so the same catalog gives the same file."""
    personal = personal_columns(catalog)
    nodes: list[dict[str, Any]] = []

    def node(nid: str, label: str, kind: str, parent: str | None = None) -> None:
        data: dict[str, Any] = {"id": nid, "label": label, "kind": kind}
        if parent:
            data["parent"] = parent
        if nid in href:
            data["href"] = href[nid]
        if any(n == nid for n, _ in personal):
            data["personal"] = sorted(c for n, c in personal if n == nid)
        nodes.append({"data": data})

    for z in catalog.platform.zones.values():
        node(f"zone:{z.name}", f"zone {z.name}", "zone")
    if catalog.models:
        node(ML, "Azure ML", "group")
    if catalog.tables:
        node(WAREHOUSE, "Synapse warehouse", "group")
    for s in catalog.sources.values():
        node(f"source:{s.name}", s.name, "source")
        for e in s.entities.values():
            node(f"entity:{e.ref}", e.ref, "entity", _zone(catalog, s.landing_zone))
    for d in catalog.datasets.values():
        node(f"dataset:{d.name}", d.name, "dataset", _zone(catalog, d.zone))
    for m in catalog.models.values():
        node(f"model:{m.name}", m.name, "model", ML)
    for t in catalog.tables.values():
        node(f"table:{t.name}", t.qualified_name, "table", WAREHOUSE)

    edges: dict[tuple[str, str], dict[str, Any]] = {}
    for s in catalog.sources.values():
        for e in s.entities.values():
            edges[(f"source:{s.name}", f"entity:{e.ref}")] = {"carries": [], "protects": []}
    for down, ups in upstream_refs(catalog).items():
        for u in ups:
            edges.setdefault((u, down), {"carries": [], "protects": []})
    for e in lin.edges:
        info = edges.setdefault((e.upstream[0], e.downstream[0]), {"carries": [], "protects": []})
        if e.upstream in personal:
            if e.downstream in personal and "masking" not in e.treatment:
                info["carries"].append(e.downstream[1])
            else:  # hashed, redacted, generalised, or shown masked to readers without clearance
                info["protects"].append(f"{e.upstream[1]}: {e.treatment or 'declared not personal'}")
    for d in lin.dropped:
        if d.upstream in personal:
            info = edges.setdefault((d.upstream[0], d.node), {"carries": [], "protects": []})
            info["protects"].append(f"{d.upstream[1]}: {d.how}")
    out = sorted(nodes, key=lambda n: n["data"]["id"])
    # Nodes of elements a catalog lacks (a model's absent parents) never appear: an edge needs both ends.
    known = {n["data"]["id"] for n in nodes}
    for (src, dst), info in sorted(edges.items()):
        if src not in known or dst not in known:
            continue
        data: dict[str, Any] = {"id": f"{src}->{dst}", "source": src, "target": dst}
        if info["carries"]:
            data["carries"] = sorted(set(info["carries"]))
        if info["protects"]:
            data["protects"] = sorted(set(info["protects"]))
            data["label"] = _short(data["protects"])
        out.append({"data": data})
    return out


def _zone(catalog: Catalog, zone: str) -> str | None:
    return f"zone:{zone}" if zone in catalog.platform.zones else None


def _short(protects: list[str]) -> str:
    """An edge label a graph can hold: the first two protections and how many more (the page lists all)."""
    head = "; ".join(protects[:2])
    return head if len(protects) <= 2 else f"{head}; +{len(protects) - 2} more"
