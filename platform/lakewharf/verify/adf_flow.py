"""Evaluate Data Factory expressions and control flow with Microsoft's data-factory-testing-framework.

The framework (dftf) parses every ``@...`` expression with ADF's grammar and evaluates it in the
real expression engine (a .NET assembly loaded through pythonnet), and walks ``dependsOn``,
ForEach, If, Switch, Until, SetVariable and Filter the way the service does. It does not check
structure or read datasets / linked services: ``adf_models`` does that.

Every pipeline is run once with placeholder inputs: declared parameters (caller values, else the
default, else a value of the declared type), global parameters from ``factory/*.json``, the
``pipeline().X`` system variables, and a generic fake ``output`` for each activity that contains
exactly the fields the pipeline's expressions read from it. Anything the engine rejects —
syntax, unknown function, missing parameter / variable / activity, a dependency that can never be
met — becomes a Problem.

Measured (2 cores): ``load_expression_engine`` (starts the CLR, loads the evaluator
assemblies) 0.4-0.6 s once per process; the first 5-activity pipeline ~0.3 s (JIT), later ones
~0.03-0.2 s.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

from lakewharf.verify import Problem
from lakewharf.verify.expression_engine import load_expression_engine

# Values for pipeline().X system variables; any valid-looking value does for evaluation.
SYSTEM_VARIABLES: dict[str, str] = {
    "DataFactory": "adf-lakewharf-check",
    "RunId": "00000000-0000-0000-0000-000000000001",
    "TriggerType": "ScheduleTrigger",
    "TriggerId": "00000000-0000-0000-0000-000000000002",
    "TriggerName": "check",
    "TriggerTime": "2024-01-01T02:00:00Z",
    "GroupId": "00000000-0000-0000-0000-000000000003",
    "TriggeredByPipelineName": "check",
    "TriggeredByPipelineRunId": "00000000-0000-0000-0000-000000000004",
}

# Fake output leaves: ADF's numeric copy/lookup counters must be numbers for add()/greater().
_NUMERIC_OUTPUTS = {"count", "rowsCopied", "rowsRead", "rowsWritten", "dataRead", "dataWritten",
                    "filesRead", "filesWritten", "copyDuration", "throughput", "usedParallelCopies"}
_ACTIVITY_OUTPUT = re.compile(
    r"activity\('([^']+)'\)\??\.output((?:\??\.[A-Za-z0-9_]+|\[\d+\]|\['[^']*'\])*)")
_ITEM_FIELD = re.compile(r"item\(\)\??\.([A-Za-z0-9_]+)")
_MAX_ACTIVITY_RUNS = 5000  # an Until whose condition depends on real outputs never ends here


def evaluate_pipelines(adf_dir: Path, parameters: dict[str, dict[str, object]] | None = None) -> list[Problem]:
    """Evaluate every pipeline under ``adf_dir/pipeline``; ``parameters`` maps pipeline -> values."""
    load_expression_engine()
    from data_factory_testing_framework import TestFramework, TestFrameworkType

    raw_pipelines: dict[str, tuple[str, dict[str, Any]]] = {}
    problems: list[Problem] = []
    for path in sorted((adf_dir / "pipeline").glob("*.json")):
        rel = path.relative_to(adf_dir).as_posix()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            raw_pipelines[str(raw["name"])] = (rel, raw)
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(Problem(rel, f"cannot read pipeline: {exc!r}"))
    if problems or not raw_pipelines:
        return problems

    with tempfile.TemporaryDirectory(prefix="lakewharf-dftf-") as tmp:
        # dftf only evaluates {"type": "Expression"} objects; ADF also evaluates plain "@..."
        # strings, so hand the framework a copy where those are wrapped too.
        (Path(tmp) / "pipeline").mkdir()
        for name, (_rel, raw) in raw_pipelines.items():
            (Path(tmp) / "pipeline" / f"{name}.json").write_text(json.dumps(wrap_plain_expressions(raw)))
        try:
            framework = TestFramework(framework_type=TestFrameworkType.DataFactory, root_folder_path=tmp)
        except Exception:  # one malformed pipeline aborts dftf's folder load: find which, one by one
            return _load_problems(raw_pipelines, Path(tmp))

    globals_ = _global_parameters(adf_dir)
    for name, (rel, raw) in raw_pipelines.items():
        given = (parameters or {}).get(name, {})
        problems += _evaluate_one(framework, name, rel, raw, given, globals_)
    return problems


def _load_problems(raw_pipelines: dict[str, tuple[str, dict[str, Any]]], tmp: Path) -> list[Problem]:
    from data_factory_testing_framework import TestFramework, TestFrameworkType

    problems: list[Problem] = []
    for name, (rel, raw) in raw_pipelines.items():
        single = tmp / "single" / name
        (single / "pipeline").mkdir(parents=True)
        (single / "pipeline" / f"{name}.json").write_text(json.dumps(wrap_plain_expressions(raw)))
        try:
            TestFramework(framework_type=TestFrameworkType.DataFactory, root_folder_path=str(single))
        except Exception as exc:  # dftf indexes the JSON directly: KeyError names the missing key
            problems.append(Problem(rel, f"data-factory-testing-framework cannot load it: {exc!r}"))
    return problems or [Problem("pipeline", "data-factory-testing-framework cannot load the pipelines together")]


def _evaluate_one(framework: Any, name: str, rel: str, raw: dict[str, Any], given: dict[str, object],
                  globals_: dict[str, object]) -> list[Problem]:
    from data_factory_testing_framework.state import DependencyCondition

    outputs = _fake_outputs(raw)
    done: list[str] = []
    try:
        pipeline = framework.get_pipeline_by_name(name)
        run_parameters = _run_parameters(name, raw, given, globals_)
        for activity in framework.evaluate_pipeline(pipeline, run_parameters):
            done.append(activity.name)
            if len(done) > _MAX_ACTIVITY_RUNS:
                return [Problem(rel, f"evaluation did not finish after {_MAX_ACTIVITY_RUNS} activity runs "
                                "(an Until loop that only real outputs can end?)")]
            activity.set_result(DependencyCondition.Succeeded, outputs.get(activity.name, {}))
    except Exception as exc:
        if type(exc).__name__ == "NoRemainingPipelineActivitiesMeetDependencyConditionsError" and \
                not _stuck(raw, done):
            return []  # what never ran are catches of activities that succeeded: skipped by design
        return [Problem(rel, _describe(exc, raw, done))]
    return []


def _stuck(raw: dict[str, Any], done: list[str]) -> list[str]:
    """Top-level activities that never ran although nothing failed: each one is stuck unless it
    waits on a failure (or skip) of an activity that succeeded, or on such an activity. Control
    activities (ForEach, Until, If) are not yielded by the walk: they ran when their
    dependencies did."""
    top = [a for a in raw.get("properties", {}).get("activities", []) if isinstance(a, dict)]
    deps = {a.get("name"): a.get("dependsOn") or [] for a in top}
    ran = set(done)
    control = {a.get("name") for a in top if a.get("type") in ("ForEach", "Until", "IfCondition", "Switch")}

    def on_success(d: dict[str, Any]) -> bool:
        return bool({"Succeeded", "Completed"} & set(d.get("dependencyConditions") or []))

    off_path: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, needs in deps.items():
            if name in ran or name in off_path:
                continue
            if any(d.get("activity") in off_path or (d.get("activity") in ran and not on_success(d)) for d in needs):
                off_path.add(name)
                changed = True
            elif name in control and all(d.get("activity") in ran for d in needs):
                ran.add(name)
                changed = True
    return sorted(str(n) for n in deps if n not in ran and n not in off_path)


def _run_parameters(name: str, raw: dict[str, Any], given: dict[str, object],
                    globals_: dict[str, object]) -> list[Any]:
    from data_factory_testing_framework.state import RunParameter, RunParameterType

    params = [RunParameter(RunParameterType.System, key, value) for key, value in SYSTEM_VARIABLES.items()]
    params.append(RunParameter(RunParameterType.System, "Pipeline", name))
    params += [RunParameter(RunParameterType.Global, key, value) for key, value in globals_.items()]
    declared = raw.get("properties", {}).get("parameters") or {}
    item = _fake_item(raw)
    for key, spec in declared.items():
        if key in given:
            value = given[key]
        elif isinstance(spec, dict) and "defaultValue" in spec:
            continue  # dftf appends declared defaults itself
        elif key.lower().endswith(("start", "end", "time")):
            # Window bounds: tumbling-window triggers pass @trigger().outputs.windowStartTime/EndTime.
            value = SYSTEM_VARIABLES["TriggerTime"]
        else:
            value = _placeholder(str((spec or {}).get("type", "String")), item)
        params.append(RunParameter(RunParameterType.Pipeline, key, value))
    params += [RunParameter(RunParameterType.Pipeline, key, value) for key, value in given.items()
               if key not in declared]  # undeclared: let dftf/ADF say what it thinks
    return params


def _placeholder(adf_type: str, item: object) -> object:
    return {"int": 1, "float": 1.0, "bool": True, "array": [item], "object": {}}.get(adf_type.lower(), "x")


def _global_parameters(adf_dir: Path) -> dict[str, object]:
    values: dict[str, object] = {}
    for path in sorted((adf_dir / "factory").glob("*.json")):
        try:
            spec = json.loads(path.read_text(encoding="utf-8")).get("properties", {}).get("globalParameters")
        except (ValueError, AttributeError):
            continue
        for key, entry in (spec or {}).items():
            if isinstance(entry, dict):
                values[key] = entry.get("value")
    return values


def wrap_plain_expressions(node: Any, key: str = "") -> Any:
    if isinstance(node, dict):
        if node.get("type") == "Expression":
            return node
        return {k: wrap_plain_expressions(v, k) for k, v in node.items()}
    if isinstance(node, list):
        return [wrap_plain_expressions(v) for v in node]
    if isinstance(node, str) and node.startswith("@") and not node.startswith("@@") and key != "name":
        return {"value": node, "type": "Expression"}
    return node


def _expressions(raw: Any) -> list[str]:
    if isinstance(raw, dict):
        return [text for v in raw.values() for text in _expressions(v)]
    if isinstance(raw, list):
        return [text for v in raw for text in _expressions(v)]
    return [raw] if isinstance(raw, str) and "@" in raw else []


def _fake_item(raw: dict[str, Any]) -> object:
    fields = sorted({m for text in _expressions(raw) for m in _ITEM_FIELD.findall(text)})
    return {f: "x" for f in fields} if fields else "x"


def _fake_outputs(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per activity, an ``output`` holding every field the pipeline's expressions read from it."""
    item = _fake_item(raw)
    outputs: dict[str, dict[str, Any]] = {}
    for text in _expressions(raw):
        for activity, chain in _ACTIVITY_OUTPUT.findall(text):
            parts = re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]|\['([^']*)'\]", chain)
            keys: list[str | int] = [int(index) if index else (field or quoted) for field, index, quoted in parts]
            if keys and isinstance(keys[0], str):
                _insert(outputs.setdefault(activity, {}), keys, item)
    return outputs


def _insert(node: dict[str, Any], keys: list[str | int], item: object) -> None:
    key, rest = str(keys[0]), keys[1:]
    if not rest:
        node.setdefault(key, _leaf(key, item))
    elif isinstance(rest[0], int):  # key[0]...: a list long enough, of objects
        items = node.get(key)
        if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
            items = node[key] = []
        items.extend({} for _ in range(rest[0] + 1 - len(items)))
        if len(rest) > 1 and isinstance(rest[1], str):
            _insert(items[rest[0]], rest[1:], item)
    else:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        _insert(child, rest, item)


def _leaf(key: str, item: object) -> object:
    if key in ("value", "childItems"):  # Lookup (firstRowOnly=false), Filter, GetMetadata childItems
        return [item]
    if key in _NUMERIC_OUTPUTS or key.endswith("Count"):
        return 1
    return "x"


def _describe(exc: Exception, raw: dict[str, Any], done: list[str]) -> str:
    """Error text plus, when it can be found, the activity whose JSON mentions the culprit."""
    cause = exc.__cause__
    text = f"{type(exc).__name__}: {exc}"
    if cause is not None and str(cause) not in text:
        text += f" ({type(cause).__name__}: {str(cause)[:300]})"
    text = " ".join(text.split())  # lark's messages span lines; a Problem is one line
    top = raw.get("properties", {}).get("activities", [])
    if type(exc).__name__ == "NoRemainingPipelineActivitiesMeetDependencyConditionsError":
        pending = [a.get("name") for a in top if isinstance(a, dict) and a.get("name") not in done]
        return f"{text} Never ran (check their dependsOn for cycles): {', '.join(map(str, pending))}"
    needles = re.findall(r"'([^']+)'", str(exc)) + re.findall(r"expression: (.+)$", str(exc))
    for activity in _activities(top):
        if activity.get("name") in done:
            continue
        body = json.dumps(activity)
        if any(needle and needle in body for needle in needles):
            return f"activity {activity.get('name')!r} ({activity.get('type')}): {text}"
    return text


def _activities(container: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for activity in container if isinstance(container, list) else []:
        if not isinstance(activity, dict):
            continue
        props = activity.get("typeProperties") or {}
        children = [props.get(k) for k in ("activities", "ifTrueActivities", "ifFalseActivities",
                                           "defaultActivities")]
        children += [case.get("activities") for case in props.get("cases") or [] if isinstance(case, dict)]
        for child in children:
            found += _activities(child)  # innermost first: the most specific match wins
        found.append(activity)
    return found
