"""The generate pipeline as a whole: determinism, atomic writes, manifest, diff, template errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lakewharf.cli.main import main
from lakewharf.errors import CatalogInvalid
from lakewharf.generate.artifact import Artifact
from lakewharf.generate.diff import compare_trees
from lakewharf.generate.generate_all import generate_all
from lakewharf.generate.writer import DuplicateArtifact, OutputRefused, write_tree
from lakewharf.project import load_catalog

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "project"
    dest.mkdir()
    for name in ("catalog", "templates"):
        shutil.copytree(ROOT / name, dest / name)
    shutil.copy(ROOT / "pipelines.yaml", dest / "pipelines.yaml")
    return dest


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def test_two_runs_are_byte_identical(project: Path, tmp_path: Path) -> None:
    assert main(["--project", str(project), "generate", "--out", str(tmp_path / "a")]) == 0
    assert main(["--project", str(project), "generate", "--out", str(tmp_path / "b")]) == 0
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) > 10
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    text = "".join((tmp_path / "a" / rel).read_text() for rel in files_a)
    assert str(project) not in text and str(tmp_path) not in text  # no absolute paths


def test_manifest_lists_every_artifact_with_hash_and_lineage(project: Path, tmp_path: Path) -> None:
    main(["--project", str(project), "generate", "--out", str(tmp_path / "b")])
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    listed = {e["path"] for e in manifest["artifacts"]}
    on_disk = {p.relative_to(tmp_path / "b").as_posix() for p in (tmp_path / "b").rglob("*") if p.is_file()}
    assert listed == on_disk - {"manifest.json"}
    prepare = next(e for e in manifest["artifacts"] if e["path"].endswith("prepare/customers_trusted.sql"))
    assert prepare["elements"] == ["dataset:customers_trusted"]
    assert {"from": "dataset:customers_clean.city", "to": "dataset:customers_trusted.city"} in prepare["lineage"]


def test_invalid_catalog_writes_nothing_and_keeps_the_old_tree(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "b"
    main(["--project", str(project), "generate", "--out", str(out)])
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    _edit(project / "catalog/datasets/orders_clean.yaml", "zone: development", "zone: developmnt")
    assert main(["--project", str(project), "generate", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "catalog/datasets/orders_clean.yaml:3:7: $.zone: unknown zone 'developmnt'" in err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_failed_write_leaves_the_previous_tree(tmp_path: Path) -> None:
    out = tmp_path / "b"
    write_tree(out, [Artifact("a.txt", b"one\n", ())])
    with pytest.raises(DuplicateArtifact):
        write_tree(out, [Artifact("a.txt", b"two\n", ()), Artifact("a.txt", b"three\n", ())])
    assert (out / "a.txt").read_bytes() == b"one\n"
    assert [p.name for p in tmp_path.iterdir()] == ["b"]  # no staging folders left behind


def test_generate_never_replaces_a_folder_it_did_not_write(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The tree replaces --out as a whole: `--out catalog` or `--out .` must not delete a user's files.
    catalog_before = {p: p.read_bytes() for p in (project / "catalog").rglob("*") if p.is_file()}
    for out in (project / "catalog", project):
        assert main(["--project", str(project), "generate", "--out", str(out)]) == 1
        assert "holds files that wharf did not generate" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in (project / "catalog").rglob("*") if p.is_file()} == catalog_before
    (tmp_path / "notes.txt").write_text("mine\n")
    assert main(["--project", str(project), "generate", "--out", str(tmp_path / "notes.txt")]) == 1
    assert "exists and is not a folder" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "mine\n"
    # An empty folder, and a tree generated before, are replaced.
    (tmp_path / "empty").mkdir()
    assert main(["--project", str(project), "generate", "--out", str(tmp_path / "empty")]) == 0
    assert main(["--project", str(project), "generate", "--out", str(tmp_path / "empty")]) == 0
    assert (tmp_path / "empty" / "manifest.json").is_file()
    assert sorted(p.name for p in project.iterdir()) == ["catalog", "pipelines.yaml", "templates"]


def test_an_unwritable_output_is_a_clear_error(project: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    # A file where a parent folder belongs fails for every user, root included (CI may run as root).
    (tmp_path / "notes.txt").write_text("mine\n")
    with pytest.raises(OutputRefused, match="cannot write into"):
        write_tree(tmp_path / "notes.txt" / "build", [Artifact("a.txt", b"one\n", ())])
    assert main(["--project", str(project), "generate", "--out", str(tmp_path / "notes.txt" / "build")]) == 1
    assert "nothing was written" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "project"]


def test_broken_template_is_a_located_error(project: Path) -> None:
    (project / "templates/prepare/cetas.sql.j2").write_text("{% for x in %}\n")
    with pytest.raises(CatalogInvalid) as err:
        generate_all(load_catalog(project))
    assert err.value.errors[0].file == "templates/prepare/cetas.sql.j2"
    assert "template syntax error" in err.value.errors[0].message


def test_missing_template_is_a_located_error(project: Path) -> None:
    (project / "templates/prepare/cetas.sql.j2").unlink()
    with pytest.raises(CatalogInvalid) as err:
        generate_all(load_catalog(project))
    assert err.value.errors[0].message == "template not found"


def test_diff_of_identical_trees_exits_zero(project: Path, tmp_path: Path) -> None:
    main(["--project", str(project), "generate", "--out", str(tmp_path / "b")])
    assert main(["--project", str(project), "diff", "--against", str(tmp_path / "b")]) == 0
    assert main(["--project", str(project), "diff", "--against", str(tmp_path / "b"), "--exit-code"]) == 0


def test_diff_shows_the_changed_sql_line_of_a_pipeline(project: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    # The CETAS text sits in one JSON string of the item's control file; the review must show the one line that
    # changed, whole (captured output is not a terminal: the plain diff, never cut at 80 columns).
    main(["--project", str(project), "generate", "--out", str(tmp_path / "b")])
    capsys.readouterr()
    _edit(project / "catalog/datasets/customer_features.yaml", "AS days_since_last_order,",
          "AS days_since_last_order_with_a_deliberately_long_name_that_runs_far_past_eighty_columns,")
    _edit(project / "catalog/datasets/customer_features.yaml", "  days_since_last_order: {type: int}",
          "  days_since_last_order_with_a_deliberately_long_name_that_runs_far_past_eighty_columns: {type: int}")
    _edit(project / "catalog/models/segmentation.yaml", "days_since_last_order, ", "")
    _edit(project / "catalog/models/churn.yaml", "  dataset: customer_features", "  dataset: churn_training")
    assert main(["--project", str(project), "diff", "--against", str(tmp_path / "b")]) == 0  # as git diff
    out = capsys.readouterr().out
    name = "days_since_last_order_with_a_deliberately_long_name_that_runs_far_past_eighty_columns"
    lines = out.splitlines()
    # The CETAS line, whole (its indent is the control file's nesting plus the SQL's own).
    assert any(line.startswith("+") and line.endswith(f") AS {name},") for line in lines)
    assert any(line.startswith("-") and line.endswith(") AS days_since_last_order,") for line in lines)
    assert any(line.strip().startswith('"""') for line in out.splitlines())  # the script, as lines
    assert not any(line.startswith("+") and "\\n" in line for line in out.splitlines())


def test_diff_flags_breaking_changes(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--project", str(project), "generate", "--out", str(tmp_path / "b")])
    capsys.readouterr()
    fact = project / "catalog/warehouse/fact_sales.yaml"
    _edit(fact, "  channel: {type: string(20)}\n", "")
    _edit(fact, "distribution: {hash: customer_id}", "distribution: {hash: product_id}")
    _edit(fact, "keys: [order_id, line_no]", "keys: [order_id]")
    _edit(fact, "  quantity: {type: int}", "  quantity: {type: smallint}")
    _edit(project / "catalog/datasets/sales_trusted.yaml", "  quantity: {type: int}", "  quantity: {type: smallint}")
    _edit(
        project / "catalog/warehouse/dim_customer_contact.yaml",
        "unmask: [crm_operator]",
        "unmask: [crm_operator, analyst]",
    )
    _edit(
        project / "catalog/platform.yaml",
        "  analyst:\n    kind: group\n    description: Reads the warehouse from BI tools.\n    clearance: none",
        "  analyst:\n    kind: group\n    description: Reads the warehouse from BI tools.\n    clearance: personal",
    )
    assert main(["--project", str(project), "diff", "--against", str(tmp_path / "b"), "--json", "--exit-code"]) == 1
    report = json.loads(capsys.readouterr().out)
    kinds = {(b["kind"], b["object"]) for b in report["breaking"]}
    assert ("dropped_column", "table:mart.fact_sales") in kinds
    assert ("rebuild", "table:mart.fact_sales") in kinds
    assert ("merge_keys", "table:mart.fact_sales") in kinds
    assert ("retyped_column", "table:mart.fact_sales") in kinds
    assert ("privacy_exposure", "table:crm.dim_customer_contact") in kinds
    assert any(c["path"] == "contract.json" and c["status"] == "changed" for c in report["changes"])


def test_widening_a_column_is_not_breaking() -> None:
    def tree(col_type: str) -> dict[str, bytes]:
        contract = {
            "tables": {
                "mart.t": {
                    "columns": {"c": {"type": col_type, "nullable": True}},
                    "distribution": "replicate",
                    "index": "heap",
                    "partition": None,
                    "load": {"mode": "append", "keys": [], "tracked": []},
                }
            },
            "exposures": [],
        }
        return {"contract.json": json.dumps(contract).encode()}

    assert compare_trees(tree("int"), tree("bigint")).breaking == []
    assert [b.kind for b in compare_trees(tree("bigint"), tree("int")).breaking] == ["retyped_column"]
