"""Read the generated Data Factory tree the way the service does: datasets and linked services by
name, with ``@dataset().x`` parameters filled from the referencing activity.

data-factory-testing-framework evaluates pipeline expressions; datasets it does not read, so their
(simple, generated) parameter references are substituted here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_DATASET_PARAM = re.compile(r"@\{?dataset\(\)\.(\w+)\}?")


def plain(value: Any) -> Any:
    """An evaluated activity property as plain JSON data (expressions replaced by their results)."""
    from data_factory_testing_framework.models import DataFactoryElement

    if isinstance(value, DataFactoryElement):
        return value.result
    if isinstance(value, dict):
        if value.get("type") == "Expression" and set(value) <= {"type", "value"}:
            return value.get("value")
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Dataset:
    name: str
    type: str  # Parquet | DelimitedText | Json | SqlServerTable | AzurePostgreSqlTable | AzureSqlDWTable
    linked_service: str
    filesystem: str | None
    folder: str | None
    file: str | None
    properties: dict[str, Any]  # typeProperties with parameters filled


class AdfTree:
    def __init__(self, adf_dir: Path) -> None:
        self.root = adf_dir
        self.datasets = self._load("dataset")
        self.linked_services = self._load("linkedService")

    def _load(self, kind: str) -> dict[str, dict[str, Any]]:
        return {
            p.stem: json.loads(p.read_text(encoding="utf-8"))["properties"]
            for p in sorted((self.root / kind).glob("*.json"))
        }

    def dataset(self, reference: dict[str, Any]) -> Dataset:
        name = reference["referenceName"]
        spec = self.datasets.get(name)
        if spec is None:
            raise KeyError(f"dataset {name} is not in {self.root / 'dataset'}")
        values = {k: plain(v) for k, v in (reference.get("parameters") or {}).items()}
        for key, declared in (spec.get("parameters") or {}).items():
            values.setdefault(key, (declared or {}).get("defaultValue"))
        props = _fill(spec.get("typeProperties") or {}, values)
        location = props.get("location") or {}
        table = props.get("table")
        return Dataset(
            name,
            spec["type"],
            spec["linkedServiceName"]["referenceName"],
            location.get("fileSystem") or location.get("container"),
            location.get("folderPath"),
            location.get("fileName"),
            {**props, "table": table},
        )


def _fill(node: Any, values: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if node.get("type") == "Expression" and "value" in node:
            return _fill(node["value"], values)
        return {k: _fill(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, values) for v in node]
    if isinstance(node, str) and "dataset()" in node:
        whole = _DATASET_PARAM.fullmatch(node.strip())
        if whole:
            return values.get(whole.group(1))
        return _DATASET_PARAM.sub(lambda m: str(values.get(m.group(1), "")), node)
    return node
