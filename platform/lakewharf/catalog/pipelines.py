"""``pipelines.yaml`` → ``Pipeline`` objects, resolving every step's target."""

from __future__ import annotations

from typing import Any

from lakewharf.catalog.build import Builder
from lakewharf.catalog.loader import LoadedFile
from lakewharf.model.catalog import Catalog, Pipeline, PipelineStep
from lakewharf.model.origin import Origin

STEP_KINDS = ("ingest", "prepare", "train", "score", "load")
_DEFAULT_RETRY = {"count": 0, "interval_seconds": 30}
_DEFAULT_TIMEOUT = 60


def _targets(catalog: Catalog, kind: str) -> Any:
    return {"prepare": catalog.datasets, "train": catalog.models, "score": catalog.models,
            "load": catalog.tables}.get(kind, {})


def build_pipelines(b: Builder, f: LoadedFile, catalog: Catalog) -> dict[str, Pipeline]:
    d, o = f.doc.data, Origin(f.doc)
    defaults = d.get("defaults", {})
    out = {}
    for pname, p in d["pipelines"].items():
        po = o.at("pipelines", pname)
        retry = p.get("retry", defaults.get("retry", _DEFAULT_RETRY))
        timeout = p.get("timeout_minutes", defaults.get("timeout_minutes", _DEFAULT_TIMEOUT))
        for i, other in enumerate(p.get("after", [])):
            if other not in d["pipelines"]:
                b.unknown(po.at("after", i), "pipeline", other, d["pipelines"])
            elif other == pname:
                b.errors.append(po.at("after", i).error("a pipeline cannot run after itself"))
        steps = []
        for sname, s in p["steps"].items():
            so = po.at("steps", sname)
            kind = next(k for k in STEP_KINDS if k in s)
            target = s[kind]
            if not _check_target(b, so.at(kind), kind, target, catalog):
                continue  # reported; a step with no target cannot take part in ordering checks
            for i, dep in enumerate(s.get("after", [])):
                if dep not in p["steps"]:
                    b.unknown(so.at("after", i), "step", dep, p["steps"], f"steps of {pname}: {', '.join(p['steps'])}")
            r = s.get("retry", retry)
            steps.append(PipelineStep(sname, kind, target, tuple(s.get("after", ())), r["count"],
                                      r.get("interval_seconds", 30), s.get("timeout_minutes", timeout), so))
        out[pname] = Pipeline(pname, p.get("description", ""), b.schedule(p.get("schedule"), po.at("schedule")),
                              tuple(p.get("after", ())), tuple(steps), po,
                              p.get("batch_count", defaults.get("batch_count", 20)))
    return out


def _check_target(b: Builder, where: Origin, kind: str, target: str, catalog: Catalog) -> bool:
    if kind == "ingest":
        source, _, entity = target.partition(".")
        if source not in catalog.sources:
            b.unknown(where, "source", source, catalog.sources)
            return False
        if entity and entity not in catalog.sources[source].entities:
            b.unknown(where, "entity", target, [f"{source}.{e}" for e in catalog.sources[source].entities])
            return False
        return True
    known = _targets(catalog, kind)
    if target not in known:
        noun = {"prepare": "dataset", "train": "model", "score": "model", "load": "table"}[kind]
        b.unknown(where, noun, target, known)
        return False
    return True
