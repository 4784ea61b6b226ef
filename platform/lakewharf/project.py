"""``load_catalog``: the one entry point from a project folder to a checked ``Catalog``.

It sits above the generators (cli, infra and the local runner call it), because one of its checks
builds the Data Factory documents the catalog would generate, in memory, to report each service
limit a pipeline breaks as a located catalog error before ``generate`` ever runs."""

from __future__ import annotations

from pathlib import Path

from lakewharf.catalog.build import Builder
from lakewharf.catalog.checks import CHECKS
from lakewharf.catalog.loader import find_project_root, load_catalog_files
from lakewharf.catalog.pipeline_checks import check_pipelines
from lakewharf.catalog.pipelines import build_pipelines
from lakewharf.catalog.tables import build_table
from lakewharf.errors import CatalogError, CatalogInvalid
from lakewharf.model.catalog import Catalog


def resolve_project(project: Path | None) -> Path:
    start = (project or Path.cwd()).resolve()
    root = find_project_root(start) if project is None else start
    if root is None or not (root / "pipelines.yaml").is_file() or not (root / "catalog").is_dir():
        raise CatalogInvalid([CatalogError(str(project or "."), 0, 0, (), "not a lakewharf project",
                                           "run from the folder holding pipelines.yaml and catalog/, "
                                           "or pass --project DIR")])
    return root


def load_catalog(project: Path | None = None) -> Catalog:
    """Load, check and build the catalog. Raises ``CatalogInvalid`` with every problem found."""
    root = resolve_project(project)
    from lakewharf.generate.parallel import render_each

    loaded = load_catalog_files(root, render_each)  # a thousand files' YAML and schemas on every core
    errors: list[CatalogError] = list(loaded.errors)
    platform_files = [f for f in loaded.of_kind("platform") if f.valid]
    if not platform_files:
        raise CatalogInvalid(errors)
    b = Builder(root, loaded)
    platform = b.platform(platform_files[0])
    sources = {f.name: b.source(f, platform) for f in loaded.of_kind("source") if f.valid}
    datasets = b.datasets([f for f in loaded.of_kind("dataset") if f.valid], sources, platform)
    models = {}
    for f in (f for f in loaded.of_kind("model") if f.valid):
        model = b.model(f, datasets, platform)
        if model is None:
            b.broken.add(("model", f.name))
        else:
            models[f.name] = model
    tables = {f.name: t for f in loaded.of_kind("table") if f.valid
              if (t := build_table(b, f, datasets, models, platform)) is not None}
    catalog = Catalog(root, platform, sources, datasets, models, tables, {})
    pipeline_files = [f for f in loaded.of_kind("pipelines") if f.valid]
    if pipeline_files:
        catalog = Catalog(root, platform, sources, datasets, models, tables,
                          build_pipelines(b, pipeline_files[0], catalog))
    errors.extend(b.errors)
    # Objects with unresolved references were left out above, so the cross-file rules run on
    # what did resolve and every problem is reported in one pass.
    for check in CHECKS:
        errors.extend(check(catalog))
    # Whether every consumed dataset is produced somewhere is only meaningful once all resolved.
    if not errors:
        errors.extend(check_pipelines(catalog))
    if not errors:  # Data Factory's limits, on the factory this catalog generates
        from lakewharf.generate.adf.catalog_limits import check_adf_limits  # the generator: only when needed

        errors.extend(check_adf_limits(catalog))
    if errors:
        raise CatalogInvalid(errors)
    return catalog
