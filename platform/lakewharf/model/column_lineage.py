"""Column-level lineage: which upstream column each column of an entity, dataset, model output or
warehouse table comes from, and what happens to its values on the way (hash, cast, masking…).

It follows the same rules as the privacy check: declarative steps answer through
``Step.derives_from`` (the twin of ``Step.privacy``), SQL preparations through the lineage the
check traced with sqlglot (``Dataset.sql_sources``), tables through their ``from:`` columns. So
the lineage shown is the lineage the clearance rule was checked on.

Column ids are ``(node, column)`` with the node ids of ``lakewharf.model.graph``; a model's
columns are named ``output.column`` (``model:churn``, ``predictions.churn_probability``).
"""

from __future__ import annotations

from dataclasses import dataclass

from lakewharf.model.catalog import Catalog, Dataset, Model, Table
from lakewharf.model.scores import LINEAGE_COLUMNS

ColumnId = tuple[str, str]


@dataclass(frozen=True)
class ColumnEdge:
    upstream: ColumnId
    downstream: ColumnId
    treatment: str = ""  # what happens on the way: "hash", "cast to int; renamed from x", "" for a copy


@dataclass(frozen=True)
class Dropped:
    """An upstream column a dataset reads but does not pass on (a ``mask: drop``, a ``select``…)."""

    upstream: ColumnId
    node: str  # the dataset that drops it
    how: str  # "mask: drop", "select", "aggregate"


@dataclass(frozen=True)
class ColumnLineage:
    edges: tuple[ColumnEdge, ...]
    dropped: tuple[Dropped, ...]

    def upstream_of(self, node: str) -> list[ColumnEdge]:
        return [e for e in self.edges if e.downstream[0] == node]

    def downstream_of(self, node: str) -> list[ColumnEdge]:
        return [e for e in self.edges if e.upstream[0] == node]


def ref_node(ref: str) -> str:
    """The graph node of an ``input`` reference: ``source.entity`` or a dataset name."""
    return f"entity:{ref}" if "." in ref else f"dataset:{ref}"


def column_lineage(catalog: Catalog) -> ColumnLineage:
    edges: list[ColumnEdge] = []
    dropped: list[Dropped] = []
    for ds in catalog.datasets.values():
        e, d = _dataset(catalog, ds)
        edges += e
        dropped += d
    for model in catalog.models.values():
        edges += _model(catalog, model)
    for table in catalog.tables.values():
        edges += _table(table)
    return ColumnLineage(tuple(edges), tuple(dropped))


def _dataset(catalog: Catalog, ds: Dataset) -> tuple[list[ColumnEdge], list[Dropped]]:
    node = f"dataset:{ds.name}"
    if ds.sql is not None:
        by_tail = {r.rsplit(".", 1)[-1]: r for r in ds.inputs}  # the SELECT may name an entity by its table part
        return [ColumnEdge((ref_node(by_tail.get(ref, ref) if ref not in ds.inputs else ref), col), (node, name))
                for name, pairs in ds.sql_sources.items() for ref, col in pairs], []
    before_cols = catalog.columns_of(ds.inputs[0]) or ()
    first = ref_node(ds.inputs[0])
    # Each current column → {upstream column id: treatments applied on the way, in order}.
    trace: dict[str, dict[ColumnId, tuple[str, ...]]] = {c.name: {(first, c.name): ()} for c in before_cols}
    before = {c.name: c for c in before_cols}
    dropped: list[Dropped] = []
    for step in ds.steps:
        after = step.columns(before, catalog.columns_of)
        new: dict[str, dict[ColumnId, tuple[str, ...]]] = {}
        used: set[str] = set()  # input columns some output column comes from
        for name in after:
            treatment = step.treatment(name)
            origins: dict[ColumnId, tuple[str, ...]] = {}
            for ref, col in step.derives_from(name, before):
                used |= {col} if ref is None else set()
                upstream = trace.get(col, {}) if ref is None else {(ref_node(ref), col): ()}
                for cid, done in upstream.items():
                    origins[cid] = done + ((treatment,) if treatment else ())
            new[name] = origins
        for name in before:
            if name not in used and name not in after:
                how = f"mask: {getattr(step, 'methods', {}).get(name)}" if step.op == "mask" else step.op
                dropped += [Dropped(cid, node, how) for cid in trace.get(name, {})]
        trace, before = new, after
    edges = [ColumnEdge(cid, (node, name), "; ".join(t for t in done if t))
             for name, origins in trace.items() for cid, done in origins.items()]
    return edges, dropped


def _model(catalog: Catalog, model: Model) -> list[ColumnEdge]:
    """A score output repeats the scored dataset's key columns; its scores are predicted from the
    features (or, for a recommender, the ratings); its bookkeeping columns come from no column."""
    node, ds = f"model:{model.name}", model.scoring.dataset
    have = set(catalog.datasets[ds].column_map) if ds in catalog.datasets else set()
    inputs = (model.rating,) if model.task == "recommendation" else model.features
    bookkeeping = {c.name for c in LINEAGE_COLUMNS}
    edges = []
    for output, cols in model.outputs.items():
        for col in cols:
            if col.name in bookkeeping:
                continue
            if col.name in have:
                edges.append(ColumnEdge((f"dataset:{ds}", col.name), (node, f"{output}.{col.name}")))
            else:
                edges += [ColumnEdge((f"dataset:{ds}", f), (node, f"{output}.{col.name}"), f"predicted by {model.name}")
                          for f in inputs if f]
    return edges


def _table(table: Table) -> list[ColumnEdge]:
    if table.source_dataset:
        source, prefix = f"dataset:{table.source_dataset}", ""
    else:
        source, prefix = f"model:{table.source_model}", f"{table.source_output}."
    edges = []
    for tc in table.columns:
        how = [f"from {tc.source_column}"] if tc.source_column != tc.name else []
        if tc.mask:
            how.append(f"dynamic data masking {tc.mask}")
        edges.append(ColumnEdge((source, prefix + tc.source_column), (f"table:{table.name}", tc.name), "; ".join(how)))
    return edges
