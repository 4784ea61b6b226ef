"""Check the data, not only the metadata: personal values must not be readable where they may not be.

The distinct values of every personal or sensitive source column (read from landing) are looked
for in every string column of every prepared dataset whose zone audience lacks clearance for them,
and of every warehouse table column a reader without clearance can read unmasked. Columns masked
with dynamic data masking are reported as not verifiable locally (DuckDB has no masking).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lakewharf.local.context import RunContext
from lakewharf.model import lake
from lakewharf.model.types import Privacy

_SAMPLE = 5000  # distinct personal values per source column


@dataclass
class PrivacyCheck:
    checked: list[str] = field(default_factory=list)  # "dataset:x" / "table:y" scanned
    violations: list[str] = field(default_factory=list)
    not_verified: list[str] = field(default_factory=list)


def check_privacy(ctx: RunContext) -> PrivacyCheck:
    import duckdb

    result = PrivacyCheck()
    con = duckdb.connect()
    con.execute("CREATE TABLE personal (privacy INT, source VARCHAR, value VARCHAR)")
    for source in ctx.catalog.sources.values():
        for entity in source.entities.values():
            glob = ctx.files.parquet_glob(
                ctx.filesystem(source.landing_zone), lake.landing_folder(source.name, entity.name)
            )
            for col in (c for c in entity.columns if c.privacy > Privacy.NONE and glob):
                con.execute(f"""INSERT INTO personal SELECT DISTINCT {int(col.privacy)}, '{entity.ref}.{col.name}',
                    CAST("{col.name}" AS VARCHAR) FROM read_parquet('{glob}', union_by_name = true)
                    WHERE "{col.name}" IS NOT NULL AND length(CAST("{col.name}" AS VARCHAR)) >= 4 LIMIT {_SAMPLE}""")
    if not con.execute("SELECT COUNT(*) FROM personal").fetchone()[0]:
        return result
    platform = ctx.catalog.platform
    for ds in ctx.catalog.datasets.values():
        clearance = platform.clearance_of(platform.zones[ds.zone].audience)
        glob = ctx.files.parquet_glob(ctx.filesystem(ds.zone), lake.dataset_folder(ds.name))
        strings = [c.name for c in ds.columns if c.type.base == "string"]
        if glob is None or not strings:
            continue
        result.checked.append(f"dataset:{ds.name}")
        for col in strings:
            hits = con.execute(f"""SELECT p.source, COUNT(*) FROM read_parquet('{glob}', union_by_name = true) d
                JOIN personal p ON CAST(d."{col}" AS VARCHAR) = p.value WHERE p.privacy > {int(clearance)}
                GROUP BY 1""").fetchall()
            result.violations += [
                f"dataset {ds.name}.{col} in zone {ds.zone} holds {n} value(s) of {src}" for src, n in hits
            ]
    for table in ctx.catalog.tables.values():
        clearance = platform.clearance_of(table.readers)
        for tc in table.columns:
            if tc.mask is not None and tc.column.privacy > clearance:
                result.not_verified.append(f"dynamic data masking of {table.qualified_name}.{tc.name}")
        strings = [tc.name for tc in table.columns if tc.column.type.base == "string" and tc.mask is None]
        if not strings:
            continue
        result.checked.append(f"table:{table.qualified_name}")
        con.execute("CREATE OR REPLACE TEMP TABLE values_seen (value VARCHAR)")
        for col in strings:
            _, values = ctx.warehouse.query(
                f"SELECT DISTINCT CAST([{col}] AS NVARCHAR(4000)) FROM [{table.schema}].[{table.name}]"
            )
            if not values:
                continue
            con.executemany("INSERT INTO values_seen VALUES (?)", values)
            hits = con.execute(f"""SELECT p.source, COUNT(*) FROM values_seen v JOIN personal p ON v.value = p.value
                WHERE p.privacy > {int(clearance)} GROUP BY 1""").fetchall()
            result.violations += [f"table {table.qualified_name}.{col} holds {n} value(s) of {src}" for src, n in hits]
            con.execute("DELETE FROM values_seen")
    return result
