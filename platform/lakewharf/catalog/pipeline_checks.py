"""Rules for pipelines: no cycles, steps ordered after what they consume, nothing consumed that
no pipeline produces, and model scoring schedules that match the pipelines that score them."""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

from lakewharf.errors import CatalogError
from lakewharf.model.catalog import Catalog, Pipeline, PipelineStep
from lakewharf.model.schedule import Cron


def produces(catalog: Catalog, step: PipelineStep) -> set[str]:
    """Lineage nodes a step writes (``entity:…``, ``dataset:…``, ``trained:…``, ``model:…``, ``table:…``)."""
    if step.kind == "ingest":
        source, _, entity = step.target.partition(".")
        names = [entity] if entity else list(catalog.sources[source].entities)
        return {f"entity:{source}.{e}" for e in names}
    return {"prepare": {f"dataset:{step.target}"}, "train": {f"trained:{step.target}"},
            "score": {f"model:{step.target}"}, "load": {f"table:{step.target}"}}[step.kind]


def consumes(catalog: Catalog, step: PipelineStep) -> set[str]:
    def node(ref: str) -> str:
        return f"entity:{ref}" if "." in ref else f"dataset:{ref}"

    if step.kind == "prepare":
        ds = catalog.datasets[step.target]
        # A relationships test reads the other dataset right after the CETAS: it must be prepared
        # by then, not being rewritten beside it.
        tested = {f"dataset:{t.to_owner}" for t in ds.tests if t.kind == "relationships"}
        return {node(r) for r in ds.inputs} | {node(r) for s in ds.steps for r in s.reads()} | tested
    if step.kind == "train":
        return {f"dataset:{catalog.models[step.target].dataset}"}
    if step.kind == "score":
        return {f"dataset:{catalog.models[step.target].scoring.dataset}", f"trained:{step.target}"}
    if step.kind == "load":
        table = catalog.tables[step.target]
        return {f"dataset:{table.source_dataset}" if table.source_dataset else f"model:{table.source_model}"}
    return set()


def _ancestors(pipeline: Pipeline) -> dict[str, set[str]]:
    deps = {s.name: set(s.after) for s in pipeline.steps}
    result: dict[str, set[str]] = {}

    def visit(name: str) -> set[str]:
        if name not in result:
            result[name] = set()
            for d in deps.get(name, ()):
                result[name] |= {d} | visit(d)
        return result[name]

    for name in deps:
        visit(name)
    return result


def check_pipelines(catalog: Catalog) -> list[CatalogError]:
    errors: list[CatalogError] = []
    pipelines = catalog.pipelines
    try:
        tuple(TopologicalSorter({p.name: set(p.after) for p in pipelines.values()}).static_order())
    except CycleError as exc:
        cycle = " → ".join(exc.args[1])
        first = pipelines[exc.args[1][0]]
        errors.append(first.origin.at("after").error(f"pipelines depend on each other in a cycle: {cycle}"))
    produced_anywhere: dict[str, str] = {}
    for p in pipelines.values():
        for s in p.steps:
            for n in produces(catalog, s):
                produced_anywhere.setdefault(n, f"{p.name}.{s.name}")
    for p in pipelines.values():
        try:
            tuple(TopologicalSorter({s.name: set(s.after) for s in p.steps}).static_order())
        except CycleError as exc:
            cycle = " → ".join(exc.args[1])
            errors.append(p.origin.at("steps").error(f"steps depend on each other in a cycle: {cycle}"))
            continue
        ancestors = _ancestors(p)
        producer_here = {n: s.name for s in p.steps for n in produces(catalog, s)}
        for s in p.steps:
            for need in sorted(consumes(catalog, s)):
                maker = producer_here.get(need)
                if maker is not None and maker != s.name and maker not in ancestors[s.name]:
                    errors.append(s.origin.error(
                        f"step {s.name} reads {need.split(':', 1)[1]}, which step {maker} writes, but does not run "
                        f"after it", f"add {maker} to its after: list", key=True))
                if need not in produced_anywhere and not need.startswith("entity:"):
                    verb = {"dataset": "prepares", "trained": "trains", "model": "scores"}[need.split(":")[0]]
                    errors.append(s.origin.error(
                        f"step {s.name} needs {need.split(':', 1)[1]}, but no pipeline {verb} it",
                        "add a step that produces it", key=True))
                if need.startswith("entity:") and need not in produced_anywhere:
                    errors.append(s.origin.error(f"step {s.name} reads {need[7:]}, but no pipeline ingests it",
                                                 f"add a step '{{ingest: {need[7:]}}}'", key=True))
    errors.extend(_scoring_schedules(catalog))
    errors.extend(_unloaded_tables(catalog, produced_anywhere))
    return errors


def _unloaded_tables(catalog: Catalog, produced_anywhere: dict[str, str]) -> list[CatalogError]:
    """A warehouse table no pipeline loads would be created by the DDL and stay empty forever."""
    errors = []
    for table in catalog.tables.values():
        if f"table:{table.name}" not in produced_anywhere:
            errors.append(table.origin.error(
                f"table {table.qualified_name} is loaded by no pipeline",
                f"add a step '{{load: {table.name}}}' to the pipeline that produces its source"))
    return errors


def _scoring_schedules(catalog: Catalog) -> list[CatalogError]:
    errors = []
    for model in catalog.models.values():
        wanted = model.scoring.schedule
        if wanted is None:
            continue
        scorers = [p for p in catalog.pipelines.values() if any(s.kind == "score" and s.target == model.name
                                                                  for s in p.steps)]
        if not scorers:
            errors.append(model.origin.at("scoring", "schedule").error(
                f"model {model.name} has a scoring schedule but no pipeline scores it",
                f"add a step '{{score: {model.name}}}' to a pipeline on that schedule"))
        for p in scorers:
            if not isinstance(p.schedule, Cron) or p.schedule.expression.split() != wanted.expression.split():
                have = p.schedule.expression if isinstance(p.schedule, Cron) else "no cron schedule"
                errors.append(model.origin.at("scoring", "schedule").error(
                    f"model {model.name} wants scoring at '{wanted.expression}' but pipeline {p.name} runs at {have}",
                    "make them agree, or remove the model's schedule"))
    return errors
