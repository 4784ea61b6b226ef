"""Valid artifacts in the exact shapes ADF git sync, Azure ML CLI v2 and Synapse use.

Every test gets fresh copies, mutates one thing, writes the tree to tmp_path and expects the
validator to name that thing. (A plain module, not conftest: tests import the builders.)
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

EXPR = "Expression"


def expr(value: str) -> dict[str, str]:
    return {"value": value, "type": EXPR}


LINKED_SERVICES: dict[str, Any] = {
    # No credential in typeProperties: AzureBlobFS then authenticates with the factory's
    # system-assigned managed identity.
    "ls_adls": {
        "name": "ls_adls",
        "type": "Microsoft.DataFactory/factories/linkedservices",
        "properties": {
            "type": "AzureBlobFS",
            "annotations": [],
            "typeProperties": {"url": "https://stlakewharfdev.dfs.core.windows.net/"},
        },
    },
    "ls_synapse": {
        "name": "ls_synapse",
        "properties": {
            "type": "AzureSqlDW",
            "typeProperties": {
                "server": "syn-lakewharf-dev.sql.azuresynapse.net",
                "database": "dw",
                "encrypt": "mandatory",
                "authenticationType": "SystemAssignedManagedIdentity",
            },
        },
    },
}

DATASETS: dict[str, Any] = {
    "ds_landing_csv": {
        "name": "ds_landing_csv",
        "properties": {
            "type": "DelimitedText",
            "linkedServiceName": {"referenceName": "ls_adls", "type": "LinkedServiceReference"},
            "parameters": {"folder": {"type": "String"}},
            "annotations": [],
            "typeProperties": {
                "location": {
                    "type": "AzureBlobFSLocation",
                    "fileSystem": "landing",
                    "folderPath": expr("@dataset().folder"),
                },
                "columnDelimiter": ",",
                "escapeChar": "\\",
                "firstRowAsHeader": True,
                "quoteChar": '"',
            },
            "schema": [],
        },
    },
    "ds_raw_parquet": {
        "name": "ds_raw_parquet",
        "properties": {
            "type": "Parquet",
            "linkedServiceName": {"referenceName": "ls_adls", "type": "LinkedServiceReference"},
            "parameters": {"folder": {"type": "String"}},
            "folder": {"name": "raw"},
            "typeProperties": {
                "location": {
                    "type": "AzureBlobFSLocation",
                    "fileSystem": "raw",
                    "folderPath": expr("@dataset().folder"),
                },
                "compressionCodec": "snappy",
            },
            "schema": [],
        },
    },
    "ds_synapse_customers": {
        "name": "ds_synapse_customers",
        "properties": {
            "type": "AzureSqlDWTable",
            "linkedServiceName": {"referenceName": "ls_synapse", "type": "LinkedServiceReference"},
            "typeProperties": {"schema": "curated", "table": "customers"},
        },
    },
}

PIPELINE: dict[str, Any] = {
    "name": "ingest_customers",
    "properties": {
        "description": "Landing CSV -> raw Parquet -> Synapse merge",
        "parameters": {
            "source_folder": {"type": "string", "defaultValue": "crm/customers"},
            "notify_url": {"type": "string", "defaultValue": "https://example.invalid/hooks/lakewharf"},
        },
        "variables": {"target_folder": {"type": "String"}},
        "annotations": ["lakewharf"],
        "folder": {"name": "ingest"},
        "activities": [
            {
                "name": "lookup_watermark",
                "type": "Lookup",
                "dependsOn": [],
                "policy": {"timeout": "0.00:10:00", "retry": 2, "retryIntervalInSeconds": 30,
                           "secureOutput": False, "secureInput": False},
                "userProperties": [],
                "typeProperties": {
                    "source": {
                        "type": "SqlDWSource",
                        "sqlReaderQuery": "SELECT MAX(loaded_at) AS watermark FROM curated.customers",
                        "queryTimeout": "02:00:00",
                    },
                    "dataset": {"referenceName": "ds_synapse_customers", "type": "DatasetReference"},
                    "firstRowOnly": True,
                },
            },
            {
                "name": "set_target_folder",
                "type": "SetVariable",
                "dependsOn": [{"activity": "lookup_watermark", "dependencyConditions": ["Succeeded"]}],
                "typeProperties": {
                    "variableName": "target_folder",
                    "value": expr("@concat('crm/customers/', "
                                  "formatDateTime(pipeline().TriggerTime, 'yyyy/MM/dd'))"),
                },
            },
            {
                "name": "copy_customers",
                "type": "Copy",
                "dependsOn": [{"activity": "set_target_folder", "dependencyConditions": ["Succeeded"]}],
                "policy": {"timeout": "0.02:00:00", "retry": 1, "retryIntervalInSeconds": 60},
                "inputs": [{"referenceName": "ds_landing_csv", "type": "DatasetReference",
                            "parameters": {"folder": expr("@pipeline().parameters.source_folder")}}],
                "outputs": [{"referenceName": "ds_raw_parquet", "type": "DatasetReference",
                             "parameters": {"folder": expr("@variables('target_folder')")}}],
                "typeProperties": {
                    "source": {
                        "type": "DelimitedTextSource",
                        "storeSettings": {"type": "AzureBlobFSReadSettings", "recursive": True,
                                          "wildcardFileName": "*.csv"},
                        "formatSettings": {"type": "DelimitedTextReadSettings"},
                    },
                    "sink": {
                        "type": "ParquetSink",
                        "storeSettings": {"type": "AzureBlobFSWriteSettings"},
                        "formatSettings": {"type": "ParquetWriteSettings"},
                    },
                    "enableStaging": False,
                },
            },
            {
                "name": "merge_customers",
                "type": "Script",
                "dependsOn": [{"activity": "copy_customers", "dependencyConditions": ["Succeeded"]}],
                "linkedServiceName": {"referenceName": "ls_synapse", "type": "LinkedServiceReference"},
                "typeProperties": {
                    "scripts": [{
                        "type": "NonQuery",
                        "text": expr("@concat('EXEC curated.merge_customers @since = ''', "
                                     "string(activity('lookup_watermark').output.firstRow.watermark), "
                                     "'''')"),
                    }],
                    "scriptBlockExecutionTimeout": "02:00:00",
                },
            },
            {
                "name": "notify",
                "type": "WebActivity",
                "dependsOn": [{"activity": "merge_customers", "dependencyConditions": ["Succeeded"]}],
                "typeProperties": {
                    "method": "POST",
                    "url": expr("@pipeline().parameters.notify_url"),
                    "headers": {"Content-Type": "application/json"},
                    "body": expr("@concat('{\"pipeline\":\"', pipeline().Pipeline, '\",\"rows\":', "
                                 "string(activity('copy_customers').output.rowsCopied), '}')"),
                },
            },
        ],
    },
}

TRIGGER: dict[str, Any] = {
    "name": "tr_daily",
    "properties": {
        "type": "ScheduleTrigger",
        "runtimeState": "Started",
        "annotations": [],
        "pipelines": [{
            "pipelineReference": {"referenceName": "ingest_customers", "type": "PipelineReference"},
            "parameters": {"source_folder": "crm/customers"},
        }],
        "typeProperties": {
            "recurrence": {
                "frequency": "Day",
                "interval": 1,
                "startTime": "2024-01-01T02:00:00Z",
                "timeZone": "UTC",
                "schedule": {"hours": [2], "minutes": [0]},
            },
        },
    },
}


def adf_docs() -> dict[str, Any]:
    """Relative path -> JSON document of a small valid factory."""
    docs: dict[str, Any] = {}
    for name, doc in LINKED_SERVICES.items():
        docs[f"linkedService/{name}.json"] = doc
    for name, doc in DATASETS.items():
        docs[f"dataset/{name}.json"] = doc
    docs["pipeline/ingest_customers.json"] = PIPELINE
    docs["trigger/tr_daily.json"] = TRIGGER
    return copy.deepcopy(docs)


def write_tree(root: Path, files: dict[str, Any]) -> Path:
    """Write JSON documents (dict values) or text (str values) below ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else json.dumps(content, indent=2)
        path.write_text(text, encoding="utf-8")
    return root


# --- Azure ML CLI v2 -------------------------------------------------------------------------

SCHEMA = "https://azuremlschemas.azureedge.net/latest"

AML_FILES: dict[str, str] = {
    "src/train.py": "print('training')\n",
    "train_job.yml": f"""\
$schema: {SCHEMA}/commandJob.schema.json
type: command
display_name: train churn model
experiment_name: churn
code: ./src
command: >-
  python train.py
  --training-data ${{{{inputs.training_data}}}}
  --learning-rate ${{{{inputs.learning_rate}}}}
  --model-output ${{{{outputs.model_output}}}}
inputs:
  training_data:
    type: uri_folder
    path: azureml://datastores/curated/paths/features/churn/
  learning_rate: 0.01
outputs:
  model_output:
    type: mlflow_model
environment: azureml:churn-train-env@latest
compute: azureml:cpu-cluster
""",
    "environment.yml": f"""\
$schema: {SCHEMA}/environment.schema.json
name: churn-train-env
version: "1"
image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
conda_file: conda.yml
description: Training environment for the churn model
""",
    "conda.yml": """\
name: churn
channels: [conda-forge]
dependencies:
  - python=3.11
  - pip
  - pip:
      - scikit-learn==1.5.2
      - mlflow
""",
    "train_component.yml": f"""\
$schema: {SCHEMA}/commandComponent.schema.json
name: train_churn
version: "1"
type: command
code: ./src
command: python train.py --data ${{{{inputs.data}}}} --out ${{{{outputs.model}}}}
inputs:
  data:
    type: uri_folder
outputs:
  model:
    type: mlflow_model
environment: azureml:churn-train-env@latest
""",
    "train_pipeline.yml": f"""\
$schema: {SCHEMA}/pipelineJob.schema.json
type: pipeline
display_name: churn training pipeline
settings:
  default_compute: azureml:cpu-cluster
inputs:
  features:
    type: uri_folder
    path: azureml://datastores/curated/paths/features/churn/
jobs:
  train:
    type: command
    component: ./train_component.yml
    inputs:
      data: ${{{{parent.inputs.features}}}}
""",
    "batch_endpoint.yml": f"""\
$schema: {SCHEMA}/batchEndpoint.schema.json
name: churn-batch
description: Batch scoring for the churn model
auth_mode: aad_token
""",
    "batch_deployment.yml": f"""\
$schema: {SCHEMA}/modelBatchDeployment.schema.json
name: churn-batch-dp
endpoint_name: churn-batch
type: model
model: azureml:churn-model@latest
compute: azureml:cpu-cluster
resources:
  instance_count: 2
settings:
  max_concurrency_per_instance: 2
  mini_batch_size: 10
  output_action: append_row
  output_file_name: predictions.csv
  retry_settings:
    max_retries: 3
    timeout: 300
  error_threshold: -1
  logging_level: info
""",
}


def aml_files() -> dict[str, str]:
    return dict(AML_FILES)
