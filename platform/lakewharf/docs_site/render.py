"""Render the docs site: Jinja2 templates (autoescaped: catalog text is user input) into a folder
that works opened from disk, with the graph renderer vendored beside it.

The site is written to a sibling staging folder and swapped into place, as ``build/`` is; only an
absent or empty folder, or a site this module wrote before (it holds ``DOCS_MARKER``), is replaced.
Same catalog, build/ and report in → same bytes out: nothing depends on the time or the machine.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lakewharf.docs_site.facts import KIND_TITLES, Page, collect
from lakewharf.docs_site.graph import lineage_elements
from lakewharf.errors import WharfError
from lakewharf.generate.writer import DOCS_MARKER, swap_in
from lakewharf.model.catalog import Catalog
from lakewharf.model.column_lineage import column_lineage

STATIC = ("cytoscape.min.js", "cytoscape-dagre.min.js", "site.js", "site.css",
          "LICENSE-cytoscape.txt", "LICENSE-cytoscape-dagre.txt", "LICENSE-dagre.txt")
SECTIONS = (("source", "Sources"), ("entity", "Source entities"), ("zone", "Lake zones"), ("dataset", "Datasets"),
            ("model", "Models"), ("table", "Warehouse tables"), ("pipeline", "Pipelines"))
_PROTECTING = ("hash", "redact", "drop", "masking", "declared not personal")


class DocsRefused(WharfError):
    """The output folder must not be replaced by the site; nothing was changed."""


@dataclass(frozen=True)
class SiteSummary:
    out: Path
    pages: int
    graph_nodes: int
    graph_edges: int
    files: int


def page_file(element_id: str) -> str:
    """``dataset:orders_clean`` → ``dataset/orders_clean.html``; any character outside a plain
    file name is spelled ``~hex~`` so every element gets its own file on every file system."""
    kind, _, name = element_id.partition(":")
    safe = re.sub(r"[^A-Za-z0-9_.-]", lambda m: f"~{ord(m.group()):x}~", name)
    return f"{kind}/{safe}.html"


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("lakewharf.docs_site", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True)
    return env


def _script_json(data: Any) -> str:
    """JSON safe inside a <script>: '<', '>' and '&' escaped, so catalog text cannot close the tag."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_site(catalog: Catalog, build: Path, out: Path, report: dict[str, Any] | None) -> SiteSummary:
    pages = collect(catalog, build, report)
    hrefs = {p.id: page_file(p.id) for p in pages}
    elements = lineage_elements(catalog, column_lineage(catalog), hrefs)
    env = _environment()
    files: dict[str, bytes] = {}
    common = {"platform": catalog.platform.name, "graph": True}
    personal = {e["data"]["id"] for e in elements if "personal" in e["data"]}
    for page in pages:
        for c in page.columns:
            for x in c["upstream"] + c["downstream"]:
                x["protect"] = any(word in x["how"] for word in _PROTECTING)
    sections = [(kind, title, [{"id": p.id, "name": p.name, "personal": p.id in personal}
                               for p in pages if p.kind == kind]) for kind, title in SECTIONS]
    files["index.html"] = env.get_template("index.html.j2").render(
        **common, title="lineage", root="", hrefs=hrefs, sections=sections, description=catalog.platform.description,
        has_build=(build / "manifest.json").is_file(), has_report=report is not None, run=report).encode()
    element = env.get_template("element.html.j2")
    for page in pages:
        rel = hrefs[page.id]
        to_build = Path(os.path.relpath(build, out / Path(rel).parent)).as_posix()  # once per page, not per link
        links = [(a, f"{to_build}/{a}") for a in page.artifacts]
        files[rel] = element.render(**common, title=page.name, root="../", hrefs=hrefs, page=page,
                                    kind_title=KIND_TITLES[page.kind], artifacts=links).encode()
    files["lineage-data.js"] = ("// The lineage graph of wharf docs, as Cytoscape.js elements (a script, so\n"
                                "// the site works from disk without a server).\n"
                                f"window.WHARF_LINEAGE = {_script_json({'elements': elements})};\n").encode()
    static = resources.files("lakewharf.docs_site") / "static"
    for name in STATIC:
        files[f"static/{name}"] = (static / name).read_bytes()
    files[DOCS_MARKER] = ("wharf docs wrote this folder and replaces it as a whole on the next run.\n"
                          + "".join(f"{name}\n" for name in sorted(files))).encode()
    _write(out, files)
    nodes = sum(1 for e in elements if "source" not in e["data"])
    return SiteSummary(out, len(pages), nodes, len(elements) - nodes, len(files))


def _check_replaceable(out: Path) -> None:
    if not out.exists():
        return
    if not out.is_dir():
        raise DocsRefused(f"{out} exists and is not a folder", "choose another --out")
    if any(out.iterdir()) and not (out / DOCS_MARKER).is_file():
        raise DocsRefused(f"{out} holds files that wharf docs did not write (no {DOCS_MARKER}); the site replaces "
                          "its folder as a whole", "choose a new or empty folder with --out")


def _write(out: Path, files: dict[str, bytes]) -> None:
    _check_replaceable(out)
    swap_in(out, sorted(files.items()), DocsRefused)


__all__ = ["DocsRefused", "Page", "SiteSummary", "page_file", "render_site"]
