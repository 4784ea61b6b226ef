"""check_aml_tree: Azure ML v2 YAML through azure-ai-ml's loaders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lakewharf.verify.aml import check_aml_tree

pytestmark = pytest.mark.integration

Write = Callable[[dict[str, Any]], Path]


def messages(files: dict[str, str], write: Write) -> list[str]:
    return [str(p) for p in check_aml_tree(write(files))]


def test_valid_tree_passes(aml: dict[str, str], write: Write) -> None:
    assert messages(aml, write) == []


def test_job_references_missing_input(aml: dict[str, str], write: Write) -> None:
    aml["train_job.yml"] = aml["train_job.yml"].replace("inputs.learning_rate", "inputs.learn_rate")
    assert messages(aml, write) == [
        "train_job.yml: ValidationException: Inputs to job does not contain 'learn_rate' referenced in command"
    ]


def test_job_references_undeclared_output(aml: dict[str, str], write: Write) -> None:
    aml["train_job.yml"] = aml["train_job.yml"].replace("outputs.model_output", "outputs.model")
    assert messages(aml, write) == [
        "train_job.yml: command: references ${{outputs.model}} but outputs does not declare it"
    ]


def test_job_typo_field_names_the_field(aml: dict[str, str], write: Write) -> None:
    aml["train_job.yml"] = aml["train_job.yml"].replace("\nenvironment:", "\nenviroment:")
    assert messages(aml, write) == [
        "train_job.yml: environment: Missing data for required field.",
        "train_job.yml: enviroment: Unknown field.",
    ]


def test_job_code_folder_must_exist(aml: dict[str, str], write: Write) -> None:
    aml["train_job.yml"] = aml["train_job.yml"].replace("code: ./src", "code: ./scr")
    [message] = messages(aml, write)
    assert message.startswith("train_job.yml: code: Can't find directory or file")


def test_environment_typo_and_missing_conda_file(aml: dict[str, str], write: Write) -> None:
    aml["environment.yml"] = aml["environment.yml"].replace("image:", "imag:")
    assert messages(aml, write) == ["environment.yml: imag: Unknown field."]
    aml["environment.yml"] = aml["environment.yml"].replace("imag:", "image:").replace("conda.yml", "env.yml")
    [message] = messages(aml, write)
    assert message.startswith("environment.yml: ValidationException: No such file or directory")


def test_component_binding_to_missing_input(aml: dict[str, str], write: Write) -> None:
    aml["train_component.yml"] = aml["train_component.yml"].replace("inputs.data}}", "inputs.dta}}")
    assert messages(aml, write) == [
        "train_component.yml: command: Invalid data binding expression: inputs.dta"
    ]


def test_pipeline_job_dangling_parent_binding(aml: dict[str, str], write: Write) -> None:
    aml["train_pipeline.yml"] = aml["train_pipeline.yml"].replace("parent.inputs.features", "parent.inputs.feature")
    assert messages(aml, write) == [
        "train_pipeline.yml: jobs.train: ${{parent.inputs.feature}} is not declared in inputs"
    ]


def test_batch_endpoint_bad_enum(aml: dict[str, str], write: Write) -> None:
    aml["batch_endpoint.yml"] = aml["batch_endpoint.yml"].replace("aad_token", "token")
    assert messages(aml, write) == [
        "batch_endpoint.yml: auth_mode: Value 'token' passed is not in set ['aml_token', 'key', 'aad_token']"
    ]


def test_model_batch_deployment_typo_in_settings(aml: dict[str, str], write: Write) -> None:
    aml["batch_deployment.yml"] = aml["batch_deployment.yml"].replace("mini_batch_size", "mini_batch_sise")
    assert messages(aml, write) == ["batch_deployment.yml: settings.mini_batch_sise: Unknown field."]


def test_legacy_batch_deployment_schema_with_type_model_uses_model_loader(
        aml: dict[str, str], write: Write) -> None:
    aml["batch_deployment.yml"] = aml["batch_deployment.yml"].replace(
        "modelBatchDeployment.schema.json", "batchDeployment.schema.json")
    assert messages(aml, write) == []


def test_unknown_schema_is_reported(aml: dict[str, str], write: Write) -> None:
    aml["mystery.yml"] = "$schema: https://azuremlschemas.azureedge.net/latest/fooJob.schema.json\nname: x\n"
    [message] = messages(aml, write)
    assert message.startswith("mystery.yml: cannot tell which azure-ai-ml loader applies")
