"""The worker pipelines, the orchestrators that run them and the control-file items between them:
each property the catalog asks of a step (watermarks, the salt, COPY INTO, the gate, policies, the
batch endpoints, ``after``, the window, the limits, no secrets) checked where it now lives.

Two kinds of checks: the generated JSON (fast), and — marked ``integration`` — the generated
pipelines walked by data-factory-testing-framework with the real control files as the Lookups'
output, so an item's fields are followed through the orchestrator's Execute Pipeline into the
worker's evaluated activities.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lakewharf.generate import adf, preparations, synapse
from lakewharf.generate.adf.items import LAKE_ENDPOINT_PLACEHOLDER, datastore_uri, load_script_path
from lakewharf.generate.artifact import Artifact
from lakewharf.generate.templates import template_environment
from lakewharf.generate.writer import write_tree
from lakewharf.model import naming
from lakewharf.model.catalog import Catalog
from lakewharf.model.lake import CONTROL_FILESYSTEM
from lakewharf.project import load_catalog

REPO_ROOT = Path(__file__).resolve().parents[2]
WINDOW = {"windowStart": "2026-01-01T00:00:00Z", "windowEnd": "2026-01-01T01:00:00Z"}
Docs = dict[str, Any]
Rows = dict[str, list[dict[str, Any]]]

OLD, NEW, UNSELECTABLE = "{{old_watermark}}", "{{new_watermark}}", "{{rows_without_watermark}}"
RUN_PARAMETERS = {"pipeline", "run_id", "trigger_time", "landing_time", "window_start", "window_end"}
WORKER_POLICY_INTERVAL = 60  # ActivityPolicy.retryIntervalInSeconds is an int: one value for every item


# --- fixtures --------------------------------------------------------------------------------


def built_artifacts(catalog: Catalog) -> dict[str, Artifact]:
    """The SQL the Data Factory generator embeds: preparation and warehouse load scripts."""
    env = template_environment(catalog.root)
    built = {a.path: a for a in preparations.generate(catalog, env)}
    built.update({a.path: a for a in synapse.generate(catalog, env)})
    return built


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(REPO_ROOT)


@pytest.fixture(scope="module")
def built(catalog: Catalog) -> dict[str, Artifact]:
    return built_artifacts(catalog)


@pytest.fixture(scope="module")
def artifacts(catalog: Catalog, built: dict[str, Artifact]) -> list[Artifact]:
    return adf.generate(catalog, template_environment(catalog.root), built=built)


@pytest.fixture(scope="module")
def docs(artifacts: list[Artifact]) -> Docs:
    """Data Factory documents by path below adf/ (``pipeline/wk_load.json``)."""
    return {a.path.removeprefix("adf/"): json.loads(a.content) for a in artifacts if a.path.startswith("adf/")}


@pytest.fixture(scope="module")
def control(artifacts: list[Artifact]) -> Rows:
    """Control files by path below control/ without .json (``pl_nightly/L05_load``) -> items."""
    return {a.path.removeprefix("control/").removesuffix(".json"): json.loads(a.content)
            for a in artifacts if a.path.startswith("control/")}


@pytest.fixture
def write(tmp_path: Path) -> Callable[[Docs], Path]:
    """Write ``docs`` (possibly mutated) as an ADF git tree below tmp_path and return its folder."""
    written = itertools.count()

    def _write(tree: Docs) -> Path:
        root = tmp_path / f"build{next(written)}"  # write_tree replaces only trees it wrote
        write_tree(root, [Artifact(f"adf/{rel}", (json.dumps(doc, indent=2) + "\n").encode(), ())
                          for rel, doc in tree.items()])
        return root / "adf"
    return _write


# --- helpers ---------------------------------------------------------------------------------


def pe(name: str) -> dict[str, str]:
    """A worker parameter as a whole expression value."""
    return {"value": f"@pipeline().parameters.{name}", "type": "Expression"}


def ex(value: str) -> dict[str, str]:
    return {"value": value, "type": "Expression"}


def text_of(value: Any) -> Any:
    return value["value"] if isinstance(value, dict) and value.get("type") == "Expression" else value


def pipeline(docs: Docs, name: str) -> dict[str, Any]:
    return docs[f"pipeline/{name}.json"]


def top(docs: Docs, name: str) -> list[dict[str, Any]]:
    return pipeline(docs, name)["properties"]["activities"]


def nested(items: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Every activity with its container (None at the top), children of ForEach/Until/If included."""
    def walk(activities: list[dict[str, Any]], parent: dict[str, Any] | None) -> Iterator[Any]:
        for a in activities:
            yield a, parent
            props = a.get("typeProperties", {})
            for key in ("activities", "ifTrueActivities", "ifFalseActivities", "defaultActivities"):
                yield from walk(props.get(key) or [], a)
            for case in props.get("cases") or []:
                yield from walk(case.get("activities") or [], a)
    yield from walk(items, None)


def activities(docs: Docs, name: str) -> dict[str, dict[str, Any]]:
    found = {}
    for a, _parent in nested(top(docs, name)):
        assert a["name"] not in found, f"{name}: duplicate activity {a['name']}"
        found[a["name"]] = a
    return found


def upstream(activity: dict[str, Any], condition: str = "Succeeded") -> list[str]:
    return [d["activity"] for d in activity.get("dependsOn", []) if condition in d["dependencyConditions"]]


def work(docs: Docs, name: str) -> list[dict[str, Any]]:
    """A worker's top-level activities without its catches (``<activity>__failed``)."""
    return [a for a in top(docs, name) if not (a["type"] == "Fail" and a["name"].endswith("__failed"))]


def workers(docs: Docs) -> list[str]:
    return sorted(rel.removeprefix("pipeline/").removesuffix(".json") for rel in docs
                  if rel.startswith("pipeline/wk_"))


def orchestrators(docs: Docs) -> list[str]:
    return sorted(rel.removeprefix("pipeline/").removesuffix(".json") for rel in docs
                  if rel.startswith("pipeline/pl_"))


def run_of(docs: Docs, orchestrator: str, group: str) -> dict[str, Any]:
    """The Execute Pipeline inside the ForEach of one control file (``L02_prepare_salted``)."""
    loop = activities(docs, orchestrator)[group]
    assert loop["type"] == "ForEach"
    [run] = loop["typeProperties"]["activities"]
    assert run["type"] == "ExecutePipeline"
    return run


def find_item(control: Rows, name: str) -> tuple[str, dict[str, Any]]:
    [hit] = [(path, row) for path, rows in control.items() for row in rows if row["item"] == name]
    return hit


def timespan(minutes: int) -> str:
    days, rest = divmod(minutes, 24 * 60)
    return f"{days}.{rest // 60:02d}:{rest % 60:02d}:00"


def expressions(node: Any) -> Iterator[str]:
    """Every expression Data Factory evaluates: Expression objects and plain ``@`` strings."""
    if isinstance(node, dict):
        if node.get("type") == "Expression" and isinstance(node.get("value"), str):
            yield node["value"]
            return
        for key, child in node.items():
            if key != "name":
                yield from expressions(child)
    elif isinstance(node, list):
        for child in node:
            yield from expressions(child)
    elif isinstance(node, str) and node.startswith("@") and not node.startswith("@@"):
        yield node


# --- evaluation with data-factory-testing-framework --------------------------------------------


GLOBALS = {
    "lake_dfs_endpoint": "https://lakeretail.dfs.core.windows.net",
    "synapse_dedicated_endpoint": "synw-retail.sql.azuresynapse.net",
    "synapse_dedicated_database": "dwh",
    "synapse_serverless_endpoint": "synw-retail-ondemand.sql.azuresynapse.net",
    "key_vault_url": "https://kv-retail.vault.azure.net",
    "ml_region": "westeurope",
    "ml_endpoint_suffix": "ab12",
    "ml_subscription_id": "sub-ml",
    "ml_resource_group": "rg-ml",
    "ml_workspace": "mlw-retail",
    "factory_subscription_id": "sub-adf",
    "factory_resource_group": "rg-adf",
}
ORCHESTRATOR_RUN_ID = "11111111-0000-4000-8000-000000000001"
FACTORY = "adf-retail-test"
TRIGGER = {"pl_nightly": "2026-01-04T00:00:00Z", "pl_weekly_training": "2026-01-04T02:00:00Z",
           "pl_daily_scoring": "2026-01-04T03:00:00Z", "pl_clickstream_hourly": "2026-01-01T01:05:00Z"}
SALT = "test-salt-value"
JOB = "job-42"
OUTPUTS: dict[str, Any] = {
    "old_watermark": {"firstRow": {"watermark": "2025-12-31T00:00:00"}},
    "new_watermark": {"firstRow": {"watermark": "2026-01-03T23:59:59.1234567", "rows_without_watermark": 3}},
    "get_salt": {"value": SALT},
    "invoke": {"id": f"/subscriptions/sub-ml/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/"
                     f"workspaces/mlw-retail/jobs/{JOB}"},
    "get_job": {"properties": {"status": "Completed"}},
    "after_nightly__query_runs": {"value": [{"runId": "n-1", "runStart": "2026-01-04T00:00:05"}]},
    "run_audit": {"resultSetCount": 1, "resultSets": [{"rowCount": 1, "rows": [
        {"test_name": "sales_trusted.row_count", "severity": "error", "failing_rows": 0, "measured": 3}]}]},
}
CONTROL_TYPES = {"SetVariable", "AppendVariable", "Filter", "IfCondition", "Until", "ForEach", "Switch"}
CONTAINERS = {"ForEach", "Until", "IfCondition", "Switch"}  # the framework never yields these themselves


def _met(dependency: dict[str, Any], status: str) -> bool:
    conditions = dependency["dependencyConditions"]
    return status in conditions or ("Completed" in conditions and status in ("Succeeded", "Failed"))


def is_catch(activity: dict[str, Any]) -> bool:
    """A worker's catch: the Fail activity on one activity's failure path."""
    return activity["type"] == "Fail" and activity["name"].endswith("__failed")


def _statuses(raw: dict[str, Any], done: set[str], failed: set[str]) -> dict[str, str]:
    """The outcome of each top-level activity after a walk: what ran Succeeded or Failed (as the
    test set it); a container ran when its dependencies were met and Failed when an activity inside
    it failed; an activity whose dependencies were not met was Skipped. Activities that could have
    run but never did get no status."""
    top_ = raw["properties"]["activities"]
    status = {a["name"]: "Failed" if a["name"] in failed else "Succeeded" for a in top_ if a["name"] in done}
    changed = True
    while changed:
        changed = False
        for a in top_:
            needs = a.get("dependsOn", [])
            if a["name"] in status or not all(d["activity"] in status for d in needs):
                continue
            if not all(_met(d, status[d["activity"]]) for d in needs):
                status[a["name"]] = "Skipped"
            elif a["type"] in CONTAINERS:
                inner = {n["name"] for n, _ in nested([a])} - {a["name"]}
                status[a["name"]] = "Failed" if inner & failed & done else "Succeeded"
            else:
                continue  # runnable, yet it never ran
            changed = True
    return status


def stuck_activities(raw: dict[str, Any], done: set[str], failed: set[str]) -> list[str]:
    """What never ran, except catches of activities that succeeded (skipped by design): the rule of
    lakewharf.verify.adf_flow._stuck, told which activities the test failed."""
    status = _statuses(raw, done, failed)
    stuck = []
    for a in raw["properties"]["activities"]:
        if status.get(a["name"]) in ("Succeeded", "Failed"):
            continue
        deps = a.get("dependsOn", [])
        if not (is_catch(a) and deps and all(d["dependencyConditions"] == ["Failed"]
                                             and status.get(d["activity"]) == "Succeeded" for d in deps)):
            stuck.append(a["name"])
    return stuck


@dataclass
class Ran:
    """One activity as the framework evaluated it (expressions replaced by their values)."""

    name: str
    type: str
    props: dict[str, Any]
    refs: dict[str, Any]  # inputs, outputs, linkedServiceName
    policy: dict[str, Any] | None


@dataclass
class Run:
    pipeline: str
    parameters: dict[str, Any]
    activities: list[Ran] = field(default_factory=list)
    failure: str | None = None  # the message of the Fail activity that ended the run
    stuck: bool = False  # an activity failed and nothing else could run: failed without a Fail activity
    never_ran: list[str] = field(default_factory=list)  # top-level activities the walk never reached
    items: dict[str, Run] = field(default_factory=dict)  # orchestrators: the worker run of each item

    def named(self, name: str) -> list[Ran]:
        return [a for a in self.activities if a.name == name]

    def one(self, name: str) -> Ran:
        [ran] = self.named(name)
        return ran


def _plain(value: Any) -> Any:
    from lakewharf.artifacts.adf_tree import plain

    return copy.deepcopy(plain(value))


class Evaluator:
    """Walks generated pipelines like Data Factory: every activity's result is set by the test
    (``outputs``; the names in ``fail`` fail), control-file Lookups return the real items, and
    each Execute Pipeline runs its worker with the parameters the framework evaluated."""

    def __init__(self, adf_dir: Path, control_dir: Path) -> None:
        from lakewharf.verify.adf_flow import wrap_plain_expressions
        from lakewharf.verify.expression_engine import load_expression_engine

        load_expression_engine()
        from data_factory_testing_framework import TestFramework, TestFrameworkType

        self.raw: dict[str, dict[str, Any]] = {}
        with tempfile.TemporaryDirectory(prefix="lakewharf-workers-") as tmp:
            (Path(tmp) / "pipeline").mkdir()
            for path in sorted((adf_dir / "pipeline").glob("*.json")):
                raw = json.loads(path.read_text(encoding="utf-8"))
                self.raw[raw["name"]] = raw
                (Path(tmp) / "pipeline" / path.name).write_text(json.dumps(wrap_plain_expressions(raw)))
            self.framework = TestFramework(framework_type=TestFrameworkType.DataFactory, root_folder_path=tmp)
        self.control_dir = control_dir
        self.worker_runs = itertools.count(1)

    def _system(self, name: str, run_id: str, trigger_time: str) -> list[Any]:
        from data_factory_testing_framework.state import RunParameter, RunParameterType

        values = {"RunId": run_id, "TriggerTime": trigger_time, "Pipeline": name, "DataFactory": FACTORY,
                  "TriggerType": "ScheduleTrigger", "TriggerName": "test", "GroupId": run_id}
        params = [RunParameter(RunParameterType.System, k, v) for k, v in values.items()]
        return params + [RunParameter(RunParameterType.Global, k, v) for k, v in GLOBALS.items()]

    def run(self, name: str, parameters: dict[str, Any] | None = None, outputs: dict[str, Any] | None = None,
            fail: Iterable[str] = ()) -> Run:
        from data_factory_testing_framework.state import RunParameter, RunParameterType

        parameters = parameters or {}
        run = Run(name, parameters)
        params = self._system(name, ORCHESTRATOR_RUN_ID, TRIGGER[name])
        params += [RunParameter(RunParameterType.Pipeline, k, v) for k, v in parameters.items()]
        pipe = self.framework.get_pipeline_by_name(name)

        def execute(ran: Ran) -> bool:
            worker = ran.props["pipeline"]["referenceName"]
            child = self.run_worker(worker, ran.props["parameters"], TRIGGER[name], outputs, fail)
            run.items[str(ran.props["parameters"]["item"])] = child
            return child.failure is None and not child.stuck

        self._walk(run, self.framework.evaluate_pipeline(pipe, params), outputs, fail, execute)
        return run

    def run_worker(self, worker: str, parameters: dict[str, Any], trigger_time: str,
                   outputs: dict[str, Any] | None = None, fail: Iterable[str] = ()) -> Run:
        from data_factory_testing_framework.state import RunParameter, RunParameterType

        run = Run(worker, parameters)
        # A child pipeline has its own run id: the item's run_id parameter carries the orchestrator's.
        params = self._system(worker, f"22222222-0000-4000-8000-{next(self.worker_runs):012d}", trigger_time)
        params += [RunParameter(RunParameterType.Pipeline, k, v) for k, v in parameters.items()]
        pipe = self.framework.get_pipeline_by_name(worker)
        self._walk(run, self.framework.evaluate_pipeline(pipe, params), outputs, fail, None)
        return run

    def _walk(self, run: Run, walk: Iterator[Any], outputs: dict[str, Any] | None, fail: Iterable[str],
              execute: Callable[[Ran], bool] | None) -> None:
        from data_factory_testing_framework.exceptions import (
            NoRemainingPipelineActivitiesMeetDependencyConditionsError,
        )
        from data_factory_testing_framework.state import DependencyCondition

        outputs = OUTPUTS if outputs is None else outputs
        failing = set(fail)
        failed: set[str] = set()  # what the test set Failed
        try:
            for activity in walk:
                refs = {k: _plain(v) for k, v in activity.all_properties.items()
                        if k in ("inputs", "outputs", "linkedServiceName")}
                ran = Ran(activity.name, activity.type, _plain(activity.type_properties), refs,
                          _plain(activity.policy) if activity.policy else None)
                run.activities.append(ran)
                if activity.type == "Fail":
                    run.failure = str(ran.props["message"])
                    break
                if activity.type in CONTROL_TYPES:
                    continue  # the framework evaluates these itself
                if activity.type == "ExecutePipeline" and execute is not None:
                    ok = execute(ran)
                    if not ok:
                        failed.add(activity.name)
                    activity.set_result(DependencyCondition.Succeeded if ok else DependencyCondition.Failed, {})
                    continue
                if activity.name in failing:
                    failed.add(activity.name)
                    activity.set_result(DependencyCondition.Failed, {})
                    continue
                dataset = ran.props.get("dataset", {}).get("parameters", {})
                if activity.type == "Lookup" and dataset.get("filesystem") == CONTROL_FILESYSTEM:
                    rows = json.loads((self.control_dir / dataset["folder"] / dataset["file"]).read_text())
                    activity.set_result(DependencyCondition.Succeeded, {"value": rows, "count": len(rows)})
                    continue
                activity.set_result(DependencyCondition.Succeeded, copy.deepcopy(outputs.get(activity.name, {})))
        except NoRemainingPipelineActivitiesMeetDependencyConditionsError:
            # Catches of activities that succeeded never become runnable: that is a success.
            raw, done = self.raw[run.pipeline], {a.name for a in run.activities}
            status = _statuses(raw, done, failed)
            run.never_ran = [a["name"] for a in raw["properties"]["activities"]
                             if status.get(a["name"]) not in ("Succeeded", "Failed")]
            run.stuck = bool(stuck_activities(raw, done, failed))


@pytest.fixture(scope="module")
def evaluator(artifacts: list[Artifact], tmp_path_factory: pytest.TempPathFactory) -> Evaluator:
    root = tmp_path_factory.mktemp("workers") / "build"
    write_tree(root, artifacts)
    return Evaluator(root / "adf", root / "control")


@pytest.fixture(scope="module")
def runs(evaluator: Evaluator) -> dict[str, Run]:
    """Every orchestrator walked once, every activity succeeding."""
    out = {name: evaluator.run(name, WINDOW if name == "pl_clickstream_hourly" else None) for name in TRIGGER}
    for name, run in out.items():
        assert run.failure is None and not run.stuck, name
        for item, child in run.items.items():  # each item's worker ran to its end
            assert child.failure is None and not child.stuck, (name, item, child.never_ran)
            assert all(n.endswith("__failed") for n in child.never_ran), (name, item, child.never_ran)
    return out


# --- the real validators ---------------------------------------------------------------------


@pytest.mark.integration
def test_validators_catch_a_dangling_dependency_and_a_broken_expression(
        docs: Docs, write: Callable[[Docs], Path]) -> None:
    from lakewharf.verify.adf_flow import evaluate_pipelines
    from lakewharf.verify.adf_models import check_adf_tree

    assert check_adf_tree(write(docs)) == []
    broken = copy.deepcopy(docs)
    worker = broken["pipeline/wk_prepare_salted.json"]["properties"]["activities"]
    batches = next(a for a in worker if a["name"] == "run_batches")
    batches["dependsOn"][0]["activity"] = "clear_rejectz"
    # The orchestrator passes the item's field under a name the worker does not declare.
    loop = next(a for a in broken["pipeline/pl_nightly.json"]["properties"]["activities"]
                if a["name"] == "L02_prepare_salted")
    params = loop["typeProperties"]["activities"][0]["typeProperties"]["parameters"]
    params["salt_secrett"] = params.pop("salt_secret")
    found = [str(p) for p in check_adf_tree(write(broken))]
    assert len(found) == 3, found
    assert any(m.startswith("pipeline/wk_prepare_salted.json: ") and "(ForEach 'run_batches').dependsOn" in m
               and "'clear_rejectz' is not a sibling activity" in m for m in found)
    assert any(m.startswith("pipeline/pl_nightly.json: ") and "passes parameter 'salt_secrett' that pipeline "
               "'wk_prepare_salted' does not declare" in m for m in found)
    assert any(m.startswith("pipeline/pl_nightly.json: ") and "does not pass parameter 'salt_secret' of pipeline "
               "'wk_prepare_salted'" in m for m in found)

    # evaluate_pipelines reads only pipeline/ and factory/: one worker keeps this fast.
    one = {rel: copy.deepcopy(doc) for rel, doc in docs.items()
           if rel.startswith("factory/") or rel == "pipeline/wk_ingest_jsonl_window.json"}
    assert evaluate_pipelines(write(one)) == []
    copy_activity = next(a for a in one["pipeline/wk_ingest_jsonl_window.json"]["properties"]["activities"]
                         if a["type"] == "Copy")
    copy_activity["typeProperties"]["source"]["storeSettings"]["modifiedDatetimeStart"] = ex(
        "@pipeline().parameters.window_begin")
    [problem] = evaluate_pipelines(write(one))
    assert problem.file == "pipeline/wk_ingest_jsonl_window.json"
    assert "window_begin" in problem.message and "'copy'" in problem.message


# --- secrets, names --------------------------------------------------------------------------


def test_no_secret_values_only_key_vault_references(catalog: Catalog, artifacts: list[Artifact], docs: Docs,
                                                    control: Rows) -> None:
    for a in artifacts:
        text = a.content.decode().lower()
        for needle in ("password", "accountkey", "sig=", "secret=", "sharedaccesskey", "client_secret"):
            assert needle not in text, f"{a.path} contains {needle!r}"
    kinds = {"blob" if s.kind in ("file_drop", "log") else s.kind for s in catalog.sources.values()}
    assert kinds == {"sqlserver", "postgresql", "blob"}
    for kind in kinds:
        ls = docs[f"linkedService/{naming.source_linked_service_name(kind)}.json"]["properties"]
        [credential] = ls["typeProperties"].values()
        assert credential == {"type": "AzureKeyVaultSecret", "secretName": "@{linkedService().secret_name}",
                              "store": {"referenceName": naming.LS_KEY_VAULT, "type": "LinkedServiceReference",
                                        "parameters": {"key_vault_url": "@{linkedService().key_vault_url}"}}}
    for name in (naming.LS_SYNAPSE_POOL, naming.LS_SYNAPSE_SERVERLESS):
        props = docs[f"linkedService/{name}.json"]["properties"]["typeProperties"]
        assert props["authenticationType"] == "SystemAssignedManagedIdentity" and "password" not in props
    assert set(docs[f"linkedService/{naming.LS_LAKE}.json"]["properties"]["typeProperties"]) == {"url"}  # MSI

    # The items carry secret *names*: each ingest item its source's, the salted prepare the salt's.
    secrets = {(row["item"], key, value) for rows in control.values() for row in rows
               for key, value in row.items() if "secret" in key}
    expected = {(f"{s.name}__{e}", "secret", catalog.sources[s.target.partition(".")[0]].secret)
                for p in catalog.pipelines.values() for s in p.steps if s.kind == "ingest"
                for e in ([s.target.partition(".")[2]] if "." in s.target
                          else catalog.sources[s.target].entities)}
    expected.add(("customers", "salt_secret", catalog.platform.hash_salt_secret))
    assert secrets == expected and ("land_crm__customers", "secret", "crm-sql-connection-string") in secrets
    # ... which the ingest workers hand to the source datasets' secret_name, and the datasets to the
    # linked service; no worker or orchestrator holds a credential of its own.
    for name in workers(docs):
        for a, _ in nested(top(docs, name)):
            for ref in [*a.get("inputs", []), a.get("typeProperties", {}).get("dataset") or {}]:
                if str(ref.get("referenceName", "")).startswith("ds_src_"):
                    assert ref["parameters"]["secret_name"] == pe("secret"), (name, a["name"])
    for kind in ("sqlserver", "postgresql", "csv", "jsonl"):
        ds = docs[f"dataset/ds_src_{kind}.json"]["properties"]["linkedServiceName"]["parameters"]
        assert ds["secret_name"] == ex("@dataset().secret_name")
    web = [(name, a) for name in [*workers(docs), *orchestrators(docs)] for a, _ in nested(top(docs, name))
           if a["type"] == "WebActivity"]
    assert {(n, a["name"]) for n, a in web} >= {
        ("wk_prepare_salted", "get_salt"), ("wk_train", "invoke"), ("wk_score", "invoke"),
        ("pl_daily_scoring", "after_nightly__query_runs")}
    for name, a in web:
        props = a["typeProperties"]
        assert props["authentication"]["type"] == "MSI", (name, a["name"])
        assert not {k.lower() for k in props.get("headers", {})} & {"authorization", "x-functions-key"}


def test_file_layout_and_names(catalog: Catalog, artifacts: list[Artifact], docs: Docs, control: Rows) -> None:
    for rel, doc in docs.items():
        kind, file = rel.split("/")
        assert kind in {"factory", "linkedService", "dataset", "pipeline", "trigger"}
        assert file == f"{doc['name']}.json"
    kinds = {path.split("/")[1].split("_", 1)[1] for path in control}
    assert orchestrators(docs) == sorted(naming.pipeline_name(p) for p in catalog.pipelines)
    assert workers(docs) == sorted(f"wk_{k}" for k in kinds)  # one worker per kind of work in use, no more
    assert set(workers(docs)) >= {"wk_ingest_sqlserver_incremental", "wk_ingest_postgresql_incremental",
                                  "wk_ingest_csv_full", "wk_ingest_jsonl_window", "wk_prepare", "wk_prepare_salted",
                                  "wk_load", "wk_train", "wk_score"}
    assert {f"linkedService/{n}.json" for n in (naming.LS_LAKE, naming.LS_KEY_VAULT, naming.LS_SYNAPSE_POOL,
                                                naming.LS_SYNAPSE_SERVERLESS)} <= set(docs)
    for path in control:
        assert re.fullmatch(r"pl_[a-z_]+/L\d\d_[a-z_]+", path), path
    # Each control file is read by exactly one Lookup of its orchestrator, whose ForEach runs the
    # worker of the file's kind; every item of the file is of that kind.
    read = set()
    for name in orchestrators(docs):
        for a, _ in nested(top(docs, name)):
            if a["type"] != "Lookup":
                continue
            ds = a["typeProperties"]["dataset"]
            assert ds["referenceName"] == "ds_lake_json" and ds["parameters"]["filesystem"] == CONTROL_FILESYSTEM
            assert ds["parameters"]["folder"] == name and a["name"] == ds["parameters"]["file"].replace(
                ".json", "__items")
            group = ds["parameters"]["file"].removesuffix(".json")
            read.add(f"{name}/{group}")
            kind = group.split("_", 1)[1]
            run = run_of(docs, name, group)
            assert run["typeProperties"]["pipeline"]["referenceName"] == f"wk_{kind}"
            assert all(kind.startswith(row["kind"]) for row in control[f"{name}/{group}"])
    assert read == set(control)
    assert all(a.elements for a in artifacts)
    by_path = {a.path: a for a in artifacts}
    assert by_path["adf/pipeline/wk_load.json"].elements == ("pipeline:daily_scoring", "pipeline:nightly")
    assert "table:fact_sales" in by_path["control/pl_nightly/L05_load.json"].elements


# --- ingest ----------------------------------------------------------------------------------


def test_incremental_ingest_workers_chain_the_watermark(docs: Docs, control: Rows) -> None:
    old = "activity('old_watermark').output.firstRow.watermark"
    new = "activity('new_watermark').output.firstRow.watermark"
    for family, key in (("sqlserver", "sqlReaderQuery"), ("postgresql", "query")):
        name = f"wk_ingest_{family}_incremental"
        chain = work(docs, name)
        assert [(a["name"], a["type"]) for a in chain] == [
            ("old_watermark", "Lookup"), ("new_watermark", "Lookup"), ("copy", "Copy"), ("save_watermark", "Script")]
        # Each step of the chain is caught right after it (see the failure tests for the catches).
        steps = ("old_watermark", "new_watermark", "copy", "save_watermark")
        assert [a["name"] for a in top(docs, name)] == [n for step in steps for n in (step, f"{step}__failed")]
        first, second, copy_, save = chain
        assert "dependsOn" not in first and upstream(second) == ["old_watermark"]
        assert upstream(copy_) == ["new_watermark"] and upstream(save) == ["copy"]
        assert first["typeProperties"]["dataset"]["referenceName"] == "ds_synapse_pool"  # etl.watermarks
        assert first["typeProperties"]["source"]["sqlReaderQuery"] == pe("old_query")
        assert second["typeProperties"]["dataset"]["referenceName"] == f"ds_src_{family}"
        assert second["typeProperties"]["source"][key] == ex(
            f"@replace(pipeline().parameters.new_query, '{OLD}', {old})")
        assert copy_["typeProperties"]["source"][key] == ex(
            f"@replace(replace(pipeline().parameters.query, '{OLD}', {old}), '{NEW}', {new})")
        assert save["linkedServiceName"]["referenceName"] == naming.LS_SYNAPSE_POOL
        assert save["typeProperties"]["scripts"][0]["text"] == ex(
            f"@replace(replace(pipeline().parameters.save_script, '{NEW}', {new}), '{UNSELECTABLE}', "
            "string(activity('new_watermark').output.firstRow.rows_without_watermark))")
        assert [c["name"] for c in copy_["typeProperties"]["source"]["additionalColumns"]] == ["_loaded_at", "_run_id"]
        assert copy_["outputs"][0]["parameters"]["folder"] == ex(
            "@concat(pipeline().parameters.folder, '/', formatDateTime(pipeline().parameters.landing_time, "
            "'yyyy/MM/dd'))")
        declared = set(pipeline(docs, name)["properties"]["parameters"])
        assert {"old_query", "new_query", "query", "save_script"} <= declared
        # Every declared parameter is passed by the orchestrator, from the item or the run.
        [group] = [p.split("/")[1] for p in control if p.endswith(f"_ingest_{family}_incremental")]
        passed = run_of(docs, "pl_nightly", group)["typeProperties"]["parameters"]
        assert set(passed) == declared
        assert all(passed[k] == ex(f"@item().{k}") for k in declared - RUN_PARAMETERS)
        assert passed["landing_time"] == ex("@pipeline().TriggerTime") and passed["pipeline"] == "pl_nightly"

    _, crm = find_item(control, "land_crm__customers")
    assert crm["old_query"] == ("SELECT COALESCE(MAX([watermark_value]), N'1900-01-01T00:00:00') AS [watermark] "
                                "FROM [etl].[watermarks] WHERE [entity] = N'crm.customers'")
    assert crm["new_query"] == ("SELECT COALESCE(CONVERT(NVARCHAR(33), MAX([updated_at]), 126), N'{{old_watermark}}')"
                                " AS [watermark], COALESCE(SUM(CASE WHEN [updated_at] IS NULL THEN 1 ELSE 0 END), 0)"
                                " AS [rows_without_watermark] FROM [dbo].[customers]")
    assert crm["query"].endswith(" FROM [dbo].[customers] WHERE [updated_at] > CONVERT(DATETIME2, "
                                 "N'{{old_watermark}}', 126) AND [updated_at] <= CONVERT(DATETIME2, "
                                 "N'{{new_watermark}}', 126)")
    assert "UPDATE [etl].[watermarks] SET [watermark_value] = N'{{new_watermark}}'" in crm["save_script"]
    assert "[rows_without_watermark] = {{rows_without_watermark}}" in crm["save_script"]
    assert "WHERE [entity] = N'crm.customers'" in crm["save_script"]
    _, orders = find_item(control, "land_orders__orders")
    assert ('FROM "public"."orders" WHERE "updated_at" > CAST(\'{{old_watermark}}\' AS timestamp) '
            'AND "updated_at" <= CAST(\'{{new_watermark}}\' AS timestamp)') in orders["query"]
    assert orders["old_query"].endswith("WHERE [entity] = N'orders.orders'")


@pytest.mark.integration
def test_evaluated_watermark_chain_copies_the_rows_between_the_two_watermarks(runs: dict[str, Run],
                                                                              control: Rows) -> None:
    run = runs["pl_nightly"].items["land_crm__customers"]
    assert [a.name for a in run.activities] == ["old_watermark", "new_watermark", "copy", "save_watermark"]
    _, item = find_item(control, "land_crm__customers")
    old, new = (OUTPUTS[n]["firstRow"]["watermark"] for n in ("old_watermark", "new_watermark"))
    assert run.one("old_watermark").props["source"]["sqlReaderQuery"] == item["old_query"]
    assert run.one("new_watermark").props["source"]["sqlReaderQuery"] == item["new_query"].replace(OLD, old)
    copied = run.one("copy")
    assert copied.props["source"]["sqlReaderQuery"] == item["query"].replace(OLD, old).replace(NEW, new)
    assert f"> CONVERT(DATETIME2, N'{old}', 126) AND [updated_at] <= CONVERT(DATETIME2, N'{new}', 126)" in (
        copied.props["source"]["sqlReaderQuery"])
    assert copied.props["source"]["additionalColumns"] == [
        {"name": "_loaded_at", "value": "2026-01-04T00:00:00.0000000Z"},
        {"name": "_run_id", "value": ORCHESTRATOR_RUN_ID}]
    assert copied.props["translator"] == item["translator"]
    assert copied.refs["inputs"][0]["parameters"] == {"key_vault_url": GLOBALS["key_vault_url"],
                                                      "secret_name": "crm-sql-connection-string",
                                                      "schema": "dbo", "table": "customers"}
    assert copied.refs["outputs"][0]["parameters"] == {"lake_dfs_endpoint": GLOBALS["lake_dfs_endpoint"],
                                                       "filesystem": "landing", "folder": "crm/customers/2026/01/04"}
    saved = run.one("save_watermark").props["scripts"][0]["text"]
    assert saved == item["save_script"].replace(NEW, new).replace(UNSELECTABLE, "3")
    assert f"SET [watermark_value] = N'{new}'" in saved and "[rows_without_watermark] = 3 WHERE" in saved
    pg = runs["pl_nightly"].items["land_orders__orders"].one("copy").props["source"]["query"]
    assert f'"updated_at" > CAST(\'{old}\' AS timestamp) AND "updated_at" <= CAST(\'{new}\' AS timestamp)' in pg


# --- prepare ---------------------------------------------------------------------------------


def test_salted_prepare_reads_the_salt_securely_and_clears_before_cetas(
        docs: Docs, control: Rows, catalog: Catalog, built: dict[str, Artifact]) -> None:
    acts = activities(docs, "wk_prepare_salted")
    salt, clear, rejects, batches, cetas = (acts[n] for n in ("get_salt", "clear_folder", "clear_rejects",
                                                             "run_batches", "cetas"))
    assert [a["name"] for a in work(docs, "wk_prepare_salted")] == [
        "get_salt", "clear_folder", "clear_rejects", "run_batches", "data_tests"]
    # No salt or a failed batch fails the item; the clears are best-effort and have no catch.
    assert [a["name"] for a in top(docs, "wk_prepare_salted")] == [
        "get_salt", "get_salt__failed", "clear_folder", "clear_rejects", "run_batches", "run_batches__failed",
        "data_tests", "data_tests__failed"]
    assert salt["type"] == "WebActivity" and salt["typeProperties"]["method"] == "GET"
    assert salt["policy"]["secureOutput"] is True
    assert salt["typeProperties"]["authentication"] == {"type": "MSI", "resource": "https://vault.azure.net"}
    assert salt["typeProperties"]["url"] == ex("@{pipeline().globalParameters.key_vault_url}/secrets/"
                                               "@{pipeline().parameters.salt_secret}?api-version=7.0")
    assert (clear["type"], rejects["type"], batches["type"], cetas["type"]) == ("Delete", "Delete", "ForEach", "Script")
    assert upstream(clear) == ["get_salt"]  # no salt, no run: the folders stay as they are
    assert upstream(rejects, "Completed") == ["clear_folder"] and upstream(batches, "Completed") == ["clear_rejects"]
    assert clear["typeProperties"]["dataset"]["parameters"]["folder"] == pe("folder")
    assert rejects["typeProperties"]["dataset"]["parameters"]["folder"] == pe("rejects_folder")
    assert batches["typeProperties"]["isSequential"] is True and batches["typeProperties"]["items"] == pe("scripts")
    assert cetas["policy"]["secureInput"] is True
    assert cetas["linkedServiceName"]["referenceName"] == naming.LS_SYNAPSE_SERVERLESS
    [script] = cetas["typeProperties"]["scripts"]
    assert script["text"] == ex("@item()")
    assert script["parameters"] == [{"name": "salt", "type": "String", "direction": "Input",
                                     "value": ex("@activity('get_salt').output.value")}]
    plain = activities(docs, "wk_prepare")
    assert "get_salt" not in plain and "dependsOn" not in plain["clear_folder"]
    assert [a["name"] for a in top(docs, "wk_prepare")] == [
        "clear_folder", "clear_rejects", "run_batches", "run_batches__failed", "data_tests", "data_tests__failed"]
    assert "parameters" not in plain["cetas"]["typeProperties"]["scripts"][0]
    assert plain["cetas"]["policy"]["secureInput"] is False

    # Only the dataset that hashes columns is salted; its item runs exactly the generated batches.
    salted = {row["target"] for rows in control.values() for row in rows if "salt_secret" in row}
    assert salted == {d for d in (s.target for p in catalog.pipelines.values() for s in p.steps
                                  if s.kind == "prepare") if preparations.uses_salt(catalog, catalog.datasets[d])}
    assert salted == {"customers_clean"}
    path, item = find_item(control, "customers")
    assert path == "pl_nightly/L02_prepare_salted"
    text = built[preparations.script_path("customers_clean")].content.decode()
    assert item["scripts"] == preparations.split_batches(text) and any("@salt" in b for b in item["scripts"])
    assert (item["filesystem"], item["folder"], item["rejects_folder"], item["salt_secret"]) == (
        "development", "customers_clean", "_rejects/customers_clean", "pii-hash-salt")
    unsalted = [row for path, rows in control.items() if path.endswith("_prepare") for row in rows]
    assert unsalted and not any("@salt" in b for row in unsalted for b in row["scripts"])


@pytest.mark.integration
def test_evaluated_salt_reaches_every_cetas_batch(runs: dict[str, Run], control: Rows) -> None:
    run = runs["pl_nightly"].items["customers"]
    _, item = find_item(control, "customers")
    assert [a.name for a in run.activities] == ["get_salt", "clear_folder", "clear_rejects",
                                                *["cetas"] * len(item["scripts"])]
    assert run.one("get_salt").props["url"] == f"{GLOBALS['key_vault_url']}/secrets/pii-hash-salt?api-version=7.0"
    assert run.one("clear_folder").props["dataset"]["parameters"]["folder"] == "customers_clean"
    assert run.one("clear_rejects").props["dataset"]["parameters"]["folder"] == "_rejects/customers_clean"
    batches = run.named("cetas")
    assert [b.props["scripts"][0]["text"] for b in batches] == item["scripts"]
    assert all(b.props["scripts"][0]["parameters"][0]["value"] == SALT and b.policy and b.policy["secureInput"]
               for b in batches)
    assert SALT not in json.dumps([a.props for a in runs["pl_nightly"].items["orders"].activities])


# --- load ------------------------------------------------------------------------------------


def test_load_worker_runs_copy_into_then_the_procedure(docs: Docs, control: Rows, built: dict[str, Artifact]) -> None:
    chain = top(docs, "wk_load")
    assert [(a["name"], a["type"]) for a in chain] == [("copy_and_load", "ForEach"), ("copy_and_load__failed", "Fail")]
    assert upstream(chain[1], "Failed") == ["copy_and_load"]
    loop = chain[0]["typeProperties"]
    assert loop["isSequential"] is True and loop["items"] == pe("scripts")
    [batch] = loop["activities"]
    assert batch["type"] == "Script" and batch["linkedServiceName"]["referenceName"] == naming.LS_SYNAPSE_POOL
    assert batch["typeProperties"]["scripts"][0]["text"] == ex(
        "@replace(replace(item(), '{run_id}', pipeline().parameters.run_id), '{lake_dfs_endpoint}', "
        "pipeline().globalParameters.lake_dfs_endpoint)")
    path, item = find_item(control, "load_fact_sales")
    assert path == "pl_nightly/L05_load" and item["script"] == load_script_path("fact_sales")
    text = "\n".join(item["scripts"])
    assert LAKE_ENDPOINT_PLACEHOLDER not in text and "FROM '{lake_dfs_endpoint}/trusted/sales_trusted/'" in text
    call = "EXEC [etl].[load_fact_sales] @run_id = N'{run_id}';"
    assert text.index("TRUNCATE TABLE [stg].[mart__fact_sales]") < text.index("COPY INTO [stg].[mart__fact_sales]") < (
        text.index(call))
    source = built[load_script_path("fact_sales")].content.decode()
    expected = preparations.split_batches(source.replace(LAKE_ENDPOINT_PLACEHOLDER, "{lake_dfs_endpoint}")
                                          .replace("@{pipeline().RunId}", "{run_id}"))
    assert item["scripts"] == expected
    # fact_sales loads after its dimensions and sales_trusted: their items are in earlier levels,
    # and each level waits for every ForEach of the level before.
    level = {row["item"]: int(p.split("/")[1][1:3]) for p, rows in control.items() if p.startswith("pl_nightly/")
             for row in rows}
    assert all(level[d] < level["load_fact_sales"] for d in ("sales_trusted", "load_dim_customer",
                                                             "load_dim_product", "load_dim_date"))
    nightly = activities(docs, "pl_nightly")
    assert set(upstream(nightly["L05_load__items"])) == {"L04_load", "L04_prepare"}
    assert run_of(docs, "pl_nightly", "L05_load")["typeProperties"]["parameters"]["run_id"] == ex("@pipeline().RunId")


@pytest.mark.integration
def test_evaluated_load_points_copy_into_at_the_lake_and_passes_the_run_id(runs: dict[str, Run]) -> None:
    [batch] = runs["pl_nightly"].items["load_fact_sales"].activities
    text = batch.props["scripts"][0]["text"]
    assert f"FROM '{GLOBALS['lake_dfs_endpoint']}/trusted/sales_trusted/'" in text
    # The load procedure, then the table's data tests, both with the orchestrator's run id.
    assert text.rstrip().endswith(f"EXEC [etl].[load_fact_sales] @run_id = N'{ORCHESTRATOR_RUN_ID}';\n"
                                  f"EXEC [etl].[audit_fact_sales] @run_id = N'{ORCHESTRATOR_RUN_ID}';")
    assert "{run_id}" not in text and "{lake_dfs_endpoint}" not in text
    assert batch.refs["linkedServiceName"] == {
        "referenceName": naming.LS_SYNAPSE_POOL, "type": "LinkedServiceReference",
        "parameters": {k: GLOBALS[k] for k in ("synapse_dedicated_endpoint", "synapse_dedicated_database")}}


# --- failures --------------------------------------------------------------------------------


# The activities each worker catches: every one whose success the item needs. Not caught: the
# best-effort folder clears (followed only upon Completion) and the ML workers' check_job, an If
# that fails the run with its own message.
CATCHES = {
    "wk_ingest_csv_full": ["copy"],
    "wk_ingest_jsonl_window": ["copy"],
    "wk_ingest_postgresql_incremental": ["old_watermark", "new_watermark", "copy", "save_watermark"],
    "wk_ingest_sqlserver_incremental": ["old_watermark", "new_watermark", "copy", "save_watermark"],
    "wk_load": ["copy_and_load"],
    "wk_prepare": ["run_batches", "data_tests"],
    "wk_prepare_salted": ["get_salt", "run_batches", "data_tests"],
    "wk_score": ["invoke", "wait_for_job"],
    "wk_train": ["invoke", "wait_for_job"],
}
BEST_EFFORT = {"wk_prepare": {"clear_folder", "clear_rejects"}, "wk_prepare_salted": {"clear_folder", "clear_rejects"},
               "wk_score": {"clear_outputs"}}


def catch_message(activity: str) -> str:
    return ("Step '@{pipeline().parameters.step}' (@{pipeline().parameters.kind} @{pipeline().parameters.target}) "
            f"of pipeline @{{pipeline().parameters.pipeline}} failed in activity '{activity}': "
            f"@{{activity('{activity}')?.error?.message}}")


def test_every_needed_activity_has_a_catch_that_names_the_item(docs: Docs, control: Rows) -> None:
    assert sorted(CATCHES) == workers(docs)
    for name, caught in CATCHES.items():
        chain = top(docs, name)
        catches = [a for a in chain if is_catch(a)]
        assert [a["name"] for a in catches] == [f"{c}__failed" for c in caught], name
        for catch in catches:
            target = catch["name"].removesuffix("__failed")
            assert chain[chain.index(catch) - 1]["name"] == target, (name, target)  # right after its activity
            assert set(catch) == {"name", "type", "description", "dependsOn", "typeProperties"}, (name, target)
            assert target in catch["description"]
            assert catch["dependsOn"] == [{"activity": target, "dependencyConditions": ["Failed"]}], (name, target)
            assert catch["typeProperties"] == {"message": ex(catch_message(target)), "errorCode": "StepFailed"}
        # What has no catch: exactly the best-effort activities (some activity follows them only upon
        # Completion) and the Ifs that fail the run themselves.
        uncaught = {a["name"] for a in work(docs, name)} - set(caught)
        completed = {d["activity"] for a in chain for d in a.get("dependsOn", [])
                     if d["dependencyConditions"] == ["Completed"]}
        assert completed == BEST_EFFORT.get(name, set()), name
        ifs = {a["name"] for a in work(docs, name) if a["type"] == "IfCondition"}
        assert uncaught == completed | ifs, name
        assert ifs == ({"check_job"} if name in ("wk_train", "wk_score") else set()), name
        # The catches are the only failure paths, all at the top level; the only other Fail is the ML job's.
        fails = []
        for a, parent in nested(chain):
            conditions = {c for d in a.get("dependsOn", []) for c in d["dependencyConditions"]}
            if is_catch(a):
                assert parent is None, (name, a["name"])
            else:
                assert conditions <= {"Succeeded", "Completed"}, (name, a["name"])  # no path swallows an error
            if a["type"] == "Fail":
                fails.append(a if parent is None else parent["name"])
        assert fails == [*catches, *(["check_job"] if ifs else [])], name
        assert {"step", "kind", "target", "pipeline"} <= set(pipeline(docs, name)["properties"]["parameters"])
    for name in ("wk_train", "wk_score"):
        check = activities(docs, name)["check_job"]
        assert top(docs, name)[-1] is check and upstream(check) == ["wait_for_job"]
        [fail] = check["typeProperties"]["ifFalseActivities"]
        assert fail["type"] == "Fail" and fail["typeProperties"]["errorCode"] == "AzureMLJobFailed"
        assert fail["typeProperties"]["message"]["value"].startswith(
            "Step '@{pipeline().parameters.step}' of pipeline @{pipeline().parameters.pipeline}: "
            "@{pipeline().parameters.what}: Azure ML job ")
    # The orchestrator waits for each item's worker and passes the names the message shows.
    for name in orchestrators(docs):
        for a, parent in nested(top(docs, name)):
            conditions = {c for d in a.get("dependsOn", []) for c in d["dependencyConditions"]}
            assert conditions <= {"Succeeded"}, (name, a["name"])  # a failed level stops the run
            if a["type"] == "ExecutePipeline":
                assert parent is not None and parent["type"] == "ForEach"
                assert parent["typeProperties"]["isSequential"] is False  # the level's other items still run
                props = a["typeProperties"]
                assert props["waitOnCompletion"] is True
                assert {k: props["parameters"][k] for k in ("item", "step", "kind", "target")} == {
                    k: ex(f"@item().{k}") for k in ("item", "step", "kind", "target")}
                assert props["parameters"]["pipeline"] == name
    _, item = find_item(control, "load_fact_sales")
    assert (item["step"], item["kind"], item["target"]) == ("load_fact_sales", "load", "fact_sales")


@pytest.mark.integration
def test_evaluated_failure_of_the_last_activity_names_the_item(evaluator: Evaluator, runs: dict[str, Run]) -> None:
    nightly = runs["pl_nightly"].items
    crm = evaluator.run_worker("wk_ingest_sqlserver_incremental", nightly["land_crm__customers"].parameters,
                               TRIGGER["pl_nightly"], fail={"save_watermark"})
    assert crm.failure == ("Step 'land_crm' (ingest crm.customers) of pipeline pl_nightly failed in activity "
                           "'save_watermark': ")  # + the activity's error, which the framework cannot supply
    assert [a.name for a in crm.activities] == ["old_watermark", "new_watermark", "copy", "save_watermark",
                                                "save_watermark__failed"]
    early = evaluator.run_worker("wk_ingest_sqlserver_incremental", nightly["land_crm__customers"].parameters,
                                 TRIGGER["pl_nightly"], fail={"old_watermark"})
    assert early.failure == ("Step 'land_crm' (ingest crm.customers) of pipeline pl_nightly failed in activity "
                             "'old_watermark': ")
    assert [a.name for a in early.activities] == ["old_watermark", "old_watermark__failed"]  # nothing else ran
    csv = evaluator.run_worker("wk_ingest_csv_full", nightly["land_products__products"].parameters,
                               TRIGGER["pl_nightly"], fail={"copy"})
    assert csv.failure == "Step 'land_products' (ingest products.products) of pipeline pl_nightly failed in " \
                          "activity 'copy': "
    ok = evaluator.run_worker("wk_ingest_csv_full", nightly["land_products__products"].parameters,
                              TRIGGER["pl_nightly"])
    # The walk ends with the catch never runnable: not stuck, because copy succeeded.
    assert ok.failure is None and not ok.stuck and ok.never_ran == ["copy__failed"]
    assert [a.name for a in ok.activities] == ["copy"]
    # The rule still tells a failure nothing caught: without its catch, a failed copy leaves the run stuck.
    raw = evaluator.raw["wk_ingest_csv_full"]
    assert stuck_activities(raw, {"copy"}, set()) == []
    assert stuck_activities(raw, {"copy"}, {"copy"}) == ["copy__failed"]
    uncaught = copy.deepcopy(raw)
    after = {"name": "after", "type": "Wait",
             "dependsOn": [{"activity": "copy", "dependencyConditions": ["Succeeded"]}]}
    uncaught["properties"]["activities"].append(after)
    assert stuck_activities(uncaught, {"copy"}, set()) == ["after"]  # runnable yet never ran
    assert stuck_activities(uncaught, {"copy", "copy__failed"}, {"copy"}) == ["after"]  # skipped, not a catch
    weekly = runs["pl_weekly_training"].items["train_churn"]
    assert weekly.never_ran == ["invoke__failed", "wait_for_job__failed"] and not weekly.stuck
    failed = {**OUTPUTS, "get_job": {"properties": {"status": "Failed"}}}
    job = evaluator.run_worker("wk_train", weekly.parameters, TRIGGER["pl_weekly_training"], outputs=failed)
    assert job.failure is not None and job.failure.startswith(
        f"Step 'train_churn' of pipeline pl_weekly_training: Train churn: Azure ML job {JOB} on batch endpoint "
        "retail-train-churn ended Failed. See https://ml.azure.com/runs/job-42?wsid=/subscriptions/sub-ml/")


def _must_fail_the_item(worker: list[dict[str, Any]]) -> list[str]:
    """Top-level execution activities whose failure must fail the item: all but the best-effort ones
    (followed only upon Completion, like the folder clears). Failures inside a ForEach or Until do
    not fail their container in data-factory-testing-framework, so those catches are checked above."""
    best_effort = {d["activity"] for a in worker for d in a.get("dependsOn", [])
                   if d["dependencyConditions"] == ["Completed"]}
    return [a["name"] for a in worker if a["type"] not in CONTROL_TYPES | {"Fail"} and a["name"] not in best_effort]


@pytest.mark.integration
def test_a_failure_anywhere_in_a_worker_fails_the_item_with_its_name(
        docs: Docs, evaluator: Evaluator, runs: dict[str, Run]) -> None:
    items = {r.pipeline: (pipeline_name, r) for pipeline_name, run in runs.items() for r in run.items.values()}
    checked, unnamed, failed_best_effort = [], [], []
    for name in workers(docs):
        orchestrator, sample = items[name]
        params = sample.parameters
        for activity in _must_fail_the_item(top(docs, name)):
            checked.append(f"{name}/{activity}")
            run = evaluator.run_worker(name, params, TRIGGER[orchestrator], fail={activity})
            expected = (f"Step '{params['step']}' ({params['kind']} {params['target']}) of pipeline {orchestrator} "
                        f"failed in activity '{activity}': ")
            if run.failure != expected or run.activities[-1].name != f"{activity}__failed":
                unnamed.append(f"{name}/{activity}: {run.failure!r}")
        # A best-effort activity's failure does not fail the item.
        for activity in sorted(BEST_EFFORT.get(name, set()) - {"clear_outputs"}):  # a ForEach: not failable
            run = evaluator.run_worker(name, params, TRIGGER[orchestrator], fail={activity})
            if run.failure is not None or run.stuck:
                failed_best_effort.append(f"{name}/{activity}: {run.failure!r} {run.never_ran}")
    assert unnamed == [], "\n".join(unnamed)
    assert failed_best_effort == [], "\n".join(failed_best_effort)
    assert sorted(checked) == sorted(f"{name}/{a}" for name, caught in CATCHES.items() for a in caught
                                     if a not in ("copy_and_load", "run_batches", "wait_for_job", "data_tests"))


# --- policies --------------------------------------------------------------------------------


def test_policies_follow_the_steps(docs: Docs, control: Rows, catalog: Catalog) -> None:
    # Every item carries its step's timeout and retry count ...
    steps = {s.name: s for p in catalog.pipelines.values() for s in p.steps}
    for rows in control.values():
        for row in rows:
            step = steps[row["step"]]
            assert (row["timeout"], row["retry"]) == (timespan(step.timeout_minutes), step.retry_count), row["item"]
            assert row["script_timeout"] == timespan(min(step.timeout_minutes, 24 * 60))
    assert find_item(control, "load_fact_sales")[1]["timeout"] == "0.02:00:00"  # timeout_minutes: 120
    assert find_item(control, "train_churn")[1]["timeout"] == "0.03:00:00"  # timeout_minutes: 180
    assert find_item(control, "train_churn")[1]["retry"] == 1  # the pipeline-level retry
    assert find_item(control, "customers")[1]["retry"] == 2  # the defaults
    # ... which the orchestrator passes and every execution activity of the workers applies.
    for name in orchestrators(docs):
        for a, _ in nested(top(docs, name)):
            if a["type"] == "ExecutePipeline":
                passed = a["typeProperties"]["parameters"]
                assert all(passed[k] == ex(f"@item().{k}") for k in ("timeout", "retry", "script_timeout"))
    policies = 0
    for name in workers(docs):
        for a, _ in nested(top(docs, name)):
            if "policy" not in a:
                continue
            policies += 1
            retry = 0 if a["name"] == "invoke" else pe("retry")  # a retried POST could start a second job
            assert (a["policy"]["timeout"], a["policy"]["retry"]) == (pe("timeout"), retry), (name, a["name"])
            assert a["policy"]["retryIntervalInSeconds"] == WORKER_POLICY_INTERVAL
            if a["type"] == "Script":
                assert a["typeProperties"]["scriptBlockExecutionTimeout"] == pe("script_timeout")
    assert policies >= 20
    train = activities(docs, "wk_train")
    assert train["get_job"]["policy"]["retry"] == pe("retry") and train["invoke"]["policy"]["retry"] == 0


def test_the_azure_ml_job_wait_is_bounded_by_the_step_timeout(docs: Docs, control: Rows) -> None:
    assert find_item(control, "train_churn")[1]["timeout"] == "0.03:00:00"
    for name in ("wk_train", "wk_score"):
        until = activities(docs, name)["wait_for_job"]
        assert until["type"] == "Until"
        assert until["typeProperties"]["timeout"] == pe("timeout"), name


@pytest.mark.integration
def test_evaluated_policies_carry_the_items_values(runs: dict[str, Run]) -> None:
    [batch] = runs["pl_nightly"].items["load_fact_sales"].activities
    assert batch.policy is not None and (batch.policy["timeout"], batch.policy["retry"]) == ("0.02:00:00", 2)
    assert batch.props["scriptBlockExecutionTimeout"] == "0.02:00:00"
    churn = runs["pl_weekly_training"].items["train_churn"]
    poll, invoke = churn.one("get_job").policy, churn.one("invoke").policy
    assert poll is not None and (poll["timeout"], poll["retry"]) == ("0.03:00:00", 1)
    assert invoke is not None and invoke["retry"] == 0
    copied = runs["pl_nightly"].items["land_crm__customers"].one("copy").policy
    assert copied is not None and (copied["timeout"], copied["retry"]) == ("0.01:00:00", 2)


# --- machine learning ------------------------------------------------------------------------


def test_training_and_scoring_invoke_batch_endpoints(docs: Docs, control: Rows, catalog: Catalog) -> None:
    url = ("https://@{pipeline().parameters.endpoint}-@{pipeline().globalParameters.ml_endpoint_suffix}."
           "@{pipeline().globalParameters.ml_region}.inference.ml.azure.com/jobs")
    for name in ("wk_train", "wk_score"):
        acts = activities(docs, name)
        invoke = acts["invoke"]["typeProperties"]
        assert (invoke["method"], invoke["url"], invoke["body"]) == ("POST", ex(url), pe("body"))
        assert invoke["authentication"] == {"type": "MSI", "resource": "https://ml.azure.com"}
        until = acts["wait_for_job"]
        assert upstream(until) == ["invoke"]
        assert [a["type"] for a in until["typeProperties"]["activities"]] == ["Wait", "WebActivity", "SetVariable"]
        assert acts["get_job"]["typeProperties"]["url"] == ex(
            url + "/@{last(split(activity('invoke').output.id, '/'))}")
        assert "'Failed', 'Canceled'" in acts["check_job"]["typeProperties"]["expression"]["value"]
        assert pipeline(docs, name)["properties"]["variables"] == {"job_status": {"type": "String"}}
    score = activities(docs, "wk_score")
    assert upstream(score["invoke"], "Completed") == ["clear_outputs"]  # yesterday's scores are gone first
    assert score["clear_outputs"]["typeProperties"]["items"] == pe("clear")
    assert score["clear_output"]["typeProperties"]["dataset"]["parameters"]["folder"] == ex("@item().folder")

    train = {row["item"]: row for p, rows in control.items() if p.endswith("_train") for row in rows}
    assert set(train) == {"train_churn", "train_segmentation", "train_recommender"}
    churn = train["train_churn"]
    assert churn["endpoint"] == naming.training_endpoint_name("retail", "churn") == "retail-train-churn"
    body = json.loads(churn["body"])
    # churn trains on its point-in-time set and scores today's features (scoring.dataset).
    assert body["properties"]["InputData"]["training_data"]["Uri"] == datastore_uri("development", "churn_training")
    assert body["properties"]["properties"]["experimentName"] == "train_churn"
    scores = {row["item"]: row for row in control["pl_daily_scoring/L01_score"]}
    assert set(scores) == {"score_churn", "score_segmentation", "score_recommender"}
    body = json.loads(scores["score_churn"]["body"])
    assert scores["score_churn"]["endpoint"] == "retail-churn"
    assert body["properties"]["InputData"]["input_data"]["Uri"] == datastore_uri("development", "customer_features")
    body = json.loads(scores["score_recommender"]["body"])
    assert body["properties"]["OutputData"]["score"]["Uri"] == "azureml://datastores/trusted/paths/scores/recommender/"
    assert scores["score_recommender"]["clear"] == [
        {"filesystem": "trusted", "folder": f"scores/recommender/{o}"} for o in catalog.models["recommender"].outputs]
    # Loading a model's scores waits for the scoring level.
    assert "load_churn" in {row["item"] for row in control["pl_daily_scoring/L02_load"]}
    assert upstream(activities(docs, "pl_daily_scoring")["L02_load__items"]) == ["L01_score"]


@pytest.mark.integration
def test_evaluated_ml_items_call_their_batch_endpoints(runs: dict[str, Run], control: Rows) -> None:
    host = f"{GLOBALS['ml_endpoint_suffix']}.{GLOBALS['ml_region']}.inference.ml.azure.com"
    churn = runs["pl_weekly_training"].items["train_churn"]
    assert [a.name for a in churn.activities] == ["invoke", "pause", "get_job", "set_status"]
    invoke = churn.one("invoke").props
    assert invoke["url"] == f"https://retail-train-churn-{host}/jobs"
    assert invoke["body"] == find_item(control, "train_churn")[1]["body"]
    assert churn.one("get_job").props["url"] == f"https://retail-train-churn-{host}/jobs/{JOB}"
    recommender = runs["pl_daily_scoring"].items["score_recommender"]
    cleared = [a.props["dataset"]["parameters"]["folder"] for a in recommender.named("clear_output")]
    assert cleared == [c["folder"] for c in find_item(control, "score_recommender")[1]["clear"]]
    assert [a.name for a in recommender.activities].index("invoke") == len(cleared)
    assert recommender.one("invoke").props["url"] == f"https://retail-recommender-{host}/jobs"


# --- after, window ---------------------------------------------------------------------------


def test_after_checks_the_upstream_pipeline_run(docs: Docs, control: Rows) -> None:
    for name in ("pl_weekly_training", "pl_daily_scoring"):
        acts = activities(docs, name)
        query, runs_, check = (acts[f"after_nightly__{s}"] for s in ("query_runs", "succeeded", "check"))
        assert [a["name"] for a in top(docs, name)[:3]] == [query["name"], runs_["name"], check["name"]]
        assert query["typeProperties"]["url"]["value"].endswith(
            "/factories/@{pipeline().DataFactory}/queryPipelineRuns?api-version=2018-06-01")
        assert query["typeProperties"]["authentication"] == {"type": "MSI", "resource": "https://management.azure.com/"}
        body = query["typeProperties"]["body"]["value"]
        assert '"values":["pl_nightly"]' in body and '"values":["Succeeded"]' in body
        assert "addMinutes(pipeline().TriggerTime, -1440)" in body  # nightly runs daily: one day back
        assert upstream(runs_) == [query["name"]] and upstream(check) == [runs_["name"]]
        [fail] = check["typeProperties"]["ifFalseActivities"]
        assert fail["type"] == "Fail" and fail["typeProperties"]["errorCode"] == "UpstreamPipelineNotSucceeded"
        # Every first-level item waits for the check; none starts without a dependency.
        lookups = [a for a in top(docs, name) if a["type"] == "Lookup"]
        first = [a for a in lookups if a["name"].startswith("L01_")]
        assert first and all(upstream(a) == [check["name"]] for a in first)
        assert all(a.get("dependsOn") for a in lookups)
    # Steps without `after` start at level 1; train_churn waits for its training set.
    level1 = {row["item"] for p, rows in control.items() if p.startswith("pl_weekly_training/L01_") for row in rows}
    assert level1 == {"churn_training", "train_segmentation", "train_recommender"}
    assert [row["item"] for row in control["pl_weekly_training/L02_train"]] == ["train_churn"]
    for name in ("pl_nightly", "pl_clickstream_hourly"):
        assert "after_" not in json.dumps(pipeline(docs, name))


@pytest.mark.integration
def test_evaluated_after_fails_the_run_without_a_recent_upstream_success(evaluator: Evaluator,
                                                                         runs: dict[str, Run]) -> None:
    ran = [a.name for a in runs["pl_weekly_training"].activities]
    assert ran[:2] == ["after_nightly__query_runs", "after_nightly__succeeded"] and "L01_train__items" in ran
    query = runs["pl_weekly_training"].one("after_nightly__query_runs").props
    assert query["url"] == (f"https://management.azure.com/subscriptions/sub-adf/resourceGroups/rg-adf/providers/"
                            f"Microsoft.DataFactory/factories/{FACTORY}/queryPipelineRuns?api-version=2018-06-01")
    assert json.loads(query["body"])["lastUpdatedAfter"] == "2026-01-03T02:00:00Z"
    stale = {**OUTPUTS, "after_nightly__query_runs": {"value": [{"runId": "n-0", "runStart": "2026-01-03T01:59:00"}]}}
    run = evaluator.run("pl_weekly_training", outputs=stale)
    assert run.failure == ("pl_weekly_training runs after pl_nightly, which has no successful run that started in "
                           "the 24 hours before 2026-01-04T02:00:00Z.")
    assert not any(a.type in ("Lookup", "ExecutePipeline") for a in run.activities) and not run.items


def test_clickstream_uses_the_window(docs: Docs, control: Rows) -> None:
    props = pipeline(docs, "pl_clickstream_hourly")["properties"]
    assert props["parameters"] == {"windowStart": {"type": "String"}, "windowEnd": {"type": "String"}}
    assert props["concurrency"] == 1  # sessions_daily rewrites one folder: windows run one at a time
    passed = run_of(docs, "pl_clickstream_hourly", "L01_ingest_jsonl_window")["typeProperties"]["parameters"]
    assert passed["window_start"] == ex("@pipeline().parameters.windowStart")
    assert passed["window_end"] == ex("@pipeline().parameters.windowEnd")
    assert passed["landing_time"] == ex("@pipeline().parameters.windowStart")  # the window's day, not the run's
    [copy_] = [a for a in top(docs, "wk_ingest_jsonl_window") if a["type"] == "Copy"]
    store = copy_["typeProperties"]["source"]["storeSettings"]
    assert store["modifiedDatetimeStart"] == pe("window_start") and store["modifiedDatetimeEnd"] == pe("window_end")
    assert store["wildcardFolderPath"] == pe("wildcard_folder") and store["wildcardFileName"] == pe("wildcard_file")
    assert "landing_time" in copy_["outputs"][0]["parameters"]["folder"]["value"]
    [item] = control["pl_clickstream_hourly/L01_ingest_jsonl_window"]
    assert (item["wildcard_folder"], item["wildcard_file"]) == ("events/*/*/*", "*.jsonl")
    assert "windowStart" not in json.dumps(pipeline(docs, "pl_nightly"))
    assert "parameters" not in pipeline(docs, "pl_nightly")["properties"]


@pytest.mark.integration
def test_evaluated_window_bounds_reach_the_copy(runs: dict[str, Run], evaluator: Evaluator) -> None:
    run = runs["pl_clickstream_hourly"].items["land_page_views__page_views"]
    [copied] = run.activities
    store = copied.props["source"]["storeSettings"]
    assert (store["modifiedDatetimeStart"], store["modifiedDatetimeEnd"]) == (WINDOW["windowStart"],
                                                                              WINDOW["windowEnd"])
    assert (store["wildcardFolderPath"], store["wildcardFileName"]) == ("events/*/*/*", "*.jsonl")
    assert copied.refs["outputs"][0]["parameters"]["folder"] == "clickstream/page_views/2026/01/01"
    late = evaluator.run("pl_clickstream_hourly", {"windowStart": "2026-01-01T23:00:00Z",
                                                   "windowEnd": "2026-01-02T00:00:00Z"})
    [copied] = late.items["land_page_views__page_views"].activities
    assert copied.props["source"]["storeSettings"]["modifiedDatetimeEnd"] == "2026-01-02T00:00:00Z"
    assert copied.refs["outputs"][0]["parameters"]["folder"] == "clickstream/page_views/2026/01/01"


# --- limits ----------------------------------------------------------------------------------


def test_expressions_fit_data_factory_limits(artifacts: list[Artifact], docs: Docs, control: Rows) -> None:
    found = [e for doc in docs.values() for e in expressions(doc)]
    assert len(found) > 100 and max(len(e) for e in found) <= 8192
    sizes = {a.path: len(a.content) for a in artifacts}
    for name in [*orchestrators(docs), *workers(docs)]:
        doc = pipeline(docs, name)
        assert sizes[f"adf/pipeline/{name}.json"] <= 200 * 1024, name
        everything = list(nested(doc["properties"]["activities"]))
        assert len(everything) <= 120, name
        assert max(len(a["name"]) for a, _ in everything) <= 55, name
        assert len(doc["properties"].get("parameters") or {}) <= 50, name
        for a, parent in everything:
            if a["type"] in ("ForEach", "Until"):  # Data Factory does not nest loops
                assert parent is None or parent["type"] not in ("ForEach", "Until"), (name, a["name"])
            if a["type"] == "ForEach" and "batchCount" in a["typeProperties"]:
                assert 1 <= a["typeProperties"]["batchCount"] <= 50
    # A Lookup returns at most 5,000 rows and 4 MB: each control file fits one.
    for path, rows in control.items():
        assert 0 < len(rows) <= 5000 and sizes[f"control/{path}.json"] <= 4 * 1024 * 1024, path
    nightly = len(list(nested(top(docs, "pl_nightly"))))
    assert nightly == 3 * 11  # Lookup + ForEach + Execute Pipeline per control file, whatever the tables
