"""The ``files`` kind in a ``wharf init`` project: it validates, generates what the Data Factory
models and the flow check accept (a Binary dataset, Get Metadata, Filter, ForEach, a Binary Copy
with PreserveHierarchy and the metadata Copy), and runs locally: every file is copied byte for
byte and has one metadata row whose size, content type and Content-MD5 are the file's; bad
entities are located errors."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import shutil
import wave
from pathlib import Path

import duckdb
import pytest
from files_kind import add_files_source
from kind_projects import adf_doc, catalog_errors, init_with

from lakewharf.cli.main import main
from lakewharf.project import load_catalog
from lakewharf.sources.files import content_type, metadata_query, metadata_rows
from lakewharf.sources.files_samples import sample_files
from lakewharf.verify.tsql import check_sql_text

MEDIA = "catalog/sources/media.yaml"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return init_with(tmp_path_factory, "files", add_files_source)


def _items(build: Path) -> dict[str, dict]:
    return {i["target"]: i for f in sorted((build / "control" / "pl_land_media").glob("*.json"))
            for i in json.loads(f.read_text(encoding="utf-8"))}


def test_it_validates(project: Path) -> None:
    source = load_catalog(project).sources["media"]
    assert source.kind == "files" and source.format is None and source.secret == "media-container-sas-url"
    assert [c.name for c in source.entities["recordings"].columns][:2] == ["path", "size_bytes"]


def test_the_worker_lists_copies_and_describes_the_files(built: Path) -> None:
    dataset = adf_doc(built, "dataset", "ds_src_files")
    assert dataset["type"] == "Binary" and set(dataset["parameters"]) >= {"folder", "file"}
    worker = adf_doc(built, "pipeline", "wk_ingest_files_incremental")
    steps = {a["name"]: a for a in worker["activities"]}
    order = ["old_watermark", "list_files", "pick_files", "copy_files", "each_file", "write_metadata",
             "save_watermark"]
    assert [a["name"] for a in worker["activities"] if not a["name"].endswith("__failed")] == order
    listing = steps["list_files"]["typeProperties"]
    assert listing["fieldList"] == ["exists", "childItems"]
    assert listing["storeSettings"]["modifiedDatetimeStart"]["value"].startswith("@activity('old_watermark')")
    copy = steps["copy_files"]["typeProperties"]
    assert copy["source"]["type"] == "BinarySource" and copy["sink"]["type"] == "BinarySink"
    assert copy["sink"]["storeSettings"]["copyBehavior"] == "PreserveHierarchy"
    assert copy["source"]["storeSettings"]["modifiedDatetimeEnd"] == listing["storeSettings"]["modifiedDatetimeEnd"]
    inner = {a["name"]: a for a in steps["each_file"]["typeProperties"]["activities"]}
    assert inner["file_metadata"]["typeProperties"]["fieldList"] == ["itemName", "size", "lastModified", "contentMD5"]
    assert inner["add_file"]["type"] == "AppendVariable" and worker["variables"]["files"]["type"] == "Array"
    write = steps["write_metadata"]["typeProperties"]
    assert write["source"]["type"] == "SqlDWSource" and write["sink"]["type"] == "ParquetSink"
    assert write["enableSkipIncompatibleRow"] is True
    full = {a["name"] for a in adf_doc(built, "pipeline", "wk_ingest_files_full")["activities"]}
    assert "old_watermark" not in full and "copy_files" in full


def test_an_entity_is_an_item_not_activities(built: Path) -> None:
    items = _items(built)
    scans, recordings = items["media.scans"], items["media.recordings"]
    assert (scans["source_folder"], scans["name_prefix"], scans["name_suffix"]) == (
        "scans/{yyyy}/{MM}/{dd}", "", ".png")
    assert (recordings["wildcard_file"], recordings["name_prefix"]) == ("call-*", "call-")
    assert recordings["files_folder"] == "media/_files/recordings" and "old_query" in recordings
    assert "OPENJSON(N'{{files}}')" in recordings["metadata_query"]
    assert "image/png" in recordings["metadata_query"]  # the content types, from the same table


def test_it_runs_locally_every_file_copied_and_described(project: Path, built: Path) -> None:
    report = _run(project)
    drop = project / ".wharf" / "lake" / "drop-media"
    for entity, pattern in (("scans", "scans/*/*/*/*.png"), ("recordings", "calls/call-*")):
        sources = {p.relative_to(drop).as_posix(): p.read_bytes() for p in drop.glob(pattern)}
        copy, meta = report[f"{entity}/copy_files"], report[f"{entity}/write_metadata"]
        assert len(sources) >= 3 and copy["rows_read"] == copy["rows_written"] == len(sources), copy
        assert meta["rows_read"] == meta["rows_written"] == len(sources) and meta["rows_rejected"] == 0
        rows = duckdb.sql(f"SELECT * FROM read_parquet('{project}/.wharf/lake/landing/media/{entity}/**/*.parquet')")
        by_path = {r["path"]: r for r in (dict(zip(rows.columns, v, strict=True)) for v in rows.fetchall())}
        assert set(by_path) == set(sources)
        for path, data in sources.items():
            row = by_path[path]
            assert row["size_bytes"] == len(data) and row["content_type"] == content_type(path)
            assert row["content_md5"] == base64.b64encode(hashlib.md5(data).digest()).decode()
            if entity == "scans":
                assert (project / ".wharf" / "lake" / "landing" / row["landed_path"]).read_bytes() == data
    full = json.loads((project / "report.json").read_text())
    prepared = next(a for a in full["activities"] if a["activity"] == "scan_index/cetas")
    scans = report["scans/write_metadata"]["rows_written"]
    assert prepared["rows_written"] == scans == duckdb.sql(  # serverless SQL reads the metadata like any landing
        f"SELECT COUNT(*) FROM read_parquet('{project}/.wharf/lake/trusted/scan_index/**/*.parquet')").fetchone()[0]
    notes = " ".join(full["not_verified_locally"])
    assert "Content-MD5 on the real store" in notes and "OPENJSON" in notes


def test_the_samples_are_real_files() -> None:
    files = sample_files("f", "", "", 3)
    png, pdf, wav = (files[f"f/sample-00{n}{ext}"] for n, ext in ((1, ".png"), (2, ".pdf"), (3, ".wav")))
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png.endswith(b"IEND\xaeB`\x82")
    assert pdf.startswith(b"%PDF-1.4") and b"startxref" in pdf and pdf.rstrip().endswith(b"%%EOF")
    with wave.open(io.BytesIO(wav)) as sound:
        assert sound.getnframes() == 800 and sound.getframerate() == 8000
    assert sample_files("f", "", "", 3) == files  # deterministic


def test_the_metadata_query_and_its_local_rows_agree() -> None:
    listing = json.dumps([{"itemName": "it's.PDF", "size": 3, "lastModified": "2026-11-30T10:00:00Z"}])
    query = (metadata_query("docs/o'neil").replace("{{files}}", listing.replace("'", "''"))
             .replace("{{landed_folder}}", "src/_files/docs/2026/11/30/run"))
    assert check_sql_text(query) == []  # sqlfluff's T-SQL parser accepts the query the pool runs
    [row] = metadata_rows(query)
    assert row["path"] == "docs/o'neil/it's.PDF" and row["content_type"] == "application/pdf"
    assert row["landed_path"] == "src/_files/docs/2026/11/30/run/docs/o'neil/it's.PDF" and row["content_md5"] is None


def _run(root: Path) -> dict[str, dict]:
    report_file = root / "report.json"
    assert main(["run", "land_media", "--project", str(root), "--report", str(report_file)]) == 0
    report = json.loads(report_file.read_text(encoding="utf-8"))
    return {a["activity"].removeprefix("land_media__"): a for a in report["activities"] if a["type"] == "Copy"}


def test_a_bound_folder_of_the_users_files(project: Path, tmp_path: Path) -> None:
    root = tmp_path / "bound"
    shutil.copytree(project, root, ignore=shutil.ignore_patterns(".wharf", "build", "report.json"))
    media = root / "my-media"
    calls = media / "calls"
    calls.mkdir(parents=True)
    (calls / "call-1.wav").write_bytes(sample_files("x", "", ".wav", 1)["x/sample-001.wav"])
    (calls / "call-2.mp3").write_bytes(b"ID3 not really an mp3")
    (calls / "memo.txt").write_bytes(b"not a call")  # outside the name pattern
    (calls / "CALL-3.wav").write_bytes(b"other case")  # Blob wildcards and the Filter are case-sensitive
    (calls / "call-old").mkdir()  # a folder: a windowed Get Metadata lists files only
    (calls / "call-old" / "call-9.wav").write_bytes(b"below the folder")
    day = media / "scans" / dt.datetime.now(dt.UTC).strftime("%Y/%m/%d")
    day.mkdir(parents=True)
    (day / "note.png").write_bytes(sample_files("x", "", ".png", 1)["x/sample-001.png"])
    (root / "local.yaml").write_text("sources:\n  media: {folder: my-media}\n", encoding="utf-8")
    assert main(["generate", "--project", str(root)]) == 0
    report = _run(root)
    assert report["recordings/copy_files"]["rows_written"] == 2 == report["recordings/write_metadata"]["rows_written"]
    assert report["scans/copy_files"]["rows_written"] == 1 == report["scans/write_metadata"]["rows_written"]
    rows = duckdb.sql(f"SELECT path, content_type FROM read_parquet('{root}/.wharf/lake/landing/media/recordings/"
                      "**/*.parquet') ORDER BY path").fetchall()
    assert rows == [("calls/call-1.wav", "audio/wav"), ("calls/call-2.mp3", "audio/mpeg")]
    assert sorted(p.name for p in calls.rglob("*")) == ["CALL-3.wav", "call-1.wav", "call-2.mp3", "call-9.wav",
                                                         "call-old", "memo.txt"]  # the user's files never changed
    again = _run(root)  # incremental: nothing modified since the last run
    assert again["recordings/copy_files"]["rows_read"] == 0 == again["recordings/write_metadata"]["rows_read"]


def _errors(project: Path, tmp_path: Path, old: str, new: str) -> list[str]:
    return catalog_errors(project, tmp_path, MEDIA, old, new)


@pytest.mark.parametrize(("old", "new", "line", "says"), [
    ("kind: files\n", "kind: files\nformat: csv\n", 3, "takes no format"),
    ("path: calls/call-*", "path: calls/*/call-*", 17, "has wildcards"),
    ("path: calls/call-*", "path: calls/call.wav", 17, "name pattern is <prefix>*<suffix>"),
    ("path: calls/call-*", "path: call-*", 17, "its path names one"),
    ("path: calls/call-*", "path: calls/{yyyy}/call-*", 17, "takes no date placeholders"),
    ("      size_bytes: {type: bigint, nullable: false}\n      content_type",
     "      size_bytes: {type: int, nullable: false}\n      content_type", 12, "size_bytes is bigint"),
    ("      content_md5: {type: string(24)}\n  recordings",
     "      content_md5: {type: string(24)}\n      sha256: {type: string(64)}\n  recordings", 16,
     "'sha256' is not a files metadata column"),
    ("      path: {type: string(1024), nullable: false, primary_key: true}\n      size_bytes",
     "      size_bytes", 20, "needs the column 'path'"),
])
def test_bad_entities_are_located_errors(project: Path, tmp_path: Path, old: str, new: str, line: int,
                                         says: str) -> None:
    errors = _errors(project, tmp_path, old, new)
    assert len(errors) == 1 and says in errors[0], errors
    assert errors[0].startswith(f"{MEDIA}:{line}:"), errors


def test_a_tumbling_window_selects_the_files_of_its_window(project: Path, tmp_path: Path) -> None:
    root = tmp_path / "windowed"
    shutil.copytree(project, root, ignore=shutil.ignore_patterns(".wharf", "build", "report.json"))
    pipelines = root / "pipelines.yaml"
    text = pipelines.read_text(encoding="utf-8")
    cron = '    schedule: {cron: "0 4 * * *", timezone: UTC}\n    steps:\n      land_media'
    assert cron in text
    pipelines.write_text(text.replace(cron, '    schedule: {tumbling_window: {frequency: hour, interval: 1, '
                                            'start: "2026-01-01T00:00:00Z"}}\n    steps:\n      land_media'),
                         encoding="utf-8")
    assert main(["generate", "--check", "--project", str(root)]) == 0
    worker = adf_doc(root / "build", "pipeline", "wk_ingest_files_window")
    steps = {a["name"]: a["typeProperties"] for a in worker["activities"]}
    window = {"modifiedDatetimeStart": {"value": "@pipeline().parameters.window_start", "type": "Expression"},
              "modifiedDatetimeEnd": {"value": "@pipeline().parameters.window_end", "type": "Expression"}}
    assert {k: steps["list_files"]["storeSettings"][k] for k in window} == window
    assert {k: steps["copy_files"]["source"]["storeSettings"][k] for k in window} == window
    assert "old_watermark" not in steps and "save_watermark" not in steps  # the trigger keeps the windows
