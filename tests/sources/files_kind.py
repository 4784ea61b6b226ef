"""A project with a ``files`` source (scanned documents and recordings in Blob Storage): ``wharf
init``'s project plus this source and a pipeline landing it. One entity reads the run's day
folder (full), one selects the files modified since the last run (incremental)."""

from __future__ import annotations

from pathlib import Path

SOURCE = """\
description: Scanned delivery notes and call recordings (binary files in Blob Storage).
kind: files
connection: {secret: media-container-sas-url}
entities:
  scans:
    path: scans/{yyyy}/{MM}/{dd}/*.png
    load: {mode: full}
    columns:
      path: {type: string(1024), nullable: false, primary_key: true}
      name: {type: string(255), nullable: false}
      landed_path: {type: string(1024), nullable: false}
      size_bytes: {type: bigint, nullable: false}
      content_type: {type: string(100), nullable: false}
      modified_at: {type: timestamp, nullable: false}
      content_md5: {type: string(24)}
  recordings:
    path: calls/call-*
    load: {mode: incremental, watermark: modified_at}
    columns:
      path: {type: string(1024), nullable: false, primary_key: true}
      size_bytes: {type: bigint, nullable: false}
      content_type: {type: string(100), nullable: false}
      modified_at: {type: timestamp, nullable: false}
      content_md5: {type: string(24)}
"""

# A preparation reads the metadata table like any landing data (serverless SQL over the Parquet).
DATASET = """\
description: The scanned delivery notes that are images, newest first per path.
zone: trusted
input: media.scans
steps:
  - dedupe: {keys: [path], latest_by: modified_at}
  - filter: "content_type LIKE 'image/%'"
  - select: [path, landed_path, size_bytes, content_type, modified_at]
"""

PIPELINE = """
  land_media:
    description: Land the media files and their metadata, and index the scans.
    schedule: {cron: "0 4 * * *", timezone: UTC}
    steps:
      land_media: {ingest: media}
      scan_index: {prepare: scan_index, after: [land_media]}
"""


def add_files_source(root: Path) -> Path:
    """Add the media source, a preparation of its scans and their pipeline to an initialised project at ``root``."""
    (root / "catalog" / "sources" / "media.yaml").write_text(SOURCE, encoding="utf-8")
    (root / "catalog" / "datasets" / "scan_index.yaml").write_text(DATASET, encoding="utf-8")
    pipelines = root / "pipelines.yaml"
    pipelines.write_text(pipelines.read_text(encoding="utf-8") + PIPELINE, encoding="utf-8")
    return root
