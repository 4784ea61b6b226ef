"""The Data Factory generator: the sample factory passes both validators, is deterministic, holds no
secret values, and each pipeline has the activity chain the catalog asks for."""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lakewharf.catalog.api import load_catalog
from lakewharf.generate import adf, preparations
from lakewharf.generate.adf.activities_control import period_minutes
from lakewharf.generate.adf.activities_ml import datastore_uri
from lakewharf.generate.adf.activities_sql import LAKE_ENDPOINT_PLACEHOLDER, load_script_path
from lakewharf.generate.adf.common import GLOBAL_PARAMETERS, dynamic
from lakewharf.generate.artifact import Artifact, text_artifact
from lakewharf.generate.templates import template_environment
from lakewharf.generate.writer import write_tree
from lakewharf.model import naming
from lakewharf.model.catalog import Catalog
from lakewharf.model.schedule import Cron

REPO_ROOT = Path(__file__).resolve().parents[2]
WINDOW = {"windowStart": "2026-01-01T00:00:00Z", "windowEnd": "2026-01-01T01:00:00Z"}
PARAMETERS = {"pl_clickstream_hourly": WINDOW}
Docs = dict[str, Any]


# --- fixtures --------------------------------------------------------------------------------


def _load_file_stand_in(catalog: Catalog) -> list[Artifact]:
    """The documented contract of synapse/warehouse/load/<table>.sql, for when the synapse generator
    is not importable: TRUNCATE + COPY INTO staging from the placeholder lake host, then the call."""
    out = []
    for name, table in sorted(catalog.tables.items()):
        staging = naming.staging_table_name(table.schema, name)
        text = (f"TRUNCATE TABLE {staging};\nCOPY INTO {staging}\nFROM '{LAKE_ENDPOINT_PLACEHOLDER}/zone/{name}/'\n"
                "WITH (FILE_TYPE = 'PARQUET', CREDENTIAL = (IDENTITY = 'Managed Identity'));\n"
                f"EXEC {naming.load_procedure_name(name)} @run_id = N'@{{pipeline().RunId}}';\n")
        out.append(text_artifact(load_script_path(name), text, (f"table:{name}",)))
    return out


def built_artifacts(catalog: Catalog) -> dict[str, Artifact]:
    env = template_environment(catalog.root)
    built = {a.path: a for a in preparations.generate(catalog, env)}
    try:
        from lakewharf.generate import synapse

        warehouse = synapse.generate(catalog, env)
    except (ImportError, AttributeError):  # not there yet: build against the documented contract
        warehouse = _load_file_stand_in(catalog)
    built.update({a.path: a for a in warehouse})
    return built


def generate_sample(catalog: Catalog) -> list[Artifact]:
    return adf.generate(catalog, template_environment(catalog.root), built=built_artifacts(catalog))


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(REPO_ROOT)


@pytest.fixture(scope="module")
def artifacts(catalog: Catalog) -> list[Artifact]:
    return generate_sample(catalog)


@pytest.fixture(scope="module")
def docs(artifacts: list[Artifact]) -> Docs:
    """path below adf/ (e.g. ``pipeline/pl_nightly.json``) -> parsed JSON."""
    return {a.path.removeprefix("adf/"): json.loads(a.content) for a in artifacts}


@pytest.fixture
def write(tmp_path: Path) -> Callable[[Docs], Path]:
    """Write ``docs`` (possibly mutated) as an ADF git tree below tmp_path and return its folder."""
    written = itertools.count()

    def _write(tree: Docs) -> Path:
        # A fresh folder per tree: write_tree replaces only trees that carry a lakewharf manifest.
        root = tmp_path / f"build{next(written)}"
        write_tree(root, [Artifact(f"adf/{rel}", (json.dumps(doc, indent=2) + "\n").encode(), ())
                          for rel, doc in tree.items()])
        return root / "adf"
    return _write


def activities(docs: Docs, pipeline: str) -> dict[str, dict[str, Any]]:
    """Every activity of a pipeline by name, nested ones included."""
    found: dict[str, dict[str, Any]] = {}

    def walk(items: list[dict[str, Any]]) -> None:
        for a in items:
            found[a["name"]] = a
            props = a.get("typeProperties", {})
            for key in ("activities", "ifTrueActivities", "ifFalseActivities"):
                walk(props.get(key) or [])

    walk(docs[f"pipeline/{naming.pipeline_name(pipeline)}.json"]["properties"]["activities"])
    return found


def upstream(activity: dict[str, Any], condition: str = "Succeeded") -> list[str]:
    return [d["activity"] for d in activity.get("dependsOn", []) if condition in d["dependencyConditions"]]


def text_of(value: Any) -> str:
    return value["value"] if isinstance(value, dict) else value


# --- the real validators ---------------------------------------------------------------------


@pytest.mark.integration
def test_sample_passes_azure_mgmt_datafactory_models(docs: Docs, write: Callable[[Docs], Path]) -> None:
    from lakewharf.verify.adf_models import check_adf_tree

    root = write(docs)
    started = time.perf_counter()
    assert check_adf_tree(root) == []
    assert time.perf_counter() - started < 30


@pytest.mark.integration
def test_sample_evaluates_in_data_factory_testing_framework(docs: Docs, write: Callable[[Docs], Path]) -> None:
    from lakewharf.verify.adf_flow import evaluate_pipelines

    root = write(docs)
    started = time.perf_counter()
    assert evaluate_pipelines(root, PARAMETERS) == []
    assert time.perf_counter() - started < 120  # ~6-12 s on 2 cores: the CLR start and 4 pipelines


@pytest.mark.integration
def test_validators_catch_a_dangling_dependency_and_a_broken_expression(
        docs: Docs, write: Callable[[Docs], Path]) -> None:
    from lakewharf.verify.adf_flow import evaluate_pipelines
    from lakewharf.verify.adf_models import check_adf_tree

    broken = json.loads(json.dumps(docs))
    nightly = broken["pipeline/pl_nightly.json"]["properties"]["activities"]
    cetas = next(a for a in nightly if a["name"] == "customers__cetas")
    cetas["dependsOn"][0]["activity"] = "customers__clear_rejectz"
    found = [str(p) for p in check_adf_tree(write(broken))]
    assert any("customers__cetas" in m and "'customers__clear_rejectz' is not a sibling activity" in m for m in found)

    # evaluate_pipelines reads only pipeline/ and factory/: one pipeline keeps this test fast.
    broken = {rel: json.loads(json.dumps(doc)) for rel, doc in docs.items()
              if rel.startswith("factory/") or rel == "pipeline/pl_clickstream_hourly.json"}
    copy = next(a for a in broken["pipeline/pl_clickstream_hourly.json"]["properties"]["activities"]
                if a["type"] == "Copy")
    copy["outputs"][0]["parameters"]["folder"]["value"] = "@formatDateTime(pipeline().parameters.windowBegin, 'yyyy')"
    [problem] = evaluate_pipelines(write(broken), PARAMETERS)
    assert problem.file == "pipeline/pl_clickstream_hourly.json" and "windowBegin" in problem.message


# --- determinism, secrets, names -------------------------------------------------------------


def test_two_runs_are_byte_identical(catalog: Catalog, artifacts: list[Artifact]) -> None:
    again = generate_sample(load_catalog(REPO_ROOT))
    assert [(a.path, a.content) for a in again] == [(a.path, a.content) for a in artifacts]


def test_no_secret_values_only_key_vault_references(catalog: Catalog, artifacts: list[Artifact], docs: Docs) -> None:
    for a in artifacts:
        text = a.content.decode()
        for needle in ("password", "accountkey", "sig=", "secret="):
            assert needle not in text.lower(), f"{a.path} contains {needle!r}"
    for name, source in catalog.sources.items():
        ls = docs[f"linkedService/{naming.source_linked_service_name(name)}.json"]["properties"]
        [credential] = ls["typeProperties"].values()
        assert credential["type"] == "AzureKeyVaultSecret"
        assert credential["secretName"] == source.secret
        assert credential["store"]["referenceName"] == naming.LS_KEY_VAULT


def test_file_layout_and_names(artifacts: list[Artifact], docs: Docs, catalog: Catalog) -> None:
    for rel, doc in docs.items():
        kind, file = rel.split("/")
        assert kind in {"factory", "linkedService", "dataset", "pipeline", "trigger"}
        assert file == f"{doc['name']}.json"
    assert {f"pipeline/{naming.pipeline_name(p)}.json" for p in catalog.pipelines} <= set(docs)
    assert {f"linkedService/{n}.json" for n in (naming.LS_LAKE, naming.LS_KEY_VAULT, naming.LS_SYNAPSE_POOL,
                                                naming.LS_SYNAPSE_SERVERLESS)} <= set(docs)
    assert all(a.elements for a in artifacts)


def test_global_parameters_are_declared_and_used(docs: Docs) -> None:
    declared = docs["factory/retail.json"]["properties"]["globalParameters"]
    assert set(declared) == set(GLOBAL_PARAMETERS)
    assert all(spec == {"type": "String", "value": ""} for spec in declared.values())
    used = {m for rel, doc in docs.items() for m in re.findall(r"globalParameters\.(\w+)", json.dumps(doc))}
    assert used == set(declared)


# --- pipelines -------------------------------------------------------------------------------


def test_nightly_incremental_watermark_chain(docs: Docs) -> None:
    acts = activities(docs, "nightly")
    old, new, copy, save = (acts[f"land_crm__customers__{s}"] for s in ("old_watermark", "new_watermark", "copy",
                                                                        "save_watermark"))
    assert (old["type"], new["type"], copy["type"], save["type"]) == ("Lookup", "Lookup", "Copy", "Script")
    assert upstream(new) == [old["name"]] and upstream(copy) == [new["name"]] and upstream(save) == [copy["name"]]
    assert "[etl].[watermarks]" in old["typeProperties"]["source"]["sqlReaderQuery"]
    assert "MAX([updated_at])" in text_of(new["typeProperties"]["source"]["sqlReaderQuery"])
    query = text_of(copy["typeProperties"]["source"]["sqlReaderQuery"])
    assert "[updated_at] > CONVERT(DATETIME2" in query and "[updated_at] <= CONVERT(DATETIME2" in query
    pg = text_of(acts["land_orders__orders__copy"]["typeProperties"]["source"]["query"])
    assert 'FROM "public"."orders" WHERE "updated_at" > CAST(' in pg
    columns = [c["name"] for c in copy["typeProperties"]["source"]["additionalColumns"]]
    assert columns == ["_loaded_at", "_run_id"]
    folder = copy["outputs"][0]["parameters"]["folder"]["value"]
    assert folder == "@concat('crm/customers/', formatDateTime(pipeline().TriggerTime, 'yyyy/MM/dd'))"
    assert "UPDATE [etl].[watermarks]" in text_of(save["typeProperties"]["scripts"][0]["text"])


def test_nightly_prepare_reads_salt_securely_and_clears_before_cetas(docs: Docs, catalog: Catalog) -> None:
    acts = activities(docs, "nightly")
    salt, clear, rejects, cetas = (acts[f"customers__{s}"] for s in ("get_salt", "clear_folder", "clear_rejects",
                                                                     "cetas"))
    assert salt["type"] == "WebActivity" and salt["policy"]["secureOutput"] is True
    assert salt["typeProperties"]["authentication"] == {"type": "MSI", "resource": "https://vault.azure.net"}
    assert "/secrets/pii-hash-salt?api-version=" in salt["typeProperties"]["url"]["value"]
    assert (clear["type"], rejects["type"], cetas["type"]) == ("Delete", "Delete", "Script")
    assert upstream(clear) == [salt["name"]]
    assert upstream(rejects, "Completed") == [clear["name"]] and upstream(cetas, "Completed") == [rejects["name"]]
    assert cetas["policy"]["secureInput"] is True
    assert cetas["linkedServiceName"]["referenceName"] == naming.LS_SYNAPSE_SERVERLESS
    script = built_artifacts(catalog)[preparations.script_path("customers_clean")].content.decode()
    scripts = cetas["typeProperties"]["scripts"]
    assert [s["text"] for s in scripts] == preparations.split_batches(script)
    salted = [s for s in scripts if "parameters" in s]
    assert salted and all(p["name"] == "salt" and "get_salt" in p["value"]["value"]
                          for s in salted for p in s["parameters"])
    assert [n for n in acts if n.endswith("get_salt")] == ["customers__get_salt"]  # only the hashing dataset


def test_nightly_load_runs_copy_into_then_the_procedure(docs: Docs) -> None:
    acts = activities(docs, "nightly")
    load = acts["load_fact_sales__copy_and_load"]
    assert load["type"] == "Script" and load["linkedServiceName"]["referenceName"] == naming.LS_SYNAPSE_POOL
    text = "".join(text_of(s["text"]) for s in load["typeProperties"]["scripts"])
    assert "COPY INTO" in text and "pipeline().globalParameters.lake_dfs_endpoint" in text
    assert LAKE_ENDPOINT_PLACEHOLDER not in text
    call = "EXEC [etl].[load_fact_sales] @run_id = N''', string(pipeline().RunId)"
    assert text.index("TRUNCATE TABLE") < text.index("COPY INTO") < text.index(call)
    assert load["policy"]["timeout"] == "0.02:00:00"  # timeout_minutes: 120
    assert set(upstream(load)) == {"sales_trusted__cetas__ok", "load_dim_customer__copy_and_load__ok",
                                   "load_dim_product__copy_and_load__ok", "load_dim_date__copy_and_load__ok"}


def test_every_step_ends_in_a_gate_that_fails_with_the_step_name(docs: Docs) -> None:
    acts = activities(docs, "nightly")
    gate = acts["load_fact_sales__copy_and_load__ok"]
    assert gate["type"] == "IfCondition" and upstream(gate, "Completed") == ["load_fact_sales__copy_and_load"]
    [fail] = gate["typeProperties"]["ifFalseActivities"]
    assert fail["type"] == "Fail"
    assert "Step 'load_fact_sales' (load fact_sales)" in fail["typeProperties"]["message"]["value"]
    for name, activity in acts.items():
        conditions = {c for d in activity.get("dependsOn", []) for c in d["dependencyConditions"]}
        assert conditions <= {"Succeeded", "Completed"}, name  # no failure paths: downstream runs on success


def test_policies_follow_the_steps(docs: Docs, catalog: Catalog) -> None:
    acts = activities(docs, "weekly_training")
    assert acts["train_churn__wait_for_job"]["typeProperties"]["timeout"] == "0.03:00:00"
    poll = acts["train_churn__get_job"]["policy"]
    assert (poll["retry"], poll["retryIntervalInSeconds"]) == (1, 300)  # pipeline-level retry
    assert acts["train_churn__invoke"]["policy"]["retry"] == 0  # a retried POST could start a second job


def test_training_and_scoring_invoke_batch_endpoints(docs: Docs, catalog: Catalog) -> None:
    train = activities(docs, "weekly_training")
    invoke = train["train_churn__invoke"]["typeProperties"]
    assert invoke["url"]["value"].startswith(
        "https://retail-train-churn-@{pipeline().globalParameters.ml_endpoint_suffix}."
        "@{pipeline().globalParameters.ml_region}.inference.ml.azure.com/jobs")
    assert invoke["authentication"] == {"type": "MSI", "resource": "https://ml.azure.com"}
    body = json.loads(invoke["body"])
    # churn trains on its point-in-time set and scores today's features (scoring.dataset).
    assert body["properties"]["InputData"]["training_data"]["Uri"] == datastore_uri("development", "churn_training")
    score = activities(docs, "daily_scoring")
    body = json.loads(score["score_churn__invoke"]["typeProperties"]["body"])
    assert body["properties"]["InputData"]["input_data"]["Uri"] == datastore_uri("development", "customer_features")
    body = json.loads(score["score_recommender__invoke"]["typeProperties"]["body"])
    assert body["properties"]["OutputData"]["score"]["Uri"] == "azureml://datastores/trusted/paths/scores/recommender/"
    assert upstream(score["score_recommender__invoke"], "Completed") == [
        f"score_recommender__clear_{o}" for o in catalog.models["recommender"].outputs]
    until = score["score_churn__wait_for_job"]
    assert until["type"] == "Until" and [a["type"] for a in until["typeProperties"]["activities"]] == [
        "Wait", "WebActivity", "SetVariable"]
    check = score["score_churn__check_job"]
    assert "'Failed', 'Canceled'" in check["typeProperties"]["expression"]["value"]
    assert check["typeProperties"]["ifFalseActivities"][0]["type"] == "Fail"
    assert upstream(score["load_churn__copy_and_load"]) == ["score_churn__check_job"]


def test_after_checks_the_upstream_pipeline_run(docs: Docs) -> None:
    for pipeline in ("weekly_training", "daily_scoring"):
        acts = activities(docs, pipeline)
        query = acts["after_nightly__query_runs"]["typeProperties"]
        assert "/queryPipelineRuns?api-version=2018-06-01" in query["url"]["value"]
        assert '"values":["pl_nightly"]' in query["body"]["value"]
        assert acts["after_nightly__check"]["typeProperties"]["ifFalseActivities"][0]["type"] == "Fail"
    # Steps without `after` start once the upstream check passed (train_churn waits for its data).
    roots = [a for a in activities(docs, "weekly_training").values()
             if a["name"] in ("train_segmentation__invoke", "train_recommender__invoke")]
    assert len(roots) == 2 and all(upstream(a) == ["after_nightly__check"] for a in roots)
    assert "after_" not in json.dumps(docs["pipeline/pl_nightly.json"])


def test_clickstream_uses_the_window(docs: Docs) -> None:
    props = docs["pipeline/pl_clickstream_hourly.json"]["properties"]
    assert set(props["parameters"]) == set(WINDOW)
    copy = activities(docs, "clickstream_hourly")["land_page_views__page_views__copy"]
    store = copy["typeProperties"]["source"]["storeSettings"]
    assert store["modifiedDatetimeStart"]["value"] == "@pipeline().parameters.windowStart"
    assert store["wildcardFolderPath"] == "events/*/*/*" and store["wildcardFileName"] == "*.jsonl"
    assert "windowStart" in copy["outputs"][0]["parameters"]["folder"]["value"]
    assert props["concurrency"] == 1  # sessions_daily rewrites one folder: windows run one at a time


# --- triggers --------------------------------------------------------------------------------


def test_schedule_triggers_from_crons(docs: Docs) -> None:
    nightly = docs["trigger/tr_nightly.json"]["properties"]
    recurrence = nightly["typeProperties"]["recurrence"]
    assert nightly["type"] == "ScheduleTrigger" and nightly["runtimeState"] == "Started"
    assert (recurrence["frequency"], recurrence["interval"]) == ("Day", 1)
    assert recurrence["schedule"] == {"minutes": [0], "hours": [1]}
    assert recurrence["timeZone"] == "W. Europe Standard Time" and not recurrence["startTime"].endswith("Z")
    assert nightly["pipelines"][0]["pipelineReference"]["referenceName"] == "pl_nightly"
    weekly = docs["trigger/tr_weekly_training.json"]["properties"]["typeProperties"]["recurrence"]
    assert weekly["frequency"] == "Week"
    assert weekly["schedule"] == {"minutes": [0], "hours": [3], "weekDays": ["Sunday"]}


def test_tumbling_window_trigger(docs: Docs) -> None:
    trigger = docs["trigger/tr_clickstream_hourly.json"]["properties"]
    assert trigger["type"] == "TumblingWindowTrigger" and trigger["runtimeState"] == "Started"
    props = trigger["typeProperties"]
    assert (props["frequency"], props["interval"], props["maxConcurrency"]) == ("Hour", 1, 2)
    assert props["startTime"] == "2026-01-01T00:00:00Z" and props["delay"] == "00:00:00"
    assert trigger["pipeline"]["parameters"]["windowStart"]["value"] == "@trigger().outputs.windowStartTime"


# --- units -----------------------------------------------------------------------------------


def test_dynamic_text_keeps_literal_at_signs_out_of_interpolation() -> None:
    assert dynamic("SELECT 1") == "SELECT 1"
    assert dynamic("a @{pipeline().RunId}") == {"value": "a @{pipeline().RunId}", "type": "Expression"}
    assert dynamic("EXEC p @run_id = N'@{pipeline().RunId}';")["value"] == (
        "@concat('EXEC p @run_id = N''', string(pipeline().RunId), ''';')")


def test_upstream_look_back_is_the_longest_gap_between_runs() -> None:
    assert period_minutes(Cron.parse("0 1 * * *")) == 24 * 60
    assert period_minutes(Cron.parse("0 3 * * 0")) == 7 * 24 * 60
    assert period_minutes(Cron.parse("0 6,18 * * 1-5")) == 60 * 60  # Friday 18:00 → Monday 06:00


def test_missing_synapse_file_is_a_clear_error(catalog: Catalog) -> None:
    built = {k: v for k, v in built_artifacts(catalog).items() if k != load_script_path("fact_sales")}
    with pytest.raises(FileNotFoundError, match=re.escape(load_script_path("fact_sales"))):
        adf.generate(catalog, template_environment(catalog.root), built=built)


def test_agrees_with_the_aml_and_synapse_generators(catalog: Catalog) -> None:
    jobs = pytest.importorskip("lakewharf.generate.aml.jobs")
    assert jobs.datastore_uri("trusted", "scores/churn") == datastore_uri("trusted", "scores/churn")
    loading = pytest.importorskip("lakewharf.generate.synapse.loading")
    assert loading.LAKE_ENDPOINT == LAKE_ENDPOINT_PLACEHOLDER


def test_expressions_fit_data_factory_limits(docs: Docs) -> None:
    def values(node: Any) -> list[str]:
        if isinstance(node, dict):
            if node.get("type") == "Expression":
                return [node["value"]]
            return [v for child in node.values() for v in values(child)]
        return [v for child in node for v in values(child)] if isinstance(node, list) else []

    found = [v for doc in docs.values() for v in values(doc)]
    assert found and max(len(v) for v in found) <= 8192
    for rel, doc in docs.items():
        if rel.startswith("pipeline/"):
            assert len(json.dumps(doc, separators=(",", ":"))) <= 200 * 1024, rel
            names = activities(docs, rel.removeprefix("pipeline/pl_").removesuffix(".json"))
            assert len(names) <= 120 and max(map(len, names)) <= 55, rel
