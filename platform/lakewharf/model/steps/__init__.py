"""Declarative preparation steps: one class per kind, one module per class, registered here.

To add a kind: write ``<kind>.py`` with a ``Step`` subclass (see ``base.py`` and
docs/catalog-reference.md), add the class to ``STEP_KINDS`` below, and regenerate the dataset
schema's step list (``python -m lakewharf.catalog.schema --write``).
"""

from __future__ import annotations

from typing import Any

from lakewharf.model.origin import Origin
from lakewharf.model.steps.aggregate import Aggregate
from lakewharf.model.steps.base import SQL_DIALECT, ColumnsOf, Step, StepError, expression_columns
from lakewharf.model.steps.cast import Cast
from lakewharf.model.steps.dedupe import Dedupe
from lakewharf.model.steps.derive import Derive
from lakewharf.model.steps.filter import Filter
from lakewharf.model.steps.join import Join
from lakewharf.model.steps.mask import Mask
from lakewharf.model.steps.missing import Missing
from lakewharf.model.steps.outliers import Outliers
from lakewharf.model.steps.rename import Rename
from lakewharf.model.steps.select import Select

__all__ = ["SQL_DIALECT", "STEP_KINDS", "ColumnsOf", "Step", "StepError", "expression_columns", "parse_step",
           "steps_schema"]

# The one registry: YAML key → class. Its order is the order of dataset.schema.json and of the docs.
STEP_KINDS: dict[str, type[Step]] = {cls.op: cls for cls in (
    Dedupe, Cast, Missing, Outliers, Filter, Derive, Join, Aggregate, Select, Rename, Mask)}


def parse_step(op: str, args: Any, origin: Origin) -> Step:
    """A schema-checked YAML step (``{op: args}``) as its class; ``origin`` is the place of ``args``."""
    return STEP_KINDS[op].parse(args, origin)


def steps_schema() -> dict[str, Any]:
    """The JSON schema of one item of a preparation's ``steps``, from the registered kinds."""
    return {"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
            "properties": {op: cls.schema for op, cls in STEP_KINDS.items()},
            "description": "Exactly one operation: " + ", ".join(STEP_KINDS)}
