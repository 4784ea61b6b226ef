"""Training as a pipeline component deployment: the files, the names Data Factory invokes, the
component versions, azure-ai-ml's loaders, and src/mltable.py (the automated ML step)."""

from __future__ import annotations

import importlib.util
import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from lakewharf.errors import CatalogInvalid
from lakewharf.generate.aml import generate
from lakewharf.generate.aml.jobs import mltable
from lakewharf.generate.aml.training import TRAINING_INPUT
from lakewharf.generate.artifact import Artifact
from lakewharf.generate.generate_all import generate_all
from lakewharf.generate.templates import template_environment
from lakewharf.generate.writer import write_tree
from lakewharf.model import naming
from lakewharf.model.catalog import Catalog
from lakewharf.project import load_catalog

if TYPE_CHECKING:
    from conftest import Project

REPO_ROOT = Path(__file__).resolve().parents[2]
MODELS = ("churn", "recommender", "segmentation")
AUTOML = ("  algorithm: gradient_boosting\n  hyperparameters: {n_estimators: 200, learning_rate: 0.05, max_depth: 3}",
          "  automl: {primary_metric: AUC_weighted, max_trials: 20, timeout_minutes: 60}")


def run(catalog: Catalog) -> dict[str, Artifact]:
    return {a.path: a for a in generate(catalog, template_environment(REPO_ROOT))}


def doc(artifacts: dict[str, Artifact], path: str) -> Any:
    return yaml.safe_load(artifacts[path].content)


@pytest.fixture(scope="module")
def sample_catalog() -> Catalog:
    return load_catalog(REPO_ROOT)


@pytest.fixture(scope="module")
def sample(sample_catalog: Catalog) -> dict[str, Artifact]:
    return run(sample_catalog)


@pytest.fixture
def automl(project: Project) -> dict[str, Artifact]:
    project.replace("catalog/models/churn.yaml", *AUTOML)
    return run(project.load())


# --- what Data Factory invokes ---------------------------------------------------------------------------


def _activities(activities: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for activity in activities:
        yield activity
        props = activity.get("typeProperties", {})
        for key in ("activities", "ifTrueActivities", "ifFalseActivities"):
            yield from _activities(props.get(key, []))


def adf_training_invocations(catalog: Catalog) -> dict[str, dict[str, Any]]:
    """Endpoint name → request body of every training item the orchestrators hand to wk_train."""
    found = {}
    for artifact in generate_all(catalog):
        if not artifact.path.startswith("control/"):
            continue
        for item in json.loads(artifact.content):
            if item.get("kind") != "train":
                continue
            found[item["endpoint"]] = json.loads(item["body"])["properties"]
    return found


def test_endpoints_and_inputs_match_the_data_factory_invocation(sample_catalog: Catalog,
                                                               sample: dict[str, Artifact]) -> None:
    invoked = adf_training_invocations(sample_catalog)
    assert sorted(invoked) == sorted(f"retail-train-{m}" for m in MODELS)
    for model in MODELS:
        endpoint = doc(sample, f"aml/endpoint_train_{model}.yml")
        deployment = doc(sample, f"aml/deployment_train_{model}.yml")
        component = doc(sample, f"aml/train_{model}_component.yml")
        name = naming.training_endpoint_name("retail", model)
        assert name == endpoint["name"] == deployment["endpoint_name"]
        assert endpoint["defaults"]["deployment_name"] == deployment["name"] == f"train-{model}-v1"
        assert deployment["endpoint_name"] == name
        body = invoked[name]
        # Every input Data Factory sends is declared with its type; every declared input is sent.
        sent = {k: v["JobInputType"] for k, v in body["InputData"].items()}
        assert sent == {k: {"uri_folder": "UriFolder"}[v["type"]] for k, v in component["inputs"].items()}
        assert body["InputData"][TRAINING_INPUT]["Uri"] in component["inputs"][TRAINING_INPUT]["description"]
        assert "outputs" not in component  # no OutputData in the invocation
        assert body["properties"]["experimentName"] == f"train_{model}" == component["display_name"]


# --- shapes and versions ---------------------------------------------------------------------------------


def test_command_step_is_the_training_job(sample: dict[str, Artifact]) -> None:
    for model in MODELS:
        job = doc(sample, f"aml/train_{model}.yml")
        step = doc(sample, f"aml/train_{model}_step.yml")
        pipeline = doc(sample, f"aml/train_{model}_component.yml")
        assert (step["command"], step["code"], step["environment"]) == (job["command"], job["code"], job["environment"])
        defaults = {k: v.get("default") for k, v in step["inputs"].items()}
        assert defaults == {k: None if isinstance(v, dict) else v for k, v in job["inputs"].items()}
        assert step["inputs"]["training_data"]["mode"] == "ro_mount"
        [node] = pipeline["jobs"].values()
        assert node["component"] == f"./train_{model}_step.yml"
        assert node["inputs"] == {"training_data": "${{parent.inputs.training_data}}"}
        assert node["compute"] == job["compute"]
        assert node["outputs"] == job["outputs"] == {"model": {"type": "custom_model", "name": model}}


def test_deployment_shape(sample: dict[str, Artifact]) -> None:
    assert "aml/src/mltable.py" not in sample  # only rendered when a model uses automated ML
    deployment = doc(sample, "aml/deployment_train_churn.yml")
    assert deployment["$schema"].endswith("/batchDeployment.schema.json") and deployment["type"] == "pipeline"
    assert deployment["component"] == "./train_churn_component.yml"
    assert deployment["settings"] == {"default_compute": "cpu-cluster", "continue_on_step_failure": False}
    assert doc(sample, "aml/endpoint_train_churn.yml")["auth_mode"] == "aad_token"


def test_versions_are_deterministic_digests(sample_catalog: Catalog, sample: dict[str, Artifact],
                                            project: Project) -> None:
    again = run(sample_catalog)
    assert {p: a.content for p, a in again.items()} == {p: a.content for p, a in sample.items()}
    versions = {p: doc(sample, p)["version"] for p in sample if p.endswith(("_step.yml", "_component.yml"))}
    assert all(re.fullmatch(r"[0-9a-f]{12}", v) for v in versions.values())
    project.replace("catalog/models/churn.yaml", "max_depth: 3", "max_depth: 4")
    changed = run(project.load())
    moved = {p for p, v in versions.items() if doc(changed, p)["version"] != v}
    # churn's command and spec changed; every spec is in the shared code folder (one code asset).
    assert {"aml/train_churn_step.yml", "aml/train_churn_component.yml"} <= moved == set(versions)


def test_automl_pipeline(automl: dict[str, Artifact]) -> None:
    assert "aml/train_churn_step.yml" not in automl
    pipeline = doc(automl, "aml/train_churn_component.yml")
    job = doc(automl, "aml/train_churn.yml")
    assert list(pipeline["jobs"]) == ["to_mltable", "train"]
    node = pipeline["jobs"]["train"]
    assert node["training_data"] == "${{parent.jobs.to_mltable.outputs.table}}"
    assert {k: v for k, v in node.items() if k != "training_data"} == {
        k: v for k, v in job.items() if k not in ("$schema", "experiment_name", "training_data")}
    assert node["outputs"] == {"best_model": {"type": "mlflow_model", "name": "churn"}}
    step = doc(automl, "aml/train_churn_mltable.yml")
    assert step["inputs"] == {"training_data": {"type": "uri_folder", "mode": "direct"}}
    assert step["outputs"] == {"table": {"type": "mltable"}}


def test_mltable_script_writes_the_generated_mltable(project: Project, automl: dict[str, Artifact],
                                                     tmp_path: Path) -> None:
    write_tree(tmp_path / "build", automl.values())
    src = tmp_path / "build/aml/src"
    spec = importlib.util.spec_from_file_location("mltable_script", src / "mltable.py")
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    uri = "azureml://datastores/development/paths/churn_training/"
    assert script.main(["--spec", str(src / "specs/churn.json"), "--data", uri, "--table", str(tmp_path / "t")]) == 0
    written = yaml.safe_load((tmp_path / "t/MLTable").read_text())
    catalog = project.load()
    expected = {k: v for k, v in mltable(catalog, catalog.models["churn"]).items() if k != "$schema"}
    assert written == expected


# --- azure-ai-ml loaders ---------------------------------------------------------------------------------


def _load(path: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from azure.ai.ml import load_batch_endpoint, load_component
        from azure.ai.ml.entities._load_functions import load_pipeline_component_batch_deployment

        name = path.name
        if name.startswith("endpoint_train_"):
            return load_batch_endpoint(source=path)
        if name.startswith("deployment_train_"):
            return load_pipeline_component_batch_deployment(source=path)
        component = load_component(source=path)
        result = component._validate()
        assert result.passed, result.error_messages
        component._to_rest_object()  # what `az ml component create` sends
        return component


@pytest.mark.integration
@pytest.mark.parametrize("variant", ["sample", "automl"])
def test_training_files_pass_the_loaders(variant: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    from lakewharf.verify.aml import check_aml_tree

    artifacts = request.getfixturevalue(variant)
    write_tree(tmp_path / "build", artifacts.values())
    aml = tmp_path / "build/aml"
    assert check_aml_tree(aml) == []
    steps = ("to_mltable", "train") if variant == "automl" else ("train",)
    new = [p for p in sorted(aml.glob("*.yml"))
           if p.name.startswith(("endpoint_train_", "deployment_train_"))
           or p.name.endswith(("_component.yml", "_step.yml", "_mltable.yml"))]
    assert len(new) == 4 * 3
    for path in new:
        _load(path)
    deployment = _load(aml / "deployment_train_churn.yml")
    assert type(deployment).__name__ == "PipelineComponentBatchDeployment"
    assert tuple(deployment.component.jobs) == steps
    assert _load(aml / "endpoint_train_churn.yml").defaults["deploymentName"] == "train-churn-v1"


@pytest.mark.integration
def test_broken_training_files_are_caught(sample: dict[str, Artifact], tmp_path: Path) -> None:
    from lakewharf.verify.aml import check_aml_tree

    aml = tmp_path / "build/aml"
    write_tree(tmp_path / "build", sample.values())

    def edit(name: str, old: str, new: str) -> None:
        text = (aml / name).read_text()
        assert text.count(old) == 1, (name, old)
        (aml / name).write_text(text.replace(old, new))

    edit("train_churn_step.yml", "${{inputs.seed}}", "${{inputs.sed}}")
    edit("train_segmentation_component.yml", "      training_data: $", "      trainin_data: $")
    edit("deployment_train_recommender.yml", "type: pipeline", "type: model")
    problems = [str(p) for p in check_aml_tree(aml)]
    assert any(p.startswith("train_churn_step.yml:") and "inputs.sed" in p for p in problems), problems
    assert any(p.startswith("train_segmentation_component.yml:") and "'training_data'" in p for p in problems), problems
    # type: model sends it to the model deployment loader, which names component/settings/compute.
    assert "deployment_train_recommender.yml: component: Unknown field." in problems, problems
    assert {p.split(":")[0] for p in problems} == {
        "train_churn_step.yml", "train_segmentation_component.yml", "deployment_train_recommender.yml"}


def test_too_long_training_endpoint_name_is_located(project: Project) -> None:
    # Endpoint names get the stack's '-<suffix>' (5 characters) on deployment, so a catalog name has
    # 27 of Azure's 32: retail-train-customer-val has 25, retail-train-customer-value 27,
    # retail-train-customer-values 28.
    unscheduled = project.read("catalog/models/churn.yaml").replace('  schedule: {cron: "0 4 * * *"}\n', "")
    for name in ("customer_val", "customer_value"):
        project.write(f"catalog/models/{name}.yaml", unscheduled)
    assert naming.training_endpoint_name("retail", "customer_value") == "retail-train-customer-value"
    run(project.load())
    project.write("catalog/models/customer_values.yaml", unscheduled)
    with pytest.raises(CatalogInvalid) as info:
        run(project.load())
    [error] = info.value.errors
    assert error.file == "catalog/models/customer_values.yaml"
    assert "'retail-train-customer-values'" in error.message and "at most 27 characters" in error.message
