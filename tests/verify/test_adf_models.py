"""check_adf_tree: azure-mgmt-datafactory models + tree-level reference rules."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from verify_samples import expr

from lakewharf.verify import Problem
from lakewharf.verify.adf_models import check_adf_tree

PIPELINE = "pipeline/ingest_customers.json"
Write = Callable[[dict[str, Any]], Path]


def activities(docs: dict[str, Any]) -> list[dict[str, Any]]:
    return docs[PIPELINE]["properties"]["activities"]


def messages(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


def test_valid_factory_passes(adf: dict[str, Any], write: Write) -> None:
    assert check_adf_tree(write(adf)) == []


def test_missing_required_field_is_named_with_activity(adf: dict[str, Any], write: Write) -> None:
    del activities(adf)[2]["typeProperties"]["sink"]
    assert messages(check_adf_tree(write(adf))) == [
        f"{PIPELINE}: activities[2] (Copy 'copy_customers').typeProperties.sink: required"
    ]


def test_unknown_activity_type_is_reported_not_silently_downgraded(adf: dict[str, Any], write: Write) -> None:
    activities(adf)[4]["type"] = "WebActivty"
    [problem] = check_adf_tree(write(adf))
    assert "activities[4] (WebActivty 'notify').type: unknown Activity type 'WebActivty'" in problem.message


def test_unknown_nested_subtype(adf: dict[str, Any], write: Write) -> None:
    source = activities(adf)[2]["typeProperties"]["source"]
    source["storeSettings"]["type"] = "AzureBlobFSReadSetting"
    [problem] = check_adf_tree(write(adf))
    assert "typeProperties.source.storeSettings.type: unknown StoreReadSettings type" in problem.message


def test_unknown_dataset_and_linked_service_types(adf: dict[str, Any], write: Write) -> None:
    adf["dataset/ds_raw_parquet.json"]["properties"]["type"] = "Parquett"
    adf["linkedService/ls_adls.json"]["properties"]["type"] = "AzureBlobFs"
    assert messages(check_adf_tree(write(adf))) == [
        "linkedService/ls_adls.json: type: unknown LinkedService type 'AzureBlobFs' "
        "(no such subtype in azure-mgmt-datafactory 9.3.0)",
        "dataset/ds_raw_parquet.json: type: unknown Dataset type 'Parquett' "
        "(no such subtype in azure-mgmt-datafactory 9.3.0)",
    ]


def test_out_of_range_value(adf: dict[str, Any], write: Write) -> None:
    activities(adf)[0]["policy"]["retryIntervalInSeconds"] = 5
    [problem] = check_adf_tree(write(adf))
    assert problem.message.endswith("policy.retryIntervalInSeconds: 5 violates minimum=30")


def test_misspelt_and_misplaced_keys(adf: dict[str, Any], write: Write) -> None:
    copy = activities(adf)[2]
    copy["dependOn"] = copy.pop("dependsOn")
    copy["typeProperties"]["enableStagging"] = False
    found = messages(check_adf_tree(write(adf)))
    assert any("(Copy 'copy_customers').dependOn: unknown property" in m for m in found)
    assert any("(Copy 'copy_customers').typeProperties.enableStagging: unknown property" in m for m in found)


def test_script_needs_linked_service_though_swagger_does_not_say_so(adf: dict[str, Any], write: Write) -> None:
    del activities(adf)[3]["linkedServiceName"]
    [problem] = check_adf_tree(write(adf))
    assert problem.message == "activities[3] (Script 'merge_customers').linkedServiceName: required"


def test_dangling_dataset_reference(adf: dict[str, Any], write: Write) -> None:
    activities(adf)[2]["outputs"][0]["referenceName"] = "ds_raw_parquett"
    assert messages(check_adf_tree(write(adf))) == [
        f"{PIPELINE}: activities[2] (Copy 'copy_customers').outputs[0]: DatasetReference "
        "'ds_raw_parquett' does not resolve (no dataset/ds_raw_parquett.json)"
    ]


def test_dangling_linked_service_and_pipeline_references(adf: dict[str, Any], write: Write) -> None:
    del adf["linkedService/ls_synapse.json"]
    adf["trigger/tr_daily.json"]["properties"]["pipelines"][0]["pipelineReference"]["referenceName"] = "nope"
    found = messages(check_adf_tree(write(adf)))
    assert "dataset/ds_synapse_customers.json: linkedServiceName: LinkedServiceReference 'ls_synapse' " \
           "does not resolve (no linkedService/ls_synapse.json)" in found
    assert any(m.startswith(f"{PIPELINE}: activities[3] (Script 'merge_customers').linkedServiceName") for m in found)
    assert "trigger/tr_daily.json: pipelines[0].pipelineReference: PipelineReference 'nope' does not " \
           "resolve (no pipeline/nope.json)" in found


def test_execute_pipeline_reference_and_parameters(adf: dict[str, Any], write: Write) -> None:
    activities(adf).append({
        "name": "run_child",
        "type": "ExecutePipeline",
        "dependsOn": [{"activity": "notify", "dependencyConditions": ["Succeeded"]}],
        "typeProperties": {
            "pipeline": {"referenceName": "ingest_customers", "type": "PipelineReference"},
            "parameters": {"source_folder": "x", "unknown_param": "y"},
            "waitOnCompletion": True,
        },
    })
    assert messages(check_adf_tree(write(adf))) == [
        f"{PIPELINE}: activities[5] (ExecutePipeline 'run_child').typeProperties: passes parameter "
        "'unknown_param' that pipeline 'ingest_customers' does not declare"
    ]
    activities(adf)[5]["typeProperties"]["pipeline"]["referenceName"] = "child_missing"
    assert "PipelineReference 'child_missing' does not resolve" in check_adf_tree(write(adf))[0].message


def test_dataset_parameters_must_match(adf: dict[str, Any], write: Write) -> None:
    activities(adf)[2]["inputs"][0]["parameters"] = {"fodler": expr("@pipeline().parameters.source_folder")}
    found = messages(check_adf_tree(write(adf)))
    assert any("passes parameter 'fodler' that dataset 'ds_landing_csv' does not declare" in m for m in found)
    assert any("does not pass parameter 'folder' of dataset 'ds_landing_csv', which has no default" in m
               for m in found)


def test_file_name_must_equal_object_name(adf: dict[str, Any], write: Write) -> None:
    adf["trigger/tr_daily.json"]["name"] = "tr_nightly"
    assert messages(check_adf_tree(write(adf))) == [
        "trigger/tr_daily.json: name 'tr_nightly' differs from file name 'tr_daily'"
    ]


def test_activity_graph_rules(adf: dict[str, Any], write: Write) -> None:
    activities(adf)[1]["dependsOn"][0]["activity"] = "lookup_watermrk"
    activities(adf)[4]["name"] = "copy_customers"
    activities(adf)[4]["dependsOn"] = []
    found = messages(check_adf_tree(write(adf)))
    assert f"{PIPELINE}: activities[1] (SetVariable 'set_target_folder').dependsOn: 'lookup_watermrk' " \
           "is not a sibling activity" in found
    assert f"{PIPELINE}: activities[4] (WebActivity 'copy_customers'): duplicate activity name " \
           "'copy_customers'" in found


def test_unreadable_json(adf: dict[str, Any], write: Write) -> None:
    adf["dataset/broken.json"] = '{"name": "broken", "properties": {'
    [problem] = check_adf_tree(write(adf))
    assert problem.file == "dataset/broken.json" and problem.message.startswith("not valid JSON")


@pytest.mark.parametrize("kind", ["linkedService", "dataset", "pipeline", "trigger"])
def test_missing_properties_envelope(kind: str, adf: dict[str, Any], write: Write) -> None:
    adf[f"{kind}/bare.json"] = {"name": "bare", "type": "Foo"}
    assert messages(check_adf_tree(write(adf))) == [
        f'{kind}/bare.json: expected {{"name": ..., "properties": {{...}}}}'
    ]
