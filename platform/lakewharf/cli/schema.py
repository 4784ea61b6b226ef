"""``wharf schema --out DIR``: export the JSON Schemas so editors can check catalog files."""

from __future__ import annotations

import argparse
from pathlib import Path

from lakewharf.catalog.schema import schema_files
from lakewharf.cli.output import console


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write the schemas to")


EXAMPLES = """\
  wharf schema --out .schemas         # the JSON Schemas the catalog files' modelines point at
"""


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    if out.exists() and not out.is_dir():
        console(stderr=True).print(f"wharf schema: {out} exists and is not a folder", markup=False)
        return 1
    files = schema_files()
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (out / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        console(stderr=True).print(f"wharf schema: cannot write to {out}: {exc.strerror or exc}", markup=False)
        return 1
    console().print(f"wrote {len(files)} schemas to {out}", markup=False)
    console().print("point a catalog file at one with a first line like:\n"
                    f"  # yaml-language-server: $schema={out.as_posix()}/source.schema.json", markup=False)
    return 0
