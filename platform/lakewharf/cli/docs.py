"""``wharf docs [--out DIR] [--serve [--port N]]``: a static docs and lineage site.

Written from the catalog, the generated files in build/ (links, when ``wharf generate`` has run)
and the last local run's report (row counts and statuses, when ``wharf run --report`` wrote one).
The site needs no server: open index.html from disk; ``--serve`` is only a convenience.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lakewharf.cli.command_catalog import command_catalog
from lakewharf.cli.output import console


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=None, metavar="DIR", help="output folder (default: build/docs)")
    parser.add_argument("--build", type=Path, default=None, metavar="DIR",
                        help="the generated tree to link to (default: build/)")
    parser.add_argument("--report", type=Path, default=None, metavar="FILE",
                        help="a `wharf run --report` file (default: build/run-report.json, when present)")
    parser.add_argument("--serve", action="store_true", help="then serve the site on 127.0.0.1 until Ctrl-C")
    parser.add_argument("--port", type=int, default=8000, metavar="N", help="port for --serve (default: 8000)")


EXAMPLES = """\
  wharf docs                          # write build/docs; open build/docs/index.html in a browser
  wharf docs --report build/run-report.json   # with the rows and statuses of a local run
  wharf docs --out /tmp/site --serve --port 8080                            # and serve it on 127.0.0.1:8080
"""


def run(args: argparse.Namespace) -> int:
    from lakewharf.docs_site.facts import read_report
    from lakewharf.docs_site.render import DocsRefused, render_site

    started = time.perf_counter()
    catalog = command_catalog(getattr(args, "project", None))
    build: Path = args.build if args.build is not None else catalog.root / "build"
    out: Path = args.out if args.out is not None else build / "docs"
    report_path: Path = args.report if args.report is not None else build / "run-report.json"
    if args.report is not None and not args.report.is_file():
        raise DocsRefused(f"--report {args.report}: no such file", "write one with wharf run --report FILE")
    report = read_report(report_path)
    if args.report is not None and report is None:
        raise DocsRefused(f"--report {args.report} is not a wharf run report (JSON object)")
    if not 0 < args.port < 65536:
        raise DocsRefused(f"--port {args.port}: not a TCP port", "give 1-65535")
    summary = render_site(catalog, build, out.resolve(), report)
    seconds = time.perf_counter() - started
    console().print(f"wrote {summary.pages} pages, a lineage graph of {summary.graph_nodes} nodes and "
                    f"{summary.graph_edges} edges into {out} in {seconds:.2f} s; open {out / 'index.html'}",
                    markup=False, highlight=False)
    if args.serve:
        return _serve(out, args.port)
    return 0


def _serve(folder: Path, port: int) -> int:
    import functools
    import http.server

    from lakewharf.docs_site.render import DocsRefused

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise DocsRefused(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}", "choose another --port") from None
    console().print(f"serving http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)", markup=False,
                    highlight=False)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass  # Ctrl-C is how one stops a server: a quiet, successful end
    finally:
        server.server_close()
    return 0
