"""The check that upstream pipelines succeeded, at the start of an orchestrator.

Upstream pipelines (``after:``). Two tumbling-window pipelines use the trigger's own
tumbling-window dependency (see triggers). Otherwise, schedule triggers have no dependencies, so
the pipeline starts by asking the Data Factory REST API for the upstream pipeline's runs
(queryPipelineRuns, with the factory's managed identity on https://management.azure.com/; the
identity needs Reader on the factory), keeps the successful ones that started within one
upstream period before this run's trigger time, and fails clearly when there is none:
https://learn.microsoft.com/rest/api/datafactory/pipeline-runs/query-by-factory
https://learn.microsoft.com/azure/data-factory/tumbling-window-trigger-dependency
"""

from __future__ import annotations

from itertools import pairwise

from lakewharf.generate.adf.common import (
    StepBlock,
    activity_name,
    chain,
    expr,
    gp_in,
    json_text,
)
from lakewharf.model import naming
from lakewharf.model.catalog import Pipeline
from lakewharf.model.schedule import WEEKDAYS, Cron, Schedule, TumblingWindow

MANAGEMENT = "https://management.azure.com/"
ADF_API = "2018-06-01"
CHECK_POLICY = {"timeout": "0.00:10:00", "retry": 2, "retryIntervalInSeconds": 60,
                "secureOutput": False, "secureInput": False}
_DAY, _WEEK = 24 * 60, 7 * 24 * 60
_FREQUENCY_MINUTES = {"minute": 1, "hour": 60, "month": 31 * _DAY}


def period_minutes(schedule: Schedule | None) -> int:
    """The longest gap between two runs of a schedule: how far back an upstream success may lie."""
    if schedule is None:
        return _DAY
    if isinstance(schedule, TumblingWindow):
        return schedule.interval * _FREQUENCY_MINUTES[schedule.frequency]
    return _cron_period(schedule)


def _cron_period(cron: Cron) -> int:
    if cron.month_days is not None:
        return 31 * _DAY
    times = [h * 60 + m for h in cron.hours for m in cron.minutes]
    days = range(7) if cron.week_days is None else [WEEKDAYS.index(d) for d in cron.week_days]
    starts = sorted(d * _DAY + t for d in days for t in times)
    gaps = [b - a for a, b in pairwise(starts)] + [starts[0] + _WEEK - starts[-1]]
    return max(gaps)


def _since(minutes: int, fmt: str) -> str:
    return f"formatDateTime(addMinutes(pipeline().TriggerTime, -{minutes}), '{fmt}')"


def upstream_block(pipeline: Pipeline, upstream: dict[str, Schedule | None]) -> StepBlock:
    """One query → filter → check chain per upstream pipeline that has no trigger dependency."""
    block = StepBlock([], [], [])
    me = naming.pipeline_name(pipeline.name)
    for name, schedule in sorted(upstream.items()):
        other = naming.pipeline_name(name)
        minutes = period_minutes(schedule)
        query, runs, check = (activity_name(f"after_{name}", part) for part in ("query_runs", "succeeded", "check"))
        url = (f"{MANAGEMENT}subscriptions/{gp_in('factory_subscription_id')}/resourceGroups/"
               f"{gp_in('factory_resource_group')}/providers/Microsoft.DataFactory/factories/"
               f"@{{pipeline().DataFactory}}/queryPipelineRuns?api-version={ADF_API}")
        body = json_text({
            "lastUpdatedAfter": "@{" + _since(minutes, "yyyy-MM-ddTHH:mm:ssZ") + "}",
            "lastUpdatedBefore": "@{utcNow()}",
            "filters": [{"operand": "PipelineName", "operator": "Equals", "values": [other]},
                        {"operand": "Status", "operator": "Equals", "values": ["Succeeded"]}],
            "orderBy": [{"orderBy": "RunStart", "order": "DESC"}],
        })
        hours = f"{minutes / 60:g} hours"
        activities = chain([
            {"name": query, "type": "WebActivity",
             "description": f"Successful runs of {other} updated in the {hours} before this run.",
             "policy": dict(CHECK_POLICY),
             "typeProperties": {"method": "POST", "url": expr(url), "headers": {"Content-Type": "application/json"},
                                "body": expr(body), "authentication": {"type": "MSI", "resource": MANAGEMENT}}},
            {"name": runs, "type": "Filter",
             "description": f"Keep the runs that started in the {hours} before this run's trigger time.",
             "typeProperties": {
                 "items": expr(f"@activity('{query}').output.value"),
                 # ISO 8601 UTC timestamps compare correctly as strings.
                 "condition": expr(f"@greaterOrEquals(item().runStart, {_since(minutes, 'yyyy-MM-ddTHH:mm:ss')})")}},
            {"name": check, "type": "IfCondition",
             "description": f"{me} runs only after {other} succeeded.",
             "typeProperties": {
                 "expression": expr(f"@greater(length(activity('{runs}').output.value), 0)"),
                 "ifFalseActivities": [{
                     "name": activity_name(f"after_{name}", "not_succeeded"), "type": "Fail",
                     "typeProperties": {
                         "message": expr(f"{me} runs after {other}, which has no successful run that started in "
                                         f"the {hours} before @{{pipeline().TriggerTime}}."),
                         "errorCode": "UpstreamPipelineNotSucceeded"}}]}},
        ])
        block.activities += activities
        block.heads.append(query)
        block.tails.append(check)
        block.checked.add(check)
    return block
