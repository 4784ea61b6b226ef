"""What every preparation step kind has: typed arguments, output columns, privacy and SQL.

A step kind is one frozen dataclass (a subclass of ``Step``) in its own module of this package,
registered in ``STEP_KINDS`` (``__init__.py``). The catalog asks a step for its output columns
(``columns``), the generator for its SQL (``sql``); both only iterate over the steps, so a kind
is described in one place.

Nothing here imports sqlglot at module level (model/ is on the CLI's start-up path): ``sql``
methods import ``lakewharf.model.steps.sqltree`` when they run.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Self

from lakewharf.model.catalog import Column
from lakewharf.model.origin import NOWHERE, Origin
from lakewharf.model.types import DataType, Privacy, TypeSyntaxError

if TYPE_CHECKING:
    from lakewharf.model.steps.sqltree import Chain, StepSql

ColumnsOf = Callable[[str], tuple[Column, ...] | None]
Columns = Mapping[str, Column]

# Catalog SQL (preparations, derive and filter expressions) is written in T-SQL, the dialect of
# Synapse where it runs; sqlglot translates it to DuckDB for local runs.
SQL_DIALECT = "tsql"


class StepError(Exception):
    """A mistake in a step, at a place in the catalog. The catalog turns it into a CatalogError
    (``origin.error(...)``); model/ does not import catalog/."""

    def __init__(self, origin: Origin, message: str, hint: str = "", *, key: bool = False) -> None:
        super().__init__(message)
        self.origin, self.message, self.hint, self.key = origin, message, hint, key


@dataclass(frozen=True, kw_only=True)
class Step(ABC):
    """One declarative preparation operation: the single key (``op``) of a YAML step and its arguments.

    ``parse`` reads arguments that the JSON schema (``schema``) has already accepted; ``columns``
    checks them against the input columns and raises ``StepError`` at the first mistake.
    """

    op: ClassVar[str]
    schema: ClassVar[dict[str, Any]]  # the step's fragment of dataset.schema.json (steps.items.properties)
    # A load-time column (``_loaded_at``) that goes in comes out; an aggregate folds rows and ends it.
    keeps_loaded_at: ClassVar[bool] = True

    origin: Origin = field(default=NOWHERE, compare=False, repr=False)

    @classmethod
    @abstractmethod
    def parse(cls, args: Any, origin: Origin) -> Self:
        """The step from its schema-checked YAML value; ``origin`` is the place of that value."""

    def reads(self) -> tuple[str, ...]:
        """Datasets or source entities the step reads besides its input (a join's ``with``)."""
        return ()

    @abstractmethod
    def columns(self, before: Columns, columns_of: ColumnsOf) -> dict[str, Column]:
        """The output columns, in order, given the input columns. Raises StepError."""

    def privacy(self, name: str, before: Columns, columns_of: ColumnsOf) -> Privacy:
        """What output column ``name`` may reveal, for an input ``columns`` accepted.

        By default a column keeps the privacy of the input column of the same name; steps that
        create columns, or hide what one holds, override this and build those columns with it.
        """
        return before[name].privacy

    def derives_from(self, name: str, before: Columns) -> tuple[tuple[str | None, str], ...]:
        """Column lineage: the columns output column ``name`` is computed from, as (ref, column) with
        ref None for the step's input and a dataset or entity name for one it reads (a join's ``with``).

        The same rule as ``privacy``: by default a column comes from the input column of its name;
        the steps that override ``privacy`` override this too (``wharf docs`` draws it).
        """
        return ((None, name),) if name in before else ()

    def treatment(self, name: str) -> str:
        """What the step does to the values of output column ``name`` (``hash``, ``cast to int``…), or ''."""
        return ""

    @abstractmethod
    def sql(self, chain: Chain, ctx: StepSql) -> None:
        """Add the step's CTEs (and, for a rejecting step, its reject query) to ``chain``."""


def need(cols: Columns, name: str, origin: Origin, *, what: str = "column") -> Column:
    if name not in cols:
        raise StepError(origin, f"unknown {what} {name!r}", "columns here: " + ", ".join(cols))
    return cols[name]


def parse_type(text: str, origin: Origin) -> DataType:
    try:
        return DataType.parse(text)
    except TypeSyntaxError as exc:
        raise StepError(origin, str(exc)) from None


def expression_columns(expr: str, origin: Origin) -> set[str]:
    """Names of the columns a portable SQL expression reads."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(expr, read=SQL_DIALECT)
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError) as exc:  # TokenError: an unclosed quote
        raise StepError(origin, f"cannot parse SQL expression: {first_line(exc)}") from None
    if tree is None:
        raise StepError(origin, "empty SQL expression")
    return {c.name for c in tree.find_all(exp.Column)}


def first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


# JSON-schema references the step fragments share (common.schema.json).
COLUMN_NAME = {"$ref": "common.schema.json#/$defs/column_name"}
COLUMN_LIST = {"$ref": "common.schema.json#/$defs/column_list"}
DATA_TYPE = {"$ref": "common.schema.json#/$defs/data_type"}


def per_column(value: dict[str, Any]) -> dict[str, Any]:
    """Schema of a step that maps column names to ``value``, at least one."""
    return {"type": "object", "propertyNames": COLUMN_NAME, "additionalProperties": value, "minProperties": 1}
