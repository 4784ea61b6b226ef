"""``wharf init [DIR] [--name NAME]``: a new project folder that validates and runs at once.

What a new project gets is kept as plain files in ``lakewharf/scaffold/`` (``__platform__`` in them
becomes the platform name), plus three things assembled here:

- ``templates/``: a byte-for-byte copy of the templates folder of the lakewharf checkout this
  package is installed from (the generators read them from the *project's* ``templates/``);
- ``.schemas/``: the JSON Schemas, exactly as ``wharf schema --out`` exports them, which the
  catalog files' modelines point at;
- ``.vscode/settings.json``: the same schemas mapped to their files by glob.

The folder must be new or empty, nothing is ever overwritten, and a failure leaves nothing behind:
a new folder is assembled as a hidden sibling and renamed into place; files written into an
existing empty folder are removed again.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from rich.text import Text
from rich.tree import Tree

from lakewharf.catalog.schema import schema_files
from lakewharf.cli.output import console

TOKEN = b"__platform__"  # in scaffold files: replaced by the platform name
SCHEMAS = ".schemas"
# schema file → the project files it describes (the catalog folders of catalog/loader.py)
SCHEMA_GLOBS = {
    "platform.schema.json": ["catalog/platform.yaml"],
    "source.schema.json": ["catalog/sources/*.yaml", "catalog/sources/*.yml"],
    "dataset.schema.json": ["catalog/datasets/*.yaml", "catalog/datasets/*.yml"],
    "model.schema.json": ["catalog/models/*.yaml", "catalog/models/*.yml"],
    "table.schema.json": ["catalog/warehouse/*.yaml", "catalog/warehouse/*.yml"],
    "pipelines.schema.json": ["pipelines.yaml"],
    "local.schema.json": ["local.yaml"],
    "stack.schema.json": ["Pulumi.*.yaml"],
}
LOCAL_MODELINE = b"# yaml-language-server: $schema=.schemas/local.schema.json\n"
FACT_TABLE = "mart.fact_orders"  # the scaffold's fact table, for the suggested query
_SKIP = ("__pycache__",)  # never copied: Python's caches next to templates/aml/*.py


class InitRefused(Exception):
    """Bad input or a folder init may not write to: one line for the user, exit 1."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", nargs="?", type=Path, default=None, metavar="DIR",
                        help="folder to create the project in; must be new or empty (default: the current folder)")
    parser.add_argument("--name", default=None, metavar="NAME",
                        help="platform name, the prefix of Azure resource names: 2-12 lower-case letters or "
                             "digits, starting with a letter (default: derived from the folder name)")


EXAMPLES = """\
  wharf init shop                     # a new folder shop/, platform name "shop"
  wharf init ~/work/data-platform --name acme
  mkdir shop && cd shop && wharf init # into the current (empty) folder
"""


def run(args: argparse.Namespace) -> int:
    target: Path = args.dir or getattr(args, "project", None) or Path(".")
    try:
        check_target(target)
        name = platform_name(target, args.name)
        files = project_files(name)
        write_project(target, files)
    except InitRefused as exc:
        console(stderr=True).print(f"wharf init: {exc}", style="red", markup=False)
        return 1
    report(target, name, files)
    return 0


# --- the platform name ---------------------------------------------------------------------------

def _name_rule() -> tuple[re.Pattern[str], str]:
    """The catalog's own rule for ``platform.yaml`` → ``name`` (its JSON Schema), and its wording."""
    prop = json.loads(schema_files()["platform.schema.json"])["properties"]["name"]
    return re.compile(prop["pattern"]), "2-12 lower-case letters or digits, starting with a letter"


def derive_name(folder: str) -> str | None:
    """``My Shop-2026`` → ``myshop2026``: ASCII letters and digits, lower case, from the first letter,
    at most 12 characters. None when too little is left."""
    ascii_only = unicodedata.normalize("NFKD", folder).encode("ascii", "ignore").decode()
    candidate = re.sub(r"[^a-z0-9]", "", ascii_only.lower()).lstrip("0123456789")[:12]
    pattern, _ = _name_rule()
    return candidate if pattern.match(candidate) else None


def platform_name(target: Path, explicit: str | None) -> str:
    pattern, rule = _name_rule()
    if explicit is not None:
        if pattern.match(explicit):
            return explicit
        suggestion = derive_name(explicit)
        hint = f" (e.g. {suggestion})" if suggestion and suggestion != explicit else ""
        raise InitRefused(f"--name {explicit!r} is not a valid platform name: {rule}{hint}")
    folder = target.resolve().name
    derived = derive_name(folder)
    if derived is None:
        raise InitRefused(f"cannot make a platform name from the folder name {folder!r}; "
                          f"pass --name NAME ({rule})")
    return derived


# --- what the project contains -------------------------------------------------------------------

def templates_folder() -> Path:
    """``templates/`` of the lakewharf checkout this package runs from (installed with ``pip install -e``)."""
    import lakewharf

    return Path(lakewharf.__file__).resolve().parents[2] / "templates"


def _walk(folder: Traversable, prefix: str = "") -> Iterator[tuple[str, Traversable]]:
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name in _SKIP or entry.name.endswith(".pyc"):
            continue
        if entry.is_dir():
            yield from _walk(entry, f"{prefix}{entry.name}/")
        else:
            yield f"{prefix}{entry.name}", entry


def project_files(name: str) -> dict[str, bytes]:
    """Relative path → bytes of every file of a new project named ``name``, in a stable order."""
    schemas = schema_files()
    files: dict[str, bytes] = {}
    for rel, entry in _walk(resources.files("lakewharf") / "scaffold"):
        data = entry.read_bytes().replace(TOKEN, name.encode("ascii"))
        if rel == "local.yaml" and "local.schema.json" not in schemas and data.startswith(LOCAL_MODELINE):
            data = data[len(LOCAL_MODELINE):]  # no schema to point at in this lakewharf version
        files[rel] = data
    templates = templates_folder()
    if not templates.is_dir():
        raise InitRefused(f"lakewharf's templates folder is missing ({templates}); wharf init copies it from "
                          "the lakewharf checkout it is installed from (pip install -e <checkout>)")
    for rel, entry in _walk(templates):
        files[f"templates/{rel}"] = entry.read_bytes()
    for schema_name, text in schemas.items():
        files[f"{SCHEMAS}/{schema_name}"] = text.encode("utf-8")
    mapping = {f"./{SCHEMAS}/{s}": globs for s, globs in SCHEMA_GLOBS.items() if s in schemas}
    files[".vscode/settings.json"] = (json.dumps({"yaml.schemas": mapping}, indent=2) + "\n").encode("utf-8")
    return dict(sorted(files.items()))


# --- writing it without leaving a half-written folder ----------------------------------------------

def check_target(target: Path) -> None:
    if target.is_dir():
        entries = sorted(p.name for p in target.iterdir())
        if entries:
            shown = ", ".join(entries[:3]) + (", …" if len(entries) > 3 else "")
            raise InitRefused(f"{target} is not empty ({len(entries)} entr{'y' if len(entries) == 1 else 'ies'}: "
                              f"{shown}); give a new or empty folder, nothing was written")
    elif target.exists() or target.is_symlink():
        raise InitRefused(f"{target} exists and is not a folder; nothing was written")


def write_project(target: Path, files: dict[str, bytes]) -> None:
    try:
        if target.is_dir():
            _write_into_empty(target, files)
        else:
            _write_as_new(target, files)
    except OSError as exc:
        raise InitRefused(f"cannot write the project into {target}: {exc.strerror or exc}; "
                          "nothing was left behind") from exc


def _write_files(root: Path, files: dict[str, bytes], created: list[Path]) -> None:
    """Create every file (exclusively: an existing file is never replaced), noting what was created."""
    for rel, data in files.items():
        path = root / rel
        missing = [p for p in (path.parent, *path.parent.parents) if not p.exists() and root in p.parents]
        for folder in reversed(missing):
            folder.mkdir()
            created.append(folder)
        with open(path, "xb") as out:
            created.append(path)
            out.write(data)


def _write_into_empty(target: Path, files: dict[str, bytes]) -> None:
    # Written in place (not renamed over): the folder may be the shell's current folder.
    created: list[Path] = []
    try:
        _write_files(target, files, created)
    except BaseException:
        for path in reversed(created):  # files before the folders holding them
            try:
                if path.is_dir() and not path.is_symlink():
                    path.rmdir()
                else:
                    path.unlink(missing_ok=True)
            except OSError:
                pass  # something else wrote there meanwhile: leave it
        raise


def _write_as_new(target: Path, files: dict[str, bytes]) -> None:
    target = target.absolute()
    new_parents = [p for p in target.parents if not p.exists()]
    for folder in reversed(new_parents):
        folder.mkdir()
    staging: Path | None = None
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".wharf-init", dir=target.parent))
        _write_files(staging, files, [])
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)  # mkdtemp makes it private; give it a normal folder's mode
        staging.rename(target)
        staging = None
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        for folder in new_parents:  # innermost first
            try:
                folder.rmdir()
            except OSError:
                break
        raise


# --- what the user sees ----------------------------------------------------------------------------

_SUMMARISED = {"templates": "Jinja2 templates of the generated SQL and scripts", SCHEMAS: "JSON Schemas for editors"}


def _tree(label: str, files: dict[str, bytes]) -> Tree:
    tree = Tree(Text(label, style="bold"))
    nodes: dict[str, Tree] = {}
    for rel in files:
        parts = rel.split("/")
        if parts[0] in _SUMMARISED:
            if parts[0] not in nodes:
                count = sum(1 for r in files if r.startswith(parts[0] + "/"))
                nodes[parts[0]] = tree.add(Text(f"{parts[0]}/  ({count} files: {_SUMMARISED[parts[0]]})"))
            continue
        parent = tree
        for depth in range(1, len(parts)):
            key = "/".join(parts[:depth])
            if key not in nodes:
                nodes[key] = parent.add(Text(parts[depth - 1] + "/"))
            parent = nodes[key]
        parent.add(Text(parts[-1]))
    return tree


def report(target: Path, name: str, files: dict[str, bytes]) -> None:
    out = console()
    out.print(Text(f"created the {name} platform in {target} ({len(files)} files)", style="green"))
    out.print(_tree(f"{target.resolve().name}/", files))
    out.print(Text("next:", style="bold"))
    steps = []
    if target.resolve() != Path.cwd().resolve():
        steps.append(("cd " + _shell_word(str(target)), ""))
    steps += [
        ("wharf validate", "check the catalog"),
        ("wharf run", "run the nightly pipeline locally (generated data until you bind yours in local.yaml)"),
        (f'wharf query "SELECT TOP 5 * FROM {FACT_TABLE}"', "read the local warehouse"),
    ]
    width = max(len(cmd) for cmd, _ in steps)
    for cmd, why in steps:
        out.print(Text(f"  {cmd.ljust(width)}  {('# ' + why) if why else ''}".rstrip()))
    out.print(Text("README.md says where to go from there (local.yaml, wharf generate, pulumi up)."))


def _shell_word(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z0-9_./~-]+", text) else "'" + text.replace("'", "'\\''") + "'"
