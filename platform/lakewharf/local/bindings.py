"""``local.yaml``: where ``wharf run`` reads each source's data on this machine.

```yaml
sources:
  ops:         {database: "sqlite:///data/retail_ops.sqlite"}   # or duckdb:///…, postgresql://…, mssql+pyodbc://…
  store_files: {folder: data/drops}     # laid out as the entities' `path` globs
  crm:         {fixtures: data/crm}     # one <entity>.csv or <entity>.parquet per entity
generate: {rows: 1000, seed: 20260101, dirty_rate: 0.02}   # for every source not listed
```

A *bound* source (``database``, ``folder``) is the user's own data: read in place, read-only,
never written to or deleted from. Every other source is *materialized* by lakewharf under
``.wharf/`` — from fixtures, from the retail sample's curated data (``sample: retail``), or
generated from the catalog's column contracts — and only that copy is ever replaced.

The file is checked like a catalog file (JSON Schema, then references), with ``file:line``
errors; nothing here imports a database driver.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakewharf.errors import CatalogError, CatalogInvalid, WharfError
from lakewharf.model.catalog import Catalog, Source
from lakewharf.sources.registry import is_database

LOCAL_FILE = "local.yaml"
BOUND = ("database", "folder")  # the user's data, read in place
ENGINES = {"sqlite": "SQLite", "duckdb": "DuckDB", "postgresql": "PostgreSQL", "mssql": "SQL Server"}
# What the retail sample's curated data covers (lakewharf.local.sample_data).
SAMPLE_RETAIL = {
    "crm": ("customers",),
    "orders": ("orders", "order_lines"),
    "products": ("products",),
    "clickstream": ("page_views",),
}
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class BindingError(WharfError):
    """A bound source cannot be read as the catalog says (a missing table, no matching file, a driver)."""


@dataclass(frozen=True)
class Binding:
    source: str
    kind: str  # database | folder | fixtures | sample | generate
    value: str = ""  # the URL, the folder (resolved) or the sample's name
    generate: Mapping[str, Any] = field(default_factory=dict)  # rows, seed, dirty_rate

    @property
    def bound(self) -> bool:
        return self.kind in BOUND

    def describe(self) -> str:
        if self.kind == "database":
            return f"database {redact(self.value)}"
        if self.kind == "generate":
            return "generated from the column contracts"
        if self.kind == "sample":
            return f"the {self.value} sample's curated data"
        return f"{self.kind} {self.value}"


@dataclass(frozen=True)
class LocalBindings:
    file: Path | None  # local.yaml, when the project has one
    sources: Mapping[str, Binding]
    generate: Mapping[str, Any]  # defaults for generated sources

    def of(self, source: str) -> Binding:
        return self.sources.get(source) or Binding(source, "generate", generate=self.generate)


def redact(url: str) -> str:
    """A URL fit for messages and logs: any password replaced by ***, whether it is the URL's
    (``user:password@``), a query parameter (``?password=``) or in an ODBC connection string
    (``odbc_connect=...;PWD=...``)."""
    url = re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)
    return _PASSWORD_FIELD.sub(r"\1***", url)


# password=, pwd= in a query string or an ODBC/ADO connection string (also URL-encoded: %3D, %3B)
_PASSWORD_FIELD = re.compile(r"(?i)((?:^|[;&?=\s]|%3b|%26|%3d)(?:password|pwd)\s*(?:=|%3d))(?:[^;&\s%]|%(?!3b|26))*")


def expand_env(url: str, source: str) -> str:
    """``${NAME}`` references replaced from the environment, so no password sits in local.yaml."""
    missing = [m for m in _ENV_REF.findall(url) if m not in os.environ]
    if missing:
        raise BindingError(f"source {source}: the database URL needs the environment variable {missing[0]}",
                           f"export {missing[0]}=… before `wharf run`")
    return _ENV_REF.sub(lambda m: os.environ[m.group(1)], url)


def engine_of(url: str) -> str:
    """``postgresql+psycopg://…`` → ``postgresql``."""
    return url.split("://", 1)[0].split("+", 1)[0].lower()


def database_path(root: Path, url: str) -> Path:
    """The file of a ``sqlite:///rel`` or ``duckdb:////abs`` URL; relative paths from the project root."""
    rest = url.split("://", 1)[1]
    path = rest[1:] if rest.startswith("/") else rest
    path = path.split("?", 1)[0]
    return Path(path) if Path(path).is_absolute() else root / path


def load_bindings(catalog: Catalog) -> LocalBindings:
    """Read and check ``local.yaml``; a project without one generates data for every source."""
    from lakewharf.catalog.schema import check_document
    from lakewharf.catalog.yaml_source import load_yaml_file

    path = catalog.root / LOCAL_FILE
    if not path.is_file():
        return LocalBindings(None, {}, {})
    doc = load_yaml_file(path, LOCAL_FILE)
    problems = check_document(doc, "local")
    if problems:
        raise CatalogInvalid(problems)
    data = doc.data or {}
    defaults = dict(data.get("generate") or {})
    sources: dict[str, Binding] = {}
    errors: list[CatalogError] = []
    for name, spec in (data.get("sources") or {}).items():
        where = ("sources", name)
        source = catalog.sources.get(name)
        if source is None:
            close = difflib.get_close_matches(name, list(catalog.sources), n=1)
            errors.append(doc.error(where, f"no source {name!r} in the catalog",
                                    f"did you mean {close[0]!r}?" if close else
                                    "known sources: " + ", ".join(sorted(catalog.sources)), key=True))
            continue
        kind, value = next(iter(spec.items()))
        problem = _check(catalog.root, source, kind, value)
        if problem:
            errors.append(doc.error((*where, kind), *problem))
            continue
        if kind == "generate":
            sources[name] = Binding(name, kind, generate={**defaults, **(value or {})})
        elif kind == "database" or kind == "sample":
            sources[name] = Binding(name, kind, value)
        else:
            sources[name] = Binding(name, kind, str(_resolve(catalog.root, value)))
    if errors:
        raise CatalogInvalid(errors)
    return LocalBindings(path, sources, defaults)


def _resolve(root: Path, value: str) -> Path:
    path = Path(os.path.expanduser(value))
    return path if path.is_absolute() else (root / path)


def _check(root: Path, source: Source, kind: str, value: Any) -> tuple[str, str] | None:
    """(message, hint) when a binding cannot serve this source."""
    if kind == "database":
        if not is_database(source):
            return (f"{source.name} is a {source.kind} source; a database binding serves SQL sources",
                    "bind files with {folder: DIR} or {fixtures: DIR}")
        engine = engine_of(value) if "://" in value else ""
        if engine not in ENGINES:
            return (f"{value!r} is not a database URL lakewharf reads",
                    "use sqlite:///path, duckdb:///path, postgresql://user@host/db or mssql+pyodbc://…")
        if re.search(r"://[^:/@]+:(?!\$\{)[^@]+@", value):
            return ("the URL holds a password", "write ${SOME_ENV_VAR} in its place and export the variable")
        if engine in ("sqlite", "duckdb") and not database_path(root, value).is_file():
            return (f"no {ENGINES[engine]} file at {database_path(root, value)}",
                    "paths are relative to the project folder; sqlite:////abs/path for an absolute one")
        return None
    if kind == "folder":
        if is_database(source):
            return (f"{source.name} is a {source.kind} source; a folder binding serves file and log sources",
                    "bind a database with {database: URL}, or its tables with {fixtures: DIR}")
        if not _resolve(root, value).is_dir():
            return f"no folder {_resolve(root, value)}", "paths are relative to the project folder"
        return None
    if kind == "fixtures":
        if not _resolve(root, value).is_dir():
            return f"no folder {_resolve(root, value)}", "paths are relative to the project folder"
        return None
    if kind == "sample":
        covered = SAMPLE_RETAIL.get(source.name)
        missing = [e for e in source.entities if covered is None or e not in covered]
        if missing:
            return (f"the retail sample has no data for {source.name}.{missing[0]}",
                    "the sample covers " + ", ".join(f"{s}.{e}" for s, es in SAMPLE_RETAIL.items() for e in es)
                    + "; leave the source out of local.yaml to generate its data")
    return None
