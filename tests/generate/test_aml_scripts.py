"""Real runs of the generated train.py and score.py on small synthetic Parquet folders.

The scripts run as the local runner will run them: separate processes, plain folders, no Azure
SDK. Processes run in parallel (each pays ~1 s importing scikit-learn); the whole module takes
10-20 s on two cores.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakewharf.generate.aml import generate
from lakewharf.generate.templates import template_environment
from lakewharf.generate.writer import write_tree
from lakewharf.model.catalog import Catalog, Column, Model
from lakewharf.project import load_catalog

REPO_ROOT = Path(__file__).resolve().parents[2]
SCORED_AT = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)
REGRESSION_MODEL = """\
task: regression
dataset: customer_features
key: [customer_id]
features: [country, loyalty_tier, tenure_days, order_count, sessions_30d]
label: revenue
training: {algorithm: ridge, hyperparameters: {alpha: 1.0}, test_fraction: 0.25, seed: 3, compute: cpu-cluster}
scoring: {compute: cpu-cluster, output_zone: trusted}
"""


# --- synthetic data shaped like a model's dataset ---------------------------------------------------

_ARROW = {"boolean": pa.bool_(), "smallint": pa.int16(), "int": pa.int32(), "bigint": pa.int64(),
          "float": pa.float32(), "double": pa.float64(), "string": pa.string(), "date": pa.date32()}


def arrow_type(column: Column) -> pa.DataType:
    t = column.type
    if t.base == "decimal":
        return pa.decimal128(t.precision, t.scale)
    if t.base == "timestamp":
        return pa.timestamp("us", tz="UTC")
    return _ARROW[t.base]


def _values(column: Column, rng: np.random.Generator, n: int, position: int) -> list[object]:
    base = column.type.base
    if base in ("smallint", "int", "bigint"):
        return rng.integers(0, 500 + 37 * position, n).tolist()
    if base in ("float", "double"):
        return rng.normal(50, 20, n).round(3).tolist()
    if base == "decimal":
        return [Decimal(str(round(v, 2))) for v in rng.gamma(2.0, 150.0, n)]
    if base == "string":
        width = column.type.length or 8
        return [f"{c}{i}"[:width] for c, i in zip(rng.choice(list("ABCD"), n), rng.integers(0, 3, n), strict=True)]
    if base == "boolean":
        return rng.integers(0, 2, n).astype(bool).tolist()
    raise AssertionError(f"no synthetic values for {column.type}")


def write_table(columns: dict[str, list[object]], types: dict[str, pa.DataType], folder: Path,
                parts: int = 2) -> None:
    """Write as ``parts`` files plus a ``_SUCCESS`` marker, like a Data Factory copy."""
    table = pa.table({name: pa.array(values, type=types[name]) for name, values in columns.items()})
    folder.mkdir(parents=True, exist_ok=True)
    step = -(-table.num_rows // parts)
    for i in range(parts):
        pq.write_table(table.slice(i * step, step), folder / f"part-{i:05d}.parquet")
    (folder / "_SUCCESS").write_text("")


def tabular(catalog: Catalog, model: Model, folder: Path, rows: int = 400, seed: int = 3) -> None:
    """Rows with the dataset's columns: unique keys, a few missing values, and a label (or target)
    that depends on the first two numeric features, so a model has something to learn."""
    rng = np.random.default_rng(seed)
    dataset = catalog.datasets[model.dataset]
    data: dict[str, list[object]] = {}
    for position, column in enumerate(dataset.columns):
        keyed = column.name in model.key
        data[column.name] = list(range(1, rows + 1)) if keyed else _values(column, rng, rows, position)
    numeric = [f for f in model.features if dataset.column_map[f].type.base in ("int", "bigint", "double", "decimal")]
    signal = sum(np.array([float(v) for v in data[f]]) / (np.std([float(v) for v in data[f]]) or 1.0)
                 for f in numeric[:2])
    if model.label is not None:
        if model.task == "classification":
            noisy = signal + rng.normal(0, 0.5, rows)
            data[model.label] = (noisy > np.median(noisy)).astype(int).tolist()
        else:
            data[model.label] = [Decimal(str(round(v, 2))) if dataset.column_map[model.label].type.base == "decimal"
                                 else v for v in (signal * 100 + rng.normal(0, 10, rows)).round(2)]
    for name in dict.fromkeys([model.features[0], *numeric[:1]]):  # some missing values to impute
        data[name] = [None if i % 17 == 0 else v for i, v in enumerate(data[name])]
    write_table(data, {c.name: arrow_type(c) for c in dataset.columns}, folder)


def interactions(catalog: Catalog, model: Model, folder: Path, users: int = 50, items: int = 30,
                 per_user: int = 8, seed: int = 5) -> dict[object, set[object]]:
    """Implicit-feedback rows (user, item, rating); returns each user's items."""
    assert model.user and model.item and model.rating
    rng = np.random.default_rng(seed)
    dataset = catalog.datasets[model.dataset]
    rows: dict[str, list[object]] = {c.name: [] for c in dataset.columns}
    seen: dict[object, set[object]] = {}
    for user in range(1, users + 1):
        taste = user % 3  # three groups of users that like neighbouring items
        pool = [i for i in range(1, items + 1) if i % 3 == taste] + list(range(1, items + 1))
        chosen = list(dict.fromkeys(rng.choice(pool[: items // 3 + 6], size=per_user).tolist()))
        for item in chosen:
            rows[model.user].append(user)
            rows[model.item].append(int(item))
            rows[model.rating].append(float(rng.integers(1, 6)))
            seen.setdefault(user, set()).add(int(item))
    write_table(rows, {c.name: arrow_type(c) for c in dataset.columns}, folder)
    return seen


# --- the runs ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    """One model trained and scored: which catalog model, with which spec and extra arguments."""

    name: str  # folder name of this run
    model: str  # catalog model
    algorithm: str | None = None  # a different algorithm than the catalog's, via an edited spec
    hp: tuple[str, ...] = ()


RUNS = (
    Run("churn", "churn"),
    Run("churn_logistic", "churn", "logistic_regression", ("C=0.5",)),
    Run("churn_forest", "churn", "random_forest", ("n_estimators=40",)),
    Run("segmentation", "segmentation"),
    Run("recommender", "recommender"),
    Run("recommender_nmf", "recommender", hp=("factorization=nmf",)),
    Run("basket", "basket"),
)


@dataclass(frozen=True)
class World:
    catalog: Catalog
    src: Path
    root: Path
    seen: dict[object, set[object]]  # each user's items in the interactions data


def _parallel(commands: list[list[str]], cwd: Path) -> None:
    processes = [subprocess.Popen(c, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for c in commands]
    failures = []
    for command, process in zip(commands, processes, strict=True):
        output, _ = process.communicate(timeout=120)
        if process.returncode:
            failures.append(f"{' '.join(command[1:3])} exited {process.returncode}:\n{output}")
    assert not failures, "\n\n".join(failures)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("aml_runs")
    project = root / "project"
    shutil.copytree(REPO_ROOT / "catalog", project / "catalog")
    shutil.copy(REPO_ROOT / "pipelines.yaml", project / "pipelines.yaml")
    (project / "catalog/models/basket.yaml").write_text(REGRESSION_MODEL, encoding="utf-8")
    catalog = load_catalog(project)
    write_tree(root / "build", generate(catalog, template_environment(REPO_ROOT)))
    src = root / "build/aml/src"
    lake = root / "lake"
    # churn trains on its point-in-time set and scores today's features, which the others train on.
    tabular(catalog, catalog.models["churn"], lake / "churn_training")
    tabular(catalog, catalog.models["segmentation"], lake / "customer_features")
    seen = interactions(catalog, catalog.models["recommender"], lake / "interactions")

    train, score = [], []
    for run in RUNS:
        spec = src / f"specs/{run.model}.json"
        if run.algorithm:
            edited = json.loads(spec.read_text()) | {"algorithm": run.algorithm, "hyperparameters": {}}
            spec = root / f"specs/{run.name}.json"
            spec.parent.mkdir(exist_ok=True)
            spec.write_text(json.dumps(edited))
        data = lake / catalog.models[run.model].dataset
        train.append([sys.executable, str(src / "train.py"), "--spec", str(spec), "--data", str(data),
                      "--model", f"models/{run.name}", *[a for hp in run.hp for a in ("--hp", hp)]])
        score.append([sys.executable, str(src / "score.py"), "--model", f"models/{run.name}", "--input", str(data),
                      "--output", f"scores/{run.name}", "--run-id", "run-42", "--model-version", "7",
                      "--scored-at", SCORED_AT.isoformat()])
    _parallel(train, root)  # cwd is not the code folder: the scripts must find their siblings anyway
    _parallel(score, root)
    return World(catalog, src, root, seen)


def output(world: World, run: str, name: str) -> pa.Table:
    files = sorted((world.root / "scores" / run / name).glob("*.parquet"))
    assert len(files) == 1
    return pq.read_table(files[0])


def metrics(world: World, run: str) -> dict[str, float]:
    return json.loads((world.root / "models" / run / "metrics.json").read_text())


def check_contract(table: pa.Table, model: Model, name: str) -> pd.DataFrame:
    """Columns, order, types and NOT NULL exactly as model.scores says; lineage values filled."""
    contract = model.outputs[name]
    assert table.schema.names == [c.name for c in contract]
    for column in contract:
        field = table.schema.field(column.name)
        expected = pa.string() if column.type.base == "string" else arrow_type(column)
        assert field.type == expected, (name, column.name, field.type)
        assert field.nullable == column.nullable, (name, column.name)
    frame = table.to_pandas()
    assert not frame.isna().any().any()
    assert set(frame["model_version"]) == {"7"} and set(frame["run_id"]) == {"run-42"}
    assert set(frame["scored_at"]) == {pd.Timestamp(SCORED_AT)}
    return frame


@pytest.mark.parametrize("run", ["churn", "churn_logistic", "churn_forest"])
def test_classification(world: World, run: str) -> None:
    model = world.catalog.models["churn"]
    frame = check_contract(output(world, run, "predictions"), model, "predictions")
    assert len(frame) == 400 and frame["customer_id"].is_unique
    assert set(frame["predicted_label"]) <= {0, 1}
    # Two classes: the probability of the positive one (label 1), whichever label is predicted, so
    # sorting by it ranks customers by churn risk; the label is 1 exactly where it passes one half.
    assert frame["probability"].between(0.0, 1.0).all()
    assert (frame["probability"] < 0.5).any() and (frame["probability"] > 0.5).any()
    assert ((frame["probability"] > 0.5) == (frame["predicted_label"] == 1)).all()
    scores = metrics(world, run)
    assert {"accuracy", "auc", "f1"} <= scores.keys()
    assert scores["auc"] > 0.7, scores  # the synthetic label is learnable


def test_regression(world: World) -> None:
    model = world.catalog.models["basket"]
    frame = check_contract(output(world, "basket", "predictions"), model, "predictions")
    assert len(frame) == 400 and np.isfinite(frame["predicted_value"]).all()
    assert {"rmse", "r2", "mae"} <= metrics(world, "basket").keys()


def test_clustering(world: World) -> None:
    model = world.catalog.models["segmentation"]
    frame = check_contract(output(world, "segmentation", "predictions"), model, "predictions")
    n_clusters = model.training.hyperparameters["n_clusters"]
    assert len(frame) == 400 and frame["cluster_id"].between(0, n_clusters - 1).all()
    assert frame["cluster_id"].nunique() == n_clusters and (frame["distance"] >= 0).all()
    assert {"inertia", "silhouette"} <= metrics(world, "segmentation").keys()


@pytest.mark.parametrize("run", ["recommender", "recommender_nmf"])
def test_recommendation(world: World, run: str) -> None:
    model = world.catalog.models["recommender"]
    k, related_k = model.scoring.top_k, model.scoring.related_k
    predictions = check_contract(output(world, run, "predictions"), model, "predictions")
    assert len(predictions) == sum(len(items) for items in world.seen.values())

    top = check_contract(output(world, run, "top_items"), model, "top_items")
    assert top.groupby("customer_id").size().max() <= k
    assert set(top["customer_id"]) == set(world.seen)
    for user, group in top.groupby("customer_id"):
        assert list(group["rank"]) == list(range(1, len(group) + 1))
        assert group["score"].is_monotonic_decreasing
        assert not set(group["product_id"]) & world.seen[user], f"user {user} was recommended a bought item"

    for name, who, other in (("related_users", "customer_id", "related_customer_id"),
                             ("related_items", "product_id", "related_product_id")):
        related = check_contract(output(world, run, name), model, name)
        assert related.groupby(who).size().max() <= related_k
        assert (related[who] != related[other]).all()
        assert related["similarity"].between(-1.0 - 1e-9, 1.0 + 1e-9).all()
    assert "rmse" in metrics(world, run)
    got = metrics(world, run)
    k = world.catalog.models["recommender"].scoring.top_k
    for name in (f"precision_at_{k}", f"recall_at_{k}", f"popularity_precision_at_{k}", f"popularity_recall_at_{k}"):
        assert 0.0 <= got[name] <= 1.0, (name, got)
    assert got["ranking_users"] > 0


def test_model_folder_carries_its_contract(world: World) -> None:
    saved = json.loads((world.root / "models/churn/spec.json").read_text())
    assert saved["outputs"] == json.loads((world.src / "specs/churn.json").read_text())["outputs"]
    assert saved["hyperparameters"] == {"n_estimators": 200, "learning_rate": 0.05, "max_depth": 3}
    forest = json.loads((world.root / "models/churn_forest/spec.json").read_text())
    assert forest["hyperparameters"] == {"n_estimators": 40}  # --hp overrides reach the estimator


def test_batch_entry_points(world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """init()/run() as an Azure ML batch deployment calls them: model dir and output from the
    environment, a mini-batch of file paths, one output file per mini-batch named by its inputs."""
    model_dir = tmp_path / "azureml-models/churn/3"
    shutil.copytree(world.root / "models/churn", model_dir)
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(model_dir))
    monkeypatch.setenv("AZUREML_BI_OUTPUT_PATH", str(tmp_path / "out"))
    monkeypatch.setenv("AZUREML_RUN_ID", "batch-run")
    monkeypatch.delenv("LAKEWHARF_SPEC", raising=False)
    monkeypatch.syspath_prepend(str(world.src))
    for name in ("score", "lakewharf_ml"):  # the generated modules, not any earlier import
        monkeypatch.delitem(sys.modules, name, raising=False)
    import score

    files = sorted(str(p) for p in (world.root / "lake/customer_features").iterdir())
    score.init()
    assert score.run(files) == files  # _SUCCESS is skipped but reported as handled
    score.run(files)  # a retried mini-batch overwrites its own file
    for name in ("score", "lakewharf_ml"):
        monkeypatch.delitem(sys.modules, name)
    [written] = (tmp_path / "out/predictions").glob("part-*.parquet")
    frame = pq.read_table(written).to_pandas()
    assert len(frame) == 400 and set(frame["model_version"]) == {"3"} and set(frame["run_id"]) == {"batch-run"}


@pytest.mark.parametrize("run", ["recommender", "churn"])
def test_training_does_not_depend_on_row_order(world: World, run: str) -> None:
    """Synapse's CETAS writes files in parallel, so the same rows arrive in any order and any
    split into files: the metrics of a seeded training must not change with that order."""
    model = world.catalog.models[run]
    dataset = "churn_training" if run == "churn" else model.dataset
    table = pq.read_table(world.root / "lake" / dataset, partitioning=None)
    shuffled = table.take(np.random.default_rng(11).permutation(table.num_rows))
    folder = world.root / "lake_shuffled" / dataset
    write_table({n: shuffled.column(n).to_pylist() for n in shuffled.column_names},
                {f.name: f.type for f in shuffled.schema}, folder, parts=3)
    spec = world.src / f"specs/{run}.json"
    subprocess.run([sys.executable, str(world.src / "train.py"), "--spec", str(spec), "--data", str(folder),
                    "--model", f"models/{run}_shuffled"], cwd=world.root, check=True, capture_output=True,
                   timeout=120)
    assert metrics(world, f"{run}_shuffled") == metrics(world, run)
