"""Score with a model trained by train.py and write the typed score outputs as Parquet.

Two ways in, one scoring path:

- Azure ML batch deployment: ``init()`` loads the model from AZUREML_MODEL_DIR, ``run(mini_batch)``
  scores a list of input files and writes ``<output>/part-<digest>.parquet`` under the job's output
  folder (AZUREML_BI_OUTPUT_PATH). The deployment uses ``output_action: summary_only`` because the
  outputs are typed Parquet files, several per model, not the CSV lines ``append_row`` collects.
  The file name is a digest of the mini-batch's file names, so a retried mini-batch overwrites its
  own output instead of duplicating rows.
- Command line (lakewharf's local runner)::

      python score.py --model DIR --input DIR --output DIR --run-id ID --model-version V

  writes ``DIR/<output>/part-00000.parquet`` per output; with ``--output <zone>/scores/<model>`` that
  is exactly the lake's ``scores/<model>/<output>`` folder.

Every row carries the contract's columns in its order, plus model_version, run_id and scored_at (UTC).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from lakewharf_ml import SPEC, feature_frame, find_model_file, load_bundle, load_spec, parquet_files, read_frame
from lakewharf_ml import write_output as _write_output

log = logging.getLogger("score")


class Scorer:
    """A loaded model plus the contract it writes; ``score`` maps input rows to output frames."""

    def __init__(self, model_dir: Path, spec_path: str | None, model_version: str, run_id: str,
                 scored_at: datetime | None = None) -> None:
        spec_file = spec_path or find_model_file(model_dir, SPEC)
        if spec_file is None:
            raise FileNotFoundError(f"no {SPEC} under {model_dir}: pass --spec or set LAKEWHARF_SPEC")
        self.spec = load_spec(spec_file)
        self.bundle = load_bundle(model_dir)
        self.lineage = {"model_version": model_version, "run_id": run_id,
                        "scored_at": pd.Timestamp(scored_at or datetime.now(UTC)).tz_convert("UTC")}

    def score(self, frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
        task = self.spec["task"]
        if task == "recommendation":
            from recommend import score_recommender

            return score_recommender(self.bundle, self.spec, frame)
        key = self.spec["key"]
        missing = [k for k in key if k not in frame]
        if missing:
            raise ValueError(f"input has no key column(s) {missing}")
        estimator = self.bundle["estimator"]
        x = feature_frame(frame, self.spec["features"])
        if self.bundle.get("mlflow"):  # automated ML pipelines take the raw columns
            x = frame[[f["name"] for f in self.spec["features"]]]
        out = frame[key].reset_index(drop=True)
        if task == "classification":
            proba = estimator.predict_proba(x)
            best = np.argmax(proba, axis=1)
            out["predicted_label"] = np.asarray(estimator.classes_)[best]
            # Two classes: the probability of the positive one (the greater label: 1, true), which
            # analysts sort by ("most likely to churn"); more classes: that of the predicted label.
            column = np.full(len(best), 1) if proba.shape[1] == 2 else best
            out["probability"] = proba[np.arange(len(best)), column]
        elif task == "regression":
            out["predicted_value"] = np.asarray(estimator.predict(x), dtype="float64")
        else:  # clustering: the segment and the distance to its centre (in the standardised space)
            distances = estimator.transform(x)
            out["cluster_id"] = np.argmin(distances, axis=1)
            out["distance"] = distances[np.arange(len(distances)), out["cluster_id"].to_numpy()]
        return {"predictions": out}

    def write(self, frames: dict[str, pd.DataFrame], output: Path, file_name: str) -> list[Path]:
        written = []
        for name, columns in self.spec["outputs"].items():
            frame = frames[name].reset_index(drop=True).assign(**self.lineage)
            written.append(_write_output(frame, columns, output / name, file_name))
            log.info("%s: %d rows → %s", name, len(frame), written[-1])
        return written


# --- Azure ML batch deployment entry points --------------------------------------------------------------

_scorer: Scorer | None = None
_output: Path | None = None


def _model_version(model_dir: Path) -> str:
    """AZUREML_MODEL_DIR is .../azureml-models/<name>/<version>: the version is the last part."""
    parts = model_dir.resolve().parts
    if "azureml-models" in parts and len(parts) > parts.index("azureml-models") + 2:
        return parts[parts.index("azureml-models") + 2]
    return os.environ.get("LAKEWHARF_MODEL_VERSION", model_dir.name)


def init() -> None:
    global _scorer, _output
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    model_dir = Path(os.environ["AZUREML_MODEL_DIR"])
    run_id = os.environ.get("AZUREML_RUN_ID") or os.environ.get("MLFLOW_RUN_ID") or "unknown"
    _scorer = Scorer(model_dir, os.environ.get("LAKEWHARF_SPEC"), _model_version(model_dir), run_id)
    _output = Path(os.environ["AZUREML_BI_OUTPUT_PATH"])


def run(mini_batch: list[str]) -> list[str]:
    assert _scorer is not None and _output is not None, "init() was not called"
    files = [Path(f) for f in mini_batch if Path(f).suffix == ".parquet" and not Path(f).name.startswith("_")]
    if not files:
        return list(mini_batch)
    digest = hashlib.sha256("\n".join(sorted(f.name for f in files)).encode()).hexdigest()[:16]
    _scorer.write(_scorer.score(read_frame(files)), _output, f"part-{digest}.parquet")
    return list(mini_batch)  # summary_only counts the returned items as succeeded


# --- command line -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(description="Score a folder of Parquet files with a trained model.")
    parser.add_argument("--model", required=True, type=Path, help="folder written by train.py")
    parser.add_argument("--input", required=True, help="folder of Parquet files to score")
    parser.add_argument("--output", required=True, type=Path, help="receives one sub-folder per score output")
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--model-version", required=True)
    parser.add_argument("--spec", help="contract to write (default: the spec saved with the model)")
    parser.add_argument("--scored-at", type=datetime.fromisoformat, help="ISO time (default: now, UTC)")
    args = parser.parse_args(argv)
    scored_at = args.scored_at
    if scored_at is not None and scored_at.tzinfo is None:
        scored_at = scored_at.replace(tzinfo=UTC)
    scorer = Scorer(args.model, args.spec, args.model_version, args.run_id, scored_at)
    scorer.write(scorer.score(read_frame(parquet_files(args.input))), args.output, "part-00000.parquet")
    return 0


if __name__ == "__main__":
    sys.exit(main())
