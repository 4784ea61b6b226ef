"""Azure naming rules, and the names lakewharf derives from catalog names.

Generators and the infra program take derived names from here, so the rule that validated a
name is the rule that produced it. Rules from Microsoft Learn:
- Storage containers / ADLS Gen2 filesystems: 3-63 characters, lower-case letters, digits and
  single hyphens, starting and ending with a letter or digit.
  https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata
- Data Factory objects (pipelines, datasets, linked services, triggers): start with a letter,
  digit or underscore; none of . + ? / < > * % & : \\ ; at most 140 characters.
  https://learn.microsoft.com/azure/data-factory/naming-rules
- Azure ML batch endpoints: 3-32 characters, letters, digits and hyphens, starting with a letter,
  unique per Azure region across all customers (the name is the host name
  ``<endpoint>.<region>.inference.ml.azure.com``).
  https://learn.microsoft.com/azure/machine-learning/how-to-manage-quotas#azure-machine-learning-online-endpoints-and-batch-endpoints
  https://learn.microsoft.com/azure/machine-learning/reference-yaml-endpoint-batch
- T-SQL regular identifiers: at most 128 characters, letter or underscore first, no reserved word.
  https://learn.microsoft.com/sql/relational-databases/databases/database-identifiers
"""

from __future__ import annotations

import re

_FILESYSTEM = re.compile(r"^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")
_ADF_FORBIDDEN = re.compile(r"[.+?/<>*%&:\\]")
_ENDPOINT = re.compile(r"^[A-Za-z][A-Za-z0-9-]{2,31}$")
_SQL_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")

# T-SQL reserved keywords that a catalog author is likely to use as a column or table name.
# (Full list: https://learn.microsoft.com/sql/t-sql/language-elements/reserved-keywords-transact-sql)
# Names one generated file uses and another must match:
# - the Script parameter holding the PII hash salt: the preparation SQL reads ``@salt``, the salted
#   prepare worker passes it (``generate.preparation_render`` and ``generate.adf.workers_work``);
# - the Azure ML training job's input: the training component declares it, Data Factory's train
#   step sends it (``generate.aml.training`` and ``generate.adf.workers_work``/``items``).
SALT_PARAMETER = "salt"
TRAINING_INPUT = "training_data"

SQL_RESERVED = frozenset(
    """add all alter and any as asc authorization backup begin between break browse bulk by cascade case
    check checkpoint close clustered coalesce collate column commit compute constraint contains containstable
    continue convert create cross current current_date current_time current_timestamp current_user cursor
    database dbcc deallocate declare default delete deny desc disk distinct distributed double drop dump else
    end errlvl escape except exec execute exists exit external fetch file fillfactor for foreign freetext
    freetexttable from full function goto grant group having holdlock identity identity_insert identitycol if
    in index inner insert intersect into is join key kill left like lineno load merge national nocheck
    nonclustered not null nullif of off offsets on open opendatasource openquery openrowset openxml option or
    order outer over percent pivot plan precision primary print proc procedure public raiserror read readtext
    reconfigure references replication restore restrict return revert revoke right rollback rowcount
    rowguidcol rule save schema securityaudit select semantickeytable semanticsimilaritydetailstable
    semanticsimilaritytable session_user set setuser shutdown some statistics system_user table tablesample
    textsize then to top tran transaction trigger truncate try_convert tsequal union unique unpivot update
    updatetext use user values varying view waitfor when where while with within writetext""".split()
)


def filesystem_problem(name: str) -> str | None:
    if not _FILESYSTEM.match(name):
        return (
            f"{name!r} is not a valid ADLS Gen2 filesystem name: use 3-63 lower-case letters, digits "
            "and single hyphens, starting and ending with a letter or digit"
        )
    return None


def sql_identifier_problem(name: str) -> str | None:
    if not _SQL_IDENTIFIER.match(name):
        return f"{name!r} is not a regular T-SQL identifier (letter or underscore first, then letters, digits, _)"
    if name.lower() in SQL_RESERVED:
        return f"{name!r} is a T-SQL reserved keyword"
    return None


def adf_name_problem(name: str) -> str | None:
    if len(name) > 140 or _ADF_FORBIDDEN.search(name) or not re.match(r"^[A-Za-z0-9_]", name):
        return f"{name!r} is not a valid Data Factory object name"
    return None


def endpoint_name_problem(name: str) -> str | None:
    """Problem with a *catalog* endpoint name, which each stack deploys as ``<name>-<endpoint suffix>``."""
    longest = deployed_endpoint_name(name, "x" * ENDPOINT_SUFFIX_LEN)
    if not _ENDPOINT.match(longest):
        return (f"{name!r} is not a valid Azure ML endpoint name: letters, digits and hyphens, letter first, "
                f"at most {32 - 1 - ENDPOINT_SUFFIX_LEN} characters (a stack adds '-' and "
                f"{ENDPOINT_SUFFIX_LEN} characters, 32 in all)")
    return None


# --- derived names (one place, shared by checks, generators, infra and the local runner) ---------

# Data Factory linked services every platform has.
LS_LAKE = "ls_lake"  # ADLS Gen2 through the factory's managed identity
LS_KEY_VAULT = "ls_key_vault"
LS_SYNAPSE_POOL = "ls_synapse_pool"  # dedicated SQL pool (warehouse)
LS_SYNAPSE_SERVERLESS = "ls_synapse_serverless"  # serverless SQL endpoint (preparations)

# Synapse objects shared by all tables.
STAGING_SCHEMA = "stg"
ETL_SCHEMA = "etl"
SERVERLESS_DATABASE = "lakehouse"
PARQUET_FILE_FORMAT = "ff_parquet"


def pipeline_name(pipeline: str) -> str:
    return f"pl_{pipeline}"


def trigger_name(pipeline: str) -> str:
    return f"tr_{pipeline}"


def source_linked_service_name(source: str) -> str:
    return f"ls_src_{source}"


def source_dataset_name(source: str, entity: str) -> str:
    """The Data Factory dataset that reads a source entity (table or file glob)."""
    return f"ds_src_{source}_{entity}"


def landing_dataset_name(source: str, entity: str) -> str:
    """The Parquet dataset a source entity is copied into (dated folder as a parameter)."""
    return f"ds_landing_{source}_{entity}"


def zone_dataset_name(zone: str, dataset: str) -> str:
    """The Parquet dataset over a prepared dataset's folder in its zone."""
    return f"ds_{zone}_{dataset}"


def scores_dataset_name(model: str, output: str) -> str:
    return f"ds_scores_{model}_{output}"


def watermark_table() -> str:
    """Control table in the dedicated pool that remembers the last loaded watermark per entity."""
    return f"{ETL_SCHEMA}.watermarks"


def external_data_source_name(zone: str) -> str:
    return f"eds_{zone}"


def serverless_table_name(zone: str, name: str) -> str:
    """External table in the serverless database: schema per zone, one table per entity/dataset."""
    return f"{zone}.{name}"


def landing_table_name(source: str, entity: str) -> str:
    return f"{source}__{entity}"


def staging_table_name(schema: str, table: str) -> str:
    return f"{STAGING_SCHEMA}.{schema}__{table}"


def load_procedure_name(table: str) -> str:
    return f"{ETL_SCHEMA}.load_{table}"


# Each stack appends this many characters (infra Names.endpoint_suffix, derived from the stack's
# names) to its endpoint names; catalog endpoint names reserve room for them and a hyphen.
ENDPOINT_SUFFIX_LEN = 4


def batch_endpoint_name(platform: str, model: str) -> str:
    """The catalog's name for a model's scoring endpoint: ``<platform>-<model>``.

    Endpoint names are unique per region across all of Azure, so each stack deploys it as
    ``deployed_endpoint_name(this, endpoint suffix)``, so two stacks of one catalog (dev and prod)
    never collide. Generated YAML carries this name; Data Factory adds the suffix from the
    ``ml_endpoint_suffix`` global parameter."""
    return f"{platform}-{model}".replace("_", "-")


def training_endpoint_name(platform: str, model: str) -> str:
    """``<platform>-train-<model>``: the batch endpoint Data Factory invokes to train ``model``."""
    return batch_endpoint_name(platform, training_job_name(model))


def deployed_endpoint_name(catalog_name: str, stack_suffix: str) -> str:
    """The endpoint name in a deployed stack (or in a local run, whose suffix is ``locl``)."""
    return f"{catalog_name}-{stack_suffix}"


def deployment_name(model: str) -> str:
    return f"{model}-v1".replace("_", "-")


def training_job_name(model: str) -> str:
    return f"train_{model}"


def registered_model_name(model: str) -> str:
    return model


def environment_name(platform: str) -> str:
    return f"{platform}-sklearn"


def audit_procedure_name(table: str) -> str:
    """The procedure running a table's data tests after each load."""
    return f"{ETL_SCHEMA}.audit_{table}"


def test_results_table() -> str:
    """Control table in the dedicated pool: one row per data test and check (pass, warn or fail)."""
    return f"{ETL_SCHEMA}.test_results"
