"""Stack settings: everything that differs between stacks, read from ``lakewharf:*`` config.

``Pulumi.dev.yaml`` and ``Pulumi.prod.yaml`` document each key. Settings are checked before a
single resource is declared, and every problem is reported at once (``StackConfigError``), so a
typo in a stack file never turns into a half-applied ``pulumi up``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lakewharf.errors import WharfError
from lakewharf.model.catalog import Catalog

NAMESPACE = "lakewharf"  # the Pulumi project name: keys are "lakewharf:<key>"

# key → (kind, default or REQUIRED). Kinds: str, int, bool, object (YAML map or list).
REQUIRED = object()
KEYS: dict[str, tuple[str, Any]] = {
    "location": ("str", REQUIRED),
    "environment": ("str", REQUIRED),
    "namePrefix": ("str", None),  # default: the catalog's platform name
    "nameSuffix": ("str", None),  # default: 4 hex chars derived from prefix, environment, location
    "sqlPoolSku": ("str", "DW100c"),
    "adminGroupObjectId": ("str", REQUIRED),
    "adminGroupName": ("str", REQUIRED),
    "roleObjectIds": ("object", {}),
    "allowedIpRanges": ("object", {}),
    "synapseAllowAzureServices": ("bool", False),
    "synapseManagedVnet": ("bool", False),
    "storageSku": ("str", "Standard_LRS"),
    "logRetentionDays": ("int", 30),
    "keyVaultRetentionDays": ("int", 90),
    "tags": ("object", {}),
    # Who runs `pulumi up`: it writes the control files with its own Entra identity (infra/control.py),
    # and ARM refuses a role assignment whose principalType does not match the principal.
    "deployerPrincipalType": ("str", "User"),
}

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ENVIRONMENT = re.compile(r"^[a-z][a-z0-9]{1,5}$")
_PREFIX = re.compile(r"^[a-z][a-z0-9]{1,11}$")
_SUFFIX = re.compile(r"^[a-z0-9]{1,6}$")
_RULE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
# Dedicated SQL pool service levels: https://learn.microsoft.com/azure/synapse-analytics/sql-data-warehouse/memory-concurrency-limits
_POOL_SKU = re.compile(r"^DW(100|200|300|400|500|1000|1500|2000|2500|3000|5000|6000|7500|10000|15000|30000)c$")
_STORAGE_SKUS = {"Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS"}
# Service roles the catalog may declare, and the managed identity each one stands for.
SERVICE_ROLES = ("factory", "synapse", "ml")


class StackConfigError(WharfError, ValueError):
    """Stack settings that cannot produce a correct platform; ``problems`` lists each one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("stack configuration problems:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class IpRange:
    name: str  # firewall rule name
    start: str
    end: str

    @property
    def is_everything(self) -> bool:
        return self.start == "0.0.0.0" and self.end == "255.255.255.255"


@dataclass(frozen=True)
class StackSettings:
    location: str
    environment: str
    admin_group_object_id: str
    admin_group_name: str
    name_prefix: str | None = None
    name_suffix: str | None = None
    sql_pool_sku: str = "DW100c"
    role_object_ids: Mapping[str, str] = field(default_factory=dict)
    allowed_ip_ranges: tuple[IpRange, ...] = ()
    synapse_allow_azure_services: bool = False
    synapse_managed_vnet: bool = False
    storage_sku: str = "Standard_LRS"
    log_retention_days: int = 30
    key_vault_retention_days: int = 90
    tags: Mapping[str, str] = field(default_factory=dict)
    deployer_principal_type: str = "User"

    def check_catalog(self, catalog: Catalog) -> None:
        """Problems that need the catalog: every people role needs its Entra group's object id."""
        problems = []
        for role in catalog.platform.roles.values():
            if role.kind == "group" and role.name not in self.role_object_ids:
                problems.append(f"roleObjectIds: no Entra object id for catalog role {role.name!r} (kind: group)")
            if role.kind == "service" and role.name not in SERVICE_ROLES:
                problems.append(f"catalog role {role.name!r} is a service role, but lakewharf only provisions the "
                                f"identities {', '.join(SERVICE_ROLES)}")
        for name in self.role_object_ids:
            role = catalog.platform.roles.get(name)
            if role is None:
                problems.append(f"roleObjectIds: {name!r} is not a catalog role")
            elif role.kind == "service":
                problems.append(f"roleObjectIds: {name!r} is a service role; its managed identity is created by the "
                                "program, remove it from the stack file")
        if problems:
            raise StackConfigError(problems)


def _ip_ranges(value: Any, problems: list[str]) -> tuple[IpRange, ...]:
    if not isinstance(value, Mapping):
        problems.append("allowedIpRanges: expected a map of rule name → CIDR or IPv4 address")
        return ()
    ranges = []
    for name, cidr in value.items():
        if not _RULE_NAME.match(str(name)):
            problems.append(f"allowedIpRanges: {name!r} is not a valid firewall rule name")
            continue
        try:
            net = ipaddress.IPv4Network(str(cidr), strict=False)
        except ValueError:
            problems.append(f"allowedIpRanges.{name}: {cidr!r} is not an IPv4 address or CIDR range")
            continue
        ranges.append(IpRange(str(name), str(net.network_address), str(net.broadcast_address)))
    return tuple(ranges)


def _string_map(key: str, value: Any, problems: list[str]) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        problems.append(f"{key}: expected a map of names to strings")
        return {}
    return {str(k): v for k, v in value.items()}


def settings_from_values(values: Mapping[str, Any]) -> StackSettings:
    """Build settings from typed values (keys as in ``KEYS``); raise ``StackConfigError`` on any problem."""
    problems: list[str] = []
    unknown = sorted(set(values) - set(KEYS))
    problems += [f"unknown setting {NAMESPACE}:{k} (known: {', '.join(KEYS)})" for k in unknown]
    v: dict[str, Any] = {}
    for key, (_kind, default) in KEYS.items():
        if values.get(key) is None:
            if default is REQUIRED:
                problems.append(f"{NAMESPACE}:{key} is required: pulumi config set {NAMESPACE}:{key} <value>")
            v[key] = None if default is REQUIRED else default
        else:
            v[key] = values[key]
    if v["environment"] and not _ENVIRONMENT.match(v["environment"]):
        problems.append("environment: 2-6 lower-case letters or digits, starting with a letter (e.g. dev, prod)")
    if v["namePrefix"] and not _PREFIX.match(v["namePrefix"]):
        problems.append("namePrefix: 2-12 lower-case letters or digits, starting with a letter")
    if v["nameSuffix"] and not _SUFFIX.match(v["nameSuffix"]):
        problems.append("nameSuffix: 1-6 lower-case letters or digits")
    if not _POOL_SKU.match(str(v["sqlPoolSku"])):
        problems.append(f"sqlPoolSku: {v['sqlPoolSku']!r} is not a dedicated SQL pool service level "
                        "(DW100c … DW30000c)")
    if v["storageSku"] not in _STORAGE_SKUS:
        problems.append(f"storageSku: {v['storageSku']!r} is not one of {', '.join(sorted(_STORAGE_SKUS))}")
    if v["adminGroupObjectId"] and not _GUID.match(v["adminGroupObjectId"]):
        problems.append("adminGroupObjectId: expected the Entra group's object id (a GUID)")
    role_ids = _string_map("roleObjectIds", v["roleObjectIds"], problems)
    problems += [f"roleObjectIds.{k}: expected an Entra object id (a GUID)" for k, g in role_ids.items()
                 if not _GUID.match(g)]
    # Log Analytics retention: 30-730 days (PerGB2018). Key Vault soft delete: 7-90 days.
    if not isinstance(v["logRetentionDays"], int) or not 30 <= v["logRetentionDays"] <= 730:
        problems.append("logRetentionDays: an integer from 30 to 730")
    if not isinstance(v["keyVaultRetentionDays"], int) or not 7 <= v["keyVaultRetentionDays"] <= 90:
        problems.append("keyVaultRetentionDays: an integer from 7 to 90")
    if v["deployerPrincipalType"] not in ("User", "ServicePrincipal"):
        problems.append("deployerPrincipalType: User (you run pulumi up) or ServicePrincipal (a pipeline does)")
    ranges = _ip_ranges(v["allowedIpRanges"], problems)
    tags = _string_map("tags", v["tags"], problems)
    for needed in ("owner", "costCenter"):
        if needed not in tags:
            problems.append(f"tags.{needed} is required (tags: {{owner: …, costCenter: …}})")
    if problems:
        raise StackConfigError(problems)
    return StackSettings(
        location=v["location"], environment=v["environment"], admin_group_object_id=v["adminGroupObjectId"],
        admin_group_name=v["adminGroupName"], name_prefix=v["namePrefix"], name_suffix=v["nameSuffix"],
        sql_pool_sku=v["sqlPoolSku"], role_object_ids=role_ids, allowed_ip_ranges=ranges,
        synapse_allow_azure_services=bool(v["synapseAllowAzureServices"]),
        synapse_managed_vnet=bool(v["synapseManagedVnet"]), storage_sku=v["storageSku"],
        log_retention_days=v["logRetentionDays"], key_vault_retention_days=v["keyVaultRetentionDays"], tags=tags,
        deployer_principal_type=v["deployerPrincipalType"],
    )


def settings_from_pulumi_config() -> StackSettings:
    """Read ``lakewharf:*`` through ``pulumi.Config`` (the stack file, or what a harness set)."""
    import pulumi

    config = pulumi.Config(NAMESPACE)
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, (kind, _default) in KEYS.items():
        try:
            if kind == "str":
                values[key] = config.get(key)
            elif kind == "int":
                values[key] = config.get_int(key)
            elif kind == "bool":
                values[key] = config.get_bool(key)
            else:
                values[key] = config.get_object(key)
        except pulumi.ConfigTypeError as exc:
            problems.append(str(exc))
    if problems:
        raise StackConfigError(problems)
    return settings_from_values(values)


def stack_file_config(data: Mapping[str, Any]) -> dict[str, str]:
    """The ``config:`` map of a ``Pulumi.<stack>.yaml`` as the Pulumi engine hands it to a program:
    every value a string, maps and lists as JSON, booleans as ``true``/``false``."""
    import json

    out: dict[str, str] = {}
    for key, value in (data.get("config") or {}).items():
        if isinstance(value, Mapping) and "secure" in value:
            raise StackConfigError([f"{key}: encrypted values cannot be read offline; lakewharf keeps no secrets "
                                    "in stack config"])
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (Mapping, list)):
            out[key] = json.dumps(value)
        else:
            out[key] = str(value)
    return out
