"""Data Factory's service limits, checked on the generated documents (Microsoft Learn, "Azure Data
Factory limits": https://learn.microsoft.com/azure/data-factory/data-factory-service-limits and
https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#azure-data-factory-limits).

Each breach names the catalog element that causes it (``pipeline:<name>`` or
``platform:<name>``), so ``wharf validate`` reports it at that element's line with a hint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakewharf.generate.artifact import json_bytes

if TYPE_CHECKING:
    from lakewharf.generate.adf.factory import FactoryDocuments

MAX_ACTIVITIES = 120  # per pipeline, inner activities of containers included
MAX_PARAMETERS = 50  # per pipeline
MAX_PIPELINE_BYTES = 200 * 1024  # per pipeline object
MAX_OBJECT_BYTES = 100 * 1024  # per dataset / linked service object
MAX_ENTITIES = 5000  # pipelines, datasets, linked services, triggers, integration runtimes per factory
MAX_FOREACH_ITEMS = 100_000
MAX_BATCH_COUNT = 50
MAX_EXPRESSION = 8192  # characters per expression


@dataclass(frozen=True)
class Breach:
    element: str  # pipeline:<name> | platform:<name>
    message: str
    hint: str
    field: str = ""  # the catalog key at fault when it is one (batch_count)


def count_activities(activities: list[dict[str, Any]]) -> int:
    total = 0
    for a in activities:
        props = a.get("typeProperties", {})
        total += 1
        for key in ("activities", "ifTrueActivities", "ifFalseActivities", "defaultActivities"):
            total += count_activities(props.get(key) or [])
        for case in props.get("cases") or []:
            total += count_activities(case.get("activities") or [])
    return total


def _expressions(node: Any) -> list[str]:
    if isinstance(node, dict):
        if node.get("type") == "Expression" and isinstance(node.get("value"), str):
            return [node["value"]]
        return [e for v in node.values() for e in _expressions(v)]
    if isinstance(node, list):
        return [e for v in node for e in _expressions(v)]
    if isinstance(node, str) and node.startswith("@"):
        return [node]
    return []


def _size(doc: dict[str, Any]) -> int:
    return len(json_bytes(doc))


def _foreach(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a for a in activities if a.get("type") == "ForEach"]


def check_pipeline(doc: dict[str, Any], element: str, items: dict[str, int]) -> list[Breach]:
    """One pipeline document; ``items`` is the number of items each ForEach iterates."""
    name = doc["name"]
    props = doc["properties"]
    out = []
    split = "split the pipeline in pipelines.yaml, or give it fewer dependency levels (steps' after:)"
    count = count_activities(props.get("activities", []))
    if count > MAX_ACTIVITIES:
        out.append(Breach(element, f"{name}: {count} activities, above Data Factory's {MAX_ACTIVITIES} per pipeline "
                                   "(inner activities included)", split))
    params = len(props.get("parameters") or {})
    if params > MAX_PARAMETERS:
        out.append(Breach(element, f"{name}: {params} parameters, above Data Factory's {MAX_PARAMETERS}", split))
    size = _size(doc)
    if size > MAX_PIPELINE_BYTES:
        out.append(Breach(element, f"{name}: {size} bytes of JSON, above Data Factory's {MAX_PIPELINE_BYTES} "
                                   "per pipeline", split))
    for text in _expressions(props):
        if len(text) > MAX_EXPRESSION:
            out.append(Breach(element, f"{name}: an expression of {len(text)} characters, above Data Factory's "
                                       f"{MAX_EXPRESSION}", "shorten the names or the SQL behind it"))
            break
    batch_reported = False  # one batch_count breach per pipeline: every ForEach takes the same value
    for loop in _foreach(props.get("activities", [])):
        batch = loop["typeProperties"].get("batchCount")
        if batch is not None and not 1 <= batch <= MAX_BATCH_COUNT and not batch_reported:
            batch_reported = True
            out.append(Breach(element, f"{name}: ForEach {loop['name']} has batchCount {batch}; Data Factory "
                                       f"allows 1 to {MAX_BATCH_COUNT}", f"set batch_count between 1 and "
                                       f"{MAX_BATCH_COUNT}", field="batch_count"))
        n = items.get(loop["name"], 0)
        if n > MAX_FOREACH_ITEMS:
            out.append(Breach(element, f"{name}: ForEach {loop['name']} iterates {n} items, above Data Factory's "
                                       f"{MAX_FOREACH_ITEMS}", split))
    return out


def check_factory(docs: FactoryDocuments) -> list[Breach]:
    catalog = docs.catalog
    platform = f"platform:{catalog.platform.name}"
    out: list[Breach] = []
    for name, doc in sorted(docs.orchestrators.items()):
        items = {g.name: len(g.items) for g in docs.groups[name]}
        out += check_pipeline(doc, f"pipeline:{name}", items)
    for kind, doc in sorted(docs.workers.items()):
        users = sorted(p for p, gs in docs.groups.items() if any(g.kind == kind for g in gs))
        out += check_pipeline(doc, f"pipeline:{users[0]}" if users else platform, {})
    for doc in docs.others:
        size = _size(doc)
        kind = doc["properties"].get("type", "")
        limit = MAX_PIPELINE_BYTES if "Trigger" in kind else MAX_OBJECT_BYTES
        if size > limit:
            out.append(Breach(platform, f"{doc['name']}: {size} bytes of JSON, above Data Factory's {limit}",
                              "shorten the descriptions or options behind it"))
    entities = len(docs.orchestrators) + len(docs.workers) + len(docs.others)
    if entities > MAX_ENTITIES:
        out.append(Breach(platform, f"the factory would hold {entities} entities, above Data Factory's "
                                    f"{MAX_ENTITIES} per factory", "split the platform into two catalogs "
                                    "(two factories)"))
    return out
