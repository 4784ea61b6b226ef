"""Benchmark lakewharf's local data path on TPC-H, against a floor and a peer.

    .venv/bin/python bench/tpch_bench.py --scale 1        (make bench)

Data: TPC-H at the given scale factor from DuckDB's tpch extension (PyPI duckdb-ext-tpch).
lineitem and orders become CSV file drops, the six other tables SQL Server source tables of the
bench catalog in bench/project. Three variants load the same rows, each in a fresh process, timed
from outside; peak RSS is the process's maximum resident set (wait4):

- lakewharf: ``wharf run tpch`` — ingest (CSV/database → landing Parquet), prepare (→ trusted
  Parquet) and load (COPY INTO staging + load procedure) through the generated Data Factory
  pipeline, exactly as the README's main job runs the sample.
- floor: DuckDB alone, CSV → Parquet → table, for every table (the least work that moves the data
  through a lake into a warehouse table).
- peers: dlt loading the same CSV files into DuckDB in its three ways of reading CSV, each at its
  best (see PEER): ``read_csv`` (pandas chunks normalised row by row in Python), ``read_csv_duckdb``
  (DuckDB parses, Arrow batches) and ``arrow`` (a resource yielding whole ``pyarrow.csv.read_csv``
  tables). The row-by-row mode runs only up to ``--slow-peer-max-scale``.

lakewharf's time is split by part twice: from the run report (each activity's own seconds,
summed per hop) and, with ``--profile``, from one more run under cProfile on one core (.NET start-up,
expression evaluation, each hop; the profiler slows Python code, not DuckDB's).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FILES = ("lineitem", "orders")
DATABASE = ("customer", "part", "partsupp", "supplier", "nation", "region")
TABLES = FILES + DATABASE


def extension_directory() -> str:
    import duckdb_ext  # the duckdb-ext-tpch wheel

    return str(Path(duckdb_ext.__path__[0]) / "extensions")


def prepare_data(out: Path, scale: float) -> dict[str, int]:
    """TPC-H tables as CSV (for every variant) and as a DuckDB database (the SQL Server stand-in)."""
    import duckdb

    marker = out / f"data-sf{scale}.json"
    if marker.exists():
        return json.loads(marker.read_text())
    shutil.rmtree(out / "csv", ignore_errors=True)
    (out / "tpch.duckdb").unlink(missing_ok=True)
    con = duckdb.connect(str(out / "tpch.duckdb"))
    con.execute(f"SET extension_directory = '{extension_directory()}'")
    con.execute("LOAD tpch")
    con.execute(f"CALL dbgen(sf = {scale})")
    rows = {}
    for table in TABLES:
        (out / "csv" / table).mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY {table} TO '{out / 'csv' / table / (table + '.csv')}' (HEADER, DELIMITER ',')")
        rows[table] = con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    con.close()
    marker.write_text(json.dumps(rows))
    return rows


def prepare_project(out: Path) -> Path:
    """bench/project plus the templates, its sources bound in local.yaml to the TPC-H data: the CSV
    drops (hard links) as a folder binding, the six other tables in a DuckDB file standing in for
    SQL Server (an unbound source would get data generated from its column contracts instead)."""
    import duckdb

    project = out / "project"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(HERE / "project", project)
    shutil.copytree(ROOT / "templates", project / "templates")
    data = project / "data"
    for table in FILES:
        drop = data / "drops" / table
        drop.mkdir(parents=True)
        os.link(out / "csv" / table / f"{table}.csv", drop / f"{table}.csv")
    with duckdb.connect(str(data / "tpch_db.duckdb")) as con:
        con.execute(f"ATTACH '{out / 'tpch.duckdb'}' AS gen (READ_ONLY)")
        con.execute("CREATE SCHEMA dbo")
        for table in DATABASE:
            con.execute(f"CREATE TABLE dbo.{table} AS SELECT * FROM gen.{table}")
    (project / "local.yaml").write_text("sources:\n  tpch_db: {database: \"duckdb:///data/tpch_db.duckdb\"}\n"
                                        "  tpch_files: {folder: data/drops}\n")
    return project


FLOOR = """
import duckdb, sys, json
out, tables = sys.argv[1], sys.argv[2].split(",")
con = duckdb.connect(out + "/floor.duckdb")
for t in tables:
    con.execute(f"COPY (SELECT * FROM read_csv('{out}/csv/{t}/{t}.csv', header = true)) "
                f"TO '{out}/floor/{t}.parquet' (FORMAT PARQUET, COMPRESSION SNAPPY)")
    con.execute(f"CREATE OR REPLACE TABLE {t} AS SELECT * FROM read_parquet('{out}/floor/{t}.parquet')")
print(json.dumps({"rows": sum(con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables)}))
"""

# dlt, each mode configured at its best (dlt docs: "Optimizing dlt" and the filesystem source's
# readers): Parquet as the loader file format (DuckDB copies Parquet in bulk; the default,
# insert_values, sends SQL text), one normalize worker per core, and extract files split so the
# workers have several to share. Arrow items skip dlt's row-by-row normalisation altogether.
PEER = """
import dlt, sys, json
from dlt.sources.filesystem import filesystem, read_csv, read_csv_duckdb
out, tables, mode = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
pipeline = dlt.pipeline(pipeline_name="tpch_dlt_" + mode, destination=dlt.destinations.duckdb(out + "/dlt.duckdb"),
                        dataset_name="tpch", pipelines_dir=out + "/dlt-pipelines")

def arrow_tables(path):
    import pyarrow.csv
    yield pyarrow.csv.read_csv(path)  # one Arrow table per file: parsed in C++, handed over whole

for t in tables:
    files = filesystem(bucket_url="file://" + out + "/csv/" + t, file_glob="*.csv")
    if mode == "read_csv":
        source = files | read_csv(chunksize=100_000)
    elif mode == "read_csv_duckdb":
        source = files | read_csv_duckdb(chunk_size=1_000_000, use_pyarrow=True, header=True)
    else:
        source = dlt.resource(arrow_tables(out + "/csv/" + t + "/" + t + ".csv"), name=t)
    pipeline.run(source.with_name(t), write_disposition="replace", loader_file_format="parquet")
import duckdb
con = duckdb.connect(out + "/dlt.duckdb", read_only=True)
print(json.dumps({"rows": sum(con.execute(f"SELECT COUNT(*) FROM tpch.{t}").fetchone()[0] for t in tables)}))
"""
PEER_MODES = ("read_csv", "read_csv_duckdb", "arrow")
PEER_ENV = {"RUNTIME__LOG_LEVEL": "WARNING", "NORMALIZE__WORKERS": str(os.cpu_count() or 1),
            "EXTRACT__DATA_WRITER__FILE_MAX_ITEMS": "500000", "NORMALIZE__DATA_WRITER__FILE_MAX_ITEMS": "500000"}


# (part, file suffix, function) whose cumulative time cProfile reports; names as of 2026-12-02.
PROFILED = (
    (".NET start-up (expression engine)", "verify/expression_engine.py", "load_expression_engine"),
    ("expression evaluation", "_expression_runtime/expression_runtime.py", "evaluate"),
    ("lake hop 1: landing copy", "local/copy_activity.py", "run_copy"),
    ("  of which: counting CSV records", "local/csv_records.py", "csv_records"),
    ("lake hop 2: prepare (CETAS)", "local/sql_activities.py", "run_serverless"),
    ("warehouse load (COPY INTO + procedure)", "local/sql_activities.py", "run_warehouse"),
    ("  of which: COPY INTO checked and counted, read through", "local/tsql_staging.py", "defer"),
    ("  of which: COPY INTO written into staging", "local/warehouse.py", "load_parquet"),
)


def hops(report: dict) -> dict[str, float]:
    """Seconds per hop from the run report: each activity's own time, summed by kind. The items of
    a level run at once, so these sums overlap each other and the run's wall time; nothing is
    derived from their difference (the --profile split, on one core, is the one that adds up)."""
    kinds = {"copy": "landing copy", "cetas": "prepare (CETAS)", "load_batch": "warehouse load"}
    out = dict.fromkeys(kinds.values(), 0.0)
    for activity in report["activities"]:
        kind = kinds.get(activity["activity"].rsplit("/", 1)[-1])
        if kind:
            out[kind] += float(activity.get("seconds") or 0)
    return {k: round(v, 2) for k, v in out.items()}


def profile(out: Path) -> dict[str, float | None]:
    """One more lakewharf run under cProfile: cumulative seconds of the parts in PROFILED."""
    import pstats

    project = prepare_project(out)
    stats_file = out / "lakewharf.prof"
    started = time.perf_counter()
    command = [sys.executable, "-m", "cProfile", "-o", str(stats_file), "-m", "lakewharf.cli.main",
               "--project", str(project), "run", "tpch"]
    if shutil.which("taskset"):
        # cProfile sees only the main thread: on one core the items of a level run one by one there
        # (as in scale_bench.py), so each part is its CPU seconds on one core, DuckDB's one thread included.
        command = ["taskset", "-c", "0", *command]
    subprocess.run(command, check=True, capture_output=True)
    parts: dict[str, float | None] = {"total under the profiler": round(time.perf_counter() - started, 2)}
    stats = pstats.Stats(str(stats_file)).stats  # type: ignore[attr-defined]
    for part, suffix, function in PROFILED:
        found = [v[3] for (file, _, name), v in stats.items() if file.endswith(suffix) and name == function]
        parts[part] = round(max(found), 2) if found else None
    return parts


def measure(name: str, command: list[str], env: dict[str, str] | None = None) -> dict[str, object]:
    # What the previous variant wrote (GBs of Parquet and DuckDB pages) is flushed to disk first, or
    # its write-back lands in the next variant's time: lakewharf measured 27-36 s at SF 1 by the order.
    os.sync()
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    stdout, stderr = process.stdout.read(), process.stderr.read()  # type: ignore[union-attr]
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{name} failed:\n{stdout[-2000:]}\n{stderr[-3000:]}")
    print(f"{name}: {seconds:.1f} s, peak RSS {usage.ru_maxrss / 1024:.0f} MiB", flush=True)
    return {"seconds": round(seconds, 2), "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mib": round(usage.ru_maxrss / 1024, 1), "load_average": round(os.getloadavg()[0], 2),
            "stdout": stdout}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="TPC-H scale factor (1 = 8.7 M rows)")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--skip-peer", action="store_true", help="do not run dlt")
    parser.add_argument("--profile", action="store_true", help="split lakewharf's time by part under cProfile")
    parser.add_argument("--slow-peer-max-scale", type=float, default=0.2,
                        help="largest scale at which dlt's row-by-row read_csv mode runs (default 0.2)")
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    rows = prepare_data(out, args.scale)
    total = sum(rows.values())
    print(f"TPC-H sf={args.scale}: {total:,} rows in {len(rows)} tables")
    project = prepare_project(out)
    results = {}
    report = out / "run-report.json"
    results["lakewharf"] = measure("lakewharf", [sys.executable, "-m", "lakewharf.cli.main", "--project",
                                                 str(project), "run", "tpch", "--report", str(report)])
    loaded = json.loads(report.read_text())
    assert loaded["succeeded"], loaded["pipelines"]
    results["lakewharf"]["rows"] = sum(n for t, n in loaded["warehouse_tables"].items() if t.startswith("tpch."))
    results["lakewharf"]["hops"] = hops(loaded)
    copies = [a for a in loaded["activities"] if a["activity"].endswith("/copy")]
    results["lakewharf"]["rows_checked"] = {a["activity"]: [a["rows_read"], a["rows_written"], a["rows_rejected"]]
                                            for a in copies}
    shutil.rmtree(out / "floor", ignore_errors=True)
    (out / "floor").mkdir()
    (out / "floor.duckdb").unlink(missing_ok=True)
    results["floor"] = measure("floor", [sys.executable, "-c", FLOOR, str(out), ",".join(TABLES)])
    skipped = []
    for mode in () if args.skip_peer else PEER_MODES:
        if mode == "read_csv" and args.scale > args.slow_peer_max_scale:
            skipped.append(f"dlt read_csv: not run above scale {args.slow_peer_max_scale} (~7k rows/s, ~20 min at SF1)")
            continue
        shutil.rmtree(out / "dlt-pipelines", ignore_errors=True)
        (out / "dlt.duckdb").unlink(missing_ok=True)
        results[f"dlt_{mode}"] = measure(f"dlt {mode}", [sys.executable, "-c", PEER, str(out), ",".join(TABLES), mode],
                                         PEER_ENV)
    for name, r in results.items():
        stdout = str(r.pop("stdout"))
        if "rows" not in r:
            # the last JSON object: DuckDB's progress bar (queries over 2 s) shares the line before it
            line = next(ln for ln in reversed(stdout.splitlines()) if '{"rows"' in ln)
            r["rows"] = json.loads(line[line.index('{"rows"'):])["rows"]
        r["rows_per_second"] = round(int(r["rows"]) / float(r["seconds"]))
        assert r["rows"] == total, f"{name} loaded {r['rows']} rows, expected {total}"
    summary = {
        "date": dt.date.today().isoformat(), "scale": args.scale, "rows": total,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "results": results,
        "lakewharf_vs_floor": round(float(results["lakewharf"]["seconds"]) / float(results["floor"]["seconds"]), 2),
    }
    ours = float(results["lakewharf"]["seconds"])
    summary["dlt_vs_lakewharf"] = {k.removeprefix("dlt_"): round(float(r["seconds"]) / ours, 2)
                                   for k, r in results.items() if k.startswith("dlt_")}
    summary["not_run"] = skipped
    if args.profile:
        summary["lakewharf_profile"] = profile(out)
    (out / f"results-sf{args.scale}.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
