"""Synthetic source data for ANY catalog, generated from its column contracts, so a team's own
catalog runs end to end locally without a single file of data.

Rows are deterministic (same catalog + options → byte-identical tables and files) and shaped by
the contract: typed as declared, keys unique, references joinable, watermarks rising over the
days, personal columns that look real (see ``synthetic_values``), plus deliberately dirty rows.

- Keys: a single integer primary key is 1..n, a string one an id (``C000123`` or uuid-like); a
  composite key numbers its last plain member within the group of the others (order_id, line_no).
- References: a column (not a single primary key) named like another entity's single-column
  primary key takes that entity's keys — same source first, else any source, integer widths cast.
  Referencing entities get 3× ``rows``. Keys are derived from the referenced entity's contract
  alone, so an entity's data does not depend on which other entities are generated with it.
- Dirt, each kind at ``dirty_rate``: NULLs in that share of each nullable non-key column's rows,
  outliers (9999-like, within the type) in as many of each plain numeric column's, newer versions
  of that share of rows (same key, a watermark at least a day later, ~30% of attributes changed),
  and for csv/jsonl files that share of rows with "n/a"-like text in a typed column. Bad-type rows
  are only in ``files``: ``table`` holds what a typed copy of the files keeps, and no reference
  points at a key only they hold. ``dirty`` counts what ``table`` holds (NULL and outlier cells,
  duplicate rows) plus the bad-type rows of the files; nothing else is ever NULL or out of range.
- Adding a plain column changes nothing else: each column draws from its own generator seeded with
  zlib.crc32 of (entity, column, purpose). A new *referencing* column triples the row count.

Files are laid out and written by ``synthetic_files``. Measured on a 2-core box: the 100-entity
catalog of tests/local/test_synthetic.py (1000 rows, 12 columns each, 80 references, 20 of them csv
drops written per day: 295k rows, 7278 files) generates in 1.1–1.7 s.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow

from lakewharf.local import synthetic_files as sf
from lakewharf.local import synthetic_values as sv
from lakewharf.model.catalog import Catalog, Column, Entity
from lakewharf.model.types import DataType
from lakewharf.sources.registry import is_database, kind_of


@dataclass(frozen=True)
class GenerateOptions:
    rows: int = 1000          # rows of an entity that no other entity references (scaled by the caller)
    seed: int = 20260101
    dirty_rate: float = 0.02  # share of rows made dirty (0 = perfectly clean)
    start: datetime.date = datetime.date(2025, 1, 1)
    days: int = 365           # watermarks / dates spread over [start, start+days)


@dataclass(frozen=True)
class EntityData:
    table: pyarrow.Table          # typed with the catalog contract (see synthetic_values), columns in catalog order
    files: dict[str, bytes]       # file-drop / log entities only: relative path -> content in the source's format;
    #                               {} for database entities
    dirty: dict[str, int]         # what dirt was planted: {"missing": n, "outliers": n, "duplicates": n,
    #                               "bad_types": n}


_ARROW = {"boolean": pyarrow.bool_(), "smallint": pyarrow.int16(), "int": pyarrow.int32(), "bigint": pyarrow.int64(),
          "float": pyarrow.float32(), "double": pyarrow.float64(), "string": pyarrow.string(),
          "binary": pyarrow.binary(), "date": pyarrow.date32(), "timestamp": pyarrow.timestamp("us")}
_NUMPY = {"smallint": np.int16, "int": np.int32, "bigint": np.int64, "float": np.float32, "double": np.float64}
_DUPLICATE_CHANGE = 0.3  # share of a duplicate's attributes that hold a newer value


def generate_source_data(
    catalog: Catalog, entities: Sequence[Entity], options: GenerateOptions = GenerateOptions()
) -> dict[str, EntityData]:
    """Data for each entity, keyed by ``entity.ref`` in dependency order (referenced entities first)."""
    plan = _Plan(catalog, options)
    return {e.ref: _generate(plan, e) for e in plan.order(entities)}


def primary_key(entity: Entity) -> tuple[Column, ...]:
    return tuple(c for c in entity.columns if c.primary_key)


@dataclass
class _Frame:
    """Working columns of an entity's rows, with what dirt each cell carries."""

    values: dict[str, np.ndarray]
    nulls: dict[str, np.ndarray]
    outliers: dict[str, np.ndarray]
    time: np.ndarray  # datetime64[s] the row happened
    original: np.ndarray  # index of the clean row, -1 for a duplicate

    def cells(self) -> tuple[dict[str, np.ndarray], ...]:
        return self.values, self.nulls, self.outliers

    def take(self, idx: np.ndarray) -> _Frame:
        return _Frame(*({k: v[idx] for k, v in d.items()} for d in self.cells()), self.time[idx], self.original[idx])

    def append(self, o: _Frame) -> _Frame:
        pairs = zip(self.cells(), o.cells(), strict=True)
        cells = ({k: np.concatenate([v, b[k]]) for k, v in a.items()} for a, b in pairs)
        return _Frame(*cells, np.concatenate([self.time, o.time]), np.concatenate([self.original, o.original]))


class _Plan:
    """Catalog-wide facts: which column references which entity, row counts, referenced keys."""

    def __init__(self, catalog: Catalog, options: GenerateOptions) -> None:
        self.catalog, self.options = catalog, options
        self.by_key: dict[str, list[Entity]] = {}
        for source in catalog.sources.values():
            for e in source.entities.values():
                if len(pk := primary_key(e)) == 1:
                    self.by_key.setdefault(pk[0].name, []).append(e)
        self._refs: dict[str, dict[str, Entity]] = {}
        self._keys: dict[tuple[str, str], np.ndarray] = {}

    def references(self, entity: Entity) -> dict[str, Entity]:
        """Column → the entity whose keys it holds; decided from types alone, so row counts can use it."""
        if entity.ref not in self._refs:
            single = len(primary_key(entity)) == 1
            found: dict[str, Entity] = {}
            for c in entity.columns:
                targets = [t for t in self.by_key.get(c.name, []) if t.ref != entity.ref]
                targets.sort(key=lambda t: t.source != entity.source)  # stable: same source first
                fitting = [t for t in targets if _fits(primary_key(t)[0].type, c.type, 3 * self.options.rows)]
                if fitting and not (c.primary_key and single):
                    found[c.name] = fitting[0]
            self._refs[entity.ref] = found
        return self._refs[entity.ref]

    def rows(self, entity: Entity) -> int:
        n = max(0, self.options.rows) * (3 if self.references(entity) else 1)
        pk = primary_key(entity)
        return min(n, sv.capacity(pk[0].type)) if len(pk) == 1 else n

    def keys(self, target: Entity, column: Column) -> np.ndarray:
        """The target's keys that its table holds, in ``column``'s working type."""
        if (target.ref, str(column.type)) not in self._keys:
            pk = primary_key(target)[0]
            n = self.rows(target)
            keys = np.delete(all_keys := _single_keys(self.options, target, pk, n), self.bad_rows(target, n))
            self._keys[target.ref, str(column.type)] = _convert_keys(keys if len(keys) else all_keys, pk, column)
        return self._keys[target.ref, str(column.type)]

    def picks(self, owner: Entity, column: Column, target: Entity, n: int) -> np.ndarray:
        """Reference values: keys of the target, some (its active rows) chosen far more often than others."""
        keys = self.keys(target, column)
        activity = sv.rng_for(self.options.seed, target.ref, "", "activity").gamma(2.0, 1.0, len(keys))
        rng = sv.rng_for(self.options.seed, owner.ref, column.name, "references")
        return keys[rng.choice(len(keys), n, p=activity / activity.sum())] if len(keys) else keys[:0]

    def bad_rows(self, entity: Entity, n: int) -> np.ndarray:
        """Clean rows written with a bad-type value (csv/jsonl files only); chosen from the entity alone."""
        source = self.catalog.sources[entity.source]
        k = min(round(self.options.dirty_rate * n), n - 1)  # a file keeps at least one good row
        typed = [c for c in entity.columns if c.type.base not in sv.TEXT_BASES]
        if is_database(source) or source.format not in ("csv", "jsonl") or not typed or k <= 0:
            return np.zeros(0, dtype=np.int64)
        return np.sort(sv.rng_for(self.options.seed, entity.ref, "", "bad_rows").choice(n, k, replace=False))

    def order(self, entities: Sequence[Entity]) -> list[Entity]:
        wanted, done, seen = {e.ref: e for e in entities}, [], set()

        def visit(e: Entity) -> None:
            if e.ref not in seen:
                seen.add(e.ref)
                for t in self.references(e).values():
                    if t.ref in wanted:
                        visit(wanted[t.ref])
                done.append(e)

        for e in entities:
            visit(e)
        return done


def _single_keys(options: GenerateOptions, entity: Entity, pk: Column, n: int) -> np.ndarray:
    rng = sv.rng_for(options.seed, entity.ref, pk.name, "keys")
    return sv.key_values(pk.type, np.arange(n), sv.singular(entity.name)[0].upper(), rng, options.start)


def _fits(key: DataType, column: DataType, most_rows: int) -> bool:
    """Whether generated keys of type ``key`` can be stored in a referencing column of type ``column``."""
    if key.base in sv.INTEGER_MAX:
        return column.base in sv.INTEGER_MAX or (
            column.base == "string" and (column.length or 99) >= len(str(max(most_rows, 1))))
    if key.base == column.base == "string":  # ids are uuid-like (36) or fit the key's own length
        return column.length is None or column.length >= min(key.length or 36, 36)
    return key == column


def _convert_keys(keys: np.ndarray, pk: Column, column: Column) -> np.ndarray:
    if pk.type.base in sv.INTEGER_MAX and column.type.base in sv.INTEGER_MAX:
        return keys[keys <= sv.INTEGER_MAX[column.type.base]]  # an int column referencing bigint keys
    if pk.type.base in sv.INTEGER_MAX:
        return keys.astype(str).astype(object)
    return keys


def _generate(plan: _Plan, entity: Entity) -> EntityData:
    opts, source = plan.options, plan.catalog.sources[entity.source]
    refs = plan.references(entity)
    keys = _key_columns(plan, entity, refs, plan.rows(entity))
    n = len(next(iter(keys.values()))) if keys else plan.rows(entity)
    rows = sv.Rows.make(opts.seed, entity.ref, entity.name, n, opts.start, opts.days)
    watermark = entity.watermark if entity.load_mode == "incremental" and entity.watermark not in keys else None
    values: dict[str, np.ndarray] = {}
    for c in entity.columns:
        if c.name in keys:
            values[c.name] = keys[c.name]
        elif c.name in refs:
            values[c.name] = plan.picks(entity, c, refs[c.name], n)
        elif c.name != watermark:
            values[c.name] = sv.make_values(c, rows)
    empty = {name: np.zeros(n, dtype=bool) for name in values}
    frame = _Frame(values, empty, {k: v.copy() for k, v in empty.items()}, rows.time, np.arange(n))
    plain = [c for c in entity.columns if c.name in values and c.name not in keys and c.name not in refs]
    _plant(frame, entity, rows, plain, opts.dirty_rate)
    bad_rows = plan.bad_rows(entity, n)
    frame = _duplicate(frame, rows, plain, opts.dirty_rate, bad_rows)
    if watermark:
        column = next(c for c in entity.columns if c.name == watermark)
        frame.values[watermark] = _watermark(column, frame.time)
        frame.nulls[watermark] = frame.outliers[watermark] = np.zeros(len(frame.time), dtype=bool)
    bad = np.isin(frame.original, bad_rows)
    kept = frame.take(np.flatnonzero(~bad))
    table = pyarrow.Table.from_arrays(
        [to_arrow(c.type, kept.values[c.name], kept.nulls[c.name]) for c in entity.columns],
        schema=pyarrow.schema([pyarrow.field(c.name, arrow_type(c.type), c.nullable) for c in entity.columns]))
    last_day = opts.start + datetime.timedelta(days=max(1, opts.days) - 1)
    files = kind_of(source).local_files(entity, table, source)  # API pages, capture Avro; None: the format's
    if files is None:
        files = (sf.entity_files(source, entity, frame.values, frame.nulls, frame.time, bad, table, opts.seed,
                                 last_day) if not is_database(source) else {})
    dirty = {"missing": sum(int(v.sum()) for v in kept.nulls.values()),
             "outliers": sum(int(v.sum()) for v in kept.outliers.values()),
             "duplicates": int((kept.original < 0).sum()), "bad_types": int(bad.sum())}
    return EntityData(table, files, dirty)


def arrow_type(t: DataType) -> pyarrow.DataType:
    from lakewharf.model.type_map import arrow_type as mapped  # the one type map (model/type_map.py)

    return mapped(t)


def to_arrow(t: DataType, values: np.ndarray, nulls: np.ndarray) -> pyarrow.Array:
    """A working array as Arrow; decimals straight from unscaled integers (exact, no Python Decimal)."""
    mask = nulls if nulls.any() else None
    if t.base == "decimal":
        data = np.empty((len(values), 2), dtype="<i8")  # little-endian 128-bit two's complement
        data[:, 0], data[:, 1] = values, np.where(values < 0, -1, 0)
        validity = pyarrow.py_buffer(np.packbits(~nulls, bitorder="little")) if mask is not None else None
        return pyarrow.Array.from_buffers(arrow_type(t), len(values), [validity, pyarrow.py_buffer(data.tobytes())],
                                          null_count=int(nulls.sum()))
    values = values.astype(_NUMPY[t.base]) if t.base in _NUMPY else values
    return pyarrow.array(values, type=arrow_type(t), mask=mask)


def _key_columns(plan: _Plan, entity: Entity, refs: dict[str, Entity], n: int) -> dict[str, np.ndarray]:
    """Primary-key values, unique per row; a composite key may hold fewer than ``n`` rows."""
    pk, opts = primary_key(entity), plan.options
    if len(pk) <= 1:
        return {pk[0].name: _single_keys(opts, entity, pk[0], n)} if pk else {}
    rows = sv.Rows.make(opts.seed, entity.ref, entity.name, n, opts.start, opts.days)
    free = [c for c in pk if c.name not in refs]
    counter = next((c for c in reversed(free) if c.type.base in sv.INTEGER_MAX), None) or next(
        (c for c in reversed(free) if c.type.base in ("string", "date", "timestamp")), None)
    if counter is None:
        return _distinct_combinations(plan, entity, refs, n)
    draws = {c.name: plan.picks(entity, c, refs[c.name], n) if c.name in refs else sv.make_values(c, rows)
             for c in pk if c is not counter}
    # Number the counter within each group of the other members: (order 7, line 1), (order 7, line 2).
    codes = [np.unique(v, return_inverse=True)[1] for v in draws.values()]
    order = np.lexsort(codes[::-1])
    sorted_codes = np.stack([c[order] for c in codes])
    change = np.ones(n, dtype=bool)
    change[1:] = (sorted_codes[:, 1:] != sorted_codes[:, :-1]).any(axis=0)
    rank = np.arange(n) - np.maximum.accumulate(np.where(change, np.arange(n), 0))
    keep = rank < sv.capacity(counter.type)
    out = {name: v[order[keep]] for name, v in draws.items()}
    out[counter.name] = sv.key_values(counter.type, rank[keep], counter.name[0].upper(),
                                      rows.rng(counter.name, "keys"), opts.start)
    return {c.name: out[c.name] for c in pk}


def _distinct_combinations(plan: _Plan, entity: Entity, refs: dict[str, Entity], n: int) -> dict[str, np.ndarray]:
    """A key whose members all reference others (user, item) or cannot count: distinct drawn tuples."""
    pk, opts = primary_key(entity), plan.options
    domains = []
    for c in pk:
        size = min(sv.capacity(c.type), max(n, 1))
        domains.append(plan.keys(refs[c.name], c) if c.name in refs else _single_keys(opts, entity, c, size))
    sizes = [len(d) for d in domains]
    while int(np.prod(sizes, dtype=object)) >= 2**62:  # numpy indexes tuples with int64
        sizes[int(np.argmax(sizes))] //= 2
    total = int(np.prod(sizes, dtype=object))
    rng = sv.rng_for(opts.seed, entity.ref, "", "combinations")
    flat = np.sort(rng.choice(total, min(n, total), replace=False)) if total else np.zeros(0, dtype=np.int64)
    idx = np.unravel_index(flat, sizes)
    return {c.name: d[i] for c, d, i in zip(pk, domains, idx, strict=True)}


def _plant(frame: _Frame, entity: Entity, rows: sv.Rows, plain: list[Column], rate: float) -> None:
    """Missing values and outliers, each in ``rate`` of the rows of a column, in different rows."""
    n = len(frame.time)
    if (k := round(rate * n)) <= 0:
        return
    wanted = {c.name for c in entity.columns if c.nullable and not c.primary_key and c.name != entity.watermark}
    for c in entity.columns:
        if c.name not in frame.values:
            continue
        order = rows.rng(c.name, "dirt").permutation(n)
        if c.name in wanted:
            frame.nulls[c.name][order[:k]] = True
        if c in plain and c.type.is_numeric:
            normal = sv.to_natural(c.type, frame.values[c.name])
            high = sv.outlier_value(c.type, float(normal.max()) if n else 0.0)
            if high is not None:
                frame.values[c.name][order[k:2 * k]] = sv.from_natural(c.type, np.full(len(order[k:2 * k]), high))
                frame.outliers[c.name][order[k:2 * k]] = True


def _duplicate(frame: _Frame, rows: sv.Rows, plain: list[Column], rate: float, bad: np.ndarray) -> _Frame:
    """Newer versions of ``rate`` of the rows: same key, at least a day later, some attributes changed.

    Only of rows that stay in the table (not bad-type ones), so each duplicate has its twin there."""
    n, day = len(frame.time), np.timedelta64(86_400, "s")
    eligible = np.setdiff1d(np.flatnonzero(frame.time < rows.end - 2 * day), bad)
    k = min(round(rate * n), len(eligible))
    if k <= 0:
        return frame
    rng = rows.rng("", "duplicates")
    dup = frame.take(np.sort(rng.choice(eligible, k, replace=False)))
    room = (rows.end - day - dup.time).astype(np.int64)
    dup.time = dup.time + day + (rng.random(k) * room).astype(np.int64).astype("timedelta64[s]")
    dup.original = np.full(k, -1)
    for c in plain:
        crng = rows.rng(c.name, "duplicates")
        change, donor = crng.random(k) < _DUPLICATE_CHANGE, crng.integers(0, n, k)
        for part, full in zip(dup.cells(), frame.cells(), strict=True):
            part[c.name] = np.where(change, full[c.name][donor], part[c.name])
    merged = frame.append(dup)
    return merged.take(np.argsort(merged.time, kind="stable"))


def _watermark(column: Column, time: np.ndarray) -> np.ndarray:
    """Rising with the row's moment: the moment itself, its day, its rank, or its ISO text."""
    t = column.type
    if t.base in ("date", "timestamp", "string"):
        return sv.fit(sv.as_time(t, time), t.length) if t.base == "string" else sv.as_time(t, time)
    rank = np.argsort(np.argsort(time, kind="stable"), kind="stable") + 1.0
    return sv.from_natural(t, rank) if t.is_numeric else rank > len(rank) / 2
