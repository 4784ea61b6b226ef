"""evaluate_pipelines: ADF expressions and control flow through data-factory-testing-framework."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from verify_samples import expr

from lakewharf.verify.adf_flow import _fake_outputs, evaluate_pipelines
from lakewharf.verify.expression_engine import ensure_dotnet

pytestmark = pytest.mark.integration

PIPELINE = "pipeline/ingest_customers.json"
Write = Callable[[dict[str, Any]], Path]


def activities(docs: dict[str, Any]) -> list[dict[str, Any]]:
    return docs[PIPELINE]["properties"]["activities"]


def only_message(adf_dir: Path, **kwargs: Any) -> str:
    problems = evaluate_pipelines(adf_dir, **kwargs)
    assert len(problems) == 1, problems
    assert problems[0].file == PIPELINE
    return problems[0].message


def test_ensure_dotnet_points_at_the_wheel_runtime() -> None:
    root = ensure_dotnet()
    assert root is not None and root.name == ".net"
    assert (root / "host" / "fxr").is_dir()
    assert os.environ["DOTNET_ROOT"] == str(root)


# A process that evaluated pipelines with the native libraries of a run loaded must exit cleanly:
# pythonnet's own shutdown at exit segfaulted a 661-test session after every test had passed.
_EXIT_PROBE = """
import sys
from pathlib import Path
import duckdb, pyarrow.parquet, sklearn.cluster  # the native libraries a local run loads
import pythonnet
from lakewharf.verify.adf_flow import evaluate_pipelines
from lakewharf.verify.expression_engine import load_expression_engine
load_expression_engine()
load_expression_engine()  # idempotent
assert evaluate_pipelines(Path(sys.argv[1])) == []

class Witness:  # stands in for Python.Runtime.dll: says so if pythonnet.unload still runs at exit
    def get_function(self, name):
        print("pythonnet.unload ran at exit", file=sys.stderr)
        return lambda arg: 0
pythonnet._LOADER_ASSEMBLY = Witness()
"""


def test_process_exits_cleanly_after_evaluating(tmp_path: Path) -> None:
    golden_adf = Path(__file__).parents[1] / "golden" / "adf"
    done = subprocess.run([sys.executable, "-X", "faulthandler", "-c", _EXIT_PROBE, str(golden_adf)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "pythonnet.unload ran at exit" not in done.stderr


def test_valid_pipeline_evaluates(adf: dict[str, Any], write: Write) -> None:
    started = time.perf_counter()
    assert evaluate_pipelines(write(adf)) == []
    # First call in a process includes loading the CLR (~0.6 s); keep a generous bound.
    assert time.perf_counter() - started < 30


def test_fake_outputs_hold_exactly_the_fields_expressions_read(adf: dict[str, Any]) -> None:
    assert _fake_outputs(adf[PIPELINE]) == {
        "lookup_watermark": {"firstRow": {"watermark": "x"}},
        "copy_customers": {"rowsCopied": 1},
    }


def test_reference_to_missing_parameter(adf: dict[str, Any], write: Write) -> None:
    activities(adf)[2]["inputs"][0]["parameters"]["folder"] = expr("@pipeline().parameters.sourceFolder")
    message = only_message(write(adf))
    assert message.startswith("activity 'copy_customers' (Copy): ParameterNotFoundError")
    assert "'sourceFolder'" in message


def test_misspelt_function(adf: dict[str, Any], write: Write) -> None:
    activities(adf)[1]["typeProperties"]["value"] = expr(
        "@concat('crm/', formatDateTim(pipeline().TriggerTime, 'yyyy/MM/dd'))")
    message = only_message(write(adf))
    assert message.startswith("activity 'set_target_folder' (SetVariable)")
    assert "Expression could not be parsed" in message


def test_unbalanced_parentheses(adf: dict[str, Any], write: Write) -> None:
    activities(adf)[1]["typeProperties"]["value"] = expr("@concat('crm/', pipeline().TriggerTime")
    assert "Unexpected end-of-input" in only_message(write(adf))


def test_output_of_unknown_activity(adf: dict[str, Any], write: Write) -> None:
    script = activities(adf)[3]["typeProperties"]["scripts"][0]
    script["text"] = expr("@string(activity('lookup_watermrk').output.firstRow.watermark)")
    message = only_message(write(adf))
    assert message == ("activity 'merge_customers' (Script): ActivityNotFoundError: "
                       "Activity with name 'lookup_watermrk' not found")


def test_undeclared_variable(adf: dict[str, Any], write: Write) -> None:
    activities(adf)[2]["outputs"][0]["parameters"]["folder"] = expr("@variables('targetFolder')")
    assert "VariableNotFoundError: Variable 'targetFolder' not found" in only_message(write(adf))


def test_plain_at_strings_are_evaluated_like_adf_does(adf: dict[str, Any], write: Write) -> None:
    activities(adf)[4]["typeProperties"]["url"] = "@pipeline().parameters.notifyUrl"
    assert "'notifyUrl'" in only_message(write(adf))


def test_dependency_cycle(adf: dict[str, Any], write: Write) -> None:
    activities(adf)[0]["dependsOn"] = [{"activity": "notify", "dependencyConditions": ["Succeeded"]}]
    message = only_message(write(adf))
    assert "No remaining pipeline activities meet dependency conditions" in message
    assert "lookup_watermark" in message


def test_global_parameters_come_from_factory_folder(adf: dict[str, Any], write: Write) -> None:
    activities(adf)[4]["typeProperties"]["url"] = expr("@pipeline().globalParameters.notify_url")
    assert "'notify_url' of type 'RunParameterType.Global' not found" in only_message(write(adf))
    adf["factory/adf-lakewharf-dev.json"] = {
        "name": "adf-lakewharf-dev",
        "properties": {"globalParameters": {"notify_url": {"type": "String", "value": "https://x.invalid"}}},
    }
    assert evaluate_pipelines(write(adf)) == []


def test_control_flow_with_lookup_rows_and_caller_parameters(write: Write) -> None:
    pipeline = {
        "name": "fanout",
        "properties": {
            "parameters": {"batch_size": {"type": "int"}},
            "variables": {"tables": {"type": "Array"}},
            "activities": [
                {"name": "list_tables", "type": "Lookup", "typeProperties": {
                    "source": {"type": "SqlDWSource", "sqlReaderQuery": "SELECT 1"},
                    "dataset": {"referenceName": "ds", "type": "DatasetReference"}, "firstRowOnly": False}},
                {"name": "each_table", "type": "ForEach",
                 "dependsOn": [{"activity": "list_tables", "dependencyConditions": ["Succeeded"]}],
                 "typeProperties": {
                     "items": expr("@activity('list_tables').output.value"),
                     "isSequential": True,
                     "activities": [{"name": "remember", "type": "AppendVariable", "typeProperties": {
                         "variableName": "tables",
                         "value": expr("@concat(item().schema_name, '.', item().table_name)")}}]}},
                {"name": "any_rows", "type": "IfCondition",
                 "dependsOn": [{"activity": "each_table", "dependencyConditions": ["Succeeded"]}],
                 "typeProperties": {
                     "expression": expr("@greater(add(activity('list_tables').output.count, "
                                        "pipeline().parameters.batch_size), 0)"),
                     "ifTrueActivities": [{"name": "pause", "type": "Wait",
                                           "typeProperties": {"waitTimeInSeconds": 1}}]}},
            ],
        },
    }
    root = write({"pipeline/fanout.json": pipeline})
    assert evaluate_pipelines(root, parameters={"fanout": {"batch_size": 100}}) == []
    # A typo inside the ForEach body is found because the fake Lookup output has one row.
    pipeline["properties"]["activities"][1]["typeProperties"]["activities"][0]["typeProperties"]["value"] = expr(
        "@concat(item().schema_name, variables('table'))")
    problems = evaluate_pipelines(write({"pipeline/fanout.json": pipeline}))
    assert [p.message for p in problems] == [
        "activity 'remember' (AppendVariable): VariableNotFoundError: Variable 'table' not found"
    ]


def test_pipeline_dftf_cannot_load_is_attributed_to_its_file(adf: dict[str, Any], write: Write) -> None:
    del activities(adf)[1]["typeProperties"]
    assert [str(p) for p in evaluate_pipelines(write(adf))] == [
        f"{PIPELINE}: data-factory-testing-framework cannot load it: KeyError('typeProperties')"
    ]
