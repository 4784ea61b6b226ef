"""How `wharf run` prints what it measured."""

from __future__ import annotations

from lakewharf.cli.run import _metrics


def test_metrics_read_as_scores_and_counts() -> None:
    # Scores to three places, row counts as integers; sorted by name so runs compare line by line.
    assert _metrics({"train_rows": 1585.0, "auc": 0.88757, "test_rows": 397.0, "f1": 1.0}) == (
        "auc 0.888 · f1 1.000 · test_rows 397 · train_rows 1,585")
    assert _metrics({"rmse": 212.5, "r2": 0.9221}) == "r2 0.922 · rmse 212.500"
    assert _metrics({}) == ""
