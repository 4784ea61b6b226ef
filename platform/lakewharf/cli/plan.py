"""``wharf plan [--stack NAME] [--json]``: what ``pulumi up`` would create, computed offline.

Runs the real Pulumi program (``lakewharf.infra.program``) under Pulumi's mock runtime with the
settings of ``Pulumi.<stack>.yaml``: no Pulumi CLI, no provider plugin, no Azure login. Names
are the real ones (they are derived, not assigned by Azure); ids, endpoints and principal ids
are fabricated by the mocks under a fake subscription.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

from rich.markup import escape
from rich.table import Table as RichTable
from rich.tree import Tree

from lakewharf.cli.output import console

DYNAMIC_PROVIDER = "__provider"  # a dynamic resource's pickled provider code: not an input to review


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", default="dev", metavar="NAME", help="stack whose Pulumi.<NAME>.yaml to use "
                        "(default: dev)")
    parser.add_argument("--json", action="store_true", help='print {"resources": [{"type", "name", "inputs"}, …]} '
                        "with inputs as sent to the provider")


EXAMPLES = """\
  wharf plan                          # stack dev: every resource `pulumi up` would create
  wharf plan --stack prod
  wharf plan --json > plan.json
"""


def run(args: argparse.Namespace) -> int:
    from lakewharf.infra.mocks import run_offline
    from lakewharf.project import resolve_project

    root = resolve_project(getattr(args, "project", None))
    # Stack settings and build/adf problems are WharfErrors: cli/main.py reports them, exit 1.
    result = run_offline(root, args.stack)
    violations = check_policy(result)
    failing = [v for v in violations if v.rule.enforcement == "mandatory"]
    if args.json:
        json.dump(as_json(result, violations), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        render(result)
    err = console(stderr=True)
    for v in violations:
        if v.rule.enforcement != "mandatory":
            err.print(f"policy advisory: {v}", style="yellow", markup=False)
    if failing:
        for v in failing:
            err.print(f"policy violation: {v}", style="red", markup=False)
        err.print(f"wharf plan: {len(failing)} security baseline violation(s) (docs/security.md)", style="red",
                  markup=False)
        return 1
    return 0


def check_policy(result: Any) -> list[Any]:
    """The security baseline (lakewharf.infra.policy) over every planned resource's inputs."""
    from lakewharf.infra.mocks import plain
    from lakewharf.infra.policy import evaluate

    return evaluate((r.type, r.name, plain(r.inputs)) for r in result.resources)


def as_json(result: Any, violations: list[Any] | None = None) -> dict[str, Any]:
    from lakewharf.infra.mocks import plain
    from lakewharf.infra.policy import RULES

    return {
        "stack": result.stack,
        "resources": [{"type": r.type, "name": r.name, "component": result.component_of(r),
                       "inputs": {k: v for k, v in plain(r.inputs).items() if k != DYNAMIC_PROVIDER}}
                      for r in result.resources],
        "outputs": result.outputs,
        "warnings": result.warnings,
        "policy": {"rules": len(RULES), "violations": [
            {"rule": v.rule.id, "enforcement": v.rule.enforcement, "checkov": v.rule.checkov, "mcsb": v.rule.mcsb,
             "type": v.resource_type, "resource": v.resource, "property": v.property, "message": v.message}
            for v in violations or []]},
    }


# --- the human view ----------------------------------------------------------------------------

def _on(value: Any) -> str:
    return "on" if value else "OFF"


def _tail(arm_id: str) -> str:
    """The meaningful end of an ARM id: ``containers/landing``, ``vaults/kv-…``."""
    parts = [p for p in str(arm_id).split("/") if p]
    return "/".join(parts[-2:])


def describe(r: Any, adf: dict[str, Any]) -> str:
    """Key settings of one resource, from its inputs (camelCase wire values)."""
    from lakewharf.infra import roles
    from lakewharf.infra.mocks import plain

    i = plain(r.inputs)
    t = r.short_type
    if t == "storage:StorageAccount":
        enc = i.get("encryption", {})
        return (f"{i.get('accountName')} {i.get('sku', {}).get('name')}, hierarchical namespace "
                f"{_on(i.get('isHnsEnabled'))}, HTTPS only {_on(i.get('enableHttpsTrafficOnly'))}, "
                f"{i.get('minimumTlsVersion')}, public blob access {_on(i.get('allowBlobPublicAccess'))}, "
                f"infrastructure encryption {_on(enc.get('requireInfrastructureEncryption'))}"
                + (", shared keys OFF" if i.get("allowSharedKeyAccess") is False else ""))
    if t == "storage:BlobContainer":
        return f"filesystem {i.get('containerName')}, public access {i.get('publicAccess')}"
    if t == "storage:ManagementPolicy":
        rules = i.get("policy", {}).get("rules", [])
        return "delete after: " + ", ".join(
            f"{'/'.join(x['definition']['filters']['prefixMatch'])} "
            f"{x['definition']['actions']['baseBlob']['delete']['daysAfterModificationGreaterThan']} d" for x in rules)
    if t == "authorization:RoleAssignment":
        role = roles.role_name(str(i.get("roleDefinitionId", ""))) or "UNKNOWN ROLE"
        return (f"{role} → {i.get('principalType')} {str(i.get('principalId'))[:8]}… on {_tail(i.get('scope', ''))}"
                f" [dim]({i.get('description', '')[:90]})[/]")
    if t == "keyvault:Vault":
        p = i.get("properties", {})
        return (f"{i.get('vaultName')}: RBAC {_on(p.get('enableRbacAuthorization'))}, soft delete "
                f"{p.get('softDeleteRetentionInDays')} d, purge protection {_on(p.get('enablePurgeProtection'))}")
    if t == "synapse:Workspace":
        return (f"{i.get('workspaceName')}: Entra-only {_on(i.get('azureADOnlyAuthentication'))}, managed VNet "
                f"{_on(i.get('managedVirtualNetwork'))}, default filesystem "
                f"{i.get('defaultDataLakeStorage', {}).get('filesystem')}")
    if t == "synapse:IpFirewallRule":
        return f"{i.get('ruleName')}: {i.get('startIpAddress')} – {i.get('endIpAddress')}"
    if t == "synapse:SqlPool":
        return f"{i.get('sqlPoolName')} {i.get('sku', {}).get('name')}"
    if t == "synapse:WorkspaceAadAdmin":
        return f"Entra admin {i.get('login')}"
    if t == "datafactory:Factory":
        return f"{i.get('factoryName')}: {len(i.get('globalParameters', {}))} global parameters, system identity"
    if t.startswith("datafactory:"):
        obj = adf.get(r.name)
        return f"← [cyan]{escape(obj.path)}[/] {escape(obj.summary())}" if obj else ""
    if t == "machinelearningservices:Compute":
        s = i.get("properties", {}).get("properties", {})
        sc = s.get("scaleSettings", {})
        return (f"{i.get('computeName')} {s.get('vmSize')}, {sc.get('minNodeCount')}–{sc.get('maxNodeCount')} "
                f"nodes, idle {sc.get('nodeIdleTimeBeforeScaleDown')}")
    if t == "machinelearningservices:BatchEndpoint":
        return f"{i.get('endpointName')} ({i.get('properties', {}).get('authMode')})"
    if t == "machinelearningservices:Datastore":
        p = i.get("properties", {})
        return f"azureml://datastores/{i.get('name')} → {p.get('filesystem')} (credential-less)"
    if t == "eventhub:Namespace":
        return (f"{i.get('namespaceName')} {i.get('sku', {}).get('name')} x{i.get('sku', {}).get('capacity')}, "
                f"local auth {_on(not i.get('disableLocalAuth'))}, TLS {i.get('minimumTlsVersion')}, "
                f"public access {i.get('publicNetworkAccess')}, system identity")
    if t == "eventhub:EventHub":
        c = i.get("captureDescription", {})
        return (f"{i.get('eventHubName')}: {i.get('partitionCount')} partitions, {i.get('messageRetentionInDays')} d; "
                f"Capture {c.get('encoding')} every {c.get('intervalInSeconds')} s or "
                f"{int(c.get('sizeLimitInBytes', 0)) // 2**20} MB → {c.get('destination', {}).get('blobContainer')}")
    if t == "operationalinsights:Workspace":
        return f"{i.get('workspaceName')}, retention {i.get('retentionInDays')} d"
    if t == "pulumi-python:dynamic:Resource" and "sha256" in i:  # infra/control.py
        return (f"{i.get('filesystem')}/{escape(str(i.get('path')))} ← build/control, {len(str(i.get('content', '')))}"
                f" characters, sha256 {str(i.get('sha256'))[:12]}…")
    if t == "monitor:DiagnosticSetting":
        return f"{_tail(i.get('resourceUri', ''))} → Log Analytics"
    for key in ("resourceName", "registryName", "workspaceName", "resourceGroupName"):
        if key in i:
            return str(i[key])
    return ""


def render(result: Any) -> None:
    out = console()
    adf_by_resource = {}
    if result.adf:
        adf_by_resource = {f"adf-{o.kind}-{o.name}": o for o in result.adf.objects}
    n = len(result.resources)
    tree = Tree(f"[bold]pulumi up[/] would create [bold]{n}[/] resources in stack [cyan]{escape(result.stack)}[/] "
                "[dim](offline: Pulumi mocks, no Azure call)[/]")
    for r in result.resources:  # top-level resources (the resource group) first
        if not result.component_of(r):
            tree.add(f"[dim]{r.short_type}[/] [green]{escape(r.name)}[/]  {describe(r, adf_by_resource)}")
    branches: dict[str, Tree] = {}
    for comp in result.components:
        count = sum(1 for r in result.resources if result.component_of(r) == comp.name)
        branches[comp.name] = tree.add(f"[bold magenta]{escape(comp.name)}[/] [dim]{comp.type} · {count}[/]")
    for r in result.resources:
        if not result.component_of(r):
            continue
        label = f"[dim]{r.short_type}[/] [green]{escape(r.name)}[/]  {describe(r, adf_by_resource)}"
        branches[result.component_of(r)].add(label)
    out.print(tree, soft_wrap=False)

    counts = Counter(r.type for r in result.resources)
    table = RichTable(title="resources by type", header_style="bold")
    table.add_column("type")
    table.add_column("count", justify="right")
    for token, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        table.add_row(token, str(c))
    table.add_row("[bold]total[/]", f"[bold]{n}[/]")
    out.print(table)

    o = result.outputs
    shown = ["resource_group", "lake_account", "lake_dfs_endpoint", "key_vault", "synapse_workspace",
             "synapse_sql_pool", "factory_name", "factory_url", "ml_workspace", "ml_studio_url"]
    outputs = RichTable(title="stack outputs (ids under a fabricated subscription)", header_style="bold")
    outputs.add_column("output")
    outputs.add_column("value", overflow="fold")
    for key in shown:
        if key in o:
            outputs.add_row(key, escape(str(o[key])))
    out.print(outputs)
    secrets = o.get("key_vault_secrets_to_set") or []
    if secrets:
        out.print(f"[bold]after pulumi up[/]: set {len(secrets)} Key Vault secrets "
                  f"({escape(', '.join(secrets))}), run the SQL in output post_deploy_sql, deploy the Azure ML "
                  "assets (output ml_deployment_commands), start the triggers — see docs/deploy.md")
    for w in result.warnings:
        console(stderr=True).print(f"warning: {w}", style="yellow", markup=False)
