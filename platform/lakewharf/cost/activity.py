"""The activity runs one pipeline run makes, walked from the generated Data Factory JSON.

Data Factory bills every activity run, inner activities of ForEach, If and Until included
(https://azure.microsoft.com/pricing/details/data-factory/data-pipeline/). The walk follows the
success path the way the service runs it: an activity whose every dependency waits for
``Failed`` does not run; an If runs the branch without a Fail activity; a ForEach runs its inner
activities once per item (the orchestrator's items are the reviewed control files under
``control/``, a worker's are the item's own lists); Execute Pipeline runs the worker; an Until
runs its body once per poll, the job's minutes over the Wait's interval.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

_ACTIVITY_OUTPUT = re.compile(r"^@activity\('([^']+)'\)\.output\.value$")
_PARAMETER = re.compile(r"^@pipeline\(\)\.parameters\.(\w+)$")
_ITEM_FIELD = re.compile(r"^@item\(\)\.(\w+)$")
_BRANCHES = ("ifTrueActivities", "ifFalseActivities")


@dataclass
class PipelineActivities:
    """Activity runs of one run of an orchestrator pipeline, by catalog element and activity type.

    The element is ``<step kind>:<target>`` of the control item a worker ran for (e.g.
    ``ingest:crm.customers``), or ``""`` for the orchestrator's own activities."""

    pipeline: str
    runs: Counter[tuple[str, str]] = field(default_factory=Counter)  # (element, activity type) → runs
    named: Counter[tuple[str, str]] = field(default_factory=Counter)  # (element, activity name) → runs

    @property
    def total(self) -> float:
        return float(sum(self.runs.values()))

    def of_type(self, activity_type: str, element_kind: str | None = None) -> float:
        return float(sum(n for (element, t), n in self.runs.items() if t == activity_type
                         and (element_kind is None or element.startswith(f"{element_kind}:"))))


# (element) → seconds an Azure ML job of that element runs, to count the Until loop's polls.
JobSeconds = Callable[[str], float]


class _Walk:
    def __init__(self, tree: Mapping[str, bytes], result: PipelineActivities, job_seconds: JobSeconds) -> None:
        self.tree = tree
        self.result = result
        self.job_seconds = job_seconds
        self.lookups: dict[str, str] = {}  # Lookup name → the control file it reads

    def pipeline(self, name: str) -> list[dict[str, Any]]:
        return json.loads(self.tree[f"adf/pipeline/{name}.json"])["properties"]["activities"]

    def activities(self, acts: list[dict[str, Any]], element: str, params: Mapping[str, Any],
                   item: Any, times: float) -> None:
        for a in acts:
            deps = a.get("dependsOn", [])
            if deps and all(set(d.get("dependencyConditions", [])) <= {"Failed", "Skipped"} for d in deps):
                continue  # runs only when something failed
            if a["type"] == "Fail":
                continue
            self.result.runs[(element, a["type"])] += times
            self.result.named[(element, a["name"])] += times
            tp = a.get("typeProperties", {})
            if a["type"] == "Lookup":
                ds = tp.get("dataset", {}).get("parameters", {})
                if isinstance(ds.get("folder"), str) and isinstance(ds.get("file"), str):
                    self.lookups[a["name"]] = f"control/{ds['folder']}/{ds['file']}"
            if a["type"] == "ForEach":
                for each in self.items(tp["items"]["value"], params, item):
                    self.activities(tp["activities"], self.element_of(each, element), params, each, times)
            elif a["type"] == "ExecutePipeline":
                passed = {k: self.value(v, params, item) for k, v in tp.get("parameters", {}).items()}
                self.activities(self.pipeline(tp["pipeline"]["referenceName"]), element, passed, item, times)
            elif a["type"] == "IfCondition":
                branch = next((b for b in _BRANCHES if not _has_fail(tp.get(b, []))), _BRANCHES[0])
                self.activities(tp.get(branch, []), element, params, item, times)
            elif a["type"] == "Until":
                wait = next((x["typeProperties"]["waitTimeInSeconds"] for x in tp["activities"]
                             if x["type"] == "Wait"), 60)
                polls = max(1, math.ceil(self.job_seconds(element) / wait))
                self.activities(tp["activities"], element, params, item, times * polls)
            elif a["type"] == "Switch":
                self.activities(tp.get("defaultActivities", []), element, params, item, times)

    def items(self, expression: str, params: Mapping[str, Any], item: Any) -> list[Any]:
        if m := _ACTIVITY_OUTPUT.match(expression):
            return self.control_items(m.group(1))
        if m := _PARAMETER.match(expression):
            value = params.get(m.group(1))
            return value if isinstance(value, list) else []
        if m := _ITEM_FIELD.match(expression):
            value = item.get(m.group(1)) if isinstance(item, dict) else None
            return value if isinstance(value, list) else []
        return []

    def control_items(self, lookup: str) -> list[Any]:
        """The items a Lookup read: the control file its dataset parameters name."""
        path = self.lookups.get(lookup, "")
        return json.loads(self.tree[path]) if path in self.tree else []

    @staticmethod
    def element_of(each: Any, element: str) -> str:
        if isinstance(each, dict) and "kind" in each and "target" in each:
            return f"{each['kind']}:{each['target']}"
        return element

    @staticmethod
    def value(v: Any, params: Mapping[str, Any], item: Any) -> Any:
        expr = v.get("value") if isinstance(v, dict) and v.get("type") == "Expression" else None
        if expr is None:
            return v
        if (m := _ITEM_FIELD.match(expr)) and isinstance(item, dict):
            return item.get(m.group(1))
        if m := _PARAMETER.match(expr):
            return params.get(m.group(1))
        return None


def _has_fail(acts: list[dict[str, Any]]) -> bool:
    return any(a["type"] == "Fail" for a in acts)


def pipeline_activities(tree: Mapping[str, bytes], pipeline: str, job_seconds: JobSeconds) -> PipelineActivities:
    """Activity runs of one successful run of orchestrator ``pipeline`` (``pl_<name>``)."""
    result = PipelineActivities(pipeline)
    walk = _Walk(tree, result, job_seconds)
    walk.activities(walk.pipeline(pipeline), "", {}, None, 1.0)
    return result


def factory_entities(tree: Mapping[str, bytes]) -> int:
    """Pipelines, datasets, linked services, triggers and runtimes: the 5,000 per factory limit."""
    kinds = ("pipeline", "dataset", "linkedService", "trigger", "integrationRuntime")
    return sum(1 for p in tree if p.startswith("adf/") and p.split("/")[1] in kinds and p.endswith(".json"))
