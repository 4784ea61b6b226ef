"""Worker pipelines: one small parameterised pipeline per kind of work, run once per item by the
orchestrators' ForEach → Execute Pipeline (the shape of Microsoft's metadata-driven copy task and
of procfwk). A worker's parameters are its item's fields plus the run's context (``pipeline``,
``run_id``, ``trigger_time``, ``landing_time``, window bounds), passed by the Execute Pipeline activity:
https://learn.microsoft.com/azure/data-factory/control-flow-execute-pipeline-activity

Each Execute Pipeline runs the worker as its own pipeline run, so a worker's variables (the Azure
ML job status) are private to one item even when a ForEach runs 50 items at once; a ForEach's own
SetVariable would be shared by its parallel iterations.

Failure messages keep the step's name: every activity whose success the item needs has a Fail
activity on its failure path (``<activity>__failed``) that fails the run with ``Step '<step>'
(<kind> <target>) of pipeline <orchestrator> failed in activity '<activity>': <cause>`` — the
try-catch pattern, one catch per activity, so an early failure is named too (a single gate after
the last activity would be skipped with it):
https://learn.microsoft.com/azure/data-factory/tutorial-pipeline-failure-error-handling#try-catch-block
Timeouts and retries come from the item (the step's ``timeout_minutes`` and ``retry``) as
expressions in each activity's policy.
"""

from __future__ import annotations

from typing import Any

from lakewharf.generate.adf.common import COMPLETED, FAILED, depends, expr, gp_args, ls_ref

# Run context every worker may declare; the orchestrator fills these (see orchestrator.RUN_VALUES).
RUN_PARAMETERS = {"pipeline": "String", "run_id": "String", "trigger_time": "String", "landing_time": "String",
                  "window_start": "String", "window_end": "String"}
RETRY_INTERVAL = 60
# Item fields every worker declares.
COMMON = {"item": "String", "step": "String", "kind": "String", "target": "String", "timeout": "String",
          "script_timeout": "String", "retry": "Int"}


def worker_name(kind: str) -> str:
    return f"wk_{kind}"


def p(name: str) -> str:
    """A worker parameter inside an expression."""
    return f"pipeline().parameters.{name}"


def pe(name: str) -> dict[str, str]:
    """A worker parameter as a whole value."""
    return expr(f"@{p(name)}")


def policy(*, retry: bool = True, secure_input: bool = False, secure_output: bool = False) -> dict[str, Any]:
    """The item's timeout and retry count as expressions. The retry interval is a plain number in
    Data Factory's model (ActivityPolicy.retryIntervalInSeconds is an int, 30-86400), so workers
    wait RETRY_INTERVAL seconds between tries; the step's ``retry.interval_seconds`` still sets
    the tumbling-window trigger's retry interval."""
    return {
        "timeout": pe("timeout"),
        "retry": pe("retry") if retry else 0,
        "retryIntervalInSeconds": RETRY_INTERVAL,
        "secureOutput": secure_output,
        "secureInput": secure_input,
    }


def catch(name: str) -> dict[str, Any]:
    """The Fail activity on ``name``'s failure path, naming the item's step. The message reads the
    error null-safely (``?.``): data-factory-testing-framework evaluates it with what it knows."""
    message = (f"Step '@{{{p('step')}}}' (@{{{p('kind')}}} @{{{p('target')}}}) of pipeline @{{{p('pipeline')}}} "
               f"failed in activity '{name}': @{{activity('{name}')?.error?.message}}")
    return {
        "name": f"{name}__failed",
        "type": "Fail",
        "description": f"Fail the item with a clear message when {name} failed.",
        "dependsOn": depends([name], FAILED),
        "typeProperties": {"message": expr(message), "errorCode": "StepFailed"},
    }


def _caught(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each activity plus its catch, except best-effort ones (only ever followed upon completion)
    and those that fail the run themselves (an If whose branch is a Fail)."""
    best_effort = {d["activity"] for a in activities for d in a.get("dependsOn", [])
                   if d.get("dependencyConditions") == [COMPLETED]}
    out = []
    for activity in activities:
        out.append(activity)
        if activity["name"] not in best_effort and activity["type"] not in ("IfCondition", "Fail"):
            out.append(catch(activity["name"]))
    return out


def worker(kind: str, description: str, activities: list[dict[str, Any]], parameters: dict[str, str],
           variables: dict[str, Any] | None = None) -> dict[str, Any]:
    activities = _caught(activities)
    properties: dict[str, Any] = {
        "description": description,
        "activities": activities,
        "parameters": {n: {"type": t} for n, t in sorted((COMMON | parameters).items())},
        "annotations": ["lakewharf", "worker"],
        "folder": {"name": "lakewharf/workers"},
    }
    if variables:
        properties["variables"] = variables
    return {"name": worker_name(kind), "properties": properties}


def script(name: str, service: str, params: tuple[str, ...], text: dict[str, str], description: str,
           **policy_options: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": "Script",
        "description": description,
        "linkedServiceName": ls_ref(service, gp_args(*params)),
        "policy": policy(**policy_options),
        "typeProperties": {"scripts": [{"type": "NonQuery", "text": text}],
                           "scriptBlockExecutionTimeout": pe("script_timeout")},
    }
