"""Structural check of a Data Factory git-layout folder with the azure-mgmt-datafactory models.

Each JSON file is deserialized with the SDK's own ``*Resource.from_dict`` (9.3.0: 10.x dropped
``from_dict``), then the model tree is walked next to the raw JSON using every model class's
``_validation`` rules (required, minimum/maximum, lengths, pattern, ...). The walk also reports
what the SDK silently tolerates:

- an unknown polymorphic ``type`` (the SDK only logs "has no mapping" and falls back to the base
  class, so ``"type": "Coppy"`` would otherwise deserialize "fine" as a bare ``Activity``);
- keys the model does not know (msrest puts them in ``additional_properties``, and its
  case-insensitive / last-key extractors even accept ``source`` outside ``typeProperties``).

Then the tree-level rules ADF enforces at publish time: file name == object name, every
``*Reference`` resolves inside the tree, parameters passed to a dataset / pipeline are declared
and required ones are passed, activity names are unique per pipeline, ``dependsOn`` targets a
sibling activity.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lakewharf.verify import Problem, quiet_loggers

# Folder of the ADF git layout -> resource model class in azure.mgmt.datafactory.models.
KINDS: dict[str, str] = {
    "linkedService": "LinkedServiceResource",
    "dataset": "DatasetResource",
    "pipeline": "PipelineResource",
    "trigger": "TriggerResource",
    "dataflow": "DataFlowResource",
    "integrationRuntime": "IntegrationRuntimeResource",
}

# Reference ``type`` -> folder it must resolve in.
REFERENCE_KINDS: dict[str, str] = {
    "LinkedServiceReference": "linkedService",
    "DatasetReference": "dataset",
    "PipelineReference": "pipeline",
    "DataFlowReference": "dataflow",
    "IntegrationRuntimeReference": "integrationRuntime",
}
BUILTIN_REFERENCES = {("integrationRuntime", "AutoResolveIntegrationRuntime")}

# The swagger does not mark these required, but the service rejects the activity without them.
EXTRA_REQUIRED: dict[str, tuple[str, ...]] = {
    "ScriptActivity": ("linked_service_name", "scripts"),
    "SqlServerStoredProcedureActivity": ("linked_service_name",),
    "AzureMLExecutePipelineActivity": ("linked_service_name",),
    "AzureFunctionActivity": ("linked_service_name",),
    "DatabricksNotebookActivity": ("linked_service_name",),
}

# Keys under which an activity holds child activities (ForEach, Until, If, Switch).
_CHILD_LISTS = ("activities", "ifTrueActivities", "ifFalseActivities", "defaultActivities")

_FLATTEN = re.compile(r"(?<!\\)\.")  # msrest's flattening separator: unescaped dots

Docs = dict[str, dict[str, tuple[str, dict[str, Any]]]]  # kind -> name -> (file, raw JSON)


def check_adf_tree(adf_dir: Path) -> list[Problem]:
    """Check every resource file under ``adf_dir`` and the references between them."""
    from azure.mgmt.datafactory import models

    problems: list[Problem] = []
    docs = _read_tree(adf_dir, problems)
    with quiet_loggers("azure.mgmt.datafactory"):
        for kind, items in docs.items():
            resource_cls = getattr(models, KINDS[kind])
            for rel, raw in items.values():
                problems += _check_resource(resource_cls, rel, raw)
    problems += _check_references(docs)
    for rel, raw in docs.get("pipeline", {}).values():
        problems += _check_activity_graph(rel, raw.get("properties", {}).get("activities", []))
    return problems


# --- reading -------------------------------------------------------------------------------


def _read_tree(adf_dir: Path, problems: list[Problem]) -> Docs:
    docs: Docs = {}
    for kind in KINDS:
        for path in sorted((adf_dir / kind).glob("*.json")):
            rel = path.relative_to(adf_dir).as_posix()
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                problems.append(Problem(rel, f"not valid JSON: {exc}"))
                continue
            if not isinstance(raw, dict) or not isinstance(raw.get("properties"), dict):
                problems.append(Problem(rel, 'expected {"name": ..., "properties": {...}}'))
                continue
            name = raw.get("name")
            if name != path.stem:
                # ADF git sync names the file after the object; a mismatch publishes a different object.
                problems.append(Problem(rel, f"name {name!r} differs from file name {path.stem!r}"))
            if isinstance(name, str):
                docs.setdefault(kind, {})[name] = (rel, raw)
    return docs


# --- model walk ----------------------------------------------------------------------------


def _check_resource(resource_cls: type, rel: str, raw: dict[str, Any]) -> list[Problem]:
    try:
        model = resource_cls.from_dict(raw)
    except Exception as exc:  # msrest DeserializationError and friends: the message names the field
        return [Problem(rel, f"cannot deserialize as {resource_cls.__name__}: {exc}")]
    walker = _ModelWalker(rel)
    walker.walk(model, raw, "")
    return walker.problems


class _ModelWalker:
    """Walks a deserialized msrest model and its raw JSON side by side."""

    def __init__(self, rel: str) -> None:
        from azure.mgmt.datafactory._utils.serialization import Serializer

        self.rel = rel
        self.rules = Serializer.validation  # {"minimum": lambda value, limit: violated, ...}
        self.problems: list[Problem] = []

    def report(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.rel, f"{path}: {message}" if path else message))

    def walk(self, model: Any, raw: Any, path: str) -> None:
        cls = type(model)
        unmapped = _unmapped_subtype(cls, raw)
        if unmapped:
            key, value = unmapped
            self.report(_join(path, key), f"unknown {cls.__name__} type {value!r} (no such subtype in "
                        "azure-mgmt-datafactory 9.3.0)")
        else:
            self._unknown_keys(cls, raw, path)
        self._rules(model, path, skip_required=unmapped[0] if unmapped else None)
        for attr, desc in cls._attribute_map.items():
            value = getattr(model, attr, None)
            if not desc["key"] or value is None:
                continue
            key_path = _join(path, _display_key(desc["key"], path))
            raw_value = _dig(raw, desc["key"])
            if isinstance(value, list):
                raw_items = raw_value if isinstance(raw_value, list) else []
                for i, item in enumerate(value):
                    raw_item = raw_items[i] if i < len(raw_items) else None
                    if _is_model(item):
                        self.walk(item, raw_item, f"{key_path}[{i}]{_label(raw_item)}")
            elif isinstance(value, dict):
                raw_map = raw_value if isinstance(raw_value, dict) else {}
                for k, item in value.items():
                    if _is_model(item):
                        self.walk(item, raw_map.get(k), f"{key_path}.{k}")
            elif _is_model(value):
                self.walk(value, raw_value, key_path)

    def _rules(self, model: Any, path: str, skip_required: str | None) -> None:
        cls = type(model)
        rules = {attr: dict(r) for attr, r in cls._validation.items()}
        for attr in EXTRA_REQUIRED.get(cls.__name__, ()):
            rules.setdefault(attr, {})["required"] = True
        for attr, attr_rules in rules.items():
            if attr_rules.get("readonly") or attr_rules.get("constant") or attr not in cls._attribute_map:
                continue
            key = cls._attribute_map[attr]["key"]
            value = getattr(model, attr, None)
            if value is None or value == []:
                if attr_rules.get("required") and key != skip_required:
                    self.report(_join(path, _display_key(key, path)), "required")
                continue
            for rule, limit in attr_rules.items():
                check = self.rules.get(rule)
                try:
                    violated = bool(check and check(value, limit))
                except TypeError:  # an Expression object where a number is allowed: ADF checks at run time
                    violated = False
                if violated:
                    self.report(_join(path, _display_key(key, path)), f"{value!r} violates {rule}={limit!r}")

    def _unknown_keys(self, cls: type, raw: Any, path: str) -> None:
        if not isinstance(raw, dict):
            return
        tree: dict[str, Any] = {}
        for desc in cls._attribute_map.values():
            if not desc["key"]:
                continue  # additional_properties
            node = tree
            parts = [p.replace("\\.", ".") for p in _FLATTEN.split(desc["key"])]
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node.setdefault(parts[-1], None)
        self._compare_keys(tree, raw, path)

    def _compare_keys(self, tree: dict[str, Any], raw: dict[str, Any], path: str) -> None:
        for key, value in raw.items():
            if key not in tree:
                self.report(_join(path, _display_key(key, path)), "unknown property (not in the "
                            "azure-mgmt-datafactory 9.3.0 model; ADF would ignore or reject it)")
            elif isinstance(tree[key], dict) and isinstance(value, dict):
                self._compare_keys(tree[key], value, _join(path, _display_key(key, path)))


def _is_model(value: Any) -> bool:
    return hasattr(value, "_attribute_map") and hasattr(value, "_validation")


def _unmapped_subtype(cls: type, raw: Any) -> tuple[str, str] | None:
    """(rest key, value) when msrest fell back to a polymorphic base class for ``raw``."""
    subtype_map = cls.__dict__.get("_subtype_map")
    if not subtype_map or not isinstance(raw, dict):
        return None
    attr = next(iter(subtype_map))
    key = cls._attribute_map[attr]["key"]
    value = raw.get(key)
    if value is None or value == cls.__name__:
        return None  # a missing discriminator is reported as "required"
    return key, str(value)


def _dig(raw: Any, key: str) -> Any:
    for part in _FLATTEN.split(key):
        if not isinstance(raw, dict):
            return None
        raw = raw.get(part.replace("\\.", "."))
    return raw


def _display_key(key: str, path: str) -> str:
    # At resource level, ADF users think of "activities", not "properties.activities".
    if not path:
        if key == "properties":
            return ""
        if key.startswith("properties."):
            return key[len("properties."):]
    return key


def _join(path: str, key: str) -> str:
    if not key:
        return path
    return f"{path}.{key}" if path else key


def _label(raw: Any) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("name"), str) and isinstance(raw.get("type"), str):
        return f" ({raw['type']} {raw['name']!r})"
    return ""


# --- tree-level rules ----------------------------------------------------------------------


def _walk_raw(obj: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every dict in a raw JSON document with a readable path (activities labelled)."""
    if isinstance(obj, dict):
        yield path, obj
        for key, value in obj.items():
            yield from _walk_raw(value, _join(path, _display_key(key, path)))
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            yield from _walk_raw(item, f"{path}[{i}]{_label(item)}")


def _check_references(docs: Docs) -> list[Problem]:
    problems: list[Problem] = []
    for items in docs.values():
        for rel, raw in items.values():
            for path, node in _walk_raw(raw, ""):
                ref_type, name = node.get("type"), node.get("referenceName")
                if ref_type not in REFERENCE_KINDS or "referenceName" not in node:
                    continue
                if not isinstance(name, str) or name.startswith("@"):
                    continue  # dynamic reference: only resolvable at run time
                kind = REFERENCE_KINDS[ref_type]
                if (kind, name) in BUILTIN_REFERENCES:
                    continue
                target = docs.get(kind, {}).get(name)
                if target is None:
                    problems.append(Problem(rel, f"{path}: {ref_type} {name!r} does not resolve "
                                            f"(no {kind}/{name}.json)"))
                elif kind in ("dataset", "linkedService"):
                    problems += _check_parameters(rel, path, node.get("parameters"), kind, name, target[1])
            for path, node in _walk_raw(raw, ""):
                # ExecutePipeline (typeProperties.pipeline) and triggers (pipelineReference) pass
                # pipeline parameters next to the reference, not inside it.
                for ref_key in ("pipeline", "pipelineReference"):
                    ref = node.get(ref_key)
                    if isinstance(ref, dict) and ref.get("type") == "PipelineReference":
                        target = docs.get("pipeline", {}).get(str(ref.get("referenceName")))
                        if target is not None:
                            problems += _check_parameters(rel, path, node.get("parameters"), "pipeline",
                                                          target[1]["name"], target[1])
    return problems


def _check_parameters(rel: str, path: str, passed: Any, kind: str, name: str,
                      target: dict[str, Any]) -> list[Problem]:
    passed = passed if isinstance(passed, dict) else {}
    declared = target.get("properties", {}).get("parameters") or {}
    problems = [
        Problem(rel, f"{path}: passes parameter {key!r} that {kind} {name!r} does not declare")
        for key in passed if key not in declared
    ]
    problems += [
        Problem(rel, f"{path}: does not pass parameter {key!r} of {kind} {name!r}, which has no default")
        for key, spec in declared.items()
        if key not in passed and not (isinstance(spec, dict) and "defaultValue" in spec)
    ]
    return problems


def _check_activity_graph(rel: str, activities: Any) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()

    def visit(container: Any, path: str) -> None:
        if not isinstance(container, list):
            return
        names = {a.get("name") for a in container if isinstance(a, dict)}
        for i, activity in enumerate(container):
            if not isinstance(activity, dict):
                continue
            here = f"{path}[{i}]{_label(activity)}"
            name = activity.get("name")
            if name in seen:  # ADF requires unique names across the whole pipeline, nested included
                problems.append(Problem(rel, f"{here}: duplicate activity name {name!r}"))
            seen.add(name)
            for dep in activity.get("dependsOn") or []:
                target = dep.get("activity") if isinstance(dep, dict) else None
                if target == name or target not in names:
                    problems.append(Problem(rel, f"{here}.dependsOn: {target!r} is not a sibling activity"))
            props = activity.get("typeProperties") or {}
            for key in _CHILD_LISTS:
                visit(props.get(key), f"{here}.typeProperties.{key}")
            for j, case in enumerate(props.get("cases") or []):
                if isinstance(case, dict):
                    visit(case.get("activities"), f"{here}.typeProperties.cases[{j}].activities")

    visit(activities, "activities")
    return problems
