"""A project with an ``event_hub`` source (device telemetry through Event Hubs Capture):
``wharf init``'s project plus this source, a preparation reading it and a pipeline landing and
preparing it. One hub lands by the tumbling window, one in full."""

from __future__ import annotations

from pathlib import Path

SOURCE = """\
description: Device telemetry (Azure Event Hubs, landed by Capture).
kind: event_hub
options:
  partitions: 2
  retention_days: 3
  capture_interval_seconds: 120
  capture_size_mb: 100
entities:
  readings:
    path: readings
    fields: {device_id: device.id, temperature: metrics.temperature}
    load: {mode: incremental, watermark: measured_at}
    columns:
      reading_id: {type: bigint, nullable: false, primary_key: true}
      device_id: {type: string(40), nullable: false}
      temperature: {type: double}
      ok: {type: boolean}
      measured_at: {type: timestamp, nullable: false}
  alerts:
    path: alerts
    load: {mode: full}
    columns:
      alert_id: {type: int, nullable: false, primary_key: true}
      level: {type: string(10), nullable: false}
      raised_on: {type: date}
"""

DATASET = """\
description: Readings of the devices, as landed.
zone: development
input: telemetry.readings
steps:
  - filter: "temperature IS NOT NULL"
"""

PIPELINE = """
  land_telemetry:
    description: Land the telemetry hubs and prepare the readings.
    schedule: {tumbling_window: {frequency: hour, interval: 1, start: "2026-01-01T00:00:00Z"}}
    steps:
      land_telemetry: {ingest: telemetry}
      prepare_readings: {prepare: device_readings, after: [land_telemetry]}
"""


def add_event_hub_source(root: Path) -> Path:
    """Add the telemetry source, its preparation and its pipeline to an initialised project at ``root``."""
    (root / "catalog" / "sources" / "telemetry.yaml").write_text(SOURCE, encoding="utf-8")
    (root / "catalog" / "datasets" / "device_readings.yaml").write_text(DATASET, encoding="utf-8")
    pipelines = root / "pipelines.yaml"
    pipelines.write_text(pipelines.read_text(encoding="utf-8") + PIPELINE, encoding="utf-8")
    return root
