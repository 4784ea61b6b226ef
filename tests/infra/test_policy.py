"""The policy rules: each catches a planted violation; the plan passes them all; the Pulumi pack loads."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from infra_samples import REPO_ROOT

from lakewharf.infra.mocks import OfflineRun, plain
from lakewharf.infra.policy import ADVISORY, RULES, evaluate

# rule id → (type token, logical name of a planned resource, a change that breaks the rule)
PLANTED: dict[str, tuple[str, str, dict[str, Any]]] = {
    "LW-ST-1": ("storage:StorageAccount", "lake-account", {"enableHttpsTrafficOnly": False}),
    "LW-ST-2": ("storage:StorageAccount", "ml-storage", {"minimumTlsVersion": "TLS1_1"}),
    "LW-ST-3": ("storage:StorageAccount", "lake-account", {"allowBlobPublicAccess": True}),
    "LW-ST-4": ("storage:StorageAccount", "ml-storage", {"allowSharedKeyAccess": True}),
    "LW-ST-5": ("storage:StorageAccount", "lake-account", {"networkRuleSet": {"defaultAction": "Allow"}}),
    "LW-ST-6": ("storage:StorageAccount", "lake-account", {"publicNetworkAccess": "Enabled",
                                                             "networkRuleSet": {"ipRules": []}}),
    "LW-ST-7": ("storage:StorageAccount", "lake-account", {"encryption": {}}),
    "LW-ST-8": ("storage:BlobContainer", "lake-fs-trusted", {"publicAccess": "Blob"}),
    "LW-ST-9": ("storage:BlobServiceProperties", "lake-account-blob-service",
                {"deleteRetentionPolicy": {"enabled": False}}),
    "LW-KV-1": ("keyvault:Vault", "key-vault", {"properties": {"enablePurgeProtection": False}}),
    "LW-KV-2": ("keyvault:Vault", "ml-key-vault", {"properties": {"networkAcls": {"defaultAction": "Allow"}}}),
    "LW-KV-3": ("keyvault:Vault", "key-vault", {"properties": {"publicNetworkAccess": "Enabled",
                                                               "networkAcls": {"ipRules": []}}}),
    "LW-ADF-1": ("datafactory:Factory", "data-factory", {"publicNetworkAccess": "Enabled"}),
    "LW-ADF-2": ("datafactory:IntegrationRuntime", "adf-runtime-managed-vnet",
                 {"properties": {"type": "Managed", "managedVirtualNetwork": None}}),
    "LW-CR-1": ("containerregistry:Registry", "ml-container-registry", {"adminUserEnabled": True}),
    "LW-CR-2": ("containerregistry:Registry", "ml-container-registry", {"publicNetworkAccess": "Enabled",
                                                                        "networkRuleSet": {"defaultAction": "Allow"}}),
    "LW-AI-1": ("applicationinsights:Component", "app-insights", {"publicNetworkAccessForQuery": "Enabled"}),
    "LW-AI-2": ("applicationinsights:Component", "app-insights", {"disableLocalAuth": False}),
    "LW-SYN-1": ("synapse:Workspace", "synapse-workspace", {"managedVirtualNetwork": None}),
    "LW-SYN-2": ("synapse:Workspace", "synapse-workspace", {"managedVirtualNetworkSettings": {}}),
    "LW-SYN-3": ("synapse:Workspace", "synapse-workspace", {"azureADOnlyAuthentication": False}),
    "LW-SYN-4": ("synapse:IpFirewallRule", "synapse-fw-office", {"startIpAddress": "0.0.0.0",
                                                                 "endIpAddress": "255.255.255.255"}),
    "LW-SYN-5": ("synapse:IpFirewallRule", "synapse-fw-office", {"startIpAddress": "0.0.0.0",
                                                                 "endIpAddress": "0.0.0.0"}),
    "LW-SYN-6": ("synapse:SqlPoolTransparentDataEncryption", "synapse-sql-pool-tde", {"status": "Disabled"}),
    "LW-ML-1": ("machinelearningservices:Workspace", "ml-workspace", {"hbiWorkspace": False}),
    "LW-ML-2": ("machinelearningservices:Workspace", "ml-workspace", {"managedNetwork": {"isolationMode": "Disabled"}}),
    "LW-ML-3": ("machinelearningservices:Compute", "ml-compute-cpu-cluster",
                {"properties": {"properties": {"enableNodePublicIp": True}}}),
    "LW-ML-4": ("machinelearningservices:Compute", "ml-compute-cpu-cluster",
                {"properties": {"disableLocalAuth": False}}),
    "LW-IAM-1": ("authorization:RoleAssignment", "ra-trusted-ml-blob-contributor", {"roleDefinitionId":
                 "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c"}),
    "LW-IAM-2": ("authorization:RoleAssignment", "ra-trusted-ml-blob-contributor",
                 {"scope": "/subscriptions/s/resourceGroups/rg-retail-dev"}),
}


def _merge(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in change.items():
        out[key] = _merge(out.get(key, {}), value) if isinstance(value, dict) and value else value
    return out


def _triples(run: OfflineRun) -> list[tuple[str, str, dict[str, Any]]]:
    return [(r.type, r.name, plain(r.inputs)) for r in run.resources]


def test_every_rule_has_a_planted_violation_and_references() -> None:
    assert sorted(PLANTED) == sorted(r.id for r in RULES)
    for r in RULES:
        assert r.mcsb and r.title and r.types
        assert r.checkov is None or r.checkov.startswith(("CKV_AZURE_", "CKV2_AZURE_"))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_planned_stacks_pass_every_rule(stack: str, request: pytest.FixtureRequest) -> None:
    run: OfflineRun = request.getfixturevalue(stack)
    assert evaluate(_triples(run)) == []


@pytest.mark.parametrize("rule_id", sorted(PLANTED))
def test_a_planted_violation_is_caught(rule_id: str, dev: OfflineRun) -> None:
    short, name, change = PLANTED[rule_id]
    planted = [(t, n, _merge(p, change) if (t, n) == (f"azure-native:{short}", name) else p)
               for t, n, p in _triples(dev)]
    assert any(t == f"azure-native:{short}" and n == name for t, n, _ in planted), (short, name)
    found = [v for v in evaluate(planted) if v.rule.id == rule_id]
    assert found, rule_id
    assert all(v.resource == name and v.property for v in found)
    assert rule_id in str(found[0]) and name in str(found[0])


def test_wharf_plan_fails_on_a_violation(dev: OfflineRun, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from lakewharf.cli import plan

    dev.one("datafactory:Factory", "data-factory").inputs["publicNetworkAccess"] = "Enabled"
    try:
        monkeypatch.setattr("lakewharf.infra.mocks.run_offline", lambda *a, **k: dev)
        assert plan.run(type("Args", (), {"project": REPO_ROOT, "stack": "dev", "json": True})()) == 1
    finally:
        dev.one("datafactory:Factory", "data-factory").inputs["publicNetworkAccess"] = "Disabled"
    out, err = capsys.readouterr()
    assert "policy violation: data-factory (azure-native:datafactory:Factory) publicNetworkAccess" in err
    assert "LW-ADF-1, CKV_AZURE_104; MCSB NS-2" in err
    assert '"rule": "LW-ADF-1"' in out


def test_advisory_rules_never_fail_the_plan() -> None:
    assert {r.id for r in RULES if r.enforcement == ADVISORY} == {"LW-SYN-5"}


def test_the_policy_pack_loads_under_pulumi_policy(tmp_path: Path) -> None:
    """Start policy/__main__.py as `pulumi preview --policy-pack` would, then ask it over gRPC."""
    import grpc
    from google.protobuf import empty_pb2, struct_pb2
    from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "platform")}
    proc = subprocess.Popen([sys.executable, str(REPO_ROOT / "policy" / "__main__.py")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().strip())
        stub = analyzer_pb2_grpc.AnalyzerStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
        info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
        assert info.name == "lakewharf-security-baseline"
        assert sorted(p.name for p in info.policies) == sorted(r.id for r in RULES)
        props = struct_pb2.Struct()
        props.update({"publicNetworkAccess": "Enabled", "factoryName": "adf-x"})
        answer = stub.Analyze(analyzer_pb2.AnalyzeRequest(type="azure-native:datafactory:Factory", properties=props,
                                                          urn="urn:pulumi:dev::p::azure-native:datafactory:Factory::f",
                                                          name="data-factory"), timeout=30)
        assert [d.policyName for d in answer.diagnostics] == ["LW-ADF-1"]
        assert "CKV_AZURE_104" in answer.diagnostics[0].message
    finally:
        proc.kill()
        proc.wait(timeout=10)
