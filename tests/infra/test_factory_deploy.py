"""Data Factory objects are deployed from build/adf, unchanged, in reference order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from infra_samples import REPO_ROOT, secret_findings, write_adf_tree

from lakewharf.artifacts.adf_tree import AdfTreeError
from lakewharf.infra.mocks import OfflineRun, plain, run_offline

ADF_TYPES = {"linkedService": "datafactory:LinkedService", "dataset": "datafactory:Dataset",
             "pipeline": "datafactory:Pipeline", "trigger": "datafactory:Trigger"}
NAME_KEY = {"linkedService": "linkedServiceName", "dataset": "datasetName", "pipeline": "pipelineName",
            "trigger": "triggerName"}


def _files(adf: Path) -> dict[tuple[str, str], dict[str, Any]]:
    return {(p.parent.name, p.stem): json.loads(p.read_text()) for kind in ADF_TYPES
            for p in sorted((adf / kind).glob("*.json"))}


def _deployed_properties(run: OfflineRun, kind: str, name: str) -> dict[str, Any]:
    [rec] = [r for r in run.of_type(ADF_TYPES[kind]) if r.inputs[NAME_KEY[kind]] == name]
    if kind != "pipeline":
        return plain(rec.inputs["properties"])
    # Pipeline takes its properties flattened into arguments; on the wire they carry their JSON names.
    return {k: plain(v) for k, v in rec.inputs.items() if k not in ("factoryName", "resourceGroupName", "pipelineName")}


def assert_deployed_verbatim(run: OfflineRun, adf: Path) -> int:
    files = _files(adf)
    deployed = {(kind, r.inputs[NAME_KEY[kind]]) for kind, t in ADF_TYPES.items() for r in run.of_type(t)}
    assert deployed == set(files), "one Data Factory resource per build/adf file, nothing else"
    for (kind, name), doc in files.items():
        assert _deployed_properties(run, kind, name) == doc["properties"], f"{kind}/{name}.json changed on the way"
    return len(files)


def test_adf_objects_are_the_build_files(dev: OfflineRun, fake_adf: Path) -> None:
    assert assert_deployed_verbatim(dev, fake_adf) == 7
    factories = {r.inputs["factoryName"] for t in ADF_TYPES.values() for r in dev.of_type(t)}
    assert factories == {dev.outputs["factory_name"]}


def test_adf_properties_pass_through_as_camel_case(dev: OfflineRun) -> None:
    copy = dev.one("datafactory:Pipeline", "adf-pipeline-ingest_customers").inputs["activities"][2]
    assert copy["type"] == "Copy" and "typeProperties" in copy and "dependsOn" in copy
    assert copy["typeProperties"]["source"]["storeSettings"]["wildcardFileName"] == "*.csv"
    ds = dev.one("datafactory:Dataset", "adf-dataset-ds_landing_csv").inputs["properties"]
    assert ds["linkedServiceName"] == {"referenceName": "ls_adls", "type": "LinkedServiceReference"}


def test_adf_depends_on_follows_references(dev: OfflineRun) -> None:
    """Linked services before the datasets that use them, datasets before pipelines, pipelines
    before triggers: each resource depends on exactly what it references."""
    urn = {r.name: r.urn for r in dev.resources}
    assert urn["adf-linkedService-ls_adls"] in dev.one("datafactory:Dataset", "adf-dataset-ds_landing_csv").dependencies
    pipeline = dev.one("datafactory:Pipeline", "adf-pipeline-ingest_customers")
    for ds in ("ds_landing_csv", "ds_raw_parquet", "ds_synapse_customers"):
        assert urn[f"adf-dataset-{ds}"] in pipeline.dependencies
    assert urn["adf-linkedService-ls_synapse"] in pipeline.dependencies  # the Script activity's linked service
    assert urn["adf-pipeline-ingest_customers"] in dev.one("datafactory:Trigger", "adf-trigger-tr_daily").dependencies




def test_global_parameters_are_filled_with_deployed_endpoints(dev: OfflineRun) -> None:
    params = dev.one("datafactory:Factory", "data-factory").inputs["globalParameters"]
    o = dev.outputs
    assert params["lake_dfs_endpoint"] == {"type": "String", "value": o["lake_dfs_endpoint"].rstrip("/")}
    assert params["key_vault_url"]["value"] == o["key_vault_url"].rstrip("/")
    assert params["synapse_dedicated_endpoint"]["value"] == o["synapse_dedicated_endpoint"]
    assert params["synapse_serverless_endpoint"]["value"] == o["synapse_serverless_endpoint"]
    assert params["synapse_dedicated_database"]["value"] == o["synapse_sql_pool"]
    assert params["ml_workspace"]["value"] == o["ml_workspace"]
    assert params["ml_region"]["value"] == "westeurope"
    # The generated URLs are https://<catalog name>-<ml_endpoint_suffix>.<region>...: the names the
    # program gave the endpoints.
    suffix = params["ml_endpoint_suffix"]["value"]
    assert {m: f"retail-{m}-{suffix}" for m in o["ml_batch_endpoints"]} == o["ml_batch_endpoints"]
    assert {m: f"retail-train-{m}-{suffix}" for m in o["ml_training_endpoints"]} == o["ml_training_endpoints"]
    assert params["ml_resource_group"]["value"] == o["resource_group"]


def test_global_parameter_names_come_from_the_factory_file(tmp_path: Path, run_dev: Any) -> None:
    adf = write_adf_tree(tmp_path, factory=False)
    (adf / "factory").mkdir()
    (adf / "factory" / "retail.json").write_text(json.dumps({"name": "retail", "properties": {"globalParameters": {
        "lake_dfs_endpoint": {"type": "String", "value": ""}, "team": {"type": "String", "value": "data"}}}}))
    run = run_dev(adf_dir=adf)
    params = run.one("datafactory:Factory", "data-factory").inputs["globalParameters"]
    assert set(params) == {"lake_dfs_endpoint", "team"}
    assert params["team"]["value"] == "data"  # no deployed value for it: the generated one is kept
    assert any("team" in w for w in run.warnings)


def test_unfillable_global_parameter_fails(tmp_path: Path, run_dev: Any) -> None:
    adf = write_adf_tree(tmp_path, extra={"factory/retail.json": {"name": "retail", "properties": {
        "globalParameters": {"mystery": {"type": "String", "value": ""}}}}})
    with pytest.raises(AdfTreeError, match=r"factory/retail\.json: global parameter 'mystery'"):
        run_dev(adf_dir=adf)








def _real_generated_tree(target: Path) -> Path | None:
    """build/adf as `wharf generate` writes it, when the Data Factory generator exists."""
    try:
        import lakewharf.generate.adf as adf_generator
    except ImportError:
        return None
    from lakewharf.generate import GENERATORS
    from lakewharf.generate.generate_all import generate_all
    from lakewharf.generate.templates import template_environment
    from lakewharf.generate.writer import write_tree
    from lakewharf.project import load_catalog

    catalog = load_catalog(REPO_ROOT)
    artifacts = generate_all(catalog)
    if not any(a.path.startswith("adf/") for a in artifacts) and "adf" not in GENERATORS:
        # Not registered yet: run it after the generators it reads from, as the registry will.
        artifacts += adf_generator.generate(catalog, template_environment(catalog.root),
                                            built={a.path: a for a in artifacts})
    write_tree(target / "build", artifacts)
    return target / "build" / "adf"


def test_real_generated_build_adf_deploys_verbatim(tmp_path: Path) -> None:
    adf = _real_generated_tree(tmp_path)
    if adf is None or not adf.is_dir():
        pytest.skip("the Data Factory generator (lakewharf.generate.adf) is not there yet")
    run = run_offline(REPO_ROOT, "dev", adf_dir=adf)
    assert assert_deployed_verbatim(run, adf) > 0
    assert not run.warnings
    declared = json.loads(next((adf / "factory").glob("*.json")).read_text())["properties"]["globalParameters"]
    params = run.one("datafactory:Factory", "data-factory").inputs["globalParameters"]
    assert set(params) == set(declared)
    assert all(p["value"] for p in params.values()), "every declared global parameter gets a deployed value"
    assert secret_findings(run) == []


def test_a_self_hosted_runtime_is_deployed_and_its_registration_printed(tmp_path: Path, run_dev: Any) -> None:
    runtime = {"name": "ir-self-hosted", "properties": {"type": "SelfHosted", "description": "on-premises sources"}}
    linked = {"name": "ls_src_oracle_self_hosted", "properties": {
        "type": "Oracle", "typeProperties": {"connectionString": "@{linkedService().secret_name}"},
        "parameters": {"secret_name": {"type": "String"}},
        "connectVia": {"referenceName": "ir-self-hosted", "type": "IntegrationRuntimeReference"}}}
    adf = write_adf_tree(tmp_path, extra={"integrationRuntime/ir-self-hosted.json": runtime,
                                          "linkedService/ls_src_oracle_self_hosted.json": linked})
    run = run_dev(adf_dir=adf)
    deployed = run.one("datafactory:IntegrationRuntime", "adf-integrationRuntime-ir-self-hosted")
    assert deployed.inputs["integrationRuntimeName"] == "ir-self-hosted"
    assert plain(deployed.inputs["properties"]) == runtime["properties"]
    # The managed VNet runtime stays as it was: cloud sources keep running there.
    managed = run.one("datafactory:IntegrationRuntime", "adf-runtime-managed-vnet")
    assert managed.inputs["properties"]["type"] == "Managed"
    [command] = run.outputs["self_hosted_runtime_registration"]
    assert command.startswith("az datafactory integration-runtime list-auth-key --factory-name ")
    assert "--integration-runtime-name ir-self-hosted" in command
    assert "self_hosted_runtime_registration" not in run_dev().outputs  # only stacks with such sources
