"""Monitoring: Log Analytics, Application Insights, and diagnostic settings that feed them."""

from __future__ import annotations

import pulumi
from pulumi_azure_native import applicationinsights, monitor, operationalinsights

from lakewharf.infra.common import TYPE_PREFIX, Context, child
from lakewharf.infra.network import Network

DIAGNOSTIC_SETTING = "send-to-log-analytics"


class Monitoring(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, net: Network, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Monitoring", name, None, opts)
        self.workspace = operationalinsights.Workspace(
            "log-analytics", workspace_name=ctx.names.log_workspace, resource_group_name=ctx.resource_group_name,
            location=ctx.location, sku={"name": "PerGB2018"}, retention_in_days=ctx.settings.log_retention_days,
            tags=ctx.tags, opts=child(self),
        )
        # Workspace-based Application Insights (classic resources are retired):
        # https://learn.microsoft.com/azure/azure-monitor/app/create-workspace-resource
        self.app_insights = applicationinsights.Component(
            "app-insights", resource_name_=ctx.names.app_insights, resource_group_name=ctx.resource_group_name,
            location=ctx.location, kind="web", application_type="web", workspace_resource_id=self.workspace.id,
            ingestion_mode="LogAnalytics", tags=ctx.tags,
            # Telemetry in and queries out only over private link (the scope below), and only with Entra
            # tokens, not the instrumentation key: https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication
            public_network_access_for_ingestion="Disabled", public_network_access_for_query="Disabled",
            disable_local_auth=True, opts=child(self),
        )
        # Azure Monitor Private Link Scope: one private endpoint for App Insights and Log Analytics.
        # https://learn.microsoft.com/azure/azure-monitor/logs/private-link-security
        self.scope = monitor.PrivateLinkScope(
            "monitor-private-link-scope", scope_name=ctx.names.monitor_scope,
            resource_group_name=ctx.resource_group_name,
            location="global", tags=ctx.tags,
            access_mode_settings={"ingestion_access_mode": "PrivateOnly", "query_access_mode": "PrivateOnly"},
            opts=child(self),
        )
        for label, target in (("app-insights", self.app_insights), ("log-analytics", self.workspace)):
            monitor.PrivateLinkScopedResource(
                f"monitor-scope-{label}", name=label, scope_name=self.scope.name, linked_resource_id=target.id,
                resource_group_name=ctx.resource_group_name, opts=child(self),
            )
        net.private_endpoint("monitor", target_id=self.scope.id, group_id="azuremonitor",
                             physical=ctx.names.monitor_scope, parent=self)
        self.diagnostics: dict[str, monitor.DiagnosticSetting] = {}
        self.register_outputs({"workspace": self.workspace.name, "app_insights": self.app_insights.name})

    def send_diagnostics(self, label: str, resource_uri: pulumi.Input[str], *, metric_category: str = "AllMetrics",
                         dedicated_tables: bool = False) -> monitor.DiagnosticSetting:
        """All logs (``categoryGroup: allLogs``) and metrics of one resource into Log Analytics.
        https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings"""
        setting = monitor.DiagnosticSetting(
            f"diag-{label}", name=DIAGNOSTIC_SETTING, resource_uri=resource_uri, workspace_id=self.workspace.id,
            logs=[{"category_group": "allLogs", "enabled": True}],
            metrics=[{"category": metric_category, "enabled": True}],
            # Data Factory writes to resource-specific tables (ADFActivityRun, ADFPipelineRun, …):
            # https://learn.microsoft.com/azure/data-factory/monitor-configure-diagnostics
            log_analytics_destination_type="Dedicated" if dedicated_tables else None,
            opts=child(self),
        )
        self.diagnostics[label] = setting
        return setting
