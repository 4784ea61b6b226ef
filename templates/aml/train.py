"""Train one catalog model with scikit-learn and save it as a folder Azure ML registers as a model.

    python train.py --spec specs/churn.json --data DIR --model DIR
                    [--seed N] [--test-fraction F] [--hp NAME=VALUE ...]

``--data`` is the model dataset's lake folder (Parquet); ``--model`` receives model.joblib, the
spec and metrics.json. Seed, test fraction and hyper-parameters default to the spec; the Azure ML
job passes them as arguments so a run's settings show up in the job's inputs.

Metrics are measured on a held-out split (``test_fraction`` of the rows, ``seed``); the saved model
is then refitted on all rows. Clustering is measured on all rows (there is no label to hold out).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from lakewharf_ml import feature_frame, log_metrics, parquet_files, preprocessor, read_frame, save_bundle
from lakewharf_ml import load_spec as _load_spec

log = logging.getLogger("train")

_CLASSIFIERS = {
    "logistic_regression": ("sklearn.linear_model", "LogisticRegression", {"max_iter": 1000}),
    "random_forest": ("sklearn.ensemble", "RandomForestClassifier", {}),
    "gradient_boosting": ("sklearn.ensemble", "GradientBoostingClassifier", {}),
}
_REGRESSORS = {
    "linear_regression": ("sklearn.linear_model", "LinearRegression", {}),
    "ridge": ("sklearn.linear_model", "Ridge", {}),
    "random_forest": ("sklearn.ensemble", "RandomForestRegressor", {}),
    "gradient_boosting": ("sklearn.ensemble", "GradientBoostingRegressor", {}),
}
_LINEAR = {"logistic_regression", "linear_regression", "ridge"}  # these want standardised inputs


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", required=True, help="specs/<model>.json (relative to this folder or cwd)")
    parser.add_argument("--data", required=True, help="folder of Parquet files: the model's dataset")
    parser.add_argument("--model", required=True, help="output folder for the trained model")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--test-fraction", type=float)
    parser.add_argument("--hp", action="append", default=[], metavar="NAME=VALUE",
                        help="hyper-parameter override; VALUE is read as JSON when it parses")
    return parser.parse_args(argv)


def hyperparameter(text: str) -> tuple[str, Any]:
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise SystemExit(f"--hp expects NAME=VALUE, got {text!r}")
    lowered = {"True": "true", "False": "false", "None": "null"}.get(raw, raw)  # Azure ML renders Python bools
    try:
        return name, json.loads(lowered)
    except ValueError:
        return name, raw


def _estimator(table: dict[str, tuple[str, str, dict[str, Any]]], algorithm: str, hp: dict[str, Any],
               seed: int) -> Any:
    import importlib

    module, cls_name, defaults = table[algorithm]
    cls = getattr(importlib.import_module(module), cls_name)
    params = {**defaults, **hp}
    if "random_state" in cls().get_params():
        params.setdefault("random_state", seed)
    return cls(**params)


def _split(n_rows: int, fraction: float, seed: int, stratify: Any = None) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    index = np.arange(n_rows)
    if stratify is not None and pd.Series(stratify).value_counts().min() < 2:
        stratify = None  # a class with one row cannot be stratified
    train, test = train_test_split(index, test_size=fraction, random_state=seed, stratify=stratify)
    return np.sort(train), np.sort(test)


def train_supervised(spec: dict[str, Any], frame: pd.DataFrame, seed: int, fraction: float,
                     hp: dict[str, Any]) -> tuple[dict[str, Any], dict[str, float]]:
    from sklearn import metrics as m
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    task, algorithm = spec["task"], spec["algorithm"]
    label = spec["label"]["name"]
    frame = frame[frame[label].notna()].reset_index(drop=True)
    x, y = feature_frame(frame, spec["features"]), frame[label].to_numpy()
    table = _CLASSIFIERS if task == "classification" else _REGRESSORS
    pipeline = Pipeline([
        ("prepare", preprocessor(spec["features"], scale=algorithm in _LINEAR)),
        ("model", _estimator(table, algorithm, hp, seed)),
    ])
    train, test = _split(len(frame), fraction, seed, y if task == "classification" else None)
    held_out = clone(pipeline).fit(x.iloc[train], y[train])
    predicted = held_out.predict(x.iloc[test])
    if task == "classification":
        metrics = {"accuracy": m.accuracy_score(y[test], predicted)}
        classes = held_out.classes_
        binary = len(classes) == 2
        metrics["f1"] = m.f1_score(y[test], predicted, average="binary" if binary else "weighted",
                                   pos_label=classes[-1] if binary else 1)
        if len(np.unique(y[test])) > 1:
            proba = held_out.predict_proba(x.iloc[test])
            metrics["auc"] = (m.roc_auc_score(y[test], proba[:, 1]) if binary else
                              m.roc_auc_score(y[test], proba, multi_class="ovr", average="weighted", labels=classes))
    else:
        metrics = {"rmse": float(np.sqrt(m.mean_squared_error(y[test], predicted))),
                   "r2": m.r2_score(y[test], predicted), "mae": m.mean_absolute_error(y[test], predicted)}
    metrics.update(train_rows=float(len(train)), test_rows=float(len(test)))
    return {"estimator": pipeline.fit(x, y)}, metrics


def train_clustering(spec: dict[str, Any], frame: pd.DataFrame, seed: int,
                     hp: dict[str, Any]) -> tuple[dict[str, Any], dict[str, float]]:
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.pipeline import Pipeline

    x = feature_frame(frame, spec["features"])
    pipeline = Pipeline([("prepare", preprocessor(spec["features"], scale=True)),
                         ("model", KMeans(**{"random_state": seed, **hp}))]).fit(x)
    kmeans = pipeline.named_steps["model"]
    metrics = {"inertia": float(kmeans.inertia_), "n_clusters": float(kmeans.n_clusters), "rows": float(len(x))}
    labels = kmeans.labels_
    if 1 < len(np.unique(labels)) < len(x):
        prepared = pipeline.named_steps["prepare"].transform(x)
        metrics["silhouette"] = float(silhouette_score(prepared, labels, sample_size=min(len(x), 5000),
                                                       random_state=seed))
    return {"estimator": pipeline}, metrics


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    spec = _load_spec(args.spec)
    seed = spec["seed"] if args.seed is None else args.seed
    fraction = spec["test_fraction"] if args.test_fraction is None else args.test_fraction
    hp = {**spec["hyperparameters"], **dict(hyperparameter(h) for h in args.hp)}
    frame = read_frame(parquet_files(args.data))
    log.info("%s: %d rows from %s, %s with %s", spec["model"], len(frame), args.data, spec["algorithm"], hp)
    if spec["task"] in ("classification", "regression"):
        bundle, metrics = train_supervised(spec, frame, seed, fraction, hp)
    elif spec["task"] == "clustering":
        bundle, metrics = train_clustering(spec, frame, seed, hp)
    else:
        from recommend import train_recommender

        bundle, metrics = train_recommender(spec, frame, seed, fraction, hp)
    bundle.update(format=1, task=spec["task"], model=spec["model"])
    trained = {**spec, "seed": seed, "test_fraction": fraction, "hyperparameters": hp}
    save_bundle(Path(args.model), bundle, trained, metrics)
    log_metrics(metrics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
