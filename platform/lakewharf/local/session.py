"""One ``wharf run``: make sure build/ is current, bring the local environment up, apply the warehouse
scripts, run the pipelines in dependency order, check the data for privacy, and report."""

from __future__ import annotations

import json
import time
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from lakewharf.artifacts.adf_tree import AdfTree, load_adf_tree
from lakewharf.local.bindings import load_bindings
from lakewharf.local.context import RunContext
from lakewharf.local.files import LocalFiles
from lakewharf.local.lake import Lake
from lakewharf.local.report import RunReport
from lakewharf.local.runner import Listener, PipelineRun, run_pipeline, utc_now, window
from lakewharf.local.settings import LocalSettings
from lakewharf.local.source_systems import SourceSystems
from lakewharf.local.sources import SeedReport
from lakewharf.model.catalog import Catalog
from lakewharf.model.schedule import TumblingWindow
from lakewharf.sources.registry import SOURCE_KINDS


def refresh_build(catalog: Catalog, build: Path) -> bool:
    """Regenerate build/ when it is missing or differs from what the catalog generates now."""
    from lakewharf.generate.generate_all import generate_all
    from lakewharf.generate.writer import write_tree

    artifacts = generate_all(catalog)
    current = all((build / a.path).is_file() and (build / a.path).read_bytes() == a.content for a in artifacts)
    if not current:
        write_tree(build, artifacts)
    return not current


def upload_control_files(lake: Lake, tree: AdfTree) -> None:
    """The orchestrators' item lists go to the lake, where their Lookups read them (the infra
    program uploads the same files, read by the same reader, to the deployed lake)."""
    from lakewharf.model.lake import CONTROL_FILESYSTEM

    lake.ensure_filesystem(CONTROL_FILESYSTEM)
    for folder in sorted({f.path.split("/", 1)[0] for f in tree.control_files}):
        lake.delete_prefix(CONTROL_FILESYSTEM, f"{folder}/")
    for control in tree.control_files:
        lake.write(CONTROL_FILESYSTEM, control.path, control.content.encode("utf-8"))


def pipeline_order(catalog: Catalog, wanted: list[str] | None = None) -> list[str]:
    """Pipelines after those they name in ``after`` and after those producing what they read."""
    from lakewharf.catalog.pipeline_checks import consumes, produces

    made_by = {n: p.name for p in catalog.pipelines.values() for s in p.steps for n in produces(catalog, s)}
    graph: dict[str, set[str]] = {}
    for p in catalog.pipelines.values():
        needs = {made_by[n] for s in p.steps for n in consumes(catalog, s) if n in made_by} - {p.name}
        graph[p.name] = set(p.after) | needs
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError:  # data flows both ways between pipelines: fall back to the declared order
        order = list(TopologicalSorter({p.name: set(p.after) for p in catalog.pipelines.values()}).static_order())
    return [p for p in order if wanted is None or p in wanted]


def _not_verified(ctx: RunContext, runs: list[PipelineRun]) -> list[str]:
    notes = []
    if not ctx.lake.capabilities.acls:
        why = (
            "Azurite has no Data Lake endpoint, Azurite issue #409"
            if ctx.lake.name == "azurite"
            else "the embedded lake is a local folder"
        )
        notes.append(f"ADLS Gen2 ACLs and atomic folder renames ({why})")
    for what, count in sorted(ctx.warehouse.translations.skipped.items()):
        if what == "SET NOCOUNT":
            continue  # a client setting, nothing to verify
        notes.append(f"{what} ({count} statement{'s' if count != 1 else ''} skipped on {ctx.warehouse.name})")
    from lakewharf.local.tsql_staging import NOTE as READ_THROUGH

    if copies := ctx.warehouse.translations.rewritten.get(READ_THROUGH):
        notes.append(f"what staging holds between COPY INTO and its load ({copies} cop{'ies' if copies != 1 else 'y'} "
                     "read through, not written: a run killed in between leaves staging empty)")
    types = {a.type for r in runs for a in r.activities}
    if "WebActivity" in types:
        notes += [
            "managed identities, role assignments and Key Vault access (the hash salt is a local value)",
            "Azure ML compute and model registry (train.py/score.py ran locally with scikit-learn)",
        ]
    if "Script" in types:
        notes.append("Synapse serverless SQL (the CETAS SELECTs ran on DuckDB)")
    # What each source kind that was read says a local run cannot check (its module declares it).
    pipelines = ctx.catalog.pipelines
    read = {ctx.catalog.sources[s.target.partition(".")[0]].kind for r in runs if r.pipeline in pipelines
            and r.status != "Skipped" for s in pipelines[r.pipeline].steps if s.kind == "ingest"}
    for kind in sorted(read):
        notes += [n for n in SOURCE_KINDS[kind].not_verified_locally if n not in notes]
    return notes


def _seeded_as_null(seeded: SeedReport) -> list[str]:
    return [f"{column} (not in the provided data: seeded as NULL)" for column in seeded.null_columns]


def run_local(
    catalog: Catalog, settings: LocalSettings, pipelines: list[str] | None = None, listener: Listener | None = None
) -> RunReport:
    from lakewharf.local.project_lock import project_lock

    with project_lock(settings.state, "run"):
        return _run_locked(catalog, settings, pipelines, listener)


def _run_locked(
    catalog: Catalog, settings: LocalSettings, pipelines: list[str] | None, listener: Listener | None
) -> RunReport:
    from lakewharf.local import environment
    from lakewharf.local.privacy_check import PrivacyCheck, check_privacy
    from lakewharf.local.report import read_test_results
    from lakewharf.local.warehouse import open_warehouse

    started = time.perf_counter()
    bindings = load_bindings(catalog)
    # environment.up checks the bound sources first: a missing table stops the run before anything changes.
    lake, seeded = environment.up(catalog, settings, bindings)
    build = catalog.root / "build"
    refresh_build(catalog, build)
    tree = load_adf_tree(build / "adf", label_root=catalog.root)
    upload_control_files(lake, tree)
    files = LocalFiles(lake, settings.state / "cache")
    systems = SourceSystems(catalog, settings, bindings, lake, files)
    warehouse = open_warehouse(settings)
    history_file = settings.state / "runs.json"
    history = json.loads(history_file.read_text()) if history_file.exists() else []
    ctx = RunContext(
        catalog, settings, build, lake, files, warehouse, tree, utc_now(), systems, history=history
    )
    # From here on the run has started: whatever fails, it ends with a report.
    runs: list[PipelineRun] = []
    privacy, failure = PrivacyCheck(), ""
    try:
        try:
            scripts = build / "synapse" / "warehouse"
            for path in [
                scripts / "00_schemas.sql",
                *sorted((scripts / "tables").glob("*.sql")),
                *sorted((scripts / "procedures").glob("*.sql")),
            ]:
                warehouse.execute(path.read_text(encoding="utf-8"))
            _run_pipelines(ctx, catalog, pipelines, listener, runs)
        except Exception as exc:  # the warehouse or the lake went away: said in the report
            failure = _describe(exc)
        finally:
            history_file.write_text(json.dumps(ctx.history[-200:], indent=1))
        try:
            privacy = check_privacy(ctx)
        except Exception as exc:
            failure = failure or f"the privacy check on the data could not run: {_describe(exc)}"
        try:
            tables = warehouse.tables()
            data_tests = read_test_results(warehouse, [r.run_id for r in runs])
        except Exception as exc:
            tables, data_tests, failure = {}, [], failure or _describe(exc)
        return RunReport(
            runs,
            _not_verified(ctx, runs) + privacy.not_verified + _seeded_as_null(seeded),
            tables,
            privacy,
            {"rewritten": dict(warehouse.translations.rewritten), "skipped": dict(warehouse.translations.skipped)},
            time.perf_counter() - started,
            {s: where + (f" ({seeded.made[s]})" if s in seeded.made else "") for s, where in seeded.sources.items()},
            failure,
            [seeded.reset] if seeded.reset else [],
            data_tests,
        )
    finally:
        warehouse.close()
        files.cleanup()


def _describe(exc: Exception) -> str:
    from lakewharf.errors import WharfError

    text = str(exc).splitlines()[0][:500] if str(exc) else ""
    return text if isinstance(exc, WharfError) else f"{type(exc).__name__}: {text}"


def _run_pipelines(ctx: RunContext, catalog: Catalog, wanted: list[str] | None, listener: Listener | None,
                   runs: list[PipelineRun]) -> None:
    failed: set[str] = set()
    for name in pipeline_order(catalog, wanted):
        pipeline = catalog.pipelines[name]
        blocked = sorted(set(pipeline.after) & failed)
        if blocked:
            runs.append(PipelineRun(name, "", "Skipped", 0.0, f"upstream failed: {', '.join(blocked)}"))
            failed.add(name)
            continue
        params = window(ctx, name, pipeline.schedule.start) if isinstance(pipeline.schedule, TumblingWindow) else {}
        run = run_pipeline(ctx, name, params, listener)
        runs.append(run)
        if run.status != "Succeeded":
            failed.add(name)
