"""What each page of the docs site says, as plain data: one ``Page`` per catalog element.

Read from the validated catalog, the column lineage the privacy rule was checked on
(``lakewharf.model.column_lineage``), ``build/manifest.json`` (which generated file belongs to
which element) and, after ``wharf run --report``, the run report (measured rows and statuses,
shown as they were measured, never summed or inferred here).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakewharf.model.catalog import Catalog, Column
from lakewharf.model.column_lineage import ColumnLineage, column_lineage
from lakewharf.model.schedule import Cron, Schedule
from lakewharf.model.types import Privacy

KIND_TITLES = {"source": "Source", "entity": "Source entity", "zone": "Lake zone", "dataset": "Dataset",
               "model": "Model", "table": "Warehouse table", "pipeline": "Pipeline"}


@dataclass
class Page:
    id: str  # the element id of build/manifest.json and the lineage graph: "dataset:orders_clean"
    kind: str
    name: str
    description: str
    facts: list[tuple[str, str]]  # label → value, shown as a definition list
    columns: list[dict[str, Any]] = field(default_factory=list)
    code: list[tuple[str, str]] = field(default_factory=list)  # (title, SQL or step text)
    steps: list[dict[str, Any]] = field(default_factory=list)  # a pipeline's steps
    artifacts: list[str] = field(default_factory=list)  # paths under build/
    run: list[dict[str, Any]] = field(default_factory=list)  # measured activities of the last local run
    rows: int | None = None  # a warehouse table's measured row count after the last run
    links: list[str] = field(default_factory=list)  # ids of related elements (entities of a source…)
    links_title: str = "Entities"
    dropped: list[dict[str, str]] = field(default_factory=list)  # upstream columns this dataset drops


def schedule_text(schedule: Schedule | None) -> str:
    if schedule is None:
        return "none (runs when started)"
    if isinstance(schedule, Cron):
        return f"cron {schedule.expression} ({schedule.timezone})"
    return f"every {schedule.interval} {schedule.frequency} from {schedule.start} (tumbling window)"


def _column(c: Column, **extra: Any) -> dict[str, Any]:
    return {"name": c.name, "type": str(c.type), "nullable": c.nullable, "key": c.primary_key,
            "privacy": str(c.privacy), "personal": c.privacy > Privacy.NONE, "description": c.description, **extra}


def _readers(catalog: Catalog, roles: tuple[str, ...]) -> str:
    shown = [f"{r} ({catalog.platform.roles[r].clearance})" if r in catalog.platform.roles else r for r in roles]
    return ", ".join(shown) or "nobody"


def read_manifest(build: Path) -> dict[str, list[str]]:
    """Element id → the generated files (paths under build/) that belong to it; {} before ``generate``."""
    try:
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[str, list[str]] = {}
    for artifact in manifest.get("artifacts", []):
        for element in artifact.get("elements", []):
            out.setdefault(element, []).append(artifact["path"])
    return {k: sorted(v) for k, v in out.items()}


def read_report(path: Path | None) -> dict[str, Any] | None:
    if path is None or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _activity_keys(catalog: Catalog) -> dict[tuple[str, str], str]:
    """(pipeline, first segment of an activity name) → element id. Activities are named after the
    pipeline step (``customers/cetas``); an ingest step's after each entity (``land_crm__customers``)."""
    keys = {}
    for p in catalog.pipelines.values():
        for s in p.steps:
            if s.kind == "ingest":
                src, _, ent = s.target.partition(".")
                for e in ([ent] if ent else list(catalog.sources[src].entities)):
                    keys[(p.name, f"{s.name}__{e}")] = f"entity:{src}.{e}"
            else:
                keys[(p.name, s.name)] = _step_element(s.kind, s.target)
    return keys


def _lineage_rows(lin: ColumnLineage) -> tuple[dict, dict]:
    up: dict[tuple[str, str], list[dict[str, str]]] = {}
    down: dict[tuple[str, str], list[dict[str, str]]] = {}
    for e in lin.edges:
        up.setdefault(e.downstream, []).append({"node": e.upstream[0], "column": e.upstream[1], "how": e.treatment})
        down.setdefault(e.upstream, []).append({"node": e.downstream[0], "column": e.downstream[1],
                                                "how": e.treatment})
    for d in lin.dropped:
        down.setdefault(d.upstream, []).append({"node": d.node, "column": "", "how": f"dropped ({d.how})"})
    return up, down


def collect(catalog: Catalog, build: Path, report: dict[str, Any] | None) -> list[Page]:
    """Every page, in a stable order: kind, then name."""
    artifacts = read_manifest(build)
    lin = column_lineage(catalog)
    up, down = _lineage_rows(lin)
    pages: list[Page] = []

    def cols(node: str, columns: tuple[Column, ...], prefix: str = "", **extra: Any) -> list[dict[str, Any]]:
        return [_column(c, upstream=up.get((node, prefix + c.name), []),
                        downstream=down.get((node, prefix + c.name), []), lineage_name=prefix + c.name, **extra)
                for c in columns]

    p = catalog.platform
    for z in sorted(p.zones.values(), key=lambda z: z.name):
        pages.append(Page(f"zone:{z.name}", "zone", z.name, z.description, [
            ("filesystem", z.filesystem), ("format", z.format),
            ("retention", f"{z.retention_days} days" if z.retention_days else "kept"),
            ("readers (clearance)", _readers(catalog, z.readers)), ("writers", _readers(catalog, z.writers)),
            ("may hold unmasked", str(p.clearance_of(z.audience)))],
            links=sorted([f"entity:{e.ref}" for s in catalog.sources.values() if s.landing_zone == z.name
                          for e in s.entities.values()]) + sorted(f"dataset:{d.name}" for d in catalog.datasets.values()
                                                                  if d.zone == z.name),
            links_title="Holds"))
    for s in sorted(catalog.sources.values(), key=lambda s: s.name):
        pages.append(Page(f"source:{s.name}", "source", s.name, s.description, [
            ("kind", s.kind), ("format", s.format or ""), ("schedule", schedule_text(s.schedule)),
            ("landing zone", s.landing_zone), ("Key Vault secret", s.secret)],
            links=[f"entity:{e.ref}" for e in s.entities.values()]))
        for e in sorted(s.entities.values(), key=lambda e: e.name):
            node = f"entity:{e.ref}"
            pages.append(Page(node, "entity", e.ref, e.description, [
                ("source", s.name), ("table or path", e.table or e.path or ""), ("load", e.load_mode),
                ("watermark", e.watermark or ""), ("lands in zone", s.landing_zone),
                ("zone readers (clearance)", _readers(catalog, p.zones[s.landing_zone].audience)
                 if s.landing_zone in p.zones else "")], cols(node, e.columns)))
    for d in sorted(catalog.datasets.values(), key=lambda d: d.name):
        node = f"dataset:{d.name}"
        zone = p.zones.get(d.zone)
        page = Page(node, "dataset", d.name, d.description, [
            ("zone", d.zone), ("zone readers (clearance)", _readers(catalog, zone.audience) if zone else ""),
            ("inputs", ", ".join(d.inputs))], cols(node, d.columns))
        if d.sql is not None:
            page.code.append(("SQL (T-SQL, run by Synapse serverless)", d.sql))
        else:
            page.code.append(("steps", "\n".join(_step_text(s) for s in d.steps) or "(copied as is)"))
        page.dropped = [{"node": x.upstream[0], "column": x.upstream[1], "how": x.how}
                        for x in lin.dropped if x.node == node]
        pages.append(page)
    for m in sorted(catalog.models.values(), key=lambda m: m.name):
        node = f"model:{m.name}"
        columns = [c for out, cs in sorted(m.outputs.items()) for c in cols(node, cs, f"{out}.", output=out)]
        pages.append(Page(node, "model", m.name, m.description, [
            ("task", m.task), ("trained on", m.dataset), ("scores", m.scoring.dataset),
            ("key", ", ".join(m.key)), ("features", ", ".join(m.features)), ("label", m.label or ""),
            ("algorithm", m.training.algorithm or ("AutoML" if m.training.automl else "")),
            ("training compute", m.training.compute), ("scores land in zone", m.scoring.output_zone)], columns))
    for t in sorted(catalog.tables.values(), key=lambda t: t.name):
        node = f"table:{t.name}"
        source = t.source_dataset or f"{t.source_model} ({t.source_output})"
        pages.append(Page(node, "table", t.qualified_name, t.description, [
            ("kind", t.kind), ("loaded from", source), ("load", f"{t.load_mode} on {', '.join(t.load_keys)}"
                                                        if t.load_keys else t.load_mode),
            ("distribution", t.distribution + (f" ({t.distribution_column})" if t.distribution_column else "")),
            ("index", t.index + (f" ({', '.join(t.index_columns)})" if t.index_columns else "")),
            ("readers (clearance)", _readers(catalog, t.readers)),
            ("see masked columns unmasked", ", ".join(t.unmask))],
            [_column(tc.column, mask=tc.mask or "", source_column=tc.source_column,
                     upstream=up.get((node, tc.name), []), downstream=[], lineage_name=tc.name)
             for tc in t.columns]))
    for pl in sorted(catalog.pipelines.values(), key=lambda x: x.name):
        pages.append(Page(f"pipeline:{pl.name}", "pipeline", pl.name, pl.description, [
            ("schedule", schedule_text(pl.schedule)), ("runs after", ", ".join(pl.after)),
            ("items at once (batchCount)", str(pl.batch_count))],
            steps=[{"name": s.name, "kind": s.kind, "target": s.target, "after": ", ".join(s.after),
                    "retry": f"{s.retry_count} × {s.retry_interval_seconds} s", "timeout": f"{s.timeout_minutes} min",
                    "element": _step_element(s.kind, s.target)} for s in pl.steps]))
    for page in pages:
        page.artifacts = artifacts.get(page.id, [])
    if report:
        _attach_report(catalog, pages, report)
    return pages


def _step_element(kind: str, target: str) -> str:
    if kind == "ingest":
        return f"entity:{target}" if "." in target else f"source:{target}"
    return {"prepare": "dataset", "train": "model", "score": "model", "load": "table"}[kind] + f":{target}"


def _step_text(step: Any) -> str:
    """A step as the YAML one-liner it was written as (``- mask: {email: hash}``)."""
    values = {k: v for k, v in vars(step).items() if k != "origin"}
    if len(values) == 1:  # a per-column step: its one field is the YAML value (``{email: hash}``)
        return f"- {step.op}: {_plain(next(iter(values.values())))}"
    shown = ", ".join(f"{k}: {_plain(v)}" for k, v in values.items())
    return f"- {step.op}: {{{shown}}}"


def _plain(value: Any) -> str:
    if isinstance(value, dict) or hasattr(value, "items"):
        return "{" + ", ".join(f"{k}: {_plain(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_plain(v) for v in value) + "]"
    if hasattr(value, "__dataclass_fields__"):
        return "{" + ", ".join(f"{k}: {_plain(v)}" for k, v in vars(value).items() if v is not None) + "}"
    return str(value)


def _attach_report(catalog: Catalog, pages: list[Page], report: dict[str, Any]) -> None:
    by_id = {p.id: p for p in pages}
    keys = _activity_keys(catalog)
    for a in report.get("activities", []):
        element = keys.get((a.get("pipeline", ""), str(a.get("activity", "")).split("/")[0]))
        shown = {k: a.get(k) for k in ("pipeline", "activity", "type", "status", "rows_read", "rows_written",
                                       "rows_rejected", "error")}
        if element in by_id:
            by_id[element].run.append(shown)
        if f"pipeline:{a.get('pipeline')}" in by_id:
            by_id[f"pipeline:{a.get('pipeline')}"].run.append(shown)
    status = {p.get("pipeline"): p for p in report.get("pipelines", [])}
    for name in catalog.pipelines:
        if name in status:
            last = status[name]
            text = f"{last.get('status')} in {last.get('seconds')} s {last.get('error') or ''}"
            by_id[f"pipeline:{name}"].facts.append(("last local run", text.strip()))
    tables = report.get("warehouse_tables", {})
    for t in catalog.tables.values():
        if isinstance(tables, dict) and isinstance(tables.get(t.qualified_name), int):
            by_id[f"table:{t.name}"].rows = tables[t.qualified_name]
