"""Synapse and Azure Machine Learning."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from lakewharf.infra.policy.rules import ADVISORY, Problems, expect, get, known, rule

SYNAPSE = "azure-native:synapse:Workspace"
FIREWALL = "azure-native:synapse:IpFirewallRule"
ML_WORKSPACE = "azure-native:machinelearningservices:Workspace"
ML_COMPUTE = "azure-native:machinelearningservices:Compute"
_BROADEST_PREFIX = 8  # as the stack settings refuse (infra/stack_file.py)


@rule("LW-SYN-1", "Synapse workspace has a managed virtual network", SYNAPSE, mcsb="NS-2", checkov="CKV_AZURE_58")
def synapse_managed_vnet(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "managedVirtualNetwork", "default", "Spark and pipelines would run on shared networks")


@rule("LW-SYN-2", "Synapse prevents data exfiltration", SYNAPSE, mcsb="NS-2", checkov="CKV_AZURE_157")
def synapse_exfiltration(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "managedVirtualNetworkSettings.preventDataExfiltration", True,
                      "outbound traffic could reach any tenant")


@rule("LW-SYN-3", "Synapse signs in with Microsoft Entra ID only", SYNAPSE, mcsb="IM-1", checkov="CKV_AZURE_239")
def synapse_entra_only(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "azureADOnlyAuthentication", True, "a SQL admin password could leak")
    if get(p, "sqlAdministratorLoginPassword") is not None:
        yield "sqlAdministratorLoginPassword", "is set: no SQL password belongs in the program"


def _range(p: Mapping[str, Any]) -> ipaddress.IPv4Network | None:
    start, end = get(p, "startIpAddress"), get(p, "endIpAddress")
    if not (known(start) and known(end)) or start is None or end is None:
        return None
    nets = list(ipaddress.summarize_address_range(ipaddress.IPv4Address(start), ipaddress.IPv4Address(end)))
    return min(nets, key=lambda n: n.prefixlen)  # the widest block inside the range


@rule("LW-SYN-4", "Synapse firewall rules admit client ranges, never the internet", FIREWALL, mcsb="NS-2",
      checkov="CKV_AZURE_11")
def firewall_not_open(p: Mapping[str, Any]) -> Problems:
    widest = _range(p)
    if widest is not None and str(widest.network_address) != "0.0.0.0" and widest.prefixlen < _BROADEST_PREFIX:
        yield "startIpAddress", f"the rule spans {widest} or wider: far too broad for a client range"
    if widest is not None and get(p, "endIpAddress") == "255.255.255.255" and get(p, "startIpAddress") == "0.0.0.0":
        yield "endIpAddress", "0.0.0.0-255.255.255.255 admits every address on the internet"


@rule("LW-SYN-5", "No 'allow all Azure services' firewall rule", FIREWALL, mcsb="NS-2", checkov="CKV2_AZURE_19",
      enforcement=ADVISORY)
def firewall_azure_services(p: Mapping[str, Any]) -> Problems:
    if get(p, "startIpAddress") == "0.0.0.0" and get(p, "endIpAddress") == "0.0.0.0":
        yield "ruleName", ("AllowAllWindowsAzureIps admits every tenant's Azure services; kept only because the "
                           "stack sets synapseAllowAzureServices: true")


@rule("LW-SYN-6", "Dedicated SQL pool data is encrypted at rest (TDE)",
      "azure-native:synapse:SqlPoolTransparentDataEncryption", mcsb="DP-4", checkov="CKV_AZURE_241")
def pool_tde(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "status", "Enabled", "pool files and backups would be readable at rest")


@rule("LW-ML-1", "Azure ML workspace takes no public traffic and is high business impact", ML_WORKSPACE,
      mcsb="NS-2", checkov="CKV_AZURE_144")
def ml_private(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "publicNetworkAccess", "Disabled", "reach it through its private endpoint")
    yield from expect(p, "hbiWorkspace", True, "limits the diagnostic data Microsoft collects")


@rule("LW-ML-2", "Azure ML compute runs in a managed network that allows approved outbound only", ML_WORKSPACE,
      mcsb="NS-2", checkov="CKV2_AZURE_49")
def ml_managed_network(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "managedNetwork.isolationMode", "AllowOnlyApprovedOutbound",
                      "jobs could send data anywhere on the internet")


@rule("LW-ML-3", "Azure ML compute has no public IPs", ML_COMPUTE, mcsb="NS-2", checkov=None)
def ml_no_public_ip(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "properties.properties.enableNodePublicIp", False,
                      "nodes would be reachable from the internet")


@rule("LW-ML-4", "Azure ML compute disables local authentication", ML_COMPUTE, mcsb="IM-1", checkov="CKV_AZURE_142")
def ml_local_auth(p: Mapping[str, Any]) -> Problems:
    yield from expect(p, "properties.disableLocalAuth", True, "keys would bypass Entra ID")
