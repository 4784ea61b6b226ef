"""A project with a ``rest`` source (a helpdesk SaaS API): ``wharf init``'s project plus this source
and a pipeline landing it. One entity pages by next-page URL, one by an offset range."""

from __future__ import annotations

from pathlib import Path

SOURCE = """\
description: The helpdesk SaaS (REST API, service principal from Key Vault).
kind: rest
options:
  base_url: https://helpdesk.example.com/api/v2/
  auth: service_principal
  client_id: 5f1c2b7e-0000-4000-8000-000000000001
  tenant_id: contoso.onmicrosoft.com
  aad_resource_id: https://helpdesk.example.com
connection: {secret: helpdesk-api-client-secret}
entities:
  tickets:
    path: tickets?status=all
    records: data
    pagination: {AbsoluteUrl: $.links.next}
    headers: {Accept-Language: en}
    fields: {ticket_id: id, requester: requester.email, opened_at: created}
    load: {mode: full}
    columns:
      ticket_id: {type: bigint, nullable: false, primary_key: true}
      requester: {type: string(200), privacy: personal}
      priority: {type: int}
      opened_at: {type: timestamp, nullable: false}
  agents:
    path: agents?offset={offset}&limit=50
    records: result.items
    pagination: {"QueryParameters.{offset}": "RANGE:0:2000:50", "EndCondition:$.result.items": Empty}
    load: {mode: full}
    columns:
      agent_id: {type: int, nullable: false, primary_key: true}
      name: {type: string(100), nullable: false}
      hired_on: {type: date}
"""

PIPELINE = """
  land_helpdesk:
    description: Land the helpdesk API.
    schedule: {cron: "0 3 * * *", timezone: UTC}
    steps:
      land_helpdesk: {ingest: helpdesk}
"""


def add_rest_source(root: Path) -> Path:
    """Add the helpdesk source and its pipeline to an initialised project at ``root``."""
    (root / "catalog" / "sources" / "helpdesk.yaml").write_text(SOURCE, encoding="utf-8")
    pipelines = root / "pipelines.yaml"
    pipelines.write_text(pipelines.read_text(encoding="utf-8") + PIPELINE, encoding="utf-8")
    return root
