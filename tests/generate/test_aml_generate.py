"""The Azure ML generator: file set, shapes, determinism, and azure-ai-ml's own loaders."""

from __future__ import annotations

import importlib.metadata
import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from lakewharf.errors import CatalogInvalid
from lakewharf.generate.aml import generate
from lakewharf.generate.aml.environment import PINNED
from lakewharf.generate.aml.jobs import primary_metric
from lakewharf.generate.artifact import Artifact
from lakewharf.generate.templates import template_environment
from lakewharf.generate.writer import write_tree
from lakewharf.model.catalog import Catalog
from lakewharf.project import load_catalog

if TYPE_CHECKING:
    from conftest import Project

REPO_ROOT = Path(__file__).resolve().parents[2]
REGRESSION_MODEL = """\
description: Expected revenue of a customer.
task: regression
dataset: customer_features
key: [customer_id]
features: [country, loyalty_tier, tenure_days, order_count, sessions_30d]
label: revenue
training:
  algorithm: ridge
  hyperparameters: {alpha: 1.0, solver: auto}
  test_fraction: 0.25
  seed: 3
  compute: cpu-cluster
scoring:
  compute: cpu-cluster
  output_zone: trusted
"""
AUTOML_TRAINING = "  automl: {primary_metric: AUC_weighted, max_trials: 20, timeout_minutes: 60}"
GRADIENT_BOOSTING = """\
  algorithm: gradient_boosting
  hyperparameters: {n_estimators: 200, learning_rate: 0.05, max_depth: 3}"""


def run(catalog: Catalog) -> list[Artifact]:
    return generate(catalog, template_environment(REPO_ROOT))


def by_path(artifacts: list[Artifact]) -> dict[str, Artifact]:
    return {a.path: a for a in artifacts}


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def doc(artifacts: list[Artifact], path: str) -> dict:
    return yaml.safe_load(by_path(artifacts)[path].content)


@pytest.fixture(scope="module")
def sample_catalog() -> Catalog:
    return load_catalog(REPO_ROOT)


@pytest.fixture(scope="module")
def sample(sample_catalog: Catalog) -> list[Artifact]:
    return run(sample_catalog)


@pytest.fixture
def variants(project: Project) -> Catalog:
    """The sample plus a regression model, with churn trained by automated ML."""
    project.write("catalog/models/basket.yaml", REGRESSION_MODEL)
    project.replace("catalog/models/churn.yaml", GRADIENT_BOOSTING, AUTOML_TRAINING)
    return project.load()


def test_file_set(sample: list[Artifact]) -> None:
    paths = sorted(by_path(sample))
    per_model = [f"aml/{kind}_{m}.yml" for m in ("churn", "recommender", "segmentation")
                 for kind in ("deployment", "endpoint", "train", "deployment_train", "endpoint_train")]
    per_model += [f"aml/train_{m}_{part}.yml" for m in ("churn", "recommender", "segmentation")
                  for part in ("component", "step")]
    specs = [f"aml/src/specs/{m}.json" for m in ("churn", "recommender", "segmentation")]
    scripts = [f"aml/src/{s}" for s in ("lakewharf_ml.py", "recommend.py", "score.py", "train.py")]
    assert paths == sorted(["aml/conda.yml", "aml/environment.yml", *per_model, *specs, *scripts])
    assert all(a.elements for a in sample)
    assert by_path(sample)["aml/train_churn.yml"].elements == ("model:churn", "dataset:churn_training")


def test_deterministic(sample_catalog: Catalog, sample: list[Artifact], tmp_path: Path) -> None:
    again = run(sample_catalog)
    assert [(a.path, a.content) for a in again] == [(a.path, a.content) for a in sample]
    write_tree(tmp_path / "one", sample)
    write_tree(tmp_path / "two", again)
    assert tree(tmp_path / "one") == tree(tmp_path / "two")
    text = b"".join(a.content for a in sample).decode()
    assert str(REPO_ROOT) not in text and "/tmp" not in text


def test_command_job_shape(sample: list[Artifact]) -> None:
    job = doc(sample, "aml/train_churn.yml")
    assert job["type"] == "command" and "name" not in job  # job names are unique per workspace
    assert job["inputs"]["training_data"] == {
        "type": "uri_folder", "path": "azureml://datastores/development/paths/churn_training/", "mode": "ro_mount"}
    assert job["inputs"]["seed"] == 42 and job["inputs"]["test_fraction"] == 0.2
    assert job["inputs"]["hp_n_estimators"] == 200
    assert "--hp n_estimators=${{inputs.hp_n_estimators}}" in job["command"]
    assert job["outputs"] == {"model": {"type": "custom_model", "name": "churn"}}
    assert job["compute"] == "azureml:cpu-cluster"
    assert job["environment"] == "azureml:retail-sklearn@latest"


def test_deployment_shape(sample: list[Artifact]) -> None:
    deployment = doc(sample, "aml/deployment_recommender.yml")
    assert deployment["type"] == "model" and deployment["endpoint_name"] == "retail-recommender"
    assert deployment["model"] == "azureml:recommender@latest"
    assert deployment["code_configuration"] == {"code": "./src", "scoring_script": "score.py"}
    assert deployment["settings"]["output_action"] == "summary_only"
    assert deployment["settings"]["mini_batch_size"] == 10
    assert deployment["settings"]["environment_variables"] == {"LAKEWHARF_SPEC": "specs/recommender.json"}
    assert doc(sample, "aml/endpoint_recommender.yml")["defaults"] == {"deployment_name": "recommender-v1"}


def test_spec_carries_the_score_contract(sample_catalog: Catalog, sample: list[Artifact]) -> None:
    for name, model in sample_catalog.models.items():
        spec = json.loads(by_path(sample)[f"aml/src/specs/{name}.json"].content)
        assert {o: [c["name"] for c in cols] for o, cols in spec["outputs"].items()} == {
            o: [c.name for c in cols] for o, cols in model.outputs.items()}
    churn = json.loads(by_path(sample)["aml/src/specs/churn.json"].content)
    kinds = {f["name"]: f["kind"] for f in churn["features"]}
    assert kinds["country"] == "categorical" and kinds["revenue"] == "numeric"


def test_scripts_are_the_templates(sample: list[Artifact]) -> None:
    for name in ("train.py", "score.py", "lakewharf_ml.py", "recommend.py"):
        generated = by_path(sample)[f"aml/src/{name}"].content.decode()
        header, body = generated.split("\n", 1)
        assert header.startswith("# Generated by lakewharf from templates/aml/")
        assert body == (REPO_ROOT / "templates/aml" / name).read_text(encoding="utf-8")
        assert "azure.ai.ml" not in body  # the local runner runs them without the SDK


def test_pins_match_the_tested_versions() -> None:
    for package, version in PINNED.items():
        try:
            installed = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue  # azureml-mlflow: only in Azure ML
        assert installed == version, f"conda.yml pins {package}=={version} but the tests run {installed}"


def test_automl_and_regression_variants(variants: Catalog) -> None:
    artifacts = run(variants)
    job = doc(artifacts, "aml/train_churn.yml")
    assert job["type"] == "automl" and job["primary_metric"] == "auc_weighted"
    assert job["training_data"] == {"type": "mltable", "path": "./mltable/churn"}
    assert job["limits"] == {"max_trials": 20, "timeout_minutes": 60} and job["test_data_size"] == 0.2
    assert job["outputs"] == {"best_model": {"type": "mlflow_model", "name": "churn"}}
    table = doc(artifacts, "aml/mltable/churn/MLTable")
    assert table["paths"] == [{"pattern": "azureml://datastores/development/paths/churn_training/*.parquet"}]
    assert "customer_id" not in table["transformations"][1]["keep_columns"]
    assert '--hp "solver=${{inputs.hp_solver}}"' in doc(artifacts, "aml/train_basket.yml")["command"]
    assert "aml/src/mltable.py" in by_path(artifacts) and "aml/train_churn_mltable.yml" in by_path(artifacts)


def test_unknown_primary_metric_is_located(project: Project) -> None:
    project.replace("catalog/models/churn.yaml", GRADIENT_BOOSTING, "  automl: {primary_metric: rmse}")
    catalog = project.load()
    with pytest.raises(CatalogInvalid) as info:
        run(catalog)
    [error] = info.value.errors
    assert (error.file, error.line, error.json_path) == (
        "catalog/models/churn.yaml", project.line_of("catalog/models/churn.yaml", "rmse"),
        "$.training.automl.primary_metric")
    assert error.message == "automated ML classification has no primary metric 'rmse'"
    assert "auc_weighted" in error.hint
    project.replace("catalog/models/churn.yaml", "rmse", "AUCWeighted")
    assert primary_metric(project.load().models["churn"]) == "auc_weighted"


def test_hyperparameter_names_become_job_inputs(project: Project) -> None:
    project.replace("catalog/models/churn.yaml", "max_depth: 3", "Max-Depth: 3")
    with pytest.raises(CatalogInvalid) as info:
        run(project.load())
    [error] = info.value.errors
    assert error.json_path == "$.training.hyperparameters['Max-Depth']" and error.line > 0


# --- azure-ai-ml loaders ---------------------------------------------------------------------------------


def load(path: Path) -> object:
    """Load one generated file the way ``az ml <kind> create`` does."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from azure.ai.ml import load_batch_endpoint, load_component, load_environment, load_job
        from azure.ai.ml.entities._load_functions import (
            load_model_batch_deployment,
            load_pipeline_component_batch_deployment,
        )

        doc = yaml.safe_load(path.read_text())
        kind = Path(doc["$schema"]).name.split(".")[0]
        if kind == "batchDeployment":  # Microsoft's schema for `type: pipeline` deployments
            kind = {"pipeline": "pipelineComponentBatchDeployment"}[doc["type"]]
        loader = {"commandJob": load_job, "autoMLJob": load_job, "environment": load_environment,
                  "commandComponent": load_component, "pipelineComponent": load_component,
                  "batchEndpoint": load_batch_endpoint, "modelBatchDeployment": load_model_batch_deployment,
                  "pipelineComponentBatchDeployment": load_pipeline_component_batch_deployment}[kind]
        return loader(source=path)


@pytest.mark.integration
def test_sample_tree_passes_the_loaders(sample: list[Artifact], tmp_path: Path) -> None:
    from lakewharf.verify.aml import check_aml_tree

    write_tree(tmp_path / "build", sample)
    assert check_aml_tree(tmp_path / "build/aml") == []
    for path in sorted((tmp_path / "build/aml").glob("*.yml")):
        if path.name != "conda.yml":
            assert load(path) is not None
    job = load(tmp_path / "build/aml/train_churn.yml")
    job._to_job()._validate()  # raises on ${{inputs.x}} that the job does not declare


@pytest.mark.integration
def test_broken_variants_are_caught(sample: list[Artifact], tmp_path: Path) -> None:
    from lakewharf.verify.aml import check_aml_tree

    aml = tmp_path / "build/aml"
    write_tree(tmp_path / "build", sample)
    train = aml / "train_churn.yml"
    train.write_text(train.read_text().replace("${{inputs.seed}}", "${{inputs.sed}}"))
    deployment = aml / "deployment_churn.yml"
    deployment.write_text(deployment.read_text().replace("output_action: summary_only", "output_action: csv"))
    problems = [str(p) for p in check_aml_tree(aml)]
    assert any(p.startswith("train_churn.yml:") and "'sed'" in p for p in problems), problems
    assert any(p.startswith("deployment_churn.yml:") and "output_action" in p for p in problems), problems
    assert len(problems) == 2


@pytest.mark.integration
def test_automl_variant_passes_the_loaders(variants: Catalog, tmp_path: Path) -> None:
    write_tree(tmp_path / "build", run(variants))
    aml = tmp_path / "build/aml"
    job = load(aml / "train_churn.yml")
    rest = job._to_rest_object()  # what `az ml job create` sends: fails on inconsistent settings
    assert rest.properties.outputs["best_model"]["assetName"] == "churn"
    assert (aml / job.training_data.path / "MLTable").is_file()  # the loader does not check local paths
    for name in ("train_basket.yml", "deployment_churn.yml", "endpoint_basket.yml"):
        load(aml / name)
    load(aml / "train_basket.yml")._to_job()._validate()
