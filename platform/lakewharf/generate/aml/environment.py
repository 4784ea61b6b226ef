"""The one Azure ML environment every lakewharf job and batch deployment runs in.

The pins are the versions lakewharf's own virtual environment tests the scripts with (a test
compares them with what is installed), so a model trained by the local runner unpickles in Azure ML
and the other way round: scikit-learn pickles are only guaranteed to load in the same version.
"""

from __future__ import annotations

import hashlib
from typing import Any

from lakewharf.generate.artifact import Artifact, yaml_artifact
from lakewharf.model.catalog import Catalog
from lakewharf.model.naming import environment_name

SCHEMA_BASE = "https://azuremlschemas.azureedge.net/latest"
# Curated Azure ML base image (Ubuntu 22.04, conda, OpenMPI): conda_file is installed on top.
BASE_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"
PYTHON = "3.11"
PINNED: dict[str, str] = {
    "numpy": "2.4.6",
    "scipy": "1.17.1",
    "scikit-learn": "1.9.1",
    "pandas": "3.1.1",
    "pyarrow": "26.0.1",
    "joblib": "1.6.0",
    # MLflow tracking in Azure ML jobs (train.py logs metrics when MLFLOW_TRACKING_URI is set) and
    # loading automated-ML best models, which are MLflow models.
    "azureml-mlflow": "1.62.0.post6",
}
ENVIRONMENT_FILE = "aml/environment.yml"
CONDA_FILE = "aml/conda.yml"


def environment_ref(catalog: Catalog) -> str:
    """How jobs and deployments name the environment: the newest registered version."""
    return f"azureml:{environment_name(catalog.platform.name)}@latest"


def conda_spec(catalog: Catalog) -> dict[str, Any]:
    return {
        "name": environment_name(catalog.platform.name),
        "channels": ["conda-forge"],
        "dependencies": [f"python={PYTHON}", "pip", {"pip": [f"{n}=={v}" for n, v in PINNED.items()]}],
    }


def artifacts(catalog: Catalog) -> list[Artifact]:
    conda = yaml_artifact(CONDA_FILE, conda_spec(catalog), (f"platform:{catalog.platform.name}",),
                          header="# Python packages of the lakewharf scikit-learn environment.\n")
    # The version is a digest of what the environment installs: a changed pin registers a new
    # version instead of colliding with the old one (Azure ML environment versions are immutable).
    version = hashlib.sha256(conda.content + BASE_IMAGE.encode()).hexdigest()[:12]
    environment = {
        "$schema": f"{SCHEMA_BASE}/environment.schema.json",
        "name": environment_name(catalog.platform.name),
        "version": version,
        "description": "scikit-learn, pandas and pyarrow for lakewharf training jobs and batch scoring.",
        "image": BASE_IMAGE,
        "conda_file": "conda.yml",
    }
    return [conda, yaml_artifact(ENVIRONMENT_FILE, environment, (f"platform:{catalog.platform.name}",))]
