"""The per-model spec the generic train.py and score.py read (``aml/src/specs/<model>.json``).

Keeping the scripts generic and the model-specific part as data means the Python is reviewed and
tested once, as plain code, and a catalog change shows up in review as a small JSON diff. The spec
carries the score contract from ``model.scores`` column by column, so score.py writes exactly the
columns, order and types the warehouse load expects.
"""

from __future__ import annotations

from typing import Any

from lakewharf.errors import CatalogInvalid
from lakewharf.generate.artifact import Artifact, json_artifact
from lakewharf.model.catalog import Catalog, Column, Model

SPEC_FORMAT = 1
_NUMERIC = {"smallint", "int", "bigint", "float", "double", "decimal"}
_CATEGORICAL = {"string", "boolean"}
_DATETIME = {"date", "timestamp"}


def spec_path(model: str) -> str:
    """Relative to the code folder (``aml/src``): what jobs pass as ``--spec``."""
    return f"specs/{model}.json"


def feature_kind(column: Column) -> str | None:
    """numeric (imputed, scaled where it matters), categorical (one-hot) or datetime (days since
    1970); None for types a model cannot use (binary)."""
    base = column.type.base
    if base in _NUMERIC:
        return "numeric"
    if base in _CATEGORICAL:
        return "categorical"
    if base in _DATETIME:
        return "datetime"
    return None


def _features(model: Model, columns: dict[str, Column]) -> list[dict[str, Any]]:
    features = []
    for i, name in enumerate(model.features):
        kind = feature_kind(columns[name])
        if kind is None:
            raise CatalogInvalid([model.origin.at("features", i).error(
                f"column {name!r} of type {columns[name].type} cannot be a model feature",
                "features are numbers, strings, booleans, dates or timestamps")])
        features.append({**_column(columns[name]), "kind": kind})
    return features


def _column(column: Column) -> dict[str, Any]:
    return {"name": column.name, "type": str(column.type), "nullable": column.nullable}


def model_spec(catalog: Catalog, model: Model) -> dict[str, Any]:
    columns = catalog.datasets[model.dataset].column_map
    training, scoring = model.training, model.scoring

    def named(name: str | None) -> dict[str, Any] | None:
        return None if name is None else _column(columns[name])

    return {
        "format": SPEC_FORMAT,
        "model": model.name,
        "task": model.task,
        "dataset": model.dataset,
        "algorithm": training.algorithm or "automl",
        "hyperparameters": dict(training.hyperparameters),
        "seed": training.seed,
        "test_fraction": training.test_fraction,
        "key": list(model.key),
        "features": _features(model, columns),
        "label": named(model.label),
        "user": named(model.user),
        "item": named(model.item),
        "rating": named(model.rating),
        "top_k": scoring.top_k,
        "related_k": scoring.related_k,
        "outputs": {name: [_column(c) for c in cols] for name, cols in model.outputs.items()},
    }


def artifact(catalog: Catalog, model: Model) -> Artifact:
    return json_artifact(f"aml/src/{spec_path(model.name)}", model_spec(catalog, model), (f"model:{model.name}",))
