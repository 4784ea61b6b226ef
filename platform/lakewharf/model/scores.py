"""The typed contract of each model task's batch-scoring output.

Every score row also carries ``model_version``, ``run_id`` and ``scored_at`` so an analyst can
tell which model produced a number and when.
"""

from __future__ import annotations

from lakewharf.model.catalog import Column
from lakewharf.model.types import DataType, Privacy

LINEAGE_COLUMNS = (
    Column("model_version", DataType.parse("string(64)"), nullable=False, description="Registered model version."),
    Column("run_id", DataType.parse("string(64)"), nullable=False, description="Azure ML job that scored the row."),
    Column("scored_at", DataType.parse("timestamp"), nullable=False, description="When the row was scored (UTC)."),
)
_DOUBLE = DataType.parse("double")
_INT = DataType.parse("int")

RECOMMENDATION_OUTPUTS = ("predictions", "top_items", "related_users", "related_items")


def _plain(column: Column, *, name: str | None = None, primary_key: bool = False) -> Column:
    return Column(
        name or column.name, column.type, nullable=False, primary_key=primary_key, privacy=column.privacy
    )


def score_outputs(
    task: str,
    columns: dict[str, Column],
    *,
    key: tuple[str, ...] = (),
    label: str | None = None,
    user: str | None = None,
    item: str | None = None,
) -> dict[str, tuple[Column, ...]]:
    """Output name → columns, for a model whose input dataset has ``columns``.

    The caller has checked that every named column exists.
    """
    keys = tuple(_plain(columns[k], primary_key=True) for k in key)
    if task == "classification":
        assert label is not None
        outputs = {
            "predictions": (
                *keys,
                Column("predicted_label", columns[label].type, nullable=False, description="Most likely class."),
                Column("probability", _DOUBLE, nullable=False,
                       description="Two classes: probability of the positive one (the greater label, "
                                   "e.g. 1); more classes: of the predicted one."),
            )
        }
    elif task == "regression":
        outputs = {"predictions": (*keys, Column("predicted_value", _DOUBLE, nullable=False))}
    elif task == "clustering":
        outputs = {
            "predictions": (
                *keys,
                Column("cluster_id", _INT, nullable=False, description="Segment the row belongs to."),
                Column("distance", _DOUBLE, nullable=False, description="Distance to the segment's centre."),
            )
        }
    else:
        assert user is not None and item is not None
        u, i = columns[user], columns[item]
        rank = Column("rank", _INT, nullable=False, primary_key=True, description="1 is the best match.")
        outputs = {
            "predictions": (
                _plain(u, primary_key=True),
                _plain(i, primary_key=True),
                Column("predicted_rating", _DOUBLE, nullable=False),
            ),
            "top_items": (_plain(u, primary_key=True), rank, _plain(i), Column("score", _DOUBLE, nullable=False)),
            "related_users": (
                _plain(u, primary_key=True),
                rank,
                _plain(u, name=f"related_{u.name}"),
                Column("similarity", _DOUBLE, nullable=False),
            ),
            "related_items": (
                _plain(i, primary_key=True),
                rank,
                _plain(i, name=f"related_{i.name}"),
                Column("similarity", _DOUBLE, nullable=False),
            ),
        }
    return {name: (*cols, *LINEAGE_COLUMNS) for name, cols in outputs.items()}


def max_privacy(columns: tuple[Column, ...]) -> Privacy:
    return max((c.privacy for c in columns), default=Privacy.NONE)
