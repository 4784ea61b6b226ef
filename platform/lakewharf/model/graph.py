"""The lineage graph: source entities → datasets → models → warehouse tables.

Node ids are ``kind:name`` (``entity:crm.customers``, ``dataset:customers_clean``,
``model:churn``, ``table:dim_customer``). Edges point downstream.
"""

from __future__ import annotations

from collections import defaultdict
from graphlib import CycleError, TopologicalSorter

from lakewharf.model.catalog import Catalog


def upstream_refs(catalog: Catalog) -> dict[str, list[str]]:
    """Node → the nodes it reads from."""
    up: dict[str, list[str]] = defaultdict(list)

    def ref_node(ref: str) -> str:
        return f"entity:{ref}" if "." in ref else f"dataset:{ref}"

    for source in catalog.sources.values():
        for entity in source.entities.values():
            up[f"entity:{entity.ref}"]
    for ds in catalog.datasets.values():
        node = f"dataset:{ds.name}"
        up[node].extend(ref_node(r) for r in ds.inputs)
        up[node].extend(ref_node(r) for s in ds.steps for r in s.reads())
    for model in catalog.models.values():
        up[f"model:{model.name}"].append(f"dataset:{model.dataset}")
        if model.scoring.dataset != model.dataset:
            up[f"model:{model.name}"].append(f"dataset:{model.scoring.dataset}")
    for table in catalog.tables.values():
        src = f"dataset:{table.source_dataset}" if table.source_dataset else f"model:{table.source_model}"
        up[f"table:{table.name}"].append(src)
    return dict(up)


def topological_order(catalog: Catalog) -> list[str]:
    """Every node after all of its inputs. Raises graphlib.CycleError on a cycle."""
    return list(TopologicalSorter(upstream_refs(catalog)).static_order())


def downstream(catalog: Catalog) -> dict[str, list[str]]:
    down: dict[str, list[str]] = defaultdict(list)
    for node, ups in upstream_refs(catalog).items():
        for u in ups:
            down[u].append(node)
    return {k: sorted(set(v)) for k, v in down.items()}


__all__ = ["CycleError", "downstream", "topological_order", "upstream_refs"]
