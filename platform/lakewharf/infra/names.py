"""Azure resource names from the Cloud Adoption Framework abbreviations.

https://learn.microsoft.com/azure/cloud-adoption-framework/ready/azure-best-practices/resource-abbreviations
Pattern: ``<abbreviation>-<prefix>-<environment>[-<suffix>]``; names that must be globally unique
(storage, Key Vault, Synapse, Data Factory, container registry) carry a short suffix derived
from prefix, environment and location, so every run computes the same names (no random
provider, nothing to store in state) and two stacks never collide. Names that would exceed a
service's length limit lose characters from the prefix, never from environment or suffix.
Length rules: https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


def default_suffix(prefix: str, environment: str, location: str) -> str:
    return hashlib.sha256(f"{prefix}/{environment}/{location}".encode()).hexdigest()[:4]


@dataclass(frozen=True)
class Names:
    prefix: str
    environment: str
    suffix: str

    def dashed(self, abbreviation: str, *, extra: str = "", unique: bool = False, max_len: int = 63) -> str:
        """``kv-retail-dev-1a2b``: letters, digits and single hyphens."""
        tail = [self.environment] + ([self.suffix] if unique else [])
        fixed = len(abbreviation) + len(extra) + sum(len(t) + 1 for t in tail) + 1
        prefix = self.prefix[: max(1, max_len - fixed)]
        return "-".join([abbreviation, prefix + extra, *tail])

    def compact(self, abbreviation: str, *, extra: str = "", max_len: int = 24) -> str:
        """``stretaildev1a2b``: lower-case letters and digits only (storage accounts, registries)."""
        fixed = len(abbreviation) + len(extra) + len(self.environment) + len(self.suffix)
        prefix = self.prefix[: max(1, max_len - fixed)]
        return f"{abbreviation}{prefix}{extra}{self.environment}{self.suffix}"

    # --- one property per resource ------------------------------------------------------------
    @property
    def endpoint_suffix(self) -> str:
        """4 hex characters after Azure ML endpoint names, whose 32 characters are scarce (one per stack:
        derived from prefix, environment and suffix, so the suffix's location and overrides count)."""
        return hashlib.sha256(f"{self.prefix}/{self.environment}/{self.suffix}".encode()).hexdigest()[:4]

    @property
    def resource_group(self) -> str:
        return self.dashed("rg", max_len=90)

    @property
    def lake_account(self) -> str:
        return self.compact("st", max_len=24)

    @property
    def key_vault(self) -> str:
        return self.dashed("kv", unique=True, max_len=24)

    @property
    def log_workspace(self) -> str:
        return self.dashed("log", max_len=63)

    @property
    def app_insights(self) -> str:
        return self.dashed("appi", max_len=255)

    @property
    def synapse(self) -> str:
        return self.dashed("syn", unique=True, max_len=50)

    @property
    def sql_pool(self) -> str:
        # A regular T-SQL identifier (no brackets needed in scripts or connection strings).
        return f"syndp_{self.prefix}_{self.environment}"

    @property
    def factory(self) -> str:
        return self.dashed("adf", unique=True, max_len=63)

    @property
    def ml_workspace(self) -> str:
        return self.dashed("mlw", max_len=33)

    @property
    def ml_storage(self) -> str:
        return self.compact("st", extra="ml", max_len=24)

    @property
    def ml_key_vault(self) -> str:
        return self.dashed("kv", extra="ml", unique=True, max_len=24)

    @property
    def container_registry(self) -> str:
        return self.compact("cr", max_len=50)

    @property
    def virtual_network(self) -> str:
        return self.dashed("vnet", max_len=64)

    @property
    def monitor_scope(self) -> str:
        """The Azure Monitor Private Link Scope (App Insights and Log Analytics over private link)."""
        return self.dashed("ampls", max_len=255)

    @property
    def action_group(self) -> str:
        return self.dashed("ag", max_len=260)

    @property
    def action_group_short(self) -> str:
        """The sender name in alert emails and SMS: at most 12 characters.
        https://learn.microsoft.com/azure/azure-monitor/alerts/action-groups"""
        return self.prefix[: max(1, 12 - len(self.environment))] + self.environment

    def alert(self, what: str) -> str:
        """``al-retail-dev-pipeline-failed``: one metric alert rule."""
        return f"{self.dashed('al', max_len=200)}-{what}"

    @property
    def ml_identity(self) -> str:
        return self.dashed("id", extra="ml", max_len=128)

    @property
    def synapse_filesystem(self) -> str:
        """The workspace's own filesystem in the lake (Synapse keeps Spark and SQL metadata there)."""
        return "synapse"
