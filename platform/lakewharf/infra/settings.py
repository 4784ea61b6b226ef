"""Stack settings: everything that differs between stacks, read from ``lakewharf:*`` config.

``Pulumi.dev.yaml`` documents each key; ``catalog/schemas/stack.schema.json`` defines them, and
``infra/stack_file.py`` checks a stack file against it with located errors
(``Pulumi.dev.yaml:LINE:COL: lakewharf:key: …``), refusing unsafe values (0.0.0.0/0, the
allow-all-Azure-services range, TLS below 1.2) on the way. Settings are checked before a single
resource is declared, and every problem is reported at once (``StackConfigError``), so a typo
in a stack file never turns into a half-applied ``pulumi up``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakewharf.errors import CatalogError, WharfError
from lakewharf.infra import stack_file
from lakewharf.model.catalog import Catalog

NAMESPACE = stack_file.NAMESPACE  # the Pulumi project name: keys are "lakewharf:<key>"

# key → (kind, default or REQUIRED): defaults and how a string from the Pulumi engine is typed.
# What each value may be is the schema's business (stack.schema.json; a test keeps the two aligned).
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
    # Client ranges let through the service firewalls; none means no public traffic at all.
    "allowedIpRanges": ("object", {}),
    "synapseAllowAzureServices": ("bool", False),
    "storageSku": ("str", "Standard_LRS"),
    "minimumTlsVersion": ("str", "1.2"),
    "vnetAddressSpace": ("str", "10.40.0.0/24"),  # the private endpoints' network
    "logRetentionDays": ("int", 30),
    "keyVaultRetentionDays": ("int", 90),
    "tags": ("object", {}),
    # Who runs `pulumi up`: it writes the control files with its own Entra identity (infra/control.py),
    # and ARM refuses a role assignment whose principalType does not match the principal.
    "deployerPrincipalType": ("str", "User"),
    # Who hears about failures (infra/alerts.py): email addresses, and webhooks whose URLs are Pulumi
    # secrets (a webhook URL carries its token); the SQL pool alert's threshold.
    "alertEmails": ("object", []),
    "alertWebhooks": ("object", {}),
    "alertDwuPercent": ("int", 90),
}
WEBHOOKS = "alertWebhooks"
# What an encrypted webhook URL reads as offline (`wharf plan`, tests): .invalid never resolves (RFC 2606).
OFFLINE_WEBHOOK_URL = "https://offline-plan.invalid/webhook-url-is-a-secret"
# Service roles the catalog may declare, and the managed identity each one stands for.
SERVICE_ROLES = ("factory", "synapse", "ml")


class StackConfigError(WharfError, ValueError):
    """Stack settings that cannot produce a correct platform. ``errors`` are located like catalog
    errors (file, line, column, path, message, hint); ``problems`` are their one-line texts."""

    def __init__(self, problems: Iterable[CatalogError | str]) -> None:
        self.errors = [p if isinstance(p, CatalogError) else CatalogError("stack", 0, 0, (), p) for p in problems]
        self.problems = [_line(e) for e in self.errors]
        super().__init__("stack configuration problems:\n" + "\n".join(
            f"  {p}" + (f"\n    hint: {e.hint}" if e.hint else "") for p, e in zip(self.problems, self.errors,
                                                                                  strict=True)))


def _line(e: CatalogError) -> str:
    where = f"{e.file}:{e.line}:{e.column}: " if e.line else (f"{e.file}: " if e.file != "stack" else "")
    return f"{where}{stack_file.display_path(e.path) + ': ' if e.path else ''}{e.message}"


@dataclass(frozen=True)
class IpRange:
    name: str  # firewall rule name
    start: str
    end: str
    prefix: int = 32

    @property
    def cidr(self) -> str:
        return f"{self.start}/{self.prefix}"

    @property
    def addresses(self) -> list[str]:
        """As Azure Storage IP rules take it: single addresses for /31 and /32, which it refuses as CIDR."""
        if self.prefix >= 31:
            return [str(a) for a in ipaddress.IPv4Network(self.cidr)]
        return [self.cidr]

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
    storage_sku: str = "Standard_LRS"
    vnet_address_space: str = "10.40.0.0/24"
    log_retention_days: int = 30
    key_vault_retention_days: int = 90
    tags: Mapping[str, str] = field(default_factory=dict)
    deployer_principal_type: str = "User"
    alert_emails: tuple[str, ...] = ()
    alert_webhooks: tuple[str, ...] = ()  # receiver names only: the URLs are secrets (infra/alerts.py)
    alert_dwu_percent: int = 90
    source: stack_file.StackSource | None = field(default=None, compare=False, repr=False)

    @property
    def has_alert_receivers(self) -> bool:
        return bool(self.alert_emails or self.alert_webhooks)

    @property
    def public_access(self) -> bool:
        """Client ranges are configured: the firewalls admit them (and nothing else) from the internet."""
        return bool(self.allowed_ip_ranges)

    def _problem(self, key: tuple[str, ...], message: str) -> CatalogError | str:
        if self.source is None:
            return f"{'.'.join(key)}: {message}"
        return self.source.error(("config", f"{NAMESPACE}:{key[0]}", *key[1:]), message, key=True)

    def check_catalog(self, catalog: Catalog) -> None:
        """Problems that need the catalog: every people role needs its Entra group's object id."""
        problems: list[CatalogError | str] = []
        for role in catalog.platform.roles.values():
            if role.kind == "group" and role.name not in self.role_object_ids:
                problems.append(self._problem(("roleObjectIds",),
                                              f"no Entra object id for catalog role {role.name!r} (kind: group)"))
            if role.kind == "service" and role.name not in SERVICE_ROLES:
                problems.append(f"catalog role {role.name!r} is a service role, but lakewharf only provisions the "
                                f"identities {', '.join(SERVICE_ROLES)}")
        for name in self.role_object_ids:
            role = catalog.platform.roles.get(name)
            if role is None:
                problems.append(self._problem(("roleObjectIds", name), f"{name!r} is not a catalog role"))
            elif role.kind == "service":
                problems.append(self._problem(("roleObjectIds", name), f"{name!r} is a service role; its managed "
                                              "identity is created by the program, remove it from the stack file"))
        if problems:
            raise StackConfigError(problems)


def _ip_ranges(value: Mapping[str, str]) -> tuple[IpRange, ...]:
    ranges = []
    for name, cidr in value.items():
        net = ipaddress.IPv4Network(str(cidr), strict=False)
        ranges.append(IpRange(str(name), str(net.network_address), str(net.broadcast_address), net.prefixlen))
    return tuple(ranges)


def settings_from_source(source: stack_file.StackSource) -> StackSettings:
    """Check a stack's config (schema, unsafe values) and build the settings; ``StackConfigError`` lists
    every problem, each at its line in the stack file."""
    v = stack_file.check(source)
    for key, (_kind, default) in KEYS.items():
        if v.get(key) is None:
            v[key] = None if default is REQUIRED else default
    return StackSettings(
        location=v["location"], environment=v["environment"], admin_group_object_id=v["adminGroupObjectId"],
        admin_group_name=v["adminGroupName"], name_prefix=v["namePrefix"], name_suffix=v["nameSuffix"],
        sql_pool_sku=v["sqlPoolSku"], role_object_ids=dict(v["roleObjectIds"]),
        allowed_ip_ranges=_ip_ranges(v["allowedIpRanges"]),
        synapse_allow_azure_services=bool(v["synapseAllowAzureServices"]), storage_sku=v["storageSku"],
        vnet_address_space=v["vnetAddressSpace"],
        log_retention_days=v["logRetentionDays"], key_vault_retention_days=v["keyVaultRetentionDays"],
        tags=dict(v["tags"]), deployer_principal_type=v["deployerPrincipalType"],
        alert_emails=tuple(v["alertEmails"]), alert_webhooks=tuple(sorted(v["alertWebhooks"])),
        alert_dwu_percent=v["alertDwuPercent"], source=source,
    )


def settings_from_values(values: Mapping[str, Any], label: str = "settings") -> StackSettings:
    """Settings from typed values keyed by setting name (no file to point at)."""
    return settings_from_source(stack_file.unlocated(values, label))


def stack_path(root: Path, stack: str) -> Path:
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
        raise StackConfigError([f"no stack file {path.name} in {root} (stacks: {', '.join(known) or 'none'})"])
    return path


def load_settings(root: Path, stack: str, overrides: Mapping[str, Any] | None = None) -> StackSettings:
    """The settings of ``Pulumi.<stack>.yaml`` in ``root``, with ``overrides`` (setting → value) applied."""
    source = stack_file.read_stack_file(stack_path(root, stack))
    return settings_from_source(source.override(overrides) if overrides else source)


def settings_from_pulumi_config() -> StackSettings:
    """``lakewharf:*`` through ``pulumi.Config``: for a stack whose settings live outside a stack file
    (Pulumi ESC, ``--config-file``); checked the same way, without lines."""
    import pulumi

    config = pulumi.Config(NAMESPACE)
    raw = {key: config.get(key) for key in KEYS if key != WEBHOOKS}
    kinds = {key: kind for key, (kind, _default) in KEYS.items()}
    values = stack_file.engine_values(raw, kinds)
    values[WEBHOOKS] = _engine_webhooks()
    return settings_from_values(values, "pulumi config")


def _engine_webhooks() -> Any:
    """``alertWebhooks`` as the schema expects a stack file to hold it ({name: {secure: …}}), if the engine
    holds it as a secret; a plain map stays plain, and the schema refuses it. The URLs are not kept."""
    import json

    import pulumi

    full = f"{NAMESPACE}:{WEBHOOKS}"
    text = pulumi.runtime.get_config(full)
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if not isinstance(value, dict) or not pulumi.runtime.is_config_secret(full):
        return value
    return {name: {"secure": "[secret]"} for name in value}


def stack_file_config(data: Mapping[str, Any]) -> dict[str, str]:
    """The ``config:`` map of a ``Pulumi.<stack>.yaml`` as the Pulumi engine hands it to a program:
    every value a string, maps and lists as JSON, booleans as ``true``/``false``."""
    import json

    out: dict[str, str] = {}
    for key, value in (data.get("config") or {}).items():
        if key == f"{NAMESPACE}:{WEBHOOKS}" and isinstance(value, Mapping) and "secure" not in value:
            # Offline there is no key to decrypt them with: each secret URL becomes a placeholder that
            # can reach nobody (the plan shows it as [secret], like every secret).
            value = {name: OFFLINE_WEBHOOK_URL if isinstance(v, Mapping) and "secure" in v else v
                     for name, v in value.items()}
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
