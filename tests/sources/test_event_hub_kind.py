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
from kind_projects import adf_doc, init_with

from lakewharf.cli.main import main
from lakewharf.errors import CatalogInvalid
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
    assert _landed(project, "readings", "COUNT(device_id)")[0] > 0  # read at device.id inside each event
    prepared = next(a for a in report["activities"] if a["activity"] == "prepare_readings/cetas")
    assert prepared["status"] == "Succeeded" and prepared["rows_written"] > 0
    notes = " ".join(report["not_verified_locally"])
    assert "Event Hubs Capture itself" in notes and "partitions" in notes and "checkpoints" in notes
    assert "JSON_VALUE/TRY_CAST" in notes


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
    assert _landed(root, "readings", "COUNT(*), COUNT(reading_id), COUNT(temperature)") == (5, 3, 2)
    assert any("2 event(s) have a Body that is not a JSON object" in w for w in report["warnings"]), report["warnings"]
    assert _copies(report)["alerts"]["rows_written"] == 1
    assert {p: p.read_bytes() for p in (root / "capture").rglob("*.avro")} == before  # never changed


def _errors(project: Path, tmp_path: Path, old: str, new: str) -> list[str]:
    copy = tmp_path / "copy"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns(".wharf", "build", "report.json"))
    path = copy / TELEMETRY
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(CatalogInvalid) as info:
        load_catalog(copy)
    return [str(e) for e in info.value.errors]


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


def test_the_local_read_follows_json_value_and_try_cast(tmp_path: Path) -> None:
    """Scalars only (objects, arrays and text over 4,000 characters are NULL, as JSON_VALUE's lax
    mode gives), then TRY_CAST: a value that does not convert is NULL, never a rejected event."""
    from lakewharf.local.capture_files import read_capture, typed_select
    from lakewharf.model.catalog import Column, Entity
    from lakewharf.model.types import DataType

    columns = (Column("n", DataType.parse("int")), Column("flag", DataType.parse("boolean")),
               Column("note", DataType.parse("string")), Column("at", DataType.parse("timestamp")))
    entity = Entity("s", "e", None, "e", "full", None, columns, api={"fields": {"at": "meta.at"}})
    bodies = [{"n": 7, "flag": True, "note": "ok", "meta": {"at": "2026-12-01T09:30:00"}},
              {"n": "seven", "flag": "yes", "note": {"nested": 1}, "meta": {"at": "never"}},
              {"n": 1.5, "note": "x" * 4001, "meta": "flat"}]
    path = tmp_path / "00.avro"
    path.write_bytes(_capture_file([json.dumps(b).encode() for b in bodies] + [b"\xff\xfe"]))
    table, records, not_json = read_capture([str(path)], entity)
    assert (records, not_json, table.num_rows) == (4, 1, 4)
    con = duckdb.connect()
    con.register("capture_rows", table)
    rows = con.execute(f"SELECT n, flag, note, \"at\", __line FROM {typed_select(entity, 'capture_rows')}").fetchall()
    assert rows[0][:3] == (7, True, "ok") and str(rows[0][3]) == "2026-12-01 09:30:00"
    assert rows[1][:4] == (None, None, None, None)  # "seven", "yes" (T-SQL's BIT takes true/false), an object
    assert rows[2][:3] == (None, None, None)  # 1.5 is no int; no flag; text over 4,000 characters
    assert rows[3] == (None, None, None, None, 4)  # the body that is not UTF-8 JSON: every column NULL
