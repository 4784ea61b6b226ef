"""``wharf init``: a new project folder that validates, generates and runs at once, written safely."""

from __future__ import annotations

import fnmatch
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import lakewharf.cli.init as init_module
from lakewharf.catalog.schema import schema_files
from lakewharf.cli.main import main

REPO_ROOT = Path(__file__).resolve().parents[2]
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(?P<path>\S+)$")
CATALOG_FILES = ["catalog/platform.yaml", "catalog/sources/shop.yaml", "catalog/datasets/customers_trusted.yaml",
                 "catalog/datasets/orders_trusted.yaml", "catalog/warehouse/dim_customer.yaml",
                 "catalog/warehouse/fact_orders.yaml", "pipelines.yaml"]
SCHEMA_OF = {"catalog/platform.yaml": "platform", "catalog/sources": "source", "catalog/datasets": "dataset",
             "catalog/warehouse": "table", "pipelines.yaml": "pipelines", "local.yaml": "local"}
EXPECTED = [*CATALOG_FILES, "local.yaml", "README.md", ".gitignore", "Pulumi.yaml", "Pulumi.dev.yaml",
            "infra/__main__.py", ".github/workflows/wharf.yml", ".vscode/settings.json",
            ".schemas/platform.schema.json", ".schemas/source.schema.json", ".schemas/common.schema.json",
            "templates/prepare/cetas.sql.j2"]


def _init(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["init", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _snapshot(root: Path) -> dict[str, bytes | None]:
    return {p.relative_to(root).as_posix(): p.read_bytes() if p.is_file() else None for p in sorted(root.rglob("*"))}


def _files(root: Path) -> dict[str, bytes]:
    return {rel: data for rel, data in _snapshot(root).items() if data is not None}


def _schema_of(rel: str) -> str:
    return next(kind for prefix, kind in SCHEMA_OF.items() if rel == prefix or rel.startswith(prefix + "/"))


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One project made by `wharf init` (read-only for the tests that share it)."""
    root = tmp_path_factory.mktemp("init") / "Acme Shop"
    assert main(["init", str(root)]) == 0
    return root


# --- what is created ---------------------------------------------------------------------------------


def test_init_creates_the_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "new" / "parents" / "shop"
    code, out, err = _init(capsys, str(target))
    assert code == 0, err
    assert err == ""
    for rel in EXPECTED:
        assert (target / rel).is_file(), rel
    assert "created the shop platform" in out
    for shown in ("catalog/", "shop.yaml", "fact_orders.yaml", "local.yaml", "templates/", ".schemas/",
                  "wharf validate", "wharf run", 'wharf query "SELECT TOP 5 * FROM mart.fact_orders"'):
        assert shown in out, shown
    assert yaml.safe_load((target / "catalog/platform.yaml").read_text())["name"] == "shop"
    assert yaml.safe_load((target / "Pulumi.yaml").read_text())["name"] == "shop"
    assert "__platform__" not in "".join(d.decode("utf-8") for d in _files(target).values())
    # assembled next to the target and renamed into place: no staging folder is left behind
    assert sorted(p.name for p in target.parent.iterdir()) == ["shop"]


def test_init_into_the_current_empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    here = tmp_path / "datateam"
    here.mkdir()
    inode = here.stat().st_ino
    monkeypatch.chdir(here)
    code, out, err = _init(capsys)
    assert code == 0, err
    assert here.stat().st_ino == inode  # written in place: a shell sitting in the folder still sees the files
    assert yaml.safe_load((here / "catalog/platform.yaml").read_text())["name"] == "datateam"
    assert "cd " not in out  # already there
    assert (here / "pipelines.yaml").is_file()


def test_templates_are_copied_byte_for_byte(made: Path) -> None:
    repo = {rel: data for rel, data in _files(REPO_ROOT / "templates").items()
            if "__pycache__" not in rel and not rel.endswith(".pyc")}
    assert repo
    assert _files(made / "templates") == repo


def test_schemas_are_those_wharf_schema_exports(made: Path) -> None:
    assert {rel: data.decode("utf-8") for rel, data in _files(made / ".schemas").items()} == schema_files()


def test_pulumi_project_and_entry_point_match_the_repository(made: Path) -> None:
    assert (made / "infra/__main__.py").read_bytes() == (REPO_ROOT / "infra/__main__.py").read_bytes()
    ours = yaml.safe_load((made / "Pulumi.yaml").read_text())
    repo = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())
    assert ours.keys() == repo.keys()
    assert ours["runtime"] == repo["runtime"] and ours["main"] == repo["main"] == "infra/"
    assert ours["name"] == "acmeshop"


def test_dev_stack_names_every_setting_and_no_secret(made: Path) -> None:
    from lakewharf.infra.settings import KEYS, settings_from_values
    from lakewharf.project import load_catalog

    text = (made / "Pulumi.dev.yaml").read_text()
    config = yaml.safe_load(text)["config"]
    assert all(k.startswith("lakewharf:") for k in config)
    values = {k.split(":", 1)[1]: v for k, v in config.items()}
    commented = set(re.findall(r"^\s*#\s*lakewharf:(\w+):", text, flags=re.MULTILINE))
    assert set(values) | commented == set(KEYS)
    assert not any(isinstance(v, dict) and "secure" in v for v in config.values())
    settings = settings_from_values(values)
    catalog = load_catalog(made)
    settings.check_catalog(catalog)  # every group role has its (placeholder) Entra object id
    # the Key Vault secrets the catalog names are listed by name for the operator
    secrets = {s.secret for s in catalog.sources.values()} | {catalog.platform.hash_salt_secret}
    for name in secrets:
        assert re.search(rf"^#\s+{re.escape(name)}\s", text, flags=re.MULTILINE), name


def test_gitignore_and_readme(made: Path) -> None:
    assert {".wharf/", "build/", ".venv/", "__pycache__/"} <= set((made / ".gitignore").read_text().splitlines())
    readme = (made / "README.md").read_text()
    for needed in ("wharf validate", "wharf run", 'wharf query "SELECT TOP 5 * FROM mart.fact_orders"',
                   "local.yaml", "docs/first-platform.md"):
        assert needed in readme, needed


def test_local_yaml_binds_nothing_yet(made: Path) -> None:
    text = (made / "local.yaml").read_text()
    data = yaml.safe_load(text)
    assert data == {"sources": None}  # `sources:` with only comments under it: no bindings
    # each kind of binding is there, commented out; uncommenting one gives a binding of that kind
    examples = [line for line in text.splitlines() if re.match(r"^#  \w+:\s+\{", line)]
    kinds = [next(iter(yaml.safe_load(line[1:].split("#")[0]).values())) for line in examples]
    assert [next(iter(k)) for k in kinds] == ["database", "folder", "fixtures"]
    uncommented = text.replace("\n#  shop:", "\n  shop:")
    assert yaml.safe_load(uncommented)["sources"] == {"shop": {"database": "sqlite:///data/shop.sqlite"}}
    assert re.search(r"^# generate: \{rows: \d+, seed: \d+, dirty_rate: [\d.]+\}", text, flags=re.MULTILINE)


# --- editor schemas -------------------------------------------------------------------------------------


def _validator(schema_file: Path) -> Draft202012Validator:
    folder = schema_file.parent
    registry: Registry = Registry().with_resources(
        (p.as_uri(), Resource.from_contents(json.loads(p.read_text()), default_specification=DRAFT202012))
        for p in folder.glob("*.schema.json"))
    return Draft202012Validator({"$ref": schema_file.as_uri()}, registry=registry)


def test_modelines_point_at_the_exported_schemas(made: Path) -> None:
    modelined = [*CATALOG_FILES, *(["local.yaml"] if "local.schema.json" in schema_files() else [])]
    for rel in modelined:
        path = made / rel
        first = path.read_text().splitlines()[0]
        match = MODELINE.match(first)
        assert match, f"{rel}: first line {first!r}"
        schema = (path.parent / match["path"]).resolve()
        assert schema.is_file(), f"{rel}: {match['path']} does not resolve"
        assert schema.parent == (made / ".schemas").resolve(), f"{rel}: points outside the project"
        assert schema.name == f"{_schema_of(rel)}.schema.json", rel
        data = yaml.safe_load(path.read_text())
        if data is not None:
            errors = list(_validator(schema).iter_errors(data))
            assert not errors, f"{rel}: {errors[0].message}"


def test_vscode_settings_map_each_schema_to_its_files(made: Path) -> None:
    mapping: dict[str, list[str]] = json.loads((made / ".vscode/settings.json").read_text())["yaml.schemas"]
    for schema, globs in mapping.items():
        assert (made / schema).is_file(), schema
        assert isinstance(globs, list) and globs
    yaml_files = [p.relative_to(made).as_posix() for p in made.rglob("*.yaml")
                  if not p.relative_to(made).as_posix().startswith((".", "templates/"))]
    for rel in yaml_files:
        if rel.startswith("Pulumi.") or rel == "policy/PulumiPolicy.yaml":  # Pulumi's own project files
            continue
        schemas = [s for s, globs in mapping.items() if any(fnmatch.fnmatchcase(rel, g) for g in globs)]
        assert schemas == [f"./.schemas/{_schema_of(rel)}.schema.json"], rel


# --- the result works -----------------------------------------------------------------------------------


def test_init_project_validates(made: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(made), "validate", "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    result = json.loads(out)
    assert result["valid"] is True
    assert result["platform"] == "acmeshop"
    assert {k: result["counts"][k] for k in ("sources", "entities", "datasets", "tables", "pipelines")} == {
        "sources": 1, "entities": 2, "datasets": 2, "tables": 2, "pipelines": 1}


def test_init_project_personal_columns_never_reach_analysts(made: Path) -> None:
    from lakewharf.model.types import Privacy
    from lakewharf.project import load_catalog

    catalog = load_catalog(made)
    customers = catalog.sources["shop"].entities["customers"]
    assert {c.name for c in customers.columns if c.privacy is Privacy.PERSONAL} == {"name", "email"}
    assert "analyst" in catalog.tables["dim_customer"].readers
    assert {c.name for c in catalog.tables["dim_customer"].columns}.isdisjoint({"name", "email"})


@pytest.mark.integration
def test_init_project_generates_and_passes_the_validators(made: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "build"
    assert main(["--project", str(made), "generate", "--out", str(out), "--check"]) == 0, capsys.readouterr().err
    assert (out / "adf/pipeline/pl_nightly.json").is_file()
    assert (out / "synapse/warehouse/tables/mart.fact_orders.sql").is_file()


def test_init_project_plans_offline(made: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(made), "plan", "--stack", "dev", "--json"]) == 0, capsys.readouterr().err
    plan = json.loads(capsys.readouterr().out)
    assert plan["outputs"]["resource_group"] == "rg-acmeshop-dev"


@pytest.mark.integration
def test_init_project_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    """`wharf run` on generated data for the unbound `shop` source, then rows in the fact table."""
    root = tmp_path / "runs"
    assert main(["init", str(root)]) == 0
    monkeypatch.setenv("WHARF_SAMPLE_SCALE", "0.2")
    capsys.readouterr()
    assert main(["--project", str(root), "run"]) == 0, capsys.readouterr()
    capsys.readouterr()
    assert main(["--project", str(root), "query", "SELECT COUNT(*) AS n FROM mart.fact_orders", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"][0]["n"] > 0
    assert main(["--project", str(root), "query", "SELECT TOP 5 * FROM mart.dim_customer", "--json"]) == 0
    rows: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["rows"]
    assert rows and all(r["email_hash"] is None or re.fullmatch(r"[0-9a-f]{64}", r["email_hash"]) for r in rows)


def test_init_is_deterministic(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path / "a"), "--name", "zqxalpha"]) == 0
    assert main(["init", str(tmp_path / "b"), "--name", "zqxalpha"]) == 0
    assert main(["init", str(tmp_path / "c"), "--name", "zqxbravo"]) == 0
    a, b, c = (_files(tmp_path / x) for x in "abc")
    assert a == b
    assert a.keys() == c.keys()
    assert {k: v.replace(b"zqxbravo", b"zqxalpha") for k, v in c.items()} == a


# --- what init refuses ----------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", ["notes.txt", ".hidden", "empty_folder/", ".git/"])
def test_non_empty_folder_is_refused_and_left_as_it_was(tmp_path: Path, entry: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    if entry.endswith("/"):
        (target / entry).mkdir()
    else:
        (target / entry).write_bytes(b"mine\n")
    before = _snapshot(target)
    code, out, err = _init(capsys, str(target))
    assert code == 1
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "not empty" in err, err
    assert _snapshot(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]


def test_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "plan.txt"
    target.write_bytes(b"x")
    code, _, err = _init(capsys, str(target))
    assert code == 1 and "not a folder" in err
    assert target.read_bytes() == b"x"


@pytest.mark.parametrize("name", ["Shop", "my-shop", "my_shop", "1shop", "s", "abcdefghijklm", ""])
def test_an_invalid_name_is_refused(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _init(capsys, str(tmp_path / "p"), "--name", name)
    assert code == 1
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "not a valid platform name" in err, err
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize(("folder", "name"), [("My-Shop", "myshop"), ("2026 data team", "datateam"),
                                              ("Café_Lyon", "cafelyon"), ("a_very_long_folder_name", "averylongfol")])
def test_the_name_comes_from_the_folder(tmp_path: Path, folder: str, name: str) -> None:
    assert init_module.derive_name(folder) == name
    assert main(["init", str(tmp_path / folder)]) == 0
    assert yaml.safe_load((tmp_path / folder / "catalog/platform.yaml").read_text())["name"] == name


def test_a_folder_name_without_a_platform_name_asks_for_one(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _init(capsys, str(tmp_path / "42"))
    assert code == 1 and "--name" in err
    assert not (tmp_path / "42").exists()
    code, _, err = _init(capsys, str(tmp_path / "42"), "--name", "answer")
    assert code == 0, err


def test_missing_templates_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(init_module, "templates_folder", lambda: tmp_path / "nowhere" / "templates")
    code, _, err = _init(capsys, str(tmp_path / "proj"))
    assert code == 1 and "templates" in err and "nowhere" in err
    assert not (tmp_path / "proj").exists()


@pytest.mark.parametrize("existing", [False, True])
def test_a_failed_write_leaves_nothing_behind(tmp_path: Path, existing: bool, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    real = init_module.project_files
    # the last file cannot be created (its parent is a file): every earlier one was written
    monkeypatch.setattr(init_module, "project_files", lambda name: {**real(name), "~clash": b"", "~clash/x": b""})
    target = tmp_path / "deep" / "er" / "proj"
    if existing:
        target.mkdir(parents=True)
    code, _, err = _init(capsys, str(target))
    assert code == 1 and "nothing was left behind" in err, err
    if existing:
        assert list(target.iterdir()) == []
    else:
        assert list(tmp_path.iterdir()) == []  # neither the project, its staging folder nor the parents made for it


def test_the_scaffold_ships_as_package_data() -> None:
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    globs = re.search(r'^lakewharf = \[(.*)\]', pyproject, flags=re.MULTILINE)
    assert globs
    patterns = [g.strip().strip('"') for g in globs[1].split(",")]
    scaffold = REPO_ROOT / "platform/lakewharf/scaffold"
    for path in (p for p in scaffold.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        rel = path.relative_to(REPO_ROOT / "platform/lakewharf").as_posix()
        # setuptools globs like glob.glob(recursive=True): `*` never matches a leading dot
        assert any(_setuptools_match(rel, p) for p in patterns), rel


def _setuptools_match(rel: str, pattern: str) -> bool:
    import glob

    root = REPO_ROOT / "platform/lakewharf"
    return rel in {Path(p).relative_to(root).as_posix()
                   for p in glob.glob(os.path.join(root, pattern), recursive=True)}
