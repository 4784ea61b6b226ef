"""The docs site in a real browser: headless Chromium (Debian's ``chromium``, which ``make test``
installs where it is missing and it can) opens index.html from disk, lays out the lineage graph
and writes the ids of the nodes it placed into the DOM; they must be every catalog element.

A screenshot of each site is saved as a test artifact (the path is printed; CI keeps
``build/test-artifacts/`` when it is asked to)."""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest
from tests.conftest import REPO_ROOT, Project

from lakewharf.cli.main import main
from lakewharf.docs_site.render import page_file, render_site
from lakewharf.model.catalog import Catalog

ARTIFACTS = Path(REPO_ROOT / ".wharf" / "test-artifacts")  # .wharf/ is local state, ignored by git


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None)
    if found is None:
        pytest.skip("no chromium on this machine: `make test` installs Debian's chromium with apt-get when run as "
                    "root on Debian; elsewhere install it to run this test")
    return found


def _browse(chromium: str, page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    # --no-sandbox: Chromium refuses to start as root with its sandbox (CI runs as root);
    # --virtual-time-budget lets the page's scripts and layout finish before the DOM is dumped.
    return subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           f"--user-data-dir={profile}", "--window-size=1600,1000", "--virtual-time-budget=15000",
                           *extra, page.as_uri()], capture_output=True, text=True, timeout=180, check=False)


def elements_of(catalog: Catalog) -> set[str]:
    """What the graph must show, from the catalog itself (not from the graph's own data)."""
    return ({f"source:{s}" for s in catalog.sources} | {f"zone:{z}" for z in catalog.platform.zones}
            | {f"entity:{e.ref}" for s in catalog.sources.values() for e in s.entities.values()}
            | {f"dataset:{d}" for d in catalog.datasets} | {f"model:{m}" for m in catalog.models}
            | {f"table:{t}" for t in catalog.tables}
            | ({"group:ml"} if catalog.models else set()) | ({"group:warehouse"} if catalog.tables else set()))


def rendered_nodes(chromium: str, page: Path, profile: Path) -> set[str]:
    done = _browse(chromium, page, profile, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'data-graph="ready"' in done.stdout, "the graph script did not finish: " + done.stderr[-2000:]
    found = re.search(r'<pre id="graph-rendered">(.*?)</pre>', done.stdout, re.S)
    assert found, "no #graph-rendered in the DOM"
    return {unescape(line) for line in found.group(1).split("\n") if line}


def screenshot(chromium: str, page: Path, profile: Path, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / f"{name}.png"
    done = _browse(chromium, page, profile, f"--screenshot={target}")
    assert done.returncode == 0 and target.is_file(), done.stderr[-2000:]
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a drawn graph, not a blank page
    print(f"screenshot: {target}")
    return target


def test_sample_site_renders_every_element(chromium: str, sample_root: Path, tmp_path: Path) -> None:
    from lakewharf.project import load_catalog

    catalog = load_catalog(sample_root)
    out = tmp_path / "site"
    render_site(catalog, sample_root / "build", out, None)
    assert rendered_nodes(chromium, out / "index.html", tmp_path / "profile") == elements_of(catalog)
    screenshot(chromium, out / "index.html", tmp_path / "profile", "docs-sample-index")
    # A page's own graph shows the element and its whole upstream and downstream.
    page_nodes = rendered_nodes(chromium, out / page_file("dataset:customers_clean"), tmp_path / "profile")
    assert {"entity:crm.customers", "dataset:customers_clean", "dataset:customers_trusted",
            "table:dim_customer", "model:churn"} <= page_nodes
    assert "entity:clickstream.page_views" not in page_nodes  # not on this dataset's path


def test_a_new_project_site_renders_every_element(chromium: str, tmp_path: Path) -> None:
    root = tmp_path / "mine"
    assert main(["init", str(root), "--name", "mine"]) == 0
    from lakewharf.project import load_catalog

    catalog = load_catalog(root)
    assert main(["--project", str(root), "docs"]) == 0
    index = root / "build/docs/index.html"
    assert rendered_nodes(chromium, index, tmp_path / "profile") == elements_of(catalog)
    screenshot(chromium, index, tmp_path / "profile", "docs-init-index")


def test_a_changed_sample_still_renders_every_element(chromium: str, project: Project, tmp_path: Path) -> None:
    """A catalog that is not the sample's: a table removed, a name with characters HTML escapes."""
    (project.root / "catalog/warehouse/related_products.yaml").unlink()
    step = "      load_related_products: {load: related_products, after: [score_recommender]}\n"
    project.replace("pipelines.yaml", step, "")
    project.replace("catalog/platform.yaml", "description: Data platform of a mid-size online retailer (CRM, "
                    "orders, products, web clickstream).", "description: 'R&D <lake> \"quoted\"'")
    catalog = project.load()
    out = tmp_path / "site"
    render_site(catalog, project.root / "build", out, None)
    assert rendered_nodes(chromium, out / "index.html", tmp_path / "profile") == elements_of(catalog)


def test_a_hundred_table_catalog_renders_every_element(chromium: str, tmp_path: Path) -> None:
    """bench/scale_catalog.py's synthetic 100-table project: every element still laid out."""
    import importlib.util

    from lakewharf.project import load_catalog

    spec = importlib.util.spec_from_file_location("scale_catalog", REPO_ROOT / "bench" / "scale_catalog.py")
    assert spec and spec.loader
    scale_catalog = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scale_catalog)

    root = scale_catalog.write(100, tmp_path / "scale")
    catalog = load_catalog(root)
    assert len(catalog.tables) >= 100
    out = tmp_path / "site"
    render_site(catalog, root / "build", out, None)
    assert rendered_nodes(chromium, out / "index.html", tmp_path / "profile") == elements_of(catalog)
    screenshot(chromium, out / "index.html", tmp_path / "profile", "docs-scale-100-index")
