"""Find the catalog's files, read them safely, and check each against its JSON Schema.

Layout of a lakewharf project (the folder holding ``pipelines.yaml`` and ``catalog/``):

    catalog/platform.yaml         roles, zones, compute
    catalog/sources/<name>.yaml   one source system per file
    catalog/datasets/<name>.yaml  one preparation per file
    catalog/models/<name>.yaml    one model per file
    catalog/warehouse/<name>.yaml one Synapse table per file
    pipelines.yaml                named pipelines

An object's name is its file name without ``.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lakewharf.catalog.schema import check_document
from lakewharf.catalog.secrets import find_inline_secrets
from lakewharf.catalog.yaml_source import YamlDocument, load_yaml_file
from lakewharf.errors import CatalogError, CatalogInvalid

FOLDERS = {"sources": "source", "datasets": "dataset", "models": "model", "warehouse": "table"}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class LoadedFile:
    kind: str  # platform | source | dataset | model | table | pipelines
    name: str  # object name (file stem); "" for platform and pipelines
    doc: YamlDocument
    valid: bool  # passed its JSON Schema


@dataclass(frozen=True)
class LoadResult:
    files: list[LoadedFile]
    errors: list[CatalogError]

    def of_kind(self, kind: str) -> list[LoadedFile]:
        return [f for f in self.files if f.kind == kind]


def find_project_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / "pipelines.yaml").is_file() and (folder / "catalog").is_dir():
            return folder
    return None


def _relative(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _error(file: str, message: str, hint: str = "") -> CatalogError:
    return CatalogError(file, 1, 1, (), message, hint)


def discover(root: Path) -> tuple[list[tuple[str, str, Path]], list[CatalogError]]:
    """(kind, name, path) for every catalog file, plus problems with the layout itself."""
    found: list[tuple[str, str, Path]] = []
    errors: list[CatalogError] = []
    catalog = root / "catalog"
    platform = catalog / "platform.yaml"
    if platform.is_file():
        found.append(("platform", "", platform))
    else:
        errors.append(_error("catalog/platform.yaml", "missing file",
                             "every catalog needs catalog/platform.yaml with its roles and zones"))
    if (root / "pipelines.yaml").is_file():
        found.append(("pipelines", "", root / "pipelines.yaml"))
    for entry in sorted(catalog.iterdir()) if catalog.is_dir() else []:
        rel = _relative(root, entry)
        if entry.is_dir() and entry.name in FOLDERS:
            for path in sorted(entry.iterdir()):
                if path.suffix not in _YAML_SUFFIXES or path.name.startswith("."):
                    continue
                name = path.stem
                if not _NAME.match(name) or len(name) > 60:
                    errors.append(_error(_relative(root, path), f"file name {path.name!r} is not a valid object name",
                                         "the file name is the object's name: lower-case letters, digits and "
                                         "underscores, starting with a letter (at most 60)"))
                    continue
                found.append((FOLDERS[entry.name], name, path))
        elif entry.suffix in _YAML_SUFFIXES and entry.name != "platform.yaml":
            errors.append(_error(rel, "unexpected file in catalog/",
                                 "catalog files go in catalog/sources, catalog/datasets, catalog/models or "
                                 "catalog/warehouse; roles and zones in catalog/platform.yaml"))
        elif entry.is_dir() and not entry.name.startswith("."):
            errors.append(_error(rel, "unexpected folder in catalog/",
                                 "known folders: " + ", ".join(FOLDERS)))
    return found, errors


_File = tuple[str, str, Path, str]  # kind, name, path, path relative to the project
_Read = tuple[LoadedFile | None, list[CatalogError]]
FileMap = Callable[[Callable[[_File], _Read], Sequence[_File]], list[_Read]]


def load_catalog_files(root: Path, map_files: FileMap | None = None) -> LoadResult:
    """Read, schema-check and scan for inline secrets every file; collects every problem instead of
    stopping at the first.

    ``map_files`` reads the files (``map_files(read, files)`` is ``[read(f) for f in files]``, in
    order): the caller may spread them over processes, as ``wharf``'s commands do."""
    found, errors = discover(root)
    unique: list[_File] = []
    seen: dict[tuple[str, str], str] = {}
    for kind, name, path in found:
        rel = _relative(root, path)
        if name and (kind, name) in seen:
            errors.append(_error(rel, f"{kind} {name!r} is also defined in {seen[(kind, name)]}",
                                 "keep one of the .yaml/.yml files"))
            continue
        seen[(kind, name)] = rel
        unique.append((kind, name, path, rel))
    files: list[LoadedFile] = []
    for loaded, problems in (map_files or _each)(_read, unique):
        errors.extend(problems)
        if loaded is not None:
            files.append(loaded)
    return LoadResult(files, errors)


def _each(read: Callable[[_File], _Read], files: Sequence[_File]) -> list[_Read]:
    return [read(f) for f in files]


def _read(file: _File) -> _Read:
    """One file: (the loaded file, its schema problems and inline secrets), or (None, why it could
    not be read)."""
    kind, name, path, rel = file
    try:
        doc = load_yaml_file(path, rel)
    except CatalogInvalid as exc:
        return None, exc.errors
    problems = check_document(doc, kind)
    return LoadedFile(kind, name, doc, valid=not problems), [*problems, *find_inline_secrets(doc)]
