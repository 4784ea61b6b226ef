"""The stack settings an estimate needs, read from ``Pulumi.<stack>.yaml`` like ``pulumi up`` reads them.

The file is checked by the infra's own rules (``infra.settings``), so a SKU the program would
refuse is refused here too. A project without the stack file is estimated with the infra's
defaults, and the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lakewharf.infra.settings import KEYS, NAMESPACE, StackConfigError, settings_from_values


@dataclass(frozen=True)
class StackFacts:
    name: str
    location: str
    sql_pool_sku: str
    storage_sku: str
    from_file: bool

    @property
    def dwu(self) -> int:
        return int(self.sql_pool_sku.removeprefix("DW").removesuffix("c"))


DEFAULT_LOCATION = "westeurope"


def stack_facts(root: Path, stack: str) -> StackFacts:
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return StackFacts(stack, DEFAULT_LOCATION, KEYS["sqlPoolSku"][1], KEYS["storageSku"][1], False)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise StackConfigError([f"{path.name}: not YAML ({str(exc).splitlines()[0]})"]) from None
    config: dict[str, Any] = data.get("config") or {}
    values = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith(f"{NAMESPACE}:")}
    settings = settings_from_values(values)
    return StackFacts(stack, settings.location, settings.sql_pool_sku, settings.storage_sku, True)
