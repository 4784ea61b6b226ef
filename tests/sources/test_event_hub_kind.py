"""The ``event_hub`` kind in a ``wharf init`` project: it validates, generates what the Data Factory
models accept (an Avro dataset over the lake, an AvroSource Copy of the capture files, a landing
view parsing Body), provisions a namespace and hubs with Capture into landing, and runs locally
over Avro capture files — lakewharf's or the user's — every event accounted for; bad options are
located errors."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import duckdb
import fastavro
import pytest
from event_hub_kind import add_event_hub_source
from kind_projects import adf_doc, catalog_errors, init_with

from lakewharf.cli.main import main
from lakewharf.project import load_catalog
from lakewharf.sources.event_hub import CAPTURE_SCHEMA

TELEMETRY = "catalog/sources/telemetry.yaml"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return init_with(tmp_path_factory, "event_hub", add_event_hub_source)


def _items(build: Path) -> dict[str, dict]:
    return {i["target"]: i for f in sorted((build / "control" / "pl_land_telemetry").glob("L01_*.json"))
            for i in json.loads(f.read_text(encoding="utf-8"))}


def test_it_validates(project: Path) -> None:
    source = load_catalog(project).sources["telemetry"]
    assert source.kind == "event_hub" and source.secret == "" and source.format is None
    assert source.entities["readings"].path == "readings"
    assert source.entities["readings"].api["fields"] == {"device_id": "device.id", "temperature": "metrics.temperature"}


def test_the_capture_files_are_copied_as_parquet_and_parsed_by_the_landing_view(built: Path) -> None:
    ls = adf_doc(built, "linkedService", "ls_src_event_hub")
    assert ls["type"] == "AzureBlobFS" and ls["typeProperties"] == {"url": "@{linkedService().lake_dfs_endpoint}"}
    dataset = adf_doc(built, "dataset", "ds_src_event_hub")
    assert dataset["type"] == "Avro" and dataset["typeProperties"]["location"]["type"] == "AzureBlobFSLocation"
    window = adf_doc(built, "pipeline", "wk_ingest_event_hub_window")
    copy = next(a for a in window["activities"] if a["type"] == "Copy")
    source = copy["typeProperties"]["source"]
    assert source["type"] == "AvroSource" and source["storeSettings"]["type"] == "AzureBlobFSReadSettings"
    assert source["storeSettings"]["recursive"] is True and "modifiedDatetimeStart" in source["storeSettings"]
    lake = copy["inputs"][0]["parameters"]["lake_dfs_endpoint"]
    assert lake["value"] == "@pipeline().globalParameters.lake_dfs_endpoint"
    assert copy["typeProperties"]["sink"]["type"] == "ParquetSink"
    items = _items(built)
    readings = items["telemetry.readings"]
    assert (readings["wildcard_folder"], readings["wildcard_file"], readings["filesystem"]) == (
        "*/readings", "*.avro", "landing")
    landed = [m["sink"]["name"] for m in readings["translator"]["mappings"]]
    assert landed == ["SequenceNumber", "Offset", "EnqueuedTimeUtc", "Body", "_loaded_at", "_run_id"]
    assert (built / "adf" / "pipeline" / "wk_ingest_event_hub_full.json").is_file()  # alerts: full
    view = (built / "synapse" / "serverless" / "landing" / "telemetry__readings.sql").read_text(encoding="utf-8")
    assert "TRY_CAST(JSON_VALUE(e.[body], N'$.\"device\".\"id\"') AS VARCHAR(160)) AS [device_id]" in view
    assert "[Body] VARBINARY(MAX)" in view and "ISJSON(CAST(r.[Body] AS VARCHAR(MAX))) = 1" in view
    assert "BULK 'telemetry/readings/**'" in view


def _run(root: Path, pipeline: str = "land_telemetry") -> dict:
    report_file = root / "report.json"
    assert main(["run", pipeline, "--project", str(root), "--report", str(report_file)]) == 0
    return json.loads(report_file.read_text(encoding="utf-8"))


def _copies(report: dict) -> dict[str, dict]:
    return {a["activity"].split("/")[0].removeprefix("land_telemetry__"): a
            for a in report["activities"] if a["type"] == "Copy"}


def _records(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*.avro"):
        with path.open("rb") as handle:
            total += sum(1 for _ in fastavro.reader(handle))
    return total


def _landed(root: Path, entity: str, what: str = "COUNT(*)") -> tuple:
    return duckdb.sql(f"SELECT {what} FROM read_parquet('{root}/.wharf/lake/landing/telemetry/{entity}/**/*.parquet')"
                      ).fetchone()


def _prepared(root: Path, what: str = "*") -> list[tuple]:
    """The device_readings dataset the preparation wrote (it reads readings through the landing view)."""
    return duckdb.sql(f"SELECT {what} FROM read_parquet('{root}/.wharf/lake/development/device_readings/*.parquet') "
                      "ORDER BY ALL").fetchall()


CAPTURE_COLUMNS = [("SequenceNumber", "BIGINT"), ("Offset", "VARCHAR"), ("EnqueuedTimeUtc", "VARCHAR"),
                   ("Body", "BLOB"), ("_loaded_at", "TIMESTAMP"), ("_run_id", "VARCHAR")]


def test_it_runs_locally_over_generated_capture_files(project: Path, built: Path) -> None:
    report = _run(project)
    copies = _copies(report)
    drop = project / ".wharf" / "lake" / "drop-telemetry"
    for entity in ("readings", "alerts"):
        hub = drop / "evhns-telemetry" / entity
        partitions = sorted(p.name for p in hub.iterdir())
        assert partitions == ["0", "1"]  # the catalog's 2 partitions, Capture's folder layout below them
        assert all(len(f.relative_to(hub).parts) == 7 for f in hub.rglob("*.avro"))  # p/yyyy/MM/dd/HH/mm/ss.avro
        events = _records(hub)
        copy = copies[entity]
        assert copy["rows_read"] == events > 0 and copy["rows_written"] == events and copy["rows_rejected"] == 0
        assert _landed(project, entity)[0] == events
        landed = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{project}/.wharf/lake/landing/telemetry/{entity}/"
                            "**/*.parquet')").fetchall()
        assert [(r[0], r[1]) for r in landed] == CAPTURE_COLUMNS  # what Azure's Copy lands: the translator's
    prepared = next(a for a in report["activities"] if a["activity"] == "prepare_readings/cetas")
    assert prepared["status"] == "Succeeded" and prepared["rows_written"] > 0
    # read at device.id inside each event, by the generated landing view's own SQL
    assert len(_prepared(project, "device_id")) == prepared["rows_written"]
    assert all(d is not None for (d,) in _prepared(project, "device_id"))
    notes = " ".join(report["not_verified_locally"])
    assert "Event Hubs Capture itself" in notes and "partitions" in notes and "checkpoints" in notes
    assert "VARBINARY(MAX)" in notes and "JSON_VALUE/TRY_CAST over Body" not in notes
    assert report["sql_translations"]["rewritten"]["ISJSON (DuckDB JSON functions, RFC 8259)"] >= 1


def _capture_file(bodies: list[bytes | None]) -> bytes:
    records = [{"SequenceNumber": i, "Offset": str(i * 100), "EnqueuedTimeUtc": "12/1/2026 9:00:00 AM",
                "SystemProperties": {}, "Properties": {"source": "gateway-1"}, "Body": body}
               for i, body in enumerate(bodies)]
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(CAPTURE_SCHEMA), records)
    return buffer.getvalue()


def test_a_bound_folder_of_capture_files_is_read_in_place(project: Path, tmp_path: Path) -> None:
    root = tmp_path / "bound"
    shutil.copytree(project, root, ignore=shutil.ignore_patterns(".wharf", "report.json"))
    capture = root / "capture" / "evhns-contoso" / "readings" / "3" / "2026" / "12" / "01" / "09" / "00"
    capture.mkdir(parents=True)
    good = {"reading_id": 1, "device": {"id": "d-1"}, "metrics": {"temperature": 21.5}, "ok": True,
            "measured_at": "2026-12-01T09:00:00"}
    hot = {**good, "reading_id": 2, "metrics": {"temperature": "hot"}}  # does not convert: NULL, as TRY_CAST
    bodies = [json.dumps(good).encode(), json.dumps(hot).encode(), b"not json", None]
    (capture / "00.avro").write_bytes(_capture_file(bodies))
    (capture / "30.avro").write_bytes(_capture_file([json.dumps({**good, "reading_id": 5}).encode()]))
    alerts = root / "capture" / "evhns-contoso" / "alerts" / "0" / "2026" / "12" / "01" / "09" / "00"
    alerts.mkdir(parents=True)
    (alerts / "00.avro").write_bytes(_capture_file([b'{"alert_id": 1, "level": "high", "raised_on": "2026-12-01"}']))
    before = {p: p.read_bytes() for p in (root / "capture").rglob("*.avro")}
    (root / "local.yaml").write_text("sources:\n  telemetry: {folder: capture}\n", encoding="utf-8")
    report = _run(root)
    readings = _copies(report)["readings"]
    assert (readings["rows_read"], readings["rows_written"], readings["rows_rejected"]) == (5, 5, 0), readings
    assert _landed(root, "readings", "COUNT(*), COUNT(Body)") == (5, 4)  # landed as captured, Body as bytes
    # Through the view: "hot" is no float (NULL, filtered out), the bodies that are not JSON give NULLs.
    assert _prepared(root, "reading_id, device_id, temperature, ok") == [(1, "d-1", 21.5, True), (5, "d-1", 21.5, True)]
    assert _copies(report)["alerts"]["rows_written"] == 1
    assert {p: p.read_bytes() for p in (root / "capture").rglob("*.avro")} == before  # never changed


def _errors(project: Path, tmp_path: Path, old: str, new: str) -> list[str]:
    return catalog_errors(project, tmp_path, TELEMETRY, old, new)


@pytest.mark.parametrize(("old", "new", "line", "says"), [
    ("  partitions: 2\n", "  partitions: 40\n", 4, "40 is greater than the maximum of 32"),
    ("  capture_interval_seconds: 120\n", "  capture_interval_seconds: 30\n", 6, "less than the minimum of 60"),
    ("    path: alerts\n", "    path: alerts/{yyyy}\n", 20, "the event hub's name"),
    ("kind: event_hub\n", "kind: event_hub\nformat: csv\n", 3, "takes no format"),
    ("kind: event_hub\n", "kind: event_hub\nconnection: {secret: hub-key}\n", 3, "uses no secret"),
    ("temperature: metrics.temperature}", "temp: metrics.temperature}", 11, "which is not a column of readings"),
    ("    path: readings\n", "    path: readings\n    records: data\n", 11, "takes no 'records'"),
])
def test_bad_options_are_located_errors(project: Path, tmp_path: Path, old: str, new: str, line: int,
                                        says: str) -> None:
    errors = _errors(project, tmp_path, old, new)
    assert len(errors) == 1 and says in errors[0], errors
    assert errors[0].startswith(f"{TELEMETRY}:{line}:"), errors


def test_the_stack_provisions_a_namespace_and_hubs_with_capture_into_landing(project: Path, built: Path) -> None:
    from lakewharf.infra.mocks import run_offline

    run = run_offline(project, "dev")
    namespace = run.one("eventhub:Namespace", "evhns-telemetry").inputs
    assert namespace["sku"]["name"] == "Standard" and namespace["identity"] == {"type": "SystemAssigned"}
    assert namespace["disableLocalAuth"] is True and namespace["minimumTlsVersion"] == "1.2"
    hub = run.one("eventhub:EventHub", "evh-telemetry-readings").inputs
    assert (hub["eventHubName"], hub["partitionCount"], hub["messageRetentionInDays"]) == ("readings", 2, 3)
    assert hub["namespaceName"] == namespace["namespaceName"] == run.outputs["event_hub_namespaces"]["telemetry"]
    capture = hub["captureDescription"]
    assert (capture["enabled"], capture["encoding"], capture["intervalInSeconds"], capture["sizeLimitInBytes"]) == (
        True, "Avro", 120, 100 * 1024 * 1024)
    destination = capture["destination"]
    assert destination["blobContainer"] == "landing" and destination["identity"] == {"type": "SystemAssigned"}
    assert destination["archiveNameFormat"] == "{Namespace}/{EventHub}/{PartitionId}/{Year}/{Month}/{Day}/{Hour}/" \
        "{Minute}/{Second}"
    writes = run.one("authorization:RoleAssignment", "ra-landing-evhns-telemetry-blob-contributor")
    assert writes.inputs["scope"].endswith("/containers/landing")
    assert writes.inputs["principalType"] == "ServicePrincipal"
    assert writes.urn in run.one("eventhub:EventHub", "evh-telemetry-readings").dependencies  # capture can write


def _through_view(view_script: str, bodies: list[bytes | None], tmp_path: Path) -> list[tuple]:
    """The generated view's SELECT, translated as the local serverless pool translates it, over a
    landing file holding ``bodies``."""
    import pyarrow
    import pyarrow.parquet

    from lakewharf.local.sql_activities import generated_view_select
    from lakewharf.local.tsql_translate import to_duckdb

    landed = tmp_path / "landed.parquet"
    pyarrow.parquet.write_table(pyarrow.table({"Body": pyarrow.array(bodies, pyarrow.binary())}), landed)
    sql = to_duckdb(generated_view_select(view_script), case_insensitive=False,
                    rowsets=lambda rowset: (str(landed), frozenset({"body"})))
    return duckdb.sql(sql).fetchall()


# Body → (reading_id bigint, device_id varchar(160), temperature float, ok bit, measured_at datetime2):
# what T-SQL's ISJSON, JSON_VALUE (lax) and TRY_CAST give, as Microsoft Learn documents them
# (JSON_VALUE: scalars only, NULL past 4,000 characters; ISJSON: objects and arrays only; bit takes
# true/false and integers; decimal text is no integer), and '' converting to 0 / 1900-01-01, which
# Learn does not print but SQL Server has always done (tests/local/tsql_corpus.yaml has the rest).
T_SQL_ANSWERS = [
    (b'{"reading_id": 7, "device": {"id": "d-1"}, "metrics": {"temperature": 21.5}, "ok": true, '
     b'"measured_at": "2026-12-01T09:30:00"}', (7, "d-1", 21.5, True, "2026-12-01 09:30:00")),
    (b'{"reading_id": "1.5", "device": {"id": {"nested": 1}}, "metrics": {"temperature": "nan"}, "ok": "yes", '
     b'"measured_at": "never"}', (None, None, None, None, None)),
    (b'{"reading_id": "", "device": {"id": 42}, "metrics": {"temperature": "1e400"}, "ok": "999", '
     b'"measured_at": "20261201"}', (0, "42", None, True, "2026-12-01 00:00:00")),
    (b'{"reading_id": " 12 ", "device": [1], "metrics": {"temperature": " 1E2 "}, "ok": "FALSE", '
     b'"measured_at": "12/1/2026 9:05"}', (12, None, 100.0, False, "2026-12-01 09:05:00")),
    (b'{"reading_id": 3, "device": {"id": "' + b"x" * 4001 + b'"}, "ok": 0}', (3, None, None, False, None)),
    (b'{"reading_id": 4, }', (None, None, None, None, None)),  # a trailing comma: DuckDB's reader takes it
    (b'{"reading_id": NaN}', (None, None, None, None, None)),  # NaN is no JSON either
    (b'[{"reading_id": 5}]', (None, None, None, None, None)),  # an array is JSON; $.reading_id is not in it
    (b'"reading_id"', (None, None, None, None, None)),  # a scalar: ISJSON is 0
    (b"not json", (None, None, None, None, None)),
    (b"\xff\xfe{}", (None, None, None, None, None)),  # not UTF-8
    (None, (None, None, None, None, None)),
]


def test_a_body_gives_through_the_translated_view_what_t_sql_gives(built: Path, tmp_path: Path) -> None:
    """Bodies that are not JSON, and values that do not convert, are NULLs through the generated
    landing view's own SQL, translated to DuckDB, exactly as T-SQL's functions give them."""
    view = (built / "synapse" / "serverless" / "landing" / "telemetry__readings.sql").read_text(encoding="utf-8")
    rows = _through_view(view, [body for body, _ in T_SQL_ANSWERS], tmp_path)
    got = [(*r[:4], None if r[4] is None else str(r[4])) for r in rows]
    assert got == [want for _, want in T_SQL_ANSWERS]


def test_the_local_run_runs_the_generated_view(project: Path, tmp_path: Path) -> None:
    """The view's SQL is what ran: the same change to the project's template changes the local result."""
    root = tmp_path / "changed"
    shutil.copytree(project, root, ignore=shutil.ignore_patterns(".wharf", "build", "report.json"))
    template = root / "templates" / "synapse" / "serverless" / "landing_capture_view.sql.j2"
    text = template.read_text(encoding="utf-8")
    value = "JSON_VALUE(e.[body], N'{{ paths[c.name] | replace(\"'\", \"''\") }}')"
    assert value in text
    template.write_text(text.replace(value, f"UPPER({value})"), encoding="utf-8")
    assert main(["generate", "--project", str(root)]) == 0
    view = (root / "build" / "synapse" / "serverless" / "landing" / "telemetry__readings.sql").read_text(
        encoding="utf-8")
    assert "TRY_CAST(UPPER(JSON_VALUE(e.[body], N'$.\"device\".\"id\"')) AS VARCHAR(160))" in view
    _run(root)
    before, after = _prepared(project, "device_id"), _prepared(root, "device_id")
    assert after == [(d.upper(),) for (d,) in before] and after != before  # generated ids are lower-case hex
