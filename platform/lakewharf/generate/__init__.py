"""Generators: the typed catalog → deployable artifacts under ``build/``.

One module (or package) per target, listed in ``GENERATORS``; each exposes
``generate(catalog, templates) -> list[Artifact]``. Artifacts are built as data in memory and
written all at once by ``writer.write_tree``, so a failed run leaves the previous tree intact.
"""

from __future__ import annotations

GENERATORS: dict[str, str] = {
    "preparations": "lakewharf.generate.preparations",
    "synapse": "lakewharf.generate.synapse",
    "aml": "lakewharf.generate.aml",
    "adf": "lakewharf.generate.adf",
}
