"""A small build/adf tree for the infra tests. (A plain module, not conftest: tests import it.)"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lakewharf.artifacts.adf_tree import DEFAULT_GLOBAL_PARAMETERS
from lakewharf.catalog.secrets import _PATTERNS, _SECRET_KEYS
from lakewharf.infra.mocks import OfflineRun, plain

REPO_ROOT = Path(__file__).resolve().parents[2]


def _verify_samples() -> Any:
    """tests/verify/verify_samples.py: ADF documents in the shapes the real validators accept."""
    path = REPO_ROOT / "tests" / "verify" / "verify_samples.py"
    spec = importlib.util.spec_from_file_location("verify_samples", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_adf_tree(target: Path, *, extra: dict[str, Any] | None = None, factory: bool = True) -> Path:
    """A small ``build/adf`` below ``target``: 2 linked services, 3 datasets, 1 pipeline, 1 trigger
    (from verify_samples), plus the factory file declaring the generator's global parameters."""
    docs = _verify_samples().adf_docs()
    if factory:
        docs["factory/retail.json"] = {"name": "retail", "properties": {"globalParameters": {
            name: {"type": "String", "value": ""} for name in DEFAULT_GLOBAL_PARAMETERS}}}
    docs.update(extra or {})
    adf = target / "build" / "adf"
    for rel, doc in docs.items():
        path = adf / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return adf


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield path, str(k), v
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def secret_findings(run: OfflineRun) -> list[str]:
    """Every input (and stack output) scanned with the catalog's own inline-secret rules."""
    found = []
    docs = {f"{r.type} {r.name}": plain(r.inputs) for r in run.records}
    docs["stack outputs"] = run.outputs
    for label, doc in docs.items():
        for path, key, value in _strings({"_": doc}):
            if _SECRET_KEYS.match(key) and value not in (None, "") and not isinstance(value, dict | bool):
                found.append(f"{label}: {path}.{key} holds a value")
            if isinstance(value, str):
                found += [f"{label}: {path}.{key} looks like {what}" for pattern, what in _PATTERNS
                          if pattern.search(value)]
    return found
