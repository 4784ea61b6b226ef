"""``wharf docs`` without a browser: pages, escaping, determinism, artifact links, the run report,
the refusal to replace a folder it did not write, and ``--serve``."""

from __future__ import annotations

import filecmp
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from tests.conftest import REPO_ROOT, Project

from lakewharf.cli.main import main
from lakewharf.docs_site.render import STATIC, DocsRefused, page_file, render_site
from lakewharf.generate.generate_all import generate_all
from lakewharf.generate.writer import DOCS_MARKER, write_tree

WHARF = [sys.executable, "-m", "lakewharf.cli.main"]


def _with_templates(project: Project) -> Project:
    """``wharf generate`` reads the project's templates/, which the plain sample copy leaves out."""
    shutil.copytree(REPO_ROOT / "templates", project.root / "templates", ignore=shutil.ignore_patterns("__pycache__"))
    return project


def _lineage(out: Path) -> list[dict]:
    text = (out / "lineage-data.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("= ") + 2:].rstrip().rstrip(";"))["elements"]


def test_one_page_per_element_with_columns_privacy_and_lineage(project: Project, tmp_path: Path) -> None:
    catalog = project.load()
    out = tmp_path / "site"
    summary = render_site(catalog, project.root / "build", out, None)
    expected = ({f"source:{s}" for s in catalog.sources} | {f"zone:{z}" for z in catalog.platform.zones}
                | {f"entity:{e.ref}" for s in catalog.sources.values() for e in s.entities.values()}
                | {f"dataset:{d}" for d in catalog.datasets} | {f"model:{m}" for m in catalog.models}
                | {f"table:{t}" for t in catalog.tables} | {f"pipeline:{p}" for p in catalog.pipelines})
    assert summary.pages == len(expected)
    for element in expected:
        assert (out / page_file(element)).is_file(), element
    page = (out / "dataset/customers_clean.html").read_text(encoding="utf-8")
    # The hash of the email and the drops of the mask step, each shown where it happens.
    assert re.search(r"crm\.customers</a>\.email <span class=\"protect\">\(hash\)", page)
    assert "crm.customers</a>.phone <span class=\"protect\">(mask: drop)" in page
    table = (out / "table/dim_customer_contact.html").read_text(encoding="utf-8")
    assert "email()" in table and "readers (clearance)" in table
    assert 'class="personal"' in table
    # Personal data flowing and protected, on the graph's edges.
    edges = {e["data"]["id"]: e["data"] for e in _lineage(out) if "source" in e["data"]}
    assert "email: hash" in edges["entity:crm.customers->dataset:customers_clean"]["protects"]
    assert "email" in edges["dataset:customer_contacts->table:dim_customer_contact"].get("protects", [""])[0]
    assert edges["entity:crm.customers->dataset:customer_contacts"]["carries"]


def test_catalog_text_is_escaped_everywhere(project: Project, tmp_path: Path) -> None:
    evil = '</script><script>alert(1)</script><img src=x onerror=alert(2)>&'
    project.replace("catalog/platform.yaml", "description: Data platform of a mid-size online retailer (CRM, "
                    "orders, products, web clickstream).", f"description: '{evil}'")
    project.replace("catalog/warehouse/dim_customer.yaml",
                    "description: One row per customer; the email is a salted hash, usable as a join key but not "
                    "readable.", f"description: '{evil}'")
    out = tmp_path / "site"
    render_site(project.load(), project.root / "build", out, None)
    for path in out.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "<script>alert" not in text and "<img src=x" not in text, path
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in (out / "table/dim_customer.html").read_text(encoding="utf-8")
    assert "</script>" not in (out / "lineage-data.js").read_text(encoding="utf-8")


def test_same_inputs_same_bytes_with_links_and_the_run_report(project: Project, tmp_path: Path) -> None:
    catalog = _with_templates(project).load()
    build = project.root / "build"
    write_tree(build, generate_all(catalog))
    report = {"succeeded": True, "seconds": 1.5, "failure": "", "pipelines": [
        {"pipeline": "nightly", "run_id": "r", "status": "Succeeded", "seconds": 1.0, "error": ""}],
        "activities": [{"pipeline": "nightly", "activity": "customers/cetas", "type": "Script",
                        "status": "Succeeded", "rows_read": None, "rows_written": 1982, "rows_rejected": 18}],
        "warehouse_tables": {"mart.dim_customer": 1982}}
    one, two = tmp_path / "one", tmp_path / "two"
    render_site(catalog, build, one, report)
    render_site(catalog, build, two, report)
    match, mismatch, errors = filecmp.cmpfiles(one, two, [p.relative_to(one).as_posix() for p in one.rglob("*")
                                                          if p.is_file()], shallow=False)
    assert (mismatch, errors) == ([], []) and match
    page = (one / "dataset/customers_clean.html").read_text(encoding="utf-8")
    link = re.search(r'href="([^"]*synapse/serverless/prepare/customers_clean\.sql)"', page)
    assert link and (one / "dataset" / link.group(1)).resolve().is_file()
    assert "<td>1982</td><td>18</td>" in page
    assert "1,982" in (one / "table/dim_customer.html").read_text(encoding="utf-8")


def test_the_vendored_renderer_is_the_npm_package_with_its_licences() -> None:
    static = REPO_ROOT / "platform/lakewharf/docs_site/static"
    assert all((static / name).is_file() for name in STATIC)
    modules = REPO_ROOT / "node_modules"
    pairs = {"cytoscape.min.js": "cytoscape/dist/cytoscape.min.js",
             "cytoscape-dagre.min.js": "cytoscape-dagre/dist/cytoscape-dagre.min.js",
             "LICENSE-cytoscape.txt": "cytoscape/LICENSE", "LICENSE-cytoscape-dagre.txt": "cytoscape-dagre/LICENSE",
             "LICENSE-dagre.txt": "@dagrejs/dagre/LICENSE"}
    wanted = json.loads((REPO_ROOT / "package.json").read_text())["devDependencies"]
    for package in ("cytoscape", "cytoscape-dagre", "@dagrejs/dagre"):
        assert package in wanted
        if (modules / package / "package.json").is_file():
            assert json.loads((modules / package / "package.json").read_text())["version"] == wanted[package]
    present = {k: v for k, v in pairs.items() if (modules / v).is_file()}
    if not present:
        pytest.skip("node_modules has no cytoscape: `npm install` fetches it to compare the vendored copy")
    for vendored, original in present.items():
        assert (static / vendored).read_bytes() == (modules / original).read_bytes(), vendored


def test_refuses_a_folder_it_did_not_write(project: Project, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(DocsRefused, match="did not write"):
        render_site(project.load(), project.root / "build", mine, None)
    assert (mine / "notes.txt").read_text() == "keep me" and len(list(mine.iterdir())) == 1
    assert main(["--project", str(project.root), "docs", "--out", str(mine)]) == 1


def test_docs_before_generate_leaves_build_to_generate(project: Project) -> None:
    _with_templates(project)
    assert main(["--project", str(project.root), "docs"]) == 0
    assert (project.root / "build/docs" / DOCS_MARKER).is_file()
    assert main(["--project", str(project.root), "generate"]) == 0  # build/ holding only the site is replaceable
    assert (project.root / "build/manifest.json").is_file()
    assert main(["--project", str(project.root), "docs"]) == 0  # and a second site replaces the first
    assert (project.root / "build/docs/index.html").is_file()


def test_bad_report_and_port_are_user_errors(project: Project, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "report.json"
    bad.write_text("[1, 2]")
    assert main(["--project", str(project.root), "docs", "--report", str(bad)]) == 1
    assert main(["--project", str(project.root), "docs", "--report", str(tmp_path / "absent.json")]) == 1
    assert main(["--project", str(project.root), "docs", "--port", "70000"]) == 1
    assert "Traceback" not in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_on_localhost_and_ctrl_c_ends_quietly(project: Project) -> None:
    port = _free_port()
    process = subprocess.Popen([*WHARF, "--project", str(project.root), "docs", "--serve", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={"PYTHONPATH": str(REPO_ROOT / "platform"), "PATH": "/usr/bin:/bin"},
                               # A background job (nohup, `cmd &` in a script, some CI runners) inherits
                               # SIGINT ignored, and Python then never raises KeyboardInterrupt: give the
                               # server the default disposition, as a terminal's Ctrl-C would find it.
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        body = b""
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=2) as answer:
                    body = answer.read()
                break
            except OSError:
                time.sleep(0.2)
        assert b"lineage-data.js" in body
    finally:
        process.send_signal(signal.SIGINT)
        try:
            out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()  # never leave a server behind
            process.communicate()
            raise
    assert process.returncode == 0, err
    assert "Traceback" not in err and f"127.0.0.1:{port}" in out


def test_templates_and_vendored_files_ship_as_package_data() -> None:
    import glob
    import os

    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    found = re.search(r"^lakewharf = \[(.*)\]", pyproject, flags=re.MULTILINE)
    assert found
    root = REPO_ROOT / "platform/lakewharf"
    shipped = {Path(p).relative_to(root).as_posix() for g in found[1].split(",")
               for p in glob.glob(os.path.join(root, g.strip().strip('"')), recursive=True)}
    for folder in ("docs_site/static", "docs_site/templates"):
        for path in (root / folder).iterdir():
            assert path.relative_to(root).as_posix() in shipped, path
