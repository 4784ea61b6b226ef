"""Shared code of the generated train.py and score.py: the model spec, Parquet I/O with the typed
score contract, feature preprocessing and the saved model bundle.

Plain scikit-learn / pandas / pyarrow: the same files run as Azure ML jobs and batch deployments and
as local processes (lakewharf's local runner), so nothing here imports azure-ai-ml.

A *spec* (``specs/<model>.json``, generated from the catalog) says what a model reads and what its
score outputs look like, column by column in the catalog's portable types. train.py copies it into
the model folder, so a registered model carries the contract it was trained for.
"""

from __future__ import annotations

import json
import logging
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

log = logging.getLogger("lakewharf_ml")

BUNDLE = "model.joblib"  # the fitted estimator(s), written with joblib
SPEC = "spec.json"  # copy of the spec the model was trained with
METRICS = "metrics.json"  # held-out metrics, also logged to MLflow when a tracking server is set


# --- the spec ---------------------------------------------------------------------------------------


def load_spec(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a spec; a relative path that does not exist from the working directory is tried next to
    this file, so ``--spec specs/churn.json`` works from anywhere (Azure ML starts jobs in the code
    folder, the local runner may not)."""
    candidate = Path(path)
    if not candidate.is_absolute() and not candidate.exists():
        candidate = Path(__file__).resolve().parent / candidate
    spec = json.loads(candidate.read_text(encoding="utf-8"))
    if spec.get("format") != 1:
        raise ValueError(f"{candidate}: unsupported spec format {spec.get('format')!r}")
    return spec


# --- Parquet I/O ------------------------------------------------------------------------------------


def parquet_files(folder: str | os.PathLike[str]) -> list[Path]:
    """Data files of a lake folder in a stable order. Names starting with '_' or '.' (``_SUCCESS``,
    ``_rejects``, temporary files) are not data, as Spark, Data Factory and pyarrow agree."""
    root = Path(folder)
    if root.is_file():
        return [root]
    files = [
        p for p in root.rglob("*.parquet")
        if not any(part.startswith(("_", ".")) for part in p.relative_to(root).parts)
    ]
    return sorted(files)


def read_frame(paths: list[Path] | list[str]) -> pd.DataFrame:
    """Parquet files → one DataFrame in a canonical row order; decimals become floats (scikit-learn wants numbers)."""
    if not paths:
        raise FileNotFoundError("no Parquet files to read")
    tables = [pq.read_table(p) for p in paths]
    table = pa.concat_tables(tables, promote_options="default") if len(tables) > 1 else tables[0]
    # Neither Synapse's CETAS (files written in parallel) nor the local run promises a row order,
    # and a seeded split or fit depends on it: the same rows in a canonical order train the same model.
    table = table.sort_by([(name, "ascending") for name in table.column_names])
    frame = table.to_pandas()
    for field in table.schema:
        if pa.types.is_decimal(field.type):
            frame[field.name] = frame[field.name].astype("float64")
    return frame


def arrow_type(portable: str) -> pa.DataType:
    """The catalog's portable type → the Arrow type written to Parquet (Synapse's mapping of
    Parquet types: int32 ↔ int, int64 ↔ bigint, timestamp ↔ datetime2, decimal ↔ decimal)."""
    base, _, rest = portable.partition("(")
    simple = {
        "boolean": pa.bool_(), "smallint": pa.int16(), "int": pa.int32(), "bigint": pa.int64(),
        "float": pa.float32(), "double": pa.float64(), "date": pa.date32(),
        "timestamp": pa.timestamp("us", tz="UTC"), "string": pa.string(), "binary": pa.binary(),
    }
    if base == "decimal":
        precision, scale = (int(x) for x in rest.rstrip(")").split(","))
        return pa.decimal128(precision, scale)
    return simple[base]


def contract_table(frame: pd.DataFrame, columns: list[dict[str, Any]]) -> pa.Table:
    """Exactly the contract's columns, in its order, with its types; nulls in a non-nullable column
    are an error here rather than a failed warehouse load later."""
    arrays, fields = [], []
    for column in columns:
        name, kind = column["name"], arrow_type(column["type"])
        values = frame[name]
        if not column.get("nullable", True) and values.isna().any():
            raise ValueError(f"score column {name!r} has nulls but the contract says NOT NULL")
        length = column["type"].partition("(")[2].rstrip(")")
        if column["type"].startswith("string(") and values.dropna().astype(str).str.len().gt(int(length)).any():
            raise ValueError(f"score column {name!r} has values longer than {column['type']}")
        if pa.types.is_decimal(kind):
            values = values.map(lambda v, s=kind.scale: None if pd.isna(v) else round(Decimal(str(v)), s))
        arrays.append(pa.array(values.tolist() if pa.types.is_decimal(kind) else values, type=kind,
                               from_pandas=True))
        fields.append(pa.field(name, kind, nullable=column.get("nullable", True)))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def write_output(frame: pd.DataFrame, columns: list[dict[str, Any]], folder: Path, file_name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / file_name
    pq.write_table(contract_table(frame, columns), target)
    return target


# --- features -----------------------------------------------------------------------------------------


def feature_frame(frame: pd.DataFrame, features: list[dict[str, Any]]) -> pd.DataFrame:
    """The feature columns as the preprocessor expects them: numbers as float (missing → NaN),
    categories as strings (missing → None), dates as days since 1970-01-01."""
    out = {}
    for feature in features:
        name, kind = feature["name"], feature["kind"]
        values = frame[name] if name in frame else pd.Series([None] * len(frame), index=frame.index)
        if kind == "numeric":
            out[name] = pd.to_numeric(values, errors="coerce").astype("float64")
        elif kind == "datetime":
            stamps = pd.to_datetime(values, errors="coerce", utc=True)
            out[name] = (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds() / 86400.0
        else:
            out[name] = values.map(lambda v: None if pd.isna(v) else str(v)).astype("object")
    return pd.DataFrame(out, index=frame.index)


def preprocessor(features: list[dict[str, Any]], *, scale: bool) -> Any:
    """Numbers: median-imputed (and standardised for linear models and k-means); categories:
    most-frequent-imputed and one-hot encoded, ignoring categories first seen at scoring time."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [f["name"] for f in features if f["kind"] in ("numeric", "datetime")]
    categorical = [f["name"] for f in features if f["kind"] == "categorical"]
    numeric_steps: list[tuple[str, Any]] = [("impute", SimpleImputer(strategy="median", keep_empty_features=True))]
    if scale:
        numeric_steps.append(("scale", StandardScaler()))
    parts: list[tuple[str, Any, list[str]]] = []
    if numeric:
        parts.append(("numeric", Pipeline(numeric_steps), numeric))
    if categorical:
        parts.append(("categorical", Pipeline([
            ("impute", SimpleImputer(strategy="constant", fill_value="(missing)")),
            ("one_hot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]), categorical))
    return ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False)


# --- the model bundle -----------------------------------------------------------------------------------


def save_bundle(folder: Path, bundle: dict[str, Any], spec: dict[str, Any], metrics: dict[str, float]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(bundle, folder / BUNDLE)
    (folder / SPEC).write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
    (folder / METRICS).write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def find_model_file(folder: Path, name: str) -> Path | None:
    """Azure ML mounts a registered model at AZUREML_MODEL_DIR, sometimes one folder deeper (named
    after the job output it was registered from): look there too."""
    direct = folder / name
    if direct.exists():
        return direct
    return next(iter(sorted(folder.rglob(name))), None)


def load_bundle(folder: Path) -> dict[str, Any]:
    path = find_model_file(folder, BUNDLE)
    if path is not None:
        return joblib.load(path)
    mlmodel = find_model_file(folder, "MLmodel")
    if mlmodel is not None:  # an automated-ML best model: MLflow format, a scikit-learn pipeline inside
        import mlflow.sklearn

        return {"format": 1, "estimator": mlflow.sklearn.load_model(str(mlmodel.parent)), "mlflow": True}
    raise FileNotFoundError(f"no {BUNDLE} or MLmodel under {folder}")


def log_metrics(metrics: dict[str, float]) -> None:
    """Print the metrics and send them to MLflow when a tracking server is configured (Azure ML sets
    MLFLOW_TRACKING_URI in jobs; azureml-mlflow in the environment makes it work)."""
    finite = {k: float(v) for k, v in metrics.items() if v is not None and np.isfinite(v)}
    print(json.dumps({"metrics": finite}, sort_keys=True), flush=True)
    if not os.environ.get("MLFLOW_TRACKING_URI"):
        return
    try:
        import mlflow
    except ImportError:  # pragma: no cover - the generated environment installs it
        log.warning("MLFLOW_TRACKING_URI is set but mlflow is not installed: metrics not logged")
        return
    mlflow.log_metrics(finite)
