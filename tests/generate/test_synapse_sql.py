"""Every generated Synapse file parses with sqlfluff's tsql dialect (lakewharf.verify.tsql).

Integration: parsing the sample's ~50 files takes a few seconds.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from lakewharf.generate.synapse import copy_into_sql, generate
from lakewharf.generate.templates import template_environment
from lakewharf.generate.writer import write_tree
from lakewharf.model.catalog import Catalog
from lakewharf.project import load_catalog
from lakewharf.verify.tsql import check_sql_text, check_sql_tree

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
_EXEC = re.compile(r"EXEC\(N'((?:[^']|'')*)'\);")
# The one Synapse clause sqlfluff 4.5 cannot parse; table.sql.j2 runs partitioned CREATE TABLEs
# through EXEC, and this test parses them without it.
_PARTITION = re.compile(r",\s*PARTITION \(\[\w+\] RANGE (?:LEFT|RIGHT) FOR VALUES \([^()]*\)\)")


def _write(catalog: Catalog, out: Path) -> Path:
    write_tree(out, generate(catalog, template_environment(catalog.root)))
    return out / "synapse"


def _check_dynamic_ddl(tree: Path) -> tuple[int, list[str]]:
    """Parse the CREATE TABLE statements that run through EXEC (partitioned tables)."""
    count, problems = 0, []
    for path in sorted((tree / "warehouse" / "tables").glob("*.sql")):
        for body in _EXEC.findall(path.read_text(encoding="utf-8")):
            ddl = body.replace("''", "'")
            if not ddl.startswith("CREATE TABLE"):
                continue
            assert "PARTITION" not in ddl or _PARTITION.search(ddl), f"{path.name}: unexpected PARTITION form"
            count += 1
            problems += [f"{path.name}: {m}" for m in check_sql_text(_PARTITION.sub("", ddl) + ";\n")]
    return count, problems


def test_every_file_of_the_sample_parses(tmp_path: Path) -> None:
    tree = _write(load_catalog(ROOT), tmp_path / "build")
    assert len(list(tree.rglob("*.sql"))) > 40
    assert [str(p) for p in check_sql_tree(tree)] == []
    assert _check_dynamic_ddl(tree) == (1, [])  # fact_sales
    assert "PARTITION ([order_date] RANGE RIGHT" in (tree / "warehouse/tables/mart.fact_sales.sql").read_text()


def test_other_table_shapes_parse(tmp_path: Path) -> None:
    """Append loads, ROUND_ROBIN + clustered index, RANGE LEFT partitions, long strings in a heap."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("catalog", "templates"):
        shutil.copytree(ROOT / name, project / name)
    shutil.copy(ROOT / "pipelines.yaml", project / "pipelines.yaml")

    def edit(rel: str, old: str, new: str) -> None:
        path = project / rel
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, old
        path.write_text(text.replace(old, new), encoding="utf-8")

    edit("catalog/warehouse/predicted_ratings.yaml", "load: {mode: merge, keys: [customer_id, product_id]}",
         "load: {mode: append}")
    edit("catalog/warehouse/dim_date.yaml", "distribution: replicate\nindex: clustered_columnstore",
         "distribution: round_robin\nindex: {clustered: [date_key]}\n"
         "partition: {column: date_key, boundaries: [20240101, 20250101], range: left}")
    edit("catalog/warehouse/dim_product.yaml", "index: clustered_columnstore", "index: heap")
    catalog = load_catalog(project)
    tree = _write(catalog, tmp_path / "build")
    dim_date = (tree / "warehouse/tables/mart.dim_date.sql").read_text()
    assert "CLUSTERED INDEX ([date_key])" in dim_date and "RANGE LEFT FOR VALUES (20240101, 20250101)" in dim_date
    assert [str(p) for p in check_sql_tree(tree)] == []
    assert _check_dynamic_ddl(tree) == (2, [])  # fact_sales, dim_date


def test_why_the_lake_placeholder_is_a_host_name() -> None:
    """sqlfluff checks COPY INTO locations against the storage URL shape: Data Factory
    interpolation in the host makes the statement unparsable, the placeholder host does not."""
    catalog = load_catalog(ROOT)
    assert check_sql_text(copy_into_sql(catalog, "dim_customer")) == []
    adf = copy_into_sql(catalog, "dim_customer", "https://@{pipeline().globalParameters.lake_storage_account}"
                                                 ".dfs.core.windows.net")
    assert any("unparsable" in m for m in check_sql_text(adf))
