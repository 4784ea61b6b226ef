"""Write a synthetic lakewharf project with N entities, shaped as a real team's catalog.

    python bench/scale_catalog.py 1000 /tmp/scale-1000

Every entity is landed from a source, cleaned into the trusted zone by a preparation and
merge-loaded into a warehouse table. Sources are a mix, as teams have them: operational databases
(SQL Server and PostgreSQL, up to 40 tables each, most incremental on ``updated_at``) and CSV / JSON
Lines file drops (up to 25 entities each, full loads). One ``nightly`` pipeline holds every table:
one ingest step per source, one prepare step per dataset (after its source's ingest) and one load
step per table (after its preparation), exactly as ``wharf init`` writes the two-table scaffold
(platform/lakewharf/scaffold). The output is deterministic: the same N gives the same bytes.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

PLATFORM = """\
name: scale
description: A synthetic platform of {n} tables for the scale benchmark (bench/scale_bench.py).
privacy:
  hash_salt_secret: pii-hash-salt
roles:
  data_engineer: {{kind: group, clearance: personal}}
  analyst: {{kind: group, clearance: none}}
  factory: {{kind: service, clearance: personal}}
  synapse: {{kind: service, clearance: personal}}
zones:
  landing:
    filesystem: landing
    format: parquet
    # No retention_days: incremental loads land only what changed, so these files are the history
    # every preparation rebuilds from (`wharf validate` refuses a retention here).
    readers: [data_engineer, synapse]
    writers: [factory]
  trusted:
    filesystem: trusted
    format: parquet
    retention_days: 730
    readers: [data_engineer, analyst]
    writers: [factory, synapse]
"""

# (kind, format, entities per source, share of all entities): most tables come from databases.
SOURCE_KINDS = (
    ("sqlserver", None, 40, 0.45),
    ("postgresql", None, 40, 0.25),
    ("file_drop", "csv", 25, 0.20),
    ("file_drop", "jsonl", 25, 0.10),
)

# Columns beyond the key: (name, catalog type, privacy); each entity takes a rotating subset.
EXTRA_COLUMNS = (
    ("name", "string(200)", "personal"),
    ("email", "string(256)", "personal"),
    ("country", "string(2)", None),
    ("status", "string(20)", None),
    ("amount", '"decimal(12,2)"', None),
    ("quantity", "int", None),
    ("created_on", "date", None),
    ("score", "double", None),
    ("active", "boolean", None),
    ("category", "string(50)", None),
)


def plan_sources(n: int) -> list[tuple[str, str, str | None, list[str]]]:
    """(source name, kind, format, entity names), N entities in all, split by SOURCE_KINDS."""
    counts = [int(n * share) for *_, share in SOURCE_KINDS]
    counts[0] += n - sum(counts)  # the remainder goes to SQL Server
    sources = []
    serial = 0
    for (kind, fmt, per_source, _), count in zip(SOURCE_KINDS, counts, strict=True):
        for s in range(0, count, per_source):
            name = f"{fmt or kind}_{s // per_source + 1:02d}".replace("sqlserver", "mssql").replace("postgresql", "pg")
            entities = []
            for _ in range(min(per_source, count - s)):
                serial += 1
                entities.append(f"e{serial:04d}")
            sources.append((name, kind, fmt, entities))
    return sources


def columns_of(i: int) -> list[tuple[str, str, str | None]]:
    width = 4 + i % 6
    return [EXTRA_COLUMNS[(i + k) % len(EXTRA_COLUMNS)] for k in range(width)]


def _column(name: str, type_: str, privacy: str | None, extra: str = "") -> str:
    fields = [f"type: {type_}"] + ([f"privacy: {privacy}"] if privacy else []) + ([extra] if extra else [])
    return f"      {name}: {{{', '.join(fields)}}}\n"


def source_yaml(name: str, kind: str, fmt: str | None, entities: list[str]) -> str:
    database = fmt is None
    out = f"description: Synthetic {kind} source {name}.\nkind: {kind}\n"
    if fmt:
        out += f"format: {fmt}\n"
        if fmt == "csv":
            out += 'options: {delimiter: ",", header: true}\n'
    out += f"connection: {{secret: {name.replace('_', '-')}-connection}}\n"
    out += 'schedule: {cron: "0 1 * * *"}\nentities:\n'
    for entity in entities:
        i = int(entity[1:])
        incremental = database and i % 5 != 0  # most database tables are incremental, file drops full
        out += f"  {entity}:\n"
        if database:
            out += f"    table: dbo.{entity}\n" if kind == "sqlserver" else f"    table: public.{entity}\n"
        else:
            out += f"    path: \"{entity}/{entity}_*.{fmt}\"\n"
        out += ("    load: {mode: incremental, watermark: updated_at}\n" if incremental
                else "    load: {mode: full}\n")
        out += "    columns:\n" + _column(f"{entity}_id", "bigint", None, "nullable: false, primary_key: true")
        for column, type_, privacy in columns_of(i):
            out += _column(column, type_, privacy)
        out += _column("updated_at", "timestamp", None, "nullable: false")
    return out


def kept_columns(entity: str) -> list[tuple[str, str]]:
    """The columns that reach the warehouse: personal ones are dropped or hashed in trusted."""
    i = int(entity[1:])
    kept = [(f"{entity}_id", "bigint")]
    for column, type_, privacy in columns_of(i):
        if column == "email":
            kept.append(("email_hash", "string(64)"))
        elif privacy is None:
            kept.append((column, type_))
    return kept


def dataset_yaml(source: str, entity: str) -> str:
    i = int(entity[1:])
    personal = {c for c, _, p in columns_of(i) if p}
    out = (f"description: {entity} from {source}, one current row per key, pseudonymised.\n"
           f"zone: trusted\ninput: {source}.{entity}\nsteps:\n"
           f"  - dedupe: {{keys: [{entity}_id], latest_by: updated_at}}\n")
    if "country" in {c for c, _, _ in columns_of(i)}:
        out += "  - missing: {country: {fill: ZZ}}\n"
    if personal:
        masks = ", ".join(f"{c}: {'hash' if c == 'email' else 'drop'}" for c in sorted(personal))
        out += f"  - mask: {{{masks}}}\n"
        if "email" in personal:
            out += "  - rename: {email: email_hash}\n"
    out += f"  - select: [{', '.join(c for c, _ in kept_columns(entity))}]\n"
    return out


def table_yaml(entity: str) -> str:
    out = (f"description: One row per {entity}.\nschema: mart\nkind: dimension\n"
           f"source: {{dataset: {entity}_trusted}}\ncolumns:\n")
    for column, type_ in kept_columns(entity):
        extra = ", nullable: false, primary_key: true" if column == f"{entity}_id" else ""
        out += f"  {column}: {{type: {type_}{extra}}}\n"
    distribution = f"{{hash: {entity}_id}}" if int(entity[1:]) % 3 == 0 else "round_robin"
    return out + (f"distribution: {distribution}\nindex: clustered_columnstore\n"
                  f"load: {{mode: merge, keys: [{entity}_id]}}\nreaders: [analyst, data_engineer]\n"
                  # data tests as a team writes them: its audit runs after each load
                  f"tests:\n  - unique: {entity}_id\n  - not_null: [{entity}_id]\n")


def pipelines_yaml(sources: list[tuple[str, str, str | None, list[str]]]) -> str:
    out = ("defaults:\n  retry: {count: 2, interval_seconds: 120}\n  timeout_minutes: 60\n"
           "pipelines:\n  nightly:\n    description: Land every source, prepare every dataset, load the warehouse.\n"
           '    schedule: {cron: "0 2 * * *", timezone: UTC}\n    steps:\n')
    for name, *_ in sources:
        out += f"      land_{name}: {{ingest: {name}}}\n"
    for name, _, _, entities in sources:
        for entity in entities:
            out += f"      prep_{entity}: {{prepare: {entity}_trusted, after: [land_{name}]}}\n"
    for _, _, _, entities in sources:
        for entity in entities:
            out += f"      load_{entity}: {{load: dim_{entity}, after: [prep_{entity}]}}\n"
    return out


def write(n: int, project: Path) -> Path:
    """Write the project (replacing it); returns its folder.

    ``wharf init`` writes the rest of a project (templates/, Pulumi.yaml, Pulumi.dev.yaml, infra/,
    .schemas/); its two-table catalog is then replaced by the synthetic one."""
    from lakewharf.cli.init import project_files, write_project

    shutil.rmtree(project, ignore_errors=True)
    write_project(project, project_files("scale"))
    shutil.rmtree(project / "catalog")
    for sub in ("sources", "datasets", "warehouse"):
        (project / "catalog" / sub).mkdir(parents=True)
    (project / "catalog" / "platform.yaml").write_text(PLATFORM.format(n=n))
    sources = plan_sources(n)
    for name, kind, fmt, entities in sources:
        (project / "catalog" / "sources" / f"{name}.yaml").write_text(source_yaml(name, kind, fmt, entities))
        for entity in entities:
            (project / "catalog" / "datasets" / f"{entity}_trusted.yaml").write_text(dataset_yaml(name, entity))
            (project / "catalog" / "warehouse" / f"dim_{entity}.yaml").write_text(table_yaml(entity))
    (project / "pipelines.yaml").write_text(pipelines_yaml(sources))
    # nothing bound: `wharf run` generates every source's data from its column contracts
    (project / "local.yaml").write_text("sources: {}\n")
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of entities (= datasets = warehouse tables)")
    parser.add_argument("project", type=Path, help="folder to write (replaced)")
    args = parser.parse_args()
    print(write(args.n, args.project))


if __name__ == "__main__":
    main()
