"""Building blocks shared by the Data Factory modules: expressions, references, policies, names.

Everything here returns plain dicts in the exact JSON shape of Data Factory's git integration
(camelCase keys), so the files read like what ADF Studio writes and deserialize with the
azure-mgmt-datafactory models unchanged.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from lakewharf.model.catalog import PipelineStep

# Environment-specific values, set per environment by the infra program on the factory
# (``adf/factory/<platform>.json`` declares them with empty values). Endpoints carry no trailing
# slash: expressions append paths to them.
GLOBAL_PARAMETERS: dict[str, str] = {
    "lake_dfs_endpoint": "ADLS Gen2 DFS endpoint of the lake account, https://<account>.dfs.core.windows.net",
    "synapse_dedicated_endpoint": "dedicated SQL pool host, <workspace>.sql.azuresynapse.net",
    "synapse_dedicated_database": "dedicated SQL pool (database) name",
    "synapse_serverless_endpoint": "serverless SQL host, <workspace>-ondemand.sql.azuresynapse.net",
    "key_vault_url": "Key Vault URI, https://<vault>.vault.azure.net",
    "ml_subscription_id": "subscription of the Azure ML workspace (studio links in failure messages)",
    "ml_resource_group": "resource group of the Azure ML workspace",
    "ml_workspace": "Azure ML workspace name",
    "ml_region": "Azure region of the workspace, e.g. westeurope (batch endpoint URIs)",
    "ml_endpoint_suffix": "the stack's 4-character endpoint suffix: batch endpoints are <name>-<suffix>",
    "factory_subscription_id": "subscription of this data factory (queryPipelineRuns for `after`)",
    "factory_resource_group": "resource group of this data factory",
}

ADF_ACTIVITY_NAME_MAX = 55  # https://learn.microsoft.com/azure/data-factory/naming-rules
SUCCEEDED, COMPLETED, FAILED = "Succeeded", "Completed", "Failed"


def expr(value: str) -> dict[str, str]:
    """Dynamic content as ADF Studio stores it. Used for every string holding ``@``-expressions or
    ``@{...}`` interpolation, so ADF and data-factory-testing-framework both evaluate it."""
    return {"value": value, "type": "Expression"}


_INTERPOLATION = re.compile(r"@\{([^{}]*)\}")


def dynamic(text: str) -> str | dict[str, str]:
    """Text with ``@{...}`` interpolation as a Data Factory value.

    Without interpolation it stays a plain (literal) string. With it, it is an Expression; when the
    literal parts also hold ``@`` (T-SQL variables such as ``@run_id``), the text becomes
    ``@concat('literal', string(expr), ...)`` instead: Data Factory keeps such an ``@`` literal,
    but data-factory-testing-framework's grammar rejects any ``@`` outside ``@{`` in an
    interpolated string, and a concat of quoted literals means the same thing to both.
    https://learn.microsoft.com/azure/data-factory/control-flow-expression-language-functions#expressions
    """
    if "@{" not in text:
        return text
    if "@" not in _INTERPOLATION.sub("", text):
        return expr(text)
    parts: list[str] = []
    position = 0
    for match in _INTERPOLATION.finditer(text):
        if match.start() > position:
            parts.append("'" + text[position:match.start()].replace("'", "''") + "'")
        parts.append(f"string({match.group(1)})")
        position = match.end()
    if position < len(text) or len(parts) < 2:
        parts.append("'" + text[position:].replace("'", "''") + "'")
    return expr("@concat(" + ", ".join(parts) + ")")


def gp(name: str) -> str:
    """A global parameter as an expression (``@pipeline().globalParameters.x``)."""
    if name not in GLOBAL_PARAMETERS:
        raise KeyError(f"undeclared global parameter {name!r}")
    return f"@pipeline().globalParameters.{name}"


def gp_in(name: str) -> str:
    """A global parameter for string interpolation (``@{pipeline().globalParameters.x}``)."""
    return "@{" + gp(name)[1:] + "}"


def ls_ref(name: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {"referenceName": name, "type": "LinkedServiceReference"}
    if parameters:
        ref["parameters"] = parameters
    return ref


def ds_ref(name: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {"referenceName": name, "type": "DatasetReference"}
    if parameters:
        ref["parameters"] = parameters
    return ref


def gp_args(*names: str) -> dict[str, Any]:
    """Dataset / linked-service arguments filled from the global parameters of the same names."""
    return {name: expr(gp(name)) for name in names}


def string_params(*names: str) -> dict[str, dict[str, str]]:
    return {name: {"type": "String"} for name in names}


def depends(names: list[str] | tuple[str, ...], condition: str = SUCCEEDED) -> list[dict[str, Any]]:
    return [{"activity": n, "dependencyConditions": [condition]} for n in names]


def timespan(minutes: int) -> str:
    """Minutes as Data Factory's ``d.hh:mm:ss`` (activity policy and Until timeouts)."""
    days, rest = divmod(minutes, 24 * 60)
    return f"{days}.{rest // 60:02d}:{rest % 60:02d}:00"


def policy(step: PipelineStep, *, retry: bool = True, secure_input: bool = False,
           secure_output: bool = False) -> dict[str, Any]:
    """The step's timeout and retries on one execution activity. Data Factory rejects a retry
    interval below 30 s (ActivityPolicy.retryIntervalInSeconds minimum)."""
    return {
        "timeout": timespan(step.timeout_minutes),
        "retry": step.retry_count if retry else 0,
        "retryIntervalInSeconds": max(30, step.retry_interval_seconds),
        "secureOutput": secure_output,
        "secureInput": secure_input,
    }


_NAME_FORBIDDEN = re.compile(r"[.+?/<>*%&:\\]")


def activity_name(*parts: str) -> str:
    name = "__".join(parts)
    if len(name) > ADF_ACTIVITY_NAME_MAX or _NAME_FORBIDDEN.search(name):
        raise ValueError(f"Data Factory activity name {name!r} is longer than {ADF_ACTIVITY_NAME_MAX} characters "
                         "or holds a forbidden character: shorten the step or entity name")
    return name


def sql_literal(text: str) -> str:
    """A T-SQL / PostgreSQL string literal body (single quotes doubled)."""
    return text.replace("'", "''")


def json_text(data: Any) -> str:
    """A request body as compact JSON text with sorted keys (deterministic)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


@dataclass
class StepBlock:
    """The activities one pipeline step contributes.

    ``heads`` wait for the upstream steps; ``tails`` end the step. A tail in ``checked`` already
    fails the run with its own Fail activity (a status check), so it gets no extra gate.
    """

    activities: list[dict[str, Any]]
    heads: list[str]
    tails: list[str]
    checked: set[str] = field(default_factory=set)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)


def chain(activities: list[dict[str, Any]], links: list[str] | None = None) -> list[dict[str, Any]]:
    """Make each activity depend on the previous one; ``links[i]`` is the condition from activity
    i to i+1 (Succeeded by default, Completed after a best-effort step)."""
    for i in range(1, len(activities)):
        condition = links[i - 1] if links else SUCCEEDED
        activities[i]["dependsOn"] = depends([activities[i - 1]["name"]], condition)
    return activities
