"""Read a ``Pulumi.<stack>.yaml`` the way the catalog is read: located, schema-checked, every problem at once.

A stack file is YAML a person edits, so a bad value is reported as ``Pulumi.dev.yaml:31:5:
lakewharf:allowedIpRanges.everyone: …`` with a hint, by the catalog's own machinery: the
guarded YAML loader (``catalog/yaml_source.py``: YAML 1.2 scalars, duplicate keys refused,
positions kept), the JSON Schema ``catalog/schemas/stack.schema.json`` (also exported by
``wharf schema`` for editors) and ``CatalogError``. The checks a schema cannot express — values
that are well-formed but unsafe, such as ``0.0.0.0/0`` — ride on the same located errors.

Values that did not come from the file (``wharf plan`` overrides in tests, or ``pulumi.Config``
when a stack keeps its settings elsewhere) are checked the same way and reported without a line.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakewharf.catalog.schema import check_document
from lakewharf.catalog.yaml_source import YamlDocument, load_yaml_file
from lakewharf.errors import CatalogError, CatalogInvalid

NAMESPACE = "lakewharf"
_CONFIG = "config"
# Allow-all ranges refused outright; anything wider than this is refused as too broad to be a client range.
_BROADEST_PREFIX = 8
# Not internet egress addresses: Azure Storage IP rules refuse these ranges ("reserved for private
# networks", RFC 1918 and RFC 6598), and a firewall never sees them as a client's source address.
# https://learn.microsoft.com/azure/storage/common/storage-network-security#restrictions-for-ip-network-rules
_NOT_PUBLIC = tuple(ipaddress.IPv4Network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16"))
# Environments whose alerts may notify nobody (the fired alerts still show in the portal): sandboxes.
# Every other environment (prod, and anything named otherwise) must name a receiver.
RECEIVERS_OPTIONAL = ("dev", "test")
_WEBHOOK_HINT = "pulumi config set --secret --path 'lakewharf:alertWebhooks.<name>' <https URL>"
_TLS = "1.2"  # the one minimum allowed: below is refused, and Azure Storage offers no 1.3 minimum


@dataclass
class StackSource:
    """The ``config:`` map of one stack with where each value came from."""

    doc: YamlDocument
    overridden: set[str] = field(default_factory=set)  # full keys ("lakewharf:x") not from the file

    @property
    def label(self) -> str:
        return self.doc.file

    def config(self) -> dict[str, Any]:
        data = self.doc.data if isinstance(self.doc.data, dict) else {}
        config = data.get(_CONFIG)
        return config if isinstance(config, dict) else {}

    def error(self, path: tuple[str | int, ...], message: str, hint: str = "", *, key: bool = False) -> CatalogError:
        if len(path) > 1 and path[0] == _CONFIG and path[1] in self.overridden:
            return CatalogError("overrides", 0, 0, path, message, hint)
        return self.doc.error(path, message, hint, key=key)

    def override(self, values: Mapping[str, Any]) -> StackSource:
        """A copy with ``values`` (setting name or full key → value; None removes) replacing the file's."""
        data = dict(self.doc.data) if isinstance(self.doc.data, dict) else {}
        config = dict(self.config())
        overridden = set(self.overridden)
        for key, value in values.items():
            full = key if ":" in key else f"{NAMESPACE}:{key}"
            overridden.add(full)
            if value is None:
                config.pop(full, None)
            else:
                config[full] = value
        data[_CONFIG] = config
        doc = YamlDocument(self.doc.file, data, self.doc.value_positions, self.doc.key_positions)
        return StackSource(doc, overridden)


def unlocated(values: Mapping[str, Any], label: str) -> StackSource:
    """Settings that exist only as values (setting name → value), e.g. read through ``pulumi.Config``."""
    config = {f"{NAMESPACE}:{k}": v for k, v in values.items() if v is not None}
    return StackSource(YamlDocument(label, {_CONFIG: config}, {}, {}), set(config))


def read_stack_file(path: Path) -> StackSource:
    """The located document of a stack file; a YAML problem raises ``StackConfigError`` at its line."""
    from lakewharf.infra.settings import StackConfigError

    try:
        doc = load_yaml_file(path, path.name)
    except CatalogInvalid as exc:
        raise StackConfigError(exc.errors) from None
    return StackSource(doc)


def display_path(path: tuple[str | int, ...]) -> str:
    """``("config", "lakewharf:tags", "owner")`` → ``lakewharf:tags.owner`` (the key as users write it)."""
    parts = [str(p) for p in (path[1:] if path[:1] == (_CONFIG,) else path)]
    return ".".join(parts) if parts else "config"


def check(source: StackSource) -> dict[str, Any]:
    """Schema, then the unsafe-value rules; the settings (name → value) or ``StackConfigError`` with all problems."""
    from lakewharf.infra.settings import StackConfigError

    errors = [_with_hint(source, e) for e in _schema_errors(source)]
    config = source.config()
    for key, value in config.items():
        if key == f"{NAMESPACE}:alertWebhooks" and isinstance(value, dict) and "secure" in value:
            errors.append(source.error((_CONFIG, key), "the whole map is one secret: its receiver names cannot be "
                                       "read offline", f"one secret per receiver: {_WEBHOOK_HINT}"))
        elif isinstance(value, dict) and "secure" in value:
            errors.append(source.error((_CONFIG, key), "encrypted values cannot be read offline",
                                       "lakewharf keeps no secrets in stack config: remove the secure value"))
    # The values a schema cannot judge, wherever their shape is right (every problem is reported at once).
    ranges = config.get(f"{NAMESPACE}:allowedIpRanges")
    if isinstance(ranges, Mapping):
        errors += _ip_range_errors(source, ranges)
    if isinstance(config.get(f"{NAMESPACE}:vnetAddressSpace"), str):
        errors += _vnet_errors(source, config[f"{NAMESPACE}:vnetAddressSpace"])
    errors += _tls_errors(source, config.get(f"{NAMESPACE}:minimumTlsVersion"))
    errors += _receiver_errors(source, config)
    if errors:
        raise StackConfigError(errors)
    return {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith(f"{NAMESPACE}:")}


def _schema_errors(source: StackSource) -> list[CatalogError]:
    # An overridden key's positions (if any) are the file's old ones: relabel those errors.
    return [source.error(e.path, e.message, e.hint) if _is_overridden(source, e.path) else e
            for e in check_document(source.doc, "stack")]


def _is_overridden(source: StackSource, path: tuple[str | int, ...]) -> bool:
    return len(path) > 1 and path[0] == _CONFIG and path[1] in source.overridden


def _with_hint(source: StackSource, e: CatalogError) -> CatalogError:
    if len(e.path) == 3 and e.path[:2] == (_CONFIG, f"{NAMESPACE}:alertWebhooks"):
        # A plain URL (or anything but {secure: …}): the token in it would sit in the file and the plan.
        return CatalogError(e.file, e.line, e.column, e.path, "a webhook URL must be a Pulumi secret: it carries "
                            "the token that lets anyone post to the receiver", _WEBHOOK_HINT)
    if e.message.startswith("missing required field 'lakewharf:") and len(e.path) <= 1:
        key = e.message.split("'")[1]
        return CatalogError(e.file, e.line, e.column, e.path, e.message, f"pulumi config set {key} <value>")
    # An unknown lakewharf: key fails the config map's propertyNames pattern: say so, at the key.
    if e.path == (_CONFIG,) and e.message.startswith(f"'{NAMESPACE}:") and e.message.endswith("' has the wrong form"):
        import difflib

        from lakewharf.infra.settings import KEYS

        key = e.message.split("'")[1]
        close = difflib.get_close_matches(key, [f"{NAMESPACE}:{k}" for k in KEYS], n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else "known: " + ", ".join(KEYS)
        return source.error((_CONFIG, key), f"unknown field {key!r}", hint, key=True)
    return e


def _ip_range_errors(source: StackSource, ranges: Mapping[str, Any]) -> list[CatalogError]:
    """Client ranges must be specific public addresses: never everything, never Azure's own pseudo-range."""
    out = []
    for name, text in ranges.items():
        path = (_CONFIG, f"{NAMESPACE}:allowedIpRanges", name)
        try:
            net = ipaddress.IPv4Network(str(text), strict=False)
        except ValueError:
            out.append(source.error(path, f"{text!r} is not an IPv4 address or CIDR range", "e.g. 203.0.113.0/24"))
            continue
        if net.prefixlen == 0:
            out.append(source.error(path, f"{text} opens the firewalls to every address on the internet",
                                    "list the public egress range of your office or VPN instead, e.g. 203.0.113.0/24"))
        elif net.network_address == ipaddress.IPv4Address("0.0.0.0"):
            out.append(source.error(path, f"{text} is the 'allow all Azure services' pseudo-range: it admits every "
                                    "tenant's Azure services, not a client",
                                    "if you really need the Synapse rule AllowAllWindowsAzureIps, request it "
                                    "explicitly with lakewharf:synapseAllowAzureServices: true"))
        elif net.prefixlen < _BROADEST_PREFIX:
            out.append(source.error(path, f"{text} covers {net.num_addresses:,} addresses: too broad for a client "
                                    "range",
                                    f"use a prefix of /{_BROADEST_PREFIX} or longer (your egress range)"))
        elif any(net.subnet_of(n) or n.subnet_of(net) for n in _NOT_PUBLIC):
            # Storage and Key Vault IP rules take public addresses only; private traffic uses the private endpoints.
            out.append(source.error(path, f"{text} is not a public range: firewalls see your public egress address",
                                    "private networks reach the platform through its private endpoints"))
    return out


def _receiver_errors(source: StackSource, config: Mapping[str, Any]) -> list[CatalogError]:
    """Alert rules that notify nobody are only seen by whoever opens the portal: outside the sandbox
    environments a stack must name at least one receiver."""
    environment = config.get(f"{NAMESPACE}:environment")
    if not isinstance(environment, str) or environment in RECEIVERS_OPTIONAL:
        return []
    if config.get(f"{NAMESPACE}:alertEmails") or config.get(f"{NAMESPACE}:alertWebhooks"):
        return []
    return [source.error((_CONFIG, f"{NAMESPACE}:environment"),
                         f"environment {environment!r} names no alert receiver: failed pipeline runs, triggers and "
                         "Azure ML jobs, and a SQL pool at its limit, would notify nobody",
                         "add lakewharf:alertEmails: [oncall@example.com], or a webhook: " + _WEBHOOK_HINT
                         + f" (receivers are optional only in {', '.join(RECEIVERS_OPTIONAL)})", key=True)]


def _tls_errors(source: StackSource, value: Any) -> list[CatalogError]:
    if value is None or str(value) == _TLS:
        return []
    path = (_CONFIG, f"{NAMESPACE}:minimumTlsVersion")
    text = str(value).upper().replace("TLS", "").replace("_", ".").strip()
    if text in ("1.0", "1", "1.1"):
        return [source.error(path, f"TLS {text} is below the minimum of 1.2 (older versions have known weaknesses)",
                             'write "1.2": https://learn.microsoft.com/azure/storage/common/'
                             'transport-layer-security-configure-minimum-version')]
    return [source.error(path, f"{value!r} is not a TLS version lakewharf can set",
                         'write "1.2" (Azure Storage offers no 1.3 minimum)')]


def _vnet_errors(source: StackSource, text: Any) -> list[CatalogError]:
    if text is None:
        return []
    path = (_CONFIG, f"{NAMESPACE}:vnetAddressSpace")
    try:
        net = ipaddress.IPv4Network(str(text), strict=True)
    except ValueError as exc:
        return [source.error(path, f"{text!r} is not a CIDR network address ({exc})", "e.g. 10.40.0.0/24")]
    if not net.is_private:
        return [source.error(path, f"{text} is not a private range", "use an RFC 1918 range such as 10.40.0.0/24")]
    if not 16 <= net.prefixlen <= 27:
        return [source.error(path, f"{text}: the prefix must be /16 to /27",
                             "a /27 holds the ~15 private endpoints with room to spare")]
    return []


def engine_values(values: Mapping[str, Any], kinds: Mapping[str, str]) -> dict[str, Any]:
    """Strings as the Pulumi engine hands them over, typed like the YAML would be."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if not isinstance(value, str):
            out[key] = value
        elif kinds.get(key) == "bool":
            out[key] = {"true": True, "false": False}.get(value.lower(), value)
        elif kinds.get(key) == "int":
            out[key] = int(value) if value.lstrip("-").isdigit() else value
        elif kinds.get(key) == "object":
            try:
                out[key] = json.loads(value)
            except ValueError:
                out[key] = value
        else:
            out[key] = value
    return out
