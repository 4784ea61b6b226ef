"""Rules that span files: privacy clearance, type compatibility and Azure naming.

Each check takes the built ``Catalog`` and returns located errors; ``load_catalog`` runs them all.
"""

from __future__ import annotations

from collections.abc import Callable

from lakewharf.catalog.data_tests import check_data_tests
from lakewharf.errors import CatalogError
from lakewharf.model import naming
from lakewharf.model.catalog import Catalog, Column, Dataset
from lakewharf.model.types import Privacy

Check = Callable[[Catalog], list[CatalogError]]


def _mask_hint(ds: Dataset, column: str) -> str:
    if ds.sql is None:
        return f"mask it on the way: add a step '- mask: {{{column}: hash}}' (or redact / drop)"
    # A SQL column inherits the privacy of every input column it is computed from (lineage).
    return (f"leave {column} out of the SELECT, or, once the SELECT hashes or generalises it, declare "
            f"'{column}: {{..., privacy: none}}' under columns (an override reviewers see)")


def _readers_text(catalog: Catalog, roles: tuple[str, ...], needed: Privacy) -> str:
    lacking = [r for r in roles if r in catalog.platform.roles and catalog.platform.roles[r].clearance < needed]
    return ", ".join(f"{r} ({catalog.platform.roles[r].clearance})" for r in lacking)


def check_zone_privacy(catalog: Catalog) -> list[CatalogError]:
    """A personal or sensitive column may only sit in a zone whose whole audience is cleared for it."""
    errors = []
    platform = catalog.platform

    def leak(columns: tuple[Column, ...], zone_name: str, report: Callable[[Column, str], CatalogError]) -> None:
        zone = platform.zones.get(zone_name)
        if zone is None:
            return
        clearance = platform.clearance_of(zone.audience)
        for col in columns:
            if col.privacy > clearance:
                errors.append(report(col, _readers_text(catalog, zone.audience, col.privacy)))

    for source in catalog.sources.values():
        for entity in source.entities.values():
            leak(entity.columns, source.landing_zone, lambda c, who, s=source: c.origin.error(
                f"{c.privacy} column {c.name} lands in zone {s.landing_zone!r}, readable by {who}",
                "land sources in a zone only cleared roles can read, e.g. landing_zone: landing"))
    for ds in catalog.datasets.values():
        leak(ds.columns, ds.zone, lambda c, who, d=ds: d.origin.at("zone").error(
            f"{c.privacy} column {c.name} reaches zone {d.zone!r}, readable by {who}", _mask_hint(d, c.name)))
    for model in catalog.models.values():
        for output, cols in model.outputs.items():
            leak(cols, model.scoring.output_zone, lambda c, who, m=model, out=output: m.origin.at(
                "scoring", "output_zone").error(
                f"{c.privacy} column {c.name} of the {out} scores reaches zone {m.scoring.output_zone!r}, "
                f"readable by {who}", "score on a pseudonymous key, e.g. a hashed id"))
    return errors


def check_table_privacy(catalog: Catalog) -> list[CatalogError]:
    """Warehouse readers without clearance see personal columns only through dynamic data masking."""
    errors = []
    platform = catalog.platform
    for table in catalog.tables.values():
        clearance = platform.clearance_of(table.readers)
        for i, role in enumerate(table.unmask):
            needed = max((tc.column.privacy for tc in table.columns if tc.mask), default=Privacy.NONE)
            if role in platform.roles and platform.roles[role].clearance < needed:
                errors.append(table.origin.at("unmask", i).error(
                    f"role {role} ({platform.roles[role].clearance}) may not see {needed} columns unmasked"))
            if role not in table.readers:
                errors.append(table.origin.at("unmask", i).error(f"role {role} is not a reader of the table"))
        for tc in table.columns:
            col = tc.column
            if col.privacy > clearance and tc.mask is None:
                who = _readers_text(catalog, table.readers, col.privacy)
                errors.append(col.origin.error(
                    f"{col.privacy} column {col.name} is readable by {who}",
                    "mask it for them with dynamic data masking (mask: default() / email() / partial(...)), "
                    "hash or drop it upstream, or narrow readers"))
    return errors


def check_types(catalog: Catalog) -> list[CatalogError]:
    """Each warehouse column must hold every value of the column it is loaded from."""
    errors = []
    for table in catalog.tables.values():
        if table.source_dataset in catalog.datasets:
            upstream = catalog.datasets[table.source_dataset].column_map
        elif table.source_model in catalog.models:
            outputs = catalog.models[table.source_model].outputs
            upstream = {c.name: c for c in outputs.get(table.source_output or "", ())}
        else:
            continue  # unresolved source: already reported
        for tc in table.columns:
            src = upstream.get(tc.source_column)
            if src is None:
                continue
            where = tc.column.origin.at("type")
            if not src.type.fits_into(tc.column.type):
                errors.append(where.error(
                    f"{tc.name} is {tc.column.type} but its source {tc.source_column} is {src.type}",
                    f"widen the column to {src.type}, or cast upstream with a '- cast:' step"))
            if src.nullable and not tc.column.nullable:
                errors.append(tc.column.origin.at("nullable").error(
                    f"{tc.name} is NOT NULL but its source {tc.source_column} may be null",
                    "fill it upstream with a '- missing:' step, or allow nulls"))
    return errors


def check_names(catalog: Catalog) -> list[CatalogError]:
    errors = []
    seen_fs: dict[str, str] = {}
    for zone in catalog.platform.zones.values():
        problem = naming.filesystem_problem(zone.filesystem)
        if problem:
            errors.append(zone.origin.at("filesystem").error(problem))
        if zone.filesystem in seen_fs:
            errors.append(zone.origin.at("filesystem").error(
                f"filesystem {zone.filesystem!r} is also used by zone {seen_fs[zone.filesystem]}"))
        seen_fs[zone.filesystem] = zone.name
    for name in catalog.sources:
        if name in catalog.datasets:
            errors.append(catalog.datasets[name].origin.error(
                f"dataset {name!r} has the name of a source", "datasets and sources share one namespace"))
    qualified: dict[str, str] = {}
    for table in catalog.tables.values():
        for what, value, where in (("schema", table.schema, table.origin.at("schema")),
                                   ("table", table.name, table.origin)):
            problem = naming.sql_identifier_problem(value)
            if problem:
                errors.append(where.error(f"{what} name: {problem}"))
        for tc in table.columns:
            problem = naming.sql_identifier_problem(tc.name)
            if problem:
                errors.append(tc.column.origin.error(problem, "rename it, loading it with from: <source column>",
                                                     key=True))
        key = table.qualified_name.lower()
        if key in qualified:
            errors.append(table.origin.error(f"{table.qualified_name} is also defined by {qualified[key]}"))
        qualified[key] = table.name
    for ds in catalog.datasets.values():
        for col in ds.columns:
            # Prepared datasets are queried through Synapse serverless external tables.
            problem = naming.sql_identifier_problem(col.name)
            if problem and col.name.lower() in naming.SQL_RESERVED:
                errors.append(ds.origin.error(f"output column: {problem}", "rename it with a '- rename:' step"))
    for model in catalog.models.values():
        platform = catalog.platform.name
        for purpose, endpoint in (("scoring", naming.batch_endpoint_name(platform, model.name)),
                                  ("training", naming.training_endpoint_name(platform, model.name))):
            problem = naming.endpoint_name_problem(endpoint)
            if problem:
                errors.append(model.origin.error(f"its {purpose} batch endpoint name {problem}",
                                                 "choose a shorter model or platform name"))
                break  # the training name is the longer one: one error per model
    for pipeline in catalog.pipelines.values():
        for derived in (naming.pipeline_name(pipeline.name), naming.trigger_name(pipeline.name)):
            problem = naming.adf_name_problem(derived)
            if problem:
                errors.append(pipeline.origin.error(problem, key=True))
    return errors


def check_landing_history(catalog: Catalog) -> list[CatalogError]:
    """An incremental entity's landed files are its only history: each run lands just the rows
    changed since the last watermark (or the new files of a drop), and the preparations rebuild
    from every landed file. A lifecycle rule deleting them after ``retention_days`` would silently
    drop those rows from every dataset and table built on them once they are that old."""
    errors = []
    for zone in catalog.platform.zones.values():
        if zone.retention_days is None:
            continue
        incremental = [e.ref for s in catalog.sources.values() if s.landing_zone == zone.name
                       for e in s.entities.values() if e.load_mode == "incremental"]
        if incremental:
            shown = ", ".join(incremental[:5]) + (f" and {len(incremental) - 5} more" if len(incremental) > 5 else "")
            errors.append(zone.origin.at("retention_days").error(
                f"zone {zone.name} deletes landed files after {zone.retention_days} days, but they are the only "
                f"copy of the incremental loads of {shown}: rows older than that would vanish from everything "
                "prepared from them",
                "remove retention_days from the landing zone (null keeps files forever), or load those entities "
                "with load: {mode: full}"))
    return errors


CHECKS: tuple[Check, ...] = (check_zone_privacy, check_table_privacy, check_types, check_names,
                             check_landing_history, check_data_tests)
