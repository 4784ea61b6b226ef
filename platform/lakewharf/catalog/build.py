"""Checked YAML documents → the typed ``Catalog``.

Objects whose file failed its schema are left out, and references to them are not reported a
second time, so one mistake gives one message. Reference and shape problems found here are
collected; cross-cutting rules (privacy, types, names, pipelines) live in ``checks``.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from lakewharf.catalog.data_tests import build_tests
from lakewharf.catalog.loader import LoadedFile, LoadResult
from lakewharf.catalog.preparations import check_sql, derive_declarative
from lakewharf.errors import CatalogError
from lakewharf.model.catalog import (
    Column,
    Compute,
    Dataset,
    Entity,
    Model,
    Platform,
    Role,
    Scoring,
    Source,
    Training,
    Volume,
    Zone,
)
from lakewharf.model.origin import Origin
from lakewharf.model.schedule import Cron, CronError, Schedule, TumblingWindow
from lakewharf.model.scores import score_outputs
from lakewharf.model.steps import Step, parse_step
from lakewharf.model.steps.join import Join
from lakewharf.model.type_map import DEFAULT_COLLATION
from lakewharf.model.types import DataType, Privacy, TypeSyntaxError
from lakewharf.sources.base import API_FIELDS
from lakewharf.sources.registry import SOURCE_KINDS


class Builder:
    def __init__(self, root: Path, loaded: LoadResult) -> None:
        self.root = root
        self.loaded = loaded
        self.errors: list[CatalogError] = []
        # (kind, name) of files that exist but failed their schema: references to them stay quiet.
        self.broken = {(f.kind, f.name) for f in loaded.files if not f.valid}
        self.broken |= {(k, n) for k, n in self._names_with_load_errors()}

    def _names_with_load_errors(self) -> set[tuple[str, str]]:
        from lakewharf.catalog.loader import FOLDERS

        out = set()
        for e in self.loaded.errors:
            parts = e.file.split("/")
            if len(parts) == 3 and parts[0] == "catalog" and parts[1] in FOLDERS:
                out.add((FOLDERS[parts[1]], parts[2].rsplit(".", 1)[0]))
        return out

    def is_broken(self, kind: str, name: str) -> bool:
        """True when ``name`` failed and was reported already (a dataset ref also fails with its source)."""
        return (kind, name) in self.broken or (kind == "dataset" and ("source", name.split(".")[0]) in self.broken)

    def unknown(self, origin: Origin, kind: str, name: str, known: Any, hint: str = "") -> None:
        if self.is_broken(kind, name):
            return
        close = difflib.get_close_matches(name, list(known), n=1)
        hint = hint or (f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(known)) or 'none'}")
        self.errors.append(origin.error(f"unknown {kind} {name!r}", hint))

    # --- platform -------------------------------------------------------------------------------

    def platform(self, f: LoadedFile) -> Platform:
        d, o = f.doc.data, Origin(f.doc)
        roles = {n: Role(n, r["kind"], Privacy.parse(r["clearance"]), r.get("description", ""), o.at("roles", n))
                 for n, r in d["roles"].items()}
        zones = {}
        for n, z in d["zones"].items():
            zo = o.at("zones", n)
            for field in ("readers", "writers"):
                for i, role in enumerate(z[field]):
                    if role not in roles:
                        self.unknown(zo.at(field, i), "role", role, roles)
            zones[n] = Zone(n, z["filesystem"], z["format"], z.get("retention_days"), tuple(z["readers"]),
                            tuple(z["writers"]), z.get("description", ""), zo)
        compute = {n: Compute(n, c["size"], c.get("min_nodes", 0), c["max_nodes"],
                              c.get("idle_seconds_before_scaledown", 900), o.at("compute", n))
                   for n, c in d.get("compute", {}).items()}
        for c in compute.values():
            if c.min_nodes > c.max_nodes:
                self.errors.append(c.origin.at("min_nodes").error("min_nodes is larger than max_nodes"))
        collation = d.get("warehouse", {}).get("collation", DEFAULT_COLLATION)
        return Platform(d["name"], d.get("description", ""), d.get("privacy", {}).get("hash_salt_secret"),
                        roles, zones, compute, o, warehouse_collation=collation,
                        privacy_allow=tuple((a["column"], a["because"])
                                            for a in d.get("privacy_check", {}).get("allow", [])))

    # --- shared pieces --------------------------------------------------------------------------

    def columns(self, spec: dict[str, Any], origin: Origin) -> tuple[Column, ...]:
        out = []
        for name, c in spec.items():
            co = origin.at(name)
            try:
                dtype = DataType.parse(c["type"])
            except TypeSyntaxError as exc:
                self.errors.append(co.at("type").error(str(exc)))
                continue
            out.append(Column(name, dtype, c.get("nullable", True), c.get("primary_key", False),
                              Privacy.parse(c.get("privacy")), c.get("description", ""), co))
        return tuple(out)

    def _check_watermark(self, where: Origin, name: str, cols: tuple[Column, ...], declared: dict[str, Any]) -> None:
        """The copy reads rows with old < watermark <= new: the column must order rows in time and
        always be set (a NULL watermark is never greater than anything: that row never loads)."""
        by_name = {c.name: c for c in cols}
        if name not in declared:
            self.errors.append(where.error(f"watermark {name!r} is not a column"))
        elif name in by_name and by_name[name].type.base not in _WATERMARK_TYPES:
            self.errors.append(where.error(
                f"watermark {name!r} is {by_name[name].type}, which does not order rows by change",
                "use a timestamp, date or increasing integer column (e.g. updated_at, row version)"))
        elif name in by_name and by_name[name].nullable:
            self.errors.append(where.error(
                f"watermark {name!r} is nullable: rows where it is NULL would never load",
                "declare it 'nullable: false' if the source guarantees it, or choose another column"))

    def volume(self, spec: dict[str, Any] | None, origin: Origin) -> Volume | None:
        if spec is None:
            return None
        if ("rows_per_day" in spec) == ("rows_per_load" in spec):
            self.errors.append(origin.error(
                "give either rows_per_day or rows_per_load" if "rows_per_day" in spec else
                "a volume needs rows_per_day or rows_per_load",
                "rows_per_day for incremental loads (new rows a day), rows_per_load for what one load copies"))
            return None
        return Volume(spec.get("rows_per_day"), spec.get("rows_per_load"), spec.get("initial_rows", 0),
                      float(spec.get("growth_per_month", 0.0)), origin)

    def cron(self, spec: dict[str, Any] | None, origin: Origin) -> Cron | None:
        if spec is None:
            return None
        zone = spec.get("timezone", "UTC")
        if not _WINDOWS_ZONE.match(zone):
            self.errors.append(origin.at("timezone").error(
                f"time zone {zone!r} is not a Windows time zone ID, which Data Factory schedule triggers take",
                "e.g. 'UTC', 'W. Europe Standard Time' (Europe/Berlin, Paris…), 'GMT Standard Time' "
                "(Europe/London), 'Eastern Standard Time' (America/New_York)"))
            return None
        try:
            return Cron.parse(spec["cron"], spec.get("timezone", "UTC"), origin)
        except CronError as exc:
            self.errors.append(origin.at("cron").error(f"cron {spec['cron']!r}: {exc}",
                                                       "Data Factory schedule triggers need a recurrence; "
                                                       "e.g. '0 2 * * *' (02:00 daily) or '0 3 * * 1' (Mondays)"))
            return None

    def schedule(self, spec: dict[str, Any] | None, origin: Origin) -> Schedule | None:
        if spec is not None and "tumbling_window" in spec:
            t = spec["tumbling_window"]
            return TumblingWindow(t["frequency"], t["interval"], t["start"], t.get("delay_minutes", 0),
                                  t.get("max_concurrency", 1), origin.at("tumbling_window"))
        return self.cron(spec, origin)

    # --- sources and datasets -------------------------------------------------------------------

    def source(self, f: LoadedFile, platform: Platform) -> Source:
        d, o = f.doc.data, Origin(f.doc)
        kind = SOURCE_KINDS[d["kind"]]  # the schema admits only registered kinds; they check the rest
        entities = {}
        for n, e in d["entities"].items():
            eo = o.at("entities", n)
            cols = self.columns(e["columns"], eo.at("columns"))
            if len(cols) < len(e["columns"]):  # a bad type, reported: datasets reading the source stay quiet
                self.broken.add(("source", f.name))
            load = e["load"]
            if load["mode"] == "incremental":
                self._check_watermark(eo.at("load", "watermark"), load["watermark"], cols, e["columns"])
            if kind.entity_field not in e:
                self.errors.append(eo.error(f"a {d['kind']} entity needs '{kind.entity_field}'", kind.entity_hint))
            api = {k: e[k] for k in API_FIELDS if k in e}  # an API entity's responses (the kind checks them)
            entities[n] = Entity(f.name, n, e.get("table"), e.get("path"), load["mode"], load.get("watermark"), cols,
                                 e.get("description", ""), eo, self.volume(e.get("volume"), eo.at("volume")), api)
        for path, message, hint in kind.problems(d):
            self.errors.append(o.at(*path).error(message, hint))
        landing = d.get("landing_zone", "landing")
        if landing not in platform.zones:
            self.unknown(o.at("landing_zone") if "landing_zone" in d else o, "zone", landing, platform.zones,
                         "" if "landing_zone" in d else "set landing_zone, or define a zone named 'landing'")
        secret = d.get("connection", {}).get("secret", "")  # none for kinds that log in with an identity
        return Source(f.name, d["kind"], d.get("format"), d.get("options", {}), secret,
                      self.cron(d.get("schedule"), o.at("schedule")), landing, entities, d.get("description", ""), o,
                      d.get("runtime", "managed"), d.get("location", "cloud"))

    def datasets(self, files: list[LoadedFile], sources: dict[str, Source], platform: Platform) -> dict[str, Dataset]:
        """Build datasets in dependency order, since each one's columns derive from its inputs'."""
        by_name = {f.name: f for f in files}
        built: dict[str, Dataset] = {}
        failed: set[str] = set()
        visiting: list[str] = []

        def columns_of(ref: str) -> tuple[Column, ...] | None:
            if "." in ref:
                src, _, ent = ref.partition(".")
                ok = src in sources and ent in sources[src].entities and not self.is_broken("source", src)
                return sources[src].entities[ent].columns if ok else None
            return visit(ref).columns if ref in by_name and visit(ref) else None

        def visit(name: str) -> Dataset | None:
            if name in built or name in failed:
                return built.get(name)
            if name in visiting:
                members = visiting[visiting.index(name):]
                cycle = " → ".join([*members, name])
                self.errors.append(Origin(by_name[name].doc).error(f"datasets form a cycle: {cycle}"))
                # Every member fails with the cycle, reported once here: their references stay quiet.
                failed.update(members)
                self.broken.update(("dataset", m) for m in members)
                return None
            visiting.append(name)
            ds = self._dataset(by_name[name], columns_of, platform, sources, set(by_name))
            visiting.pop()
            if ds is not None:
                built[name] = ds
            else:
                failed.add(name)
                self.broken.add(("dataset", name))  # reported once; dependents stay quiet
            return ds

        for name in by_name:
            visit(name)
        return built

    def _dataset(self, f: LoadedFile, columns_of: Any, platform: Platform, sources: dict[str, Source],
                 dataset_names: set[str]) -> Dataset | None:
        d, o = f.doc.data, Origin(f.doc)
        if d["zone"] not in platform.zones:
            self.unknown(o.at("zone"), "zone", d["zone"], platform.zones)
        if ("input" in d) == ("sql" in d):
            self.errors.append(o.error("give either 'input' with 'steps', or 'inputs' with 'sql' and 'columns'"))
            return None
        refs = [d["input"]] if "input" in d else list(d.get("inputs", []))
        field = "input" if "input" in d else "inputs"
        resolved: dict[str, tuple[Column, ...]] = {}
        for i, ref in enumerate(refs):
            cols = columns_of(ref)
            where = o.at(field) if field == "input" else o.at(field, i)
            if cols is None:
                known = [f"{s}.{e}" for s, src in sources.items() for e in src.entities] + sorted(dataset_names)
                self.unknown(where, "dataset", ref, known,
                             "" if "." in ref or ref in dataset_names else
                             (f"a whole source cannot be an input; name an entity, e.g. {ref}.<entity>"
                              if ref in sources else ""))
                return None
            resolved[ref] = cols
        if "sql" in d:
            if "columns" not in d:
                self.errors.append(o.error("a SQL preparation must declare its output 'columns'"))
                return None
            declared = {c.name: c for c in self.columns(d["columns"], o.at("columns"))}
            if len(declared) < len(d["columns"]):
                return None  # a bad column type, reported
            lineage, sql_sources, errors = check_sql(d["sql"], resolved, declared, o)
            self.errors.extend(errors)
            if errors:
                return None
            cols = tuple(c if "privacy" in d["columns"][c.name] else _with_privacy(c, lineage.get(c.name))
                         for c in declared.values())
            steps: tuple[Step, ...] = ()
        else:
            sql_sources = {}
            if "steps" not in d:
                d = {**d, "steps": []}
            steps = tuple(parse_step(op, args, o.at("steps", i, op))
                          for i, s in enumerate(d["steps"]) for op, args in s.items())
            cols, errors = derive_declarative(resolved[refs[0]], steps, columns_of)
            # A join with a dataset or source that failed on its own is reported there, not here.
            quiet = {s.origin.at("with").path for s in steps
                     if isinstance(s, Join) and self.is_broken("dataset", s.other)}
            self.errors.extend(e for e in errors if e.path not in quiet)
            if errors:
                return None
        tests, problems = build_tests(f.name, {c.name: c.type for c in cols}, d.get("tests"), o.at("tests"))
        self.errors.extend(problems)
        return Dataset(f.name, d["zone"], tuple(refs), steps, d.get("sql"), cols, d.get("description", ""), o,
                       sql_sources=sql_sources, tests=tests)

    # --- models ---------------------------------------------------------------------------------

    def model(self, f: LoadedFile, datasets: dict[str, Dataset], platform: Platform) -> Model | None:
        d, o = f.doc.data, Origin(f.doc)
        if d["dataset"] not in datasets:
            self.unknown(o.at("dataset"), "dataset", d["dataset"], datasets)
            return None
        cols = datasets[d["dataset"]].column_map
        task = d["task"]
        needs = {"classification": ("key", "features", "label"), "regression": ("key", "features", "label"),
                 "clustering": ("key", "features"), "recommendation": ("user", "item", "rating")}[task]
        ok = True
        for field in needs:
            if field not in d:
                self.errors.append(o.error(f"a {task} model needs {field!r}"))
                ok = False
        for field in ("key", "features", "label", "user", "item", "rating"):
            values = d.get(field, [])
            for i, name in enumerate([values] if isinstance(values, str) else values):
                if name not in cols:
                    where = o.at(field) if isinstance(values, str) else o.at(field, i)
                    listed = f"columns of {d['dataset']}: {', '.join(cols)}"
                    self.unknown(where, "column", name, cols, "" if difflib.get_close_matches(name, cols) else listed)
                    ok = False
        if d.get("label") is not None and d["label"] in d.get("features", []):
            self.errors.append(o.at("features", d["features"].index(d["label"])).error(
                f"the label {d['label']!r} is also a feature: the model would read the answer it must predict",
                "remove it from features"))
            ok = False
        t, s = d["training"], d["scoring"]
        if ("algorithm" in t) == ("automl" in t):
            self.errors.append(o.at("training").error("give either 'algorithm' or 'automl'"))
            ok = False
        if t.get("algorithm") and not _algorithm_fits(t["algorithm"], task):
            self.errors.append(o.at("training", "algorithm").error(f"{t['algorithm']} does not do {task}",
                                                                   _ALGORITHM_HINT[task]))
        if task in ("clustering", "recommendation") and "automl" in t:
            self.errors.append(o.at("training", "automl").error(f"Azure ML automated ML does not do {task}"))
        for part, spec in (("training", t), ("scoring", s)):
            if spec["compute"] not in platform.compute:
                self.unknown(o.at(part, "compute"), "compute", spec["compute"], platform.compute)
        if s["output_zone"] not in platform.zones:
            self.unknown(o.at("scoring", "output_zone"), "zone", s["output_zone"], platform.zones)
        scored = s.get("dataset", d["dataset"])
        if scored not in datasets:
            self.unknown(o.at("scoring", "dataset"), "dataset", scored, datasets)
            ok = False
        elif ok and scored != d["dataset"]:
            ok = self._scoring_columns_match(o, task, d, cols, datasets[scored])
        if not ok:
            return None
        outputs = score_outputs(task, cols, key=tuple(d.get("key", ())), label=d.get("label"),
                                user=d.get("user"), item=d.get("item"))
        training = Training(t["compute"], t.get("algorithm"), t.get("hyperparameters", {}), t.get("automl"),
                            t.get("test_fraction", 0.2), t.get("seed", 0))
        scoring = Scoring(s["compute"], s["output_zone"], self.cron(s.get("schedule"), o.at("scoring", "schedule")),
                          s.get("instance_count", 1), s.get("mini_batch_size", 10), s.get("top_k", 10),
                          s.get("related_k", 10), scored)
        return Model(f.name, task, d["dataset"], tuple(d.get("key", ())), tuple(d.get("features", ())),
                     d.get("label"), d.get("user"), d.get("item"), d.get("rating"), training, scoring, outputs,
                     d.get("description", ""), o)

    def _scoring_columns_match(self, o: Origin, task: str, d: dict[str, Any], trained_on: dict[str, Column],
                               scored: Dataset) -> bool:
        """The batch job feeds the scoring dataset to a model fitted on the training dataset."""
        needed = [d["user"], d["item"]] if task == "recommendation" else [*d.get("key", ()), *d.get("features", ())]
        have = scored.column_map
        problems = []
        for name in needed:
            if name not in have:
                problems.append(f"has no column {name!r}")
            elif str(have[name].type) != str(trained_on[name].type):
                problems.append(f"has {name} as {have[name].type}, the training dataset {d['dataset']} as "
                                f"{trained_on[name].type}")
        for problem in problems:
            self.errors.append(o.at("scoring", "dataset").error(
                f"scoring dataset {scored.name} {problem}",
                "a model scores the columns it was trained on, with the same types"))
        return not problems


_WATERMARK_TYPES = {"timestamp", "date", "int", "bigint"}

# Data Factory triggers take Windows time zone IDs ("W. Europe Standard Time"), not IANA names:
# https://learn.microsoft.com/azure/data-factory/how-to-create-schedule-trigger#time-zone-option
# Their shape: "UTC", "UTC±hh", or words ending in "Standard Time".
_WINDOWS_ZONE = re.compile(r"^(UTC([+-]\d{2})?|[A-Z][A-Za-z0-9.() +-]* Standard Time)$")

_ALGORITHMS = {
    "classification": {"logistic_regression", "random_forest", "gradient_boosting"},
    "regression": {"linear_regression", "ridge", "random_forest", "gradient_boosting"},
    "clustering": {"kmeans"},
    "recommendation": {"matrix_factorization"},
}
_ALGORITHM_HINT = {task: "use one of: " + ", ".join(sorted(a)) for task, a in _ALGORITHMS.items()}


def _algorithm_fits(algorithm: str, task: str) -> bool:
    return algorithm in _ALGORITHMS[task]


def _with_privacy(column: Column, privacy: Privacy | None) -> Column:
    from dataclasses import replace

    return replace(column, privacy=privacy) if privacy is not None else column
