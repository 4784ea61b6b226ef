"""The whole factory as documents: orchestrators, workers, datasets, linked services, triggers and
the control files, built once for ``generate`` and (without reading any SQL) for ``validate``'s
limit checks, so both see exactly the same pipelines."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lakewharf.generate.adf import datasets, linked_services, triggers
from lakewharf.generate.adf.limits import Breach, check_factory
from lakewharf.generate.adf.orchestrator import (
    DEFAULT_BATCH_COUNT,
    Group,
    groups,
    item_row,
    orchestrator_document,
    plan,
    step_elements,
)
from lakewharf.generate.adf.workers_ingest import ingest_worker
from lakewharf.generate.adf.workers_work import load_worker, ml_worker, prepare_worker
from lakewharf.generate.artifact import Artifact, json_artifact
from lakewharf.model.catalog import Catalog


def worker_document(kind: str) -> dict[str, Any]:
    if kind.startswith("ingest_"):
        return ingest_worker(kind)
    if kind in ("prepare", "prepare_salted"):
        return prepare_worker(kind == "prepare_salted")
    if kind == "load":
        return load_worker()
    return ml_worker(kind)


def salted_datasets(catalog: Catalog) -> dict[str, bool]:
    from lakewharf.generate.preparations import uses_salt

    prepared = sorted({s.target for p in catalog.pipelines.values() for s in p.steps if s.kind == "prepare"})
    return {name: uses_salt(catalog, catalog.datasets[name]) for name in prepared}


@dataclass
class FactoryDocuments:
    catalog: Catalog
    orchestrators: dict[str, dict[str, Any]] = field(default_factory=dict)  # catalog pipeline -> document
    workers: dict[str, dict[str, Any]] = field(default_factory=dict)  # kind -> document
    groups: dict[str, list[Group]] = field(default_factory=dict)  # catalog pipeline -> control files
    others: list[dict[str, Any]] = field(default_factory=list)  # datasets, linked services, triggers

    def breaches(self) -> list[Breach]:
        return check_factory(self)

    def pipeline_artifacts(self) -> list[Artifact]:
        out = []
        for kind, doc in sorted(self.workers.items()):
            users = sorted(p for p, gs in self.groups.items() if any(g.kind == kind for g in gs))
            out.append(json_artifact(f"adf/pipeline/{doc['name']}.json", doc, tuple(f"pipeline:{u}" for u in users)))
        for name, doc in sorted(self.orchestrators.items()):
            pipeline = self.catalog.pipelines[name]
            elements = step_elements(self.catalog, pipeline)
            out.append(json_artifact(f"adf/pipeline/{doc['name']}.json", doc, elements))
            for group in self.groups[name]:
                rows = sorted(group.rows, key=lambda r: r["item"])
                out.append(json_artifact(f"control/{doc['name']}/{group.name}.json", rows, elements))
        return out


def factory_documents(catalog: Catalog, built: Mapping[str, Artifact] | None = None) -> FactoryDocuments:
    """``built`` (the generated SQL) fills the control files; without it only their shape is known."""
    salted = salted_datasets(catalog)
    docs = FactoryDocuments(catalog)
    for name in sorted(catalog.pipelines):
        pipeline = catalog.pipelines[name]
        works = plan(catalog, pipeline, salted)
        rows = {w.item: item_row(catalog, pipeline, w, built) for w in works} if built is not None else None
        docs.groups[name] = groups(works, rows)
        for kind in sorted({w.kind for w in works}):
            docs.workers.setdefault(kind, worker_document(kind))
        params = {k: docs.workers[k]["properties"]["parameters"] for k in docs.workers}
        batch = getattr(pipeline, "batch_count", DEFAULT_BATCH_COUNT)
        docs.orchestrators[name] = orchestrator_document(catalog, pipeline, docs.groups[name], params, batch)
    docs.others = [*(ls for ls in linked_services.platform_linked_services(catalog)),
                   *(linked_services.source_linked_service(k) for k in sorted(
                       {linked_services.source_kind_key(s) for s in catalog.sources.values()})),
                   *(json_doc for json_doc in _dataset_docs(catalog)),
                   *_trigger_docs(catalog)]
    return docs


def _dataset_docs(catalog: Catalog) -> list[dict[str, Any]]:
    import json

    return [json.loads(a.content) for a in datasets.artifacts(catalog)]


def _trigger_docs(catalog: Catalog) -> list[dict[str, Any]]:
    import json

    return [json.loads(a.content) for a in triggers.artifacts(catalog)]


__all__ = ["FactoryDocuments", "factory_documents"]
