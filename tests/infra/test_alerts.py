"""Alerts: the action group from the stack's receivers, and the metric rules on the factory, the SQL
pool and the Azure ML workspace; webhook URLs stay secret from the stack file to the plan."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest
from infra_samples import REPO_ROOT, secret_findings
from pulumi.runtime import rpc

from lakewharf.infra.alerts import webhook_urls
from lakewharf.infra.mocks import OfflineRun, plain, run_offline, use_mocks
from lakewharf.infra.settings import (
    OFFLINE_WEBHOOK_URL,
    StackConfigError,
    load_settings,
    settings_from_pulumi_config,
    settings_from_values,
)

SECRET_SIG, SECRET_MARK = rpc._special_sig_key, rpc._special_secret_sig  # how the wire marks a secret
SECRET = {"secure": "v1:c2VjcmV0LW5vdC1yZWFsbHk="}  # what `pulumi config set --secret --path` writes
RULES = {"pipeline-failed": ("adf", "Microsoft.DataFactory/factories", "PipelineFailedRuns", "Total", 0, 1, "Name"),
         "trigger-failed": ("adf", "Microsoft.DataFactory/factories", "TriggerFailedRuns", "Total", 0, 1, "Name"),
         "sql-pool-dwu": ("pool", "Microsoft.Synapse/workspaces/sqlPools", "DWUUsedPercent", "Average", 90, 2, None),
         "ml-job-failed": ("mlw", "Microsoft.MachineLearningServices/workspaces", "Failed Runs", "Total", 0, 1,
                           "ExperimentName")}


def _rules(run: OfflineRun) -> dict[str, dict[str, Any]]:
    return {r.name.removeprefix("alert-"): plain(r.inputs) for r in run.of_type("monitor:MetricAlert")}


def _ids(run: OfflineRun) -> dict[str, str]:
    """The ARM ids the mocks gave the watched resources (what each rule's scope must be)."""
    factory = run.one("datafactory:Factory", "data-factory").inputs["factoryName"]
    pool = run.one("synapse:SqlPool", "synapse-sql-pool").inputs
    workspace = run.one("synapse:Workspace", "synapse-workspace").inputs["workspaceName"]
    ml = run.one("machinelearningservices:Workspace", "ml-workspace").inputs["workspaceName"]
    base = "/subscriptions/00000000-0000-4000-8000-00000000c0de/resourceGroups/rg-retail-dev/providers"
    return {"adf": f"{base}/Microsoft.DataFactory/factories/{factory}",
            "pool": f"{base}/Microsoft.Synapse/workspaces/{workspace}/sqlPools/{pool['sqlPoolName']}",
            "mlw": f"{base}/Microsoft.MachineLearningServices/workspaces/{ml}"}


def test_every_rule_watches_its_resource_and_notifies_the_action_group(dev: OfflineRun) -> None:
    group = dev.one("monitor:ActionGroup", "action-group")
    assert dev.component_of(group) == "alerts"
    g = plain(group.inputs)
    assert g["actionGroupName"] == "ag-retail-dev" and g["groupShortName"] == "retaildev" and g["enabled"] is True
    assert g["emailReceivers"] == [{"name": "email-1", "emailAddress": "data-platform-team@example.com",
                                    "useCommonAlertSchema": True}]
    assert not g.get("webhookReceivers")
    group_id = ("/subscriptions/00000000-0000-4000-8000-00000000c0de/resourceGroups/rg-retail-dev/providers/"
                "Microsoft.Insights/actionGroups/ag-retail-dev")
    ids = _ids(dev)
    rules = _rules(dev)
    assert set(rules) == set(RULES)
    for what, (target, namespace, metric, aggregation, threshold, severity, split) in RULES.items():
        r = rules[what]
        assert r["scopes"] == [ids[target]], what
        assert r["ruleName"] == f"al-retail-dev-{what}" and r["location"] == "global"
        assert r["actions"] == [{"actionGroupId": group_id}], what
        assert r["severity"] == severity and r["enabled"] is True and r["autoMitigate"] is True
        assert (r["evaluationFrequency"], r["windowSize"]) == ("PT5M", "PT15M")
        assert len(r["description"]) > 80, what  # says why it fires and where to look
        assert r["criteria"]["odataType"] == "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"
        [c] = r["criteria"]["allOf"]
        assert (c["metricNamespace"], c["metricName"], c["timeAggregation"], c["operator"], c["threshold"]) == (
            namespace, metric, aggregation, "GreaterThan", threshold), what
        assert c.get("dimensions") == ([{"name": split, "operator": "Include", "values": ["*"]}] if split else None)
    assert dev.outputs["alert_action_group"] == "ag-retail-dev"
    assert dev.outputs["alert_rules"]["sql-pool-dwu"] == "al-retail-dev-sql-pool-dwu"


def test_a_planted_webhook_is_a_receiver_whose_url_stays_secret(run_dev: Any) -> None:
    run = run_dev(alertWebhooks={"oncall": SECRET, "teams": SECRET}, alertDwuPercent=75)
    group = run.one("monitor:ActionGroup", "action-group").inputs
    g = plain(group)
    # A secret inside a property makes the whole property secret: the plan shows webhookReceivers as [secret].
    assert g["webhookReceivers"] == "[secret]" and len(g["emailReceivers"]) == 1
    wrapped = group["webhookReceivers"]
    assert wrapped[SECRET_SIG] == SECRET_MARK  # sent to the provider as a secret (encrypted in state)
    assert wrapped["value"] == [
        {"name": "webhook-oncall", "serviceUri": OFFLINE_WEBHOOK_URL, "useCommonAlertSchema": True},
        {"name": "webhook-teams", "serviceUri": OFFLINE_WEBHOOK_URL, "useCommonAlertSchema": True}]
    assert _rules(run)["sql-pool-dwu"]["criteria"]["allOf"][0]["threshold"] == 75
    assert "75%" in _rules(run)["sql-pool-dwu"]["description"]
    # Neither the ciphertext nor the offline placeholder appears anywhere in what the plan shows.
    shown = json.dumps([plain(r.inputs) for r in run.records]) + json.dumps(run.outputs)
    assert SECRET["secure"] not in shown and OFFLINE_WEBHOOK_URL not in shown
    assert secret_findings(run) == []


def test_a_stack_without_receivers_gets_the_rules_without_an_action_group(run_dev: Any) -> None:
    run = run_dev(alertEmails=None)
    assert run.of_type("monitor:ActionGroup") == []
    rules = _rules(run)
    assert set(rules) == set(RULES) and all(r["actions"] == [] for r in rules.values())
    assert run.outputs["alert_action_group"] is None


def test_prod_must_name_a_receiver(fake_adf: Any) -> None:
    with pytest.raises(StackConfigError) as info:
        run_offline(REPO_ROOT, "prod", adf_dir=fake_adf, overrides={"alertEmails": []})
    [problem] = info.value.problems
    line = next(i for i, text in enumerate((REPO_ROOT / "Pulumi.prod.yaml").read_text().splitlines(), 1)
                if text.startswith("  lakewharf:environment:"))
    assert problem.startswith(f"Pulumi.prod.yaml:{line}:3: lakewharf:environment: environment 'prod' names no "
                              "alert receiver")
    assert "pulumi config set --secret --path 'lakewharf:alertWebhooks.<name>'" in str(info.value)


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"alertWebhooks": {"oncall": "https://hooks.example.com/T000/B000/XXXXSECRETXXXX"}},
     "overrides: lakewharf:alertWebhooks.oncall: a webhook URL must be a Pulumi secret"),
    ({"alertWebhooks": SECRET}, "lakewharf:alertWebhooks: the whole map is one secret"),
    ({"alertEmails": ["not-an-address"]}, "lakewharf:alertEmails.0: 'not-an-address' has the wrong form"),
    ({"alertDwuPercent": 40}, "lakewharf:alertDwuPercent: 40 is less than the minimum of 50"),
])
def test_bad_alert_settings_fail_located_and_never_echo_a_url(run_dev: Any, overrides: dict[str, Any],
                                                               expected: str) -> None:
    with pytest.raises(StackConfigError) as info:
        run_dev(**overrides)
    assert any(p.startswith(expected) or expected in p for p in info.value.problems), info.value.problems
    assert "XXXXSECRETXXXX" not in str(info.value)


def test_the_engine_decrypted_url_must_be_https(run_dev: Any) -> None:
    """Under `pulumi up` the engine hands over the decrypted URLs: checked, wrapped as secrets, never echoed."""
    settings = settings_from_values({"location": "westeurope", "environment": "dev",
                                     "adminGroupObjectId": "00000000-0000-0000-0000-0000000000ad",
                                     "adminGroupName": "admins", "tags": {"owner": "o", "costCenter": "c"},
                                     "alertWebhooks": {"oncall": SECRET, "teams": SECRET}})
    assert settings.alert_webhooks == ("oncall", "teams")
    config = {"lakewharf:alertWebhooks": json.dumps({"oncall": "http://hooks.example.com/tokenABC",
                                                     "teams": "https://example.webhook.office.com/xyz"})}
    use_mocks(config, "dev")
    with pytest.raises(StackConfigError) as info:
        webhook_urls(settings)
    assert info.value.problems == ["lakewharf:alertWebhooks.oncall: not an https:// URL (the value is a secret and "
                                   "not shown)"]
    assert "tokenABC" not in str(info.value)
    use_mocks({"lakewharf:alertWebhooks": json.dumps({"oncall": "https://a.example.com/1",
                                                      "teams": "https://b.example.com/2"})}, "dev")
    urls = webhook_urls(settings)
    assert sorted(urls) == ["oncall", "teams"]  # secret Outputs: the plan shows them as [secret] (test above)


def test_settings_from_engine_config_keep_only_the_receiver_names() -> None:
    """A stack whose settings live outside a stack file (Pulumi ESC): the webhook map must be a secret."""
    base = {"lakewharf:location": "westeurope", "lakewharf:environment": "prod",
            "lakewharf:adminGroupObjectId": "00000000-0000-0000-0000-0000000000ad",
            "lakewharf:adminGroupName": "admins", "lakewharf:tags": json.dumps({"owner": "o", "costCenter": "c"}),
            "lakewharf:alertWebhooks": json.dumps({"oncall": "https://a.example.com/tokenABC"})}
    pulumi.runtime.set_all_config(base, ["lakewharf:alertWebhooks"])
    settings = settings_from_pulumi_config()
    assert settings.alert_webhooks == ("oncall",) and settings.has_alert_receivers
    pulumi.runtime.set_all_config(base, [])  # the same map, not marked secret
    with pytest.raises(StackConfigError, match="a webhook URL must be a Pulumi secret") as info:
        settings_from_pulumi_config()
    assert "tokenABC" not in str(info.value)
    pulumi.runtime.set_all_config({}, [])


def test_a_plain_webhook_url_in_the_stack_file_is_refused_at_its_line(tmp_path: Any) -> None:
    text = (REPO_ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    old = "  # lakewharf:alertWebhooks:\n  #   oncall:\n  #     secure: v1:…\n"
    assert old in text
    plain_url = "  lakewharf:alertWebhooks:\n    oncall: https://hooks.example.com/services/T0/B0/XXXXSECRETXXXX\n"
    (tmp_path / "Pulumi.dev.yaml").write_text(text.replace(old, plain_url), encoding="utf-8")
    line = next(i for i, t in enumerate((tmp_path / "Pulumi.dev.yaml").read_text().splitlines(), 1)
                if t.startswith("    oncall:"))
    with pytest.raises(StackConfigError) as info:
        load_settings(tmp_path, "dev")
    [problem] = info.value.problems
    assert problem.startswith(f"Pulumi.dev.yaml:{line}:13: lakewharf:alertWebhooks.oncall: a webhook URL must be a "
                              "Pulumi secret")
    assert "XXXXSECRETXXXX" not in str(info.value)
    # Written the way `pulumi config set --secret --path` writes it, the same file passes.
    secret = "  lakewharf:alertWebhooks:\n    oncall:\n      secure: v1:AAAABBBBCCCC\n"
    (tmp_path / "Pulumi.dev.yaml").write_text(text.replace(old, secret), encoding="utf-8")
    assert load_settings(tmp_path, "dev").alert_webhooks == ("oncall",)
