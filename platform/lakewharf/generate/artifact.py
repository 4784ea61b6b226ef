"""An artifact: one generated file, its bytes, and the catalog elements it came from."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True)
class Artifact:
    path: str  # relative to the output folder, forward slashes
    content: bytes
    elements: tuple[str, ...]  # catalog elements, e.g. ("dataset:customers_clean",)
    # Column lineage it implements: ("entity:crm.customers.email", "dataset:customers_clean.email")
    lineage: tuple[tuple[str, str], ...] = ()


def json_artifact(path: str, data: Any, elements: tuple[str, ...],
                  lineage: tuple[tuple[str, str], ...] = ()) -> Artifact:
    """JSON as Data Factory Studio writes it: two-space indent, UTF-8, final newline."""
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return Artifact(path, text.encode("utf-8"), elements, lineage)


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # Multi-line strings (commands, SQL) as literal blocks, so reviews read them as written.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def yaml_artifact(path: str, data: Any, elements: tuple[str, ...], header: str = "") -> Artifact:
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)
    return Artifact(path, (header + text).encode("utf-8"), elements)


def text_artifact(path: str, text: str, elements: tuple[str, ...],
                  lineage: tuple[tuple[str, str], ...] = ()) -> Artifact:
    if not text.endswith("\n"):
        text += "\n"
    return Artifact(path, text.encode("utf-8"), elements, lineage)
