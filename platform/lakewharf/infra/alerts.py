"""Azure Monitor alerts: who hears that a run failed, a trigger failed, an Azure ML job failed, or the
warehouse is at its limit.

One action group carries the stack's receivers (``lakewharf:alertEmails``; ``lakewharf:alertWebhooks``,
whose URLs are Pulumi secrets because a webhook URL carries the token that lets anyone post to it).
Each rule is a platform-metric alert: metrics need no diagnostic setting, no log query and no access to
the private-link-only Log Analytics workspace, and Azure Monitor evaluates them every few minutes.
https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-metric-overview

Without any receiver (allowed in the sandbox environments, ``stack_file.RECEIVERS_OPTIONAL``) the rules
still exist and their fired alerts show in the portal's Alerts view, but there is no action group.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import pulumi
from pulumi_azure_native import monitor

from lakewharf.infra.common import TYPE_PREFIX, Context, child
from lakewharf.infra.settings import NAMESPACE, WEBHOOKS, StackConfigError, StackSettings

FACTORY, SQL_POOL, ML_WORKSPACE = "factory", "sql_pool", "ml_workspace"  # what a rule watches
ERROR, WARNING = 1, 2  # Azure Monitor severities (0 critical … 4 verbose)


@dataclass(frozen=True)
class MetricRule:
    what: str  # name part: al-<prefix>-<env>-<what>
    target: str  # FACTORY, SQL_POOL or ML_WORKSPACE
    namespace: str
    metric: str
    aggregation: str
    threshold: float
    severity: int
    why: str  # the rule's description, shown in every notification
    split_by: str | None = None  # one alert per value of this dimension (per pipeline, per trigger …)
    operator: str = "GreaterThan"
    frequency: str = "PT5M"
    # Longer than the frequency: the metrics arrive a few minutes late, and a window that overlaps the
    # last one never misses a failure between two evaluations. Metric alerts are stateful: a failure
    # seen by three evaluations still notifies once, and the alert resolves itself once the window is clean.
    window: str = "PT15M"


def metric_rules(settings: StackSettings) -> list[MetricRule]:
    """The rules every stack gets. Metric names and dimensions as Azure Monitor lists them:
    https://learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/microsoft-datafactory-factories-metrics
    https://learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/microsoft-synapse-workspaces-sqlpools-metrics
    https://learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/microsoft-machinelearningservices-workspaces-metrics
    """
    adf = "Microsoft.DataFactory/factories"
    return [
        MetricRule("pipeline-failed", FACTORY, adf, "PipelineFailedRuns", "Total", 0, ERROR, split_by="Name",
                   why="A Data Factory pipeline run failed: its tables were not loaded or refreshed. The alert "
                       "names the pipeline; the run's error is in Data Factory Studio > Monitor, or in Log "
                       "Analytics (ADFActivityRun). A failed worker also fails its orchestrator: fix the "
                       "first failure."),
        MetricRule("trigger-failed", FACTORY, adf, "TriggerFailedRuns", "Total", 0, ERROR, split_by="Name",
                   why="A Data Factory trigger failed to start its pipeline: a scheduled load did not run at "
                       "all. The alert names the trigger; see Data Factory Studio > Monitor > Trigger runs."),
        MetricRule("sql-pool-dwu", SQL_POOL, "Microsoft.Synapse/workspaces/sqlPools", "DWUUsedPercent",
                   "Average", settings.alert_dwu_percent, WARNING,
                   why=f"The dedicated SQL pool has used more than {settings.alert_dwu_percent}% of its DWU "
                       "limit (the larger of CPU and data IO) for 15 minutes: loads and queries queue and "
                       "slow down. Scale the pool up (lakewharf:sqlPoolSku) or spread the loads out. A "
                       "paused pool reports nothing."),
        # Azure Monitor publishes no metric per batch endpoint (only online endpoints have their own):
        # a batch endpoint job is a job of the workspace, counted by its "Failed Runs" metric. Every job
        # lakewharf starts in the workspace is a batch endpoint job (training and scoring); split by
        # experiment so the alert says which. Azure Monitor's baseline alerts recommend this same rule:
        # https://azure.github.io/azure-monitor-baseline-alerts/services/MachineLearningServices/workspaces/
        MetricRule("ml-job-failed", ML_WORKSPACE, "Microsoft.MachineLearningServices/workspaces", "Failed Runs",
                   "Total", 0, ERROR, split_by="ExperimentName",
                   why="An Azure ML job failed: in lakewharf these are the batch endpoint jobs that train and "
                       "score the catalog's models. The alert names the job's experiment; the job's logs are "
                       "in Azure ML studio > Jobs. A job the factory started also fails its pipeline run."),
    ]


def webhook_urls(settings: StackSettings) -> dict[str, pulumi.Output[str]]:
    """Each webhook's URL as a Pulumi secret, read from the stack config the engine decrypted (under
    ``wharf plan`` and the tests: a placeholder that reaches nobody, settings.OFFLINE_WEBHOOK_URL).
    Problems name the receiver, never the URL."""
    if not settings.alert_webhooks:
        return {}
    key = f"{NAMESPACE}:{WEBHOOKS}"
    text = pulumi.runtime.get_config(key)
    try:
        values = json.loads(text) if text else {}
    except ValueError:
        values = {}
    urls: dict[str, pulumi.Output[str]] = {}
    problems = []
    for name in settings.alert_webhooks:
        url = values.get(name) if isinstance(values, Mapping) else None
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme != "https" or not parts.hostname:
            problems.append(f"{key}.{name}: not an https:// URL (the value is a secret and not shown)")
        else:
            urls[name] = pulumi.Output.secret(url)
    if problems:
        raise StackConfigError(problems)
    return urls


class Alerts(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, targets: Mapping[str, pulumi.Input[str]],
                 webhooks: Mapping[str, pulumi.Input[str]], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Alerts", name, None, opts)
        settings = ctx.settings
        self.action_group: monitor.ActionGroup | None = None
        if settings.has_alert_receivers:
            # The common alert schema: one JSON shape for every rule, what webhook consumers parse.
            # https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-common-schema
            self.action_group = monitor.ActionGroup(
                "action-group", action_group_name=ctx.names.action_group, resource_group_name=ctx.resource_group_name,
                location="Global", group_short_name=ctx.names.action_group_short, enabled=True, tags=ctx.tags,
                email_receivers=[{"name": f"email-{i}", "email_address": address, "use_common_alert_schema": True}
                                 for i, address in enumerate(settings.alert_emails, 1)],
                webhook_receivers=[{"name": f"webhook-{n}", "service_uri": webhooks[n], "use_common_alert_schema": True}
                                   for n in sorted(webhooks)],
                opts=child(self),
            )
        actions = [{"action_group_id": self.action_group.id}] if self.action_group else []
        self.rules = {r.what: self._metric_alert(ctx, r, targets[r.target], actions) for r in metric_rules(settings)}
        self.register_outputs({"action_group": self.action_group.name if self.action_group else None})

    def _metric_alert(self, ctx: Context, r: MetricRule, scope: pulumi.Input[str],
                      actions: list[dict[str, pulumi.Input[str]]]) -> monitor.MetricAlert:
        dimensions = [{"name": r.split_by, "operator": "Include", "values": ["*"]}] if r.split_by else None
        return monitor.MetricAlert(
            f"alert-{r.what}", rule_name=ctx.names.alert(r.what), resource_group_name=ctx.resource_group_name,
            location="global", description=r.why, severity=r.severity, enabled=True, scopes=[scope],
            evaluation_frequency=r.frequency, window_size=r.window, auto_mitigate=True, actions=actions,
            criteria=monitor.MetricAlertSingleResourceMultipleMetricCriteriaArgs(
                odata_type="Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                all_of=[monitor.MetricCriteriaArgs(
                    criterion_type="StaticThresholdCriterion", name=r.metric.replace(" ", ""),
                    metric_name=r.metric, metric_namespace=r.namespace, operator=r.operator, threshold=r.threshold,
                    time_aggregation=r.aggregation, dimensions=dimensions)]),
            tags=ctx.tags, opts=child(self),
        )
