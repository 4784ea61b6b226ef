"""The generated Data Factory files (``build/adf`` and ``build/control``), read exactly as they
were reviewed: the one reader of the tree, for the infra program (which deploys it) and the local
runner (which executes it).

Layout (Data Factory's git layout): ``linkedService/``, ``dataset/``, ``pipeline/``, ``trigger/``
with one ``<name>.json`` each (``{"name": …, "properties": {…}}``) and ``factory/<name>.json``
declaring the global parameters. The infra program deploys each ``properties`` object unchanged:
no second source of truth. References between objects (``LinkedServiceReference``,
``DatasetReference``, ``PipelineReference``, ``TriggerReference``) become ``depends_on``, so linked services are
created before the datasets that use them, datasets before pipelines, pipelines before the
pipelines that execute them and before triggers; a reference to a missing object, or a cycle,
fails here with the file that holds it.

The local runner also needs what the service resolves at run time: a dataset as an activity sees
it, its ``@dataset().x`` parameters filled from the referencing activity (``AdfTree.dataset``).
data-factory-testing-framework evaluates pipeline expressions but does not read datasets, so
their (simple, generated) parameter references are substituted here.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakewharf.errors import WharfError
from lakewharf.generate.adf.common import GLOBAL_PARAMETERS

# Also the deployment order of kinds; integrationRuntime/ holds only self-hosted runtimes (the
# managed one is the infra program's, lakewharf.infra.factory_network).
KINDS = ("integrationRuntime", "linkedService", "dataset", "pipeline", "trigger")
_REFERENCE_KIND = {"IntegrationRuntimeReference": "integrationRuntime",
                   "LinkedServiceReference": "linkedService", "DatasetReference": "dataset",
                   "PipelineReference": "pipeline", "TriggerReference": "trigger"}
# Global parameters the generator declares (build/adf/factory/<platform>.json); used when the
# generated tree has no factory file.
DEFAULT_GLOBAL_PARAMETERS = tuple(GLOBAL_PARAMETERS)
# Keys of a pipeline's "properties" and the pulumi-azure-native Pipeline argument each becomes
# (Pipeline takes them flattened; LinkedService, Dataset and Trigger take ``properties=``).
PIPELINE_ARGS = {"activities": "activities", "annotations": "annotations", "concurrency": "concurrency",
                 "description": "description", "folder": "folder", "parameters": "parameters",
                 "policy": "policy", "runDimensions": "run_dimensions", "variables": "variables"}


_DATASET_PARAM = re.compile(r"@\{?dataset\(\)\.(\w+)\}?")


class AdfTreeError(WharfError, ValueError):
    """The generated tree cannot be read, deployed or run as it is; the message names the file."""


@dataclass(frozen=True)
class AdfObject:
    kind: str  # one of KINDS
    name: str
    path: str  # relative to the project, e.g. build/adf/pipeline/pl_nightly.json
    properties: dict[str, Any]
    references: tuple[tuple[str, str], ...]  # (kind, name) this object refers to

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.name)

    def summary(self) -> str:
        """What the object carries, in a few words (for ``wharf plan``)."""
        p = self.properties
        if self.kind == "pipeline":
            acts = p.get("activities") or []
            kinds = sorted({a.get("type", "?") for a in acts})
            return f"{len(acts)} activities ({', '.join(kinds)})"
        if self.kind == "trigger":
            # Schedule triggers start "pipelines"; a tumbling window trigger starts one "pipeline".
            runs = p.get("pipelines") or ([p["pipeline"]] if isinstance(p.get("pipeline"), dict) else [])
            pipes = [x.get("pipelineReference", {}).get("referenceName", "?") for x in runs]
            return f"{p.get('type', '?')} → {', '.join(pipes) or 'no pipeline'}"
        return str(p.get("type", "?"))


@dataclass(frozen=True)
class ControlFile:
    """An orchestrator's item list (``build/control/<pipeline>/L<n>_<kind>.json``), deployed to
    the lake's control filesystem beside the pipelines whose Lookups read it."""

    path: str  # relative to the control filesystem: pl_<pipeline>/L<n>_<kind>.json
    content: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Dataset:
    """A dataset as one activity sees it: its parameters filled with the values that activity passes."""

    name: str
    type: str  # Parquet | DelimitedText | Json | SqlServerTable | AzurePostgreSqlTable | AzureSqlDWTable
    linked_service: str
    filesystem: str | None
    folder: str | None
    file: str | None
    properties: dict[str, Any]  # typeProperties with parameters filled


@dataclass(frozen=True)
class AdfTree:
    root: Path
    objects: tuple[AdfObject, ...]  # in deployment order (references first)
    global_parameters: dict[str, dict[str, Any]]  # name → {"type": …, "value": … (as generated)}
    factory_file: str | None
    control_files: tuple[ControlFile, ...] = ()  # from the sibling build/control, in path order

    def of_kind(self, kind: str) -> list[AdfObject]:
        return [o for o in self.objects if o.kind == kind]

    @functools.cached_property
    def _by_key(self) -> dict[tuple[str, str], AdfObject]:
        return {o.key: o for o in self.objects}

    def get(self, kind: str, name: str) -> AdfObject:
        found = self._by_key.get((kind, name))
        if found is None:
            raise AdfTreeError(f"{kind} {name!r} is not in {self.root / kind}")
        return found

    def dataset(self, reference: dict[str, Any]) -> Dataset:
        """The dataset a ``DatasetReference`` names, with ``@dataset().x`` filled from the
        reference's parameters (else the dataset's declared defaults), as Data Factory resolves it."""
        spec = self.get("dataset", reference["referenceName"]).properties
        values = {k: plain(v) for k, v in (reference.get("parameters") or {}).items()}
        for key, declared in (spec.get("parameters") or {}).items():
            values.setdefault(key, (declared or {}).get("defaultValue"))
        props = _fill(spec.get("typeProperties") or {}, values)
        location = props.get("location") or {}
        return Dataset(
            reference["referenceName"],
            spec["type"],
            spec["linkedServiceName"]["referenceName"],
            location.get("fileSystem") or location.get("container"),
            location.get("folderPath"),
            location.get("fileName"),
            {**props, "table": props.get("table")},
        )


def plain(value: Any) -> Any:
    """An activity property as plain JSON data: ``{"type": "Expression"}`` objects and the elements
    data-factory-testing-framework evaluated replaced by their values."""
    if isinstance(value, dict):
        if value.get("type") == "Expression" and set(value) <= {"type", "value"}:
            return value.get("value")
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    from data_factory_testing_framework.models import DataFactoryElement  # only the local runner has them

    return value.result if isinstance(value, DataFactoryElement) else value


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


def _references(data: Any) -> Iterator[tuple[str, str]]:
    if isinstance(data, dict):
        kind = _REFERENCE_KIND.get(data.get("type", "")) if isinstance(data.get("type"), str) else None
        if kind and isinstance(data.get("referenceName"), str):
            yield (kind, data["referenceName"])
        for value in data.values():
            yield from _references(value)
    elif isinstance(data, list):
        for value in data:
            yield from _references(value)


def _read_json(path: Path, label: str) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AdfTreeError(f"{label}: cannot read JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("properties"), dict):
        raise AdfTreeError(f"{label}: expected {{\"name\": …, \"properties\": {{…}}}} as Data Factory writes it")
    return doc


def _order(objects: dict[tuple[str, str], AdfObject]) -> list[AdfObject]:
    """Depth-first topological order; ties in kind order, then by name (deterministic)."""
    ordered: list[AdfObject] = []
    state: dict[tuple[str, str], str] = {}

    def visit(key: tuple[str, str], chain: tuple[str, ...]) -> None:
        if state.get(key) == "done":
            return
        obj = objects[key]
        if state.get(key) == "active":
            raise AdfTreeError(f"{obj.path}: reference cycle {' → '.join((*chain, obj.name))}")
        state[key] = "active"
        for ref in obj.references:
            if ref == key:
                continue
            if ref not in objects:
                raise AdfTreeError(f"{obj.path}: refers to {ref[0]} {ref[1]!r}, which build/adf does not define")
            visit(ref, (*chain, obj.name))
        state[key] = "done"
        ordered.append(obj)

    for key in sorted(objects, key=lambda k: (KINDS.index(k[0]), k[1])):
        visit(key, ())
    return ordered


def load_adf_tree(adf_dir: Path, *, label_root: Path | None = None) -> AdfTree:
    """Read ``adf_dir`` (a ``build/adf`` folder). Raises ``AdfTreeError`` naming the file at fault."""
    if not adf_dir.is_dir():
        raise AdfTreeError(f"{adf_dir}: no generated Data Factory files; run `wharf generate`, review build/, "
                           "then deploy")
    base = label_root or adf_dir.parent.parent

    def label(p: Path) -> str:
        try:
            return p.relative_to(base).as_posix()
        except ValueError:
            return p.as_posix()

    objects: dict[tuple[str, str], AdfObject] = {}
    for kind in KINDS:
        for path in sorted((adf_dir / kind).glob("*.json")):
            doc = _read_json(path, label(path))
            name = doc.get("name", path.stem)
            if name != path.stem:
                raise AdfTreeError(f"{label(path)}: name {name!r} does not match the file name")
            props = doc["properties"]
            if kind == "pipeline":
                extra = sorted(set(props) - set(PIPELINE_ARGS))
                if extra:
                    raise AdfTreeError(f"{label(path)}: pipeline properties {extra} are not deployable "
                                       f"(known: {', '.join(PIPELINE_ARGS)})")
            refs = tuple(sorted(set(_references(props))))
            objects[(kind, name)] = AdfObject(kind, name, label(path), props, refs)
    factory_files = sorted((adf_dir / "factory").glob("*.json"))
    params: dict[str, dict[str, Any]] = {name: {"type": "String"} for name in DEFAULT_GLOBAL_PARAMETERS}
    factory_file = None
    if factory_files:
        if len(factory_files) > 1:
            raise AdfTreeError(f"{label(adf_dir / 'factory')}: expected one factory file, found {len(factory_files)}")
        factory_file = label(factory_files[0])
        declared = _read_json(factory_files[0], factory_file)["properties"].get("globalParameters") or {}
        if not isinstance(declared, dict):
            raise AdfTreeError(f"{factory_file}: globalParameters must be an object")
        params = {name: dict(spec) if isinstance(spec, dict) else {"type": "String"} for name, spec in declared.items()}
    control = read_control_files(adf_dir.parent / "control")
    return AdfTree(adf_dir, tuple(_order(objects)), params, factory_file, control)


def read_control_files(control_dir: Path) -> tuple[ControlFile, ...]:
    """The generated control files in a stable order (none when no pipeline has items)."""
    if not control_dir.is_dir():
        return ()
    return tuple(ControlFile(p.relative_to(control_dir).as_posix(), p.read_text(encoding="utf-8"))
                 for p in sorted(control_dir.glob("*/*.json")))
