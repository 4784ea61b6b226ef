"""Preparations → Synapse serverless CETAS scripts (``synapse/serverless/prepare/<dataset>.sql``),
and for a dataset with tests its audit (``synapse/serverless/audit/<dataset>.sql``, see
``synapse.dataset_audits``).

The Data Factory Script activity of a ``prepare`` step runs exactly these batches (see
``prepare_batches``), so the reviewed file and the deployed pipeline cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from lakewharf.generate.artifact import Artifact, text_artifact
from lakewharf.model import lake, naming
from lakewharf.model.catalog import Catalog, Dataset

if TYPE_CHECKING:  # jinja2 loads where templates render: validate builds documents without it
    from jinja2 import Environment


@dataclass(frozen=True)
class _Target:
    name: str  # schema.table of the external table
    location: str  # folder in the zone's filesystem
    select: str


def script_path(dataset: str) -> str:
    return f"synapse/serverless/prepare/{dataset}.sql"


def rejects_table(dataset: Dataset, label: str) -> str:
    return naming.serverless_table_name(dataset.zone, f"{dataset.name}__rejects_{label}")


def render_script(catalog: Catalog, dataset: Dataset, templates: Environment) -> str:
    # sqlglot (~0.2 s to import) only when scripts are rendered: validate's limit check imports this module
    from lakewharf.generate.preparation_render import render_all
    from lakewharf.generate.preparation_sql import compile_preparation

    compiled = compile_preparation(catalog, dataset)
    select, rejects = render_all(compiled, "tsql")
    targets = [_Target(naming.serverless_table_name(dataset.zone, dataset.name), lake.dataset_folder(dataset.name),
                       select)]
    targets += [_Target(rejects_table(dataset, label), f"{lake.rejects_folder(dataset.name)}/{label}", sql)
                for label, sql in rejects]
    return templates.get_template("prepare/cetas.sql.j2").render(
        dataset=dataset, inputs=", ".join(dataset.inputs), folder=lake.dataset_folder(dataset.name),
        tables=targets, data_source=naming.external_data_source_name(dataset.zone),
        file_format=naming.PARQUET_FILE_FORMAT, uses_salt=compiled.uses_salt, salt=naming.SALT_PARAMETER,
        salt_secret=catalog.platform.hash_salt_secret or "",
    )


def split_batches(script: str) -> list[str]:
    """T-SQL batches of a script: ``GO`` is a client-side separator, not T-SQL, so Data Factory
    gets one script entry per batch. A line holding only ``GO`` (any case, blanks around) ends a
    batch; a batch of only comments is dropped, and so is a last one of comments and blank lines."""
    if any(blank in script for blank in _OTHER_BLANK_CHARS):  # one fast search each: faster than a class
        return _split_by_lines(script)
    # Line breaks are "\n" only and the blanks a line can strip are spaces and tabs (and no other
    # letter upper-cases to G or O): the GO lines are found by one search instead of a Python step
    # per line (220,000 at 1,000 tables). Each match starts at the line break before its line
    # (a literal, which the search skips to), so the text gets one in front.
    batches, start = [], 0
    for go in _GO_LINE.finditer("\n" + script):
        _keep(batches, script[start:go.start()], blank_lines=False)
        start = go.end()  # past the line break after GO, in the script (one before, in the search)
    _keep(batches, script[start:], blank_lines=True)
    return batches


_GO_LINE = re.compile(r"\n[ \t]*[Gg][Oo][ \t]*(?=\n|\Z)")
# What str.splitlines breaks at, or str.strip strips (str.isspace), besides "\n", " " and "\t".
_OTHER_BLANK_CHARS = "\r\v\f\x1c\x1d\x1e\x1f\x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + \
    "\u2028\u2029\u202f\u205f\u3000"


def _keep(batches: list[str], text: str, *, blank_lines: bool) -> None:
    text = text.strip()
    if text and not all(ln.lstrip().startswith("--") or (blank_lines and not ln.strip()) for ln in text.splitlines()):
        batches.append(text)


def _split_by_lines(script: str) -> list[str]:
    batches: list[str] = []
    current: list[str] = []
    for line in script.splitlines():
        if line.strip().upper() == "GO":
            _keep(batches, "\n".join(current), blank_lines=False)
            current = []
        else:
            current.append(line)
    _keep(batches, "\n".join(current), blank_lines=True)
    return batches


def uses_salt(catalog: Catalog, dataset: Dataset) -> bool:
    """Whether the dataset's script hashes a column with the salt (``compile_preparation(...).uses_salt``)
    without compiling it: for a valid catalog every masked column exists at its step, so a
    declarative preparation uses the salt exactly when one of its ``mask`` steps hashes. Compiling
    a thousand preparations only to learn this cost validate 5 s (checked in tests/generate/test_scale.py)."""
    del catalog  # the same signature as before; the answer depends on the dataset alone
    from lakewharf.model.steps.mask import Mask

    return dataset.sql is None and any(isinstance(step, Mask) and "hash" in step.methods.values()
                                       for step in dataset.steps)


def _lineage(catalog: Catalog, dataset: Dataset) -> tuple[tuple[str, str], ...]:
    """Column lineage by name: an output column comes from the same-named input column."""
    pairs = []
    for ref in dataset.inputs:
        node = f"entity:{ref}" if "." in ref else f"dataset:{ref}"
        names = {c.name for c in catalog.columns_of(ref) or ()}
        pairs += [(f"{node}.{c.name}", f"dataset:{dataset.name}.{c.name}") for c in dataset.columns if c.name in names]
    return tuple(pairs)


def generate(catalog: Catalog, templates: Environment) -> list[Artifact]:
    from lakewharf.generate.parallel import render_each

    datasets = sorted(catalog.datasets.values(), key=lambda d: d.name)
    # The SQL of a thousand preparations is most of generate's time: rendered on every core.
    scripts = render_each(partial(render_script, catalog, templates=templates), datasets)
    from lakewharf.generate.synapse.dataset_audits import RECORD_SCRIPT, audit_path, audit_select, record_script

    out = [
        text_artifact(script_path(ds.name), script, (f"dataset:{ds.name}",), _lineage(catalog, ds))
        for ds, script in zip(datasets, scripts, strict=True)
    ]
    audits = [(ds, audit_select(catalog, ds)) for ds in datasets]
    out += [text_artifact(audit_path(ds.name), sql, (f"dataset:{ds.name}",)) for ds, sql in audits if sql]
    if any(sql for _, sql in audits):  # the dataset audits' results go to the warehouse through this
        out.append(text_artifact(RECORD_SCRIPT, record_script(), tuple(f"dataset:{ds.name}" for ds, sql in audits
                                                                      if sql)))
    return out
