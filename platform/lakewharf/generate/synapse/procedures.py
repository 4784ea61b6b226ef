"""How each warehouse table is loaded from its staging table: the load procedure's plan.

Synapse dedicated SQL pool rules that shape the procedures (Microsoft Learn):
- MERGE ... WHEN NOT MATCHED [BY TARGET] needs a HASH-distributed target, and MERGE cannot insert
  into a table with an IDENTITY column. REPLICATE / ROUND_ROBIN targets and type-2 history tables
  are therefore loaded with UPDATE ... FROM ... JOIN followed by INSERT ... WHERE NOT EXISTS.
  https://learn.microsoft.com/sql/t-sql/statements/merge-transact-sql?view=azure-sqldw-latest
- UPDATE takes the target table again in FROM, joined to the source, with no alias on the target.
  https://learn.microsoft.com/sql/t-sql/queries/update-transact-sql?view=azure-sqldw-latest
- No DDL (CREATE TABLE, including CTAS into a temp table) inside a user transaction, and after an
  error the transaction must be rolled back before anything else runs (XACT_STATE() = -2).
  https://learn.microsoft.com/azure/synapse-analytics/sql/develop-transactions
- Procedures take no parameter defaults and no RETURN statement.
  https://learn.microsoft.com/azure/synapse-analytics/sql/develop-stored-procedures
"""

from __future__ import annotations

from dataclasses import dataclass

from lakewharf.generate.synapse.tables import LOAD_LOG, TableDef
from lakewharf.generate.templates import bracket
from lakewharf.model.catalog import Catalog
from lakewharf.model.data_tests import UNKNOWN_MEMBER_KEY

_LATEST_FIRST = ("timestamp", "date")  # non-key columns that say which duplicate is the latest


@dataclass(frozen=True)
class LoadPlan:
    t: TableDef
    strategy: str  # merge | update_insert | append | history
    reason: str  # why this strategy, for the procedure's comment
    keys: tuple[str, ...]
    update_columns: tuple[str, ...]  # non-key columns a matched row takes from staging
    temp_distribution: str  # of the de-duplicated copy of staging (#src)
    dedupe_order: tuple[str, ...]  # "[col] DESC" terms: the first row per key wins
    load_log: str = LOAD_LOG
    lookups: tuple[Lookup, ...] = ()  # keys of dimensions with an unknown member

    def select_list(self, prefix: str) -> str:
        """The load columns as read from ``prefix`` (staging or its de-duplicated copy), a key
        missing from its dimension replaced by the dimension's unknown member."""
        looked_up = {lk.column: lk for lk in self.lookups}
        return ", ".join(
            f"COALESCE({looked_up[c].alias}.{bracket(looked_up[c].key)}, {UNKNOWN_MEMBER_KEY}) AS {bracket(c)}"
            if c in looked_up else f"{prefix}{bracket(c)}" for c in self.t.load_columns)


@dataclass(frozen=True)
class Lookup:
    """A fact column whose relationships test points at a dimension with ``unknown_member``."""

    column: str
    dimension: str  # schema.table
    key: str
    alias: str

    def join(self, prefix: str) -> str:
        return (f"LEFT JOIN {bracket(self.dimension)} AS {self.alias} "
                f"ON {self.alias}.{bracket(self.key)} = {prefix}{bracket(self.column)}")


def lookups(catalog: Catalog, t: TableDef) -> tuple[Lookup, ...]:
    """Facts never point nowhere: a key missing from a dimension with an unknown member (a row
    rejected upstream, a late-arriving dimension row) loads as that member's key, -1. The
    dimension's merge key is unique, so the LEFT JOIN never multiplies rows."""
    found = []
    for test in t.table.tests:
        parent = catalog.tables.get(test.to_owner or "") if test.kind == "relationships" else None
        if parent is not None and parent.unknown_member and test.to_column == parent.load_keys[0] \
                and test.column not in {lk.column for lk in found} and test.column not in t.table.load_keys:
            found.append(Lookup(test.column, parent.qualified_name, test.to_column, f"u{len(found) + 1}"))
    return tuple(found)


def load_plan(t: TableDef, catalog: Catalog | None = None) -> LoadPlan:
    table = t.table
    keys = table.load_keys
    update_columns = tuple(c for c in t.load_columns if c not in keys)
    hashed = table.distribution == "hash"
    temp = f"HASH({bracket(table.distribution_column or '')})" if hashed else "ROUND_ROBIN"
    if table.load_mode == "append":
        strategy, reason = "append", (
            "append. Every staged row is inserted once: the load log lists the runs already appended, so a "
            "retry after a failure between COMMIT and TRUNCATE adds nothing twice.")
    elif table.load_mode == "history":
        strategy, reason = "history", (
            "type-2 history with UPDATE and INSERT. MERGE cannot insert into a table with an IDENTITY column, "
            "which the surrogate key is.")
    elif hashed:
        strategy, reason = "merge", "MERGE, since the target is HASH-distributed, which MERGE ... NOT MATCHED requires."
        if table.distribution_column in update_columns:
            reason += (f" It may update the distribution column {table.distribution_column}, which needs "
                       "Synapse build 10.0.17829.0 or later.")
    else:
        strategy, reason = "update_insert", (
            "UPDATE then INSERT instead of MERGE. MERGE ... WHEN NOT MATCHED only accepts a HASH-distributed "
            f"target, and this one is {table.distribution.upper()}.")
    found = lookups(catalog, t) if catalog is not None else ()
    return LoadPlan(t, strategy, reason, keys, update_columns, temp, _dedupe_order(t), lookups=found)


def _dedupe_order(t: TableDef) -> tuple[str, ...]:
    """Latest first: timestamp and date columns descending; the remaining columns break ties, so
    the same staging content always keeps the same row."""
    types = {tc.name: tc.column.type.base for tc in t.table.columns}
    candidates = [c for c in t.load_columns if c not in t.table.load_keys]
    ordered = [c for base in _LATEST_FIRST for c in candidates if types[c] == base]
    ordered += [c for c in candidates if c not in ordered and types[c] != "binary"]
    if not ordered:  # every column is a key: duplicates are identical, any order will do
        return tuple(bracket(c) for c in t.table.load_keys)
    return tuple(f"{bracket(c)} DESC" for c in ordered)
