"""Streams: an Event Hubs namespace per ``event_hub`` source, a hub per entity, Capture into landing.

- Namespace: Standard tier (Basic has no Capture), one throughput unit, TLS 1.2, local (SAS key)
  auth off so producers and consumers use Entra ID, the stack's public-access setting, and a
  system-assigned identity that Capture writes with.
  https://learn.microsoft.com/azure/event-hubs/event-hubs-quotas
- Event hub: the catalog's partitions and retention days (``messageRetentionInDays``: 1-7 on
  Standard), Capture on: Avro, the catalog's time and size windows, empty windows skipped, files
  named by the default ``archiveNameFormat`` in the source's landing container.
  https://learn.microsoft.com/azure/event-hubs/event-hubs-capture-overview
- Capture authenticates with the namespace's managed identity, which holds Storage Blob Data
  Contributor on that container only; Event Hubs is a trusted Microsoft service, so the lake's
  default-deny network rules (trusted services through) let it write.
  https://learn.microsoft.com/azure/event-hubs/event-hubs-capture-managed-identity
  https://learn.microsoft.com/azure/storage/common/storage-network-security#trusted-access-for-resources-registered-in-your-subscription
"""

from __future__ import annotations

import hashlib

import pulumi
from pulumi_azure_native import eventhub

from lakewharf.infra import roles
from lakewharf.infra.access import Grant
from lakewharf.infra.common import TYPE_PREFIX, Context, assign_role, child
from lakewharf.infra.lake import Lake
from lakewharf.infra.network import public_access
from lakewharf.model.catalog import Catalog, Source
from lakewharf.sources.event_hub import CaptureKind
from lakewharf.sources.registry import kind_of

MB = 1024 * 1024


def capture_sources(catalog: Catalog) -> list[Source]:
    return [s for _, s in sorted(catalog.sources.items()) if isinstance(kind_of(s), CaptureKind)]


def namespace_name(ctx: Context, source: Source) -> str:
    """6-50 letters, digits and hyphens, globally unique: one per source and environment. A source
    name too long for 50 characters is cut and given 4 hex characters of its hash (still unique)."""
    slug = source.name.replace("_", "-")
    name = ctx.names.dashed("evhns", extra="-" + slug, unique=True, max_len=50)
    if len(name) > 50:
        digest = hashlib.sha256(source.name.encode()).hexdigest()[:4]
        room = max(1, len(slug) - (len(name) - 50) - 5)
        name = ctx.names.dashed("evhns", extra=f"-{slug[:room].rstrip('-')}-{digest}", unique=True, max_len=50)
    return name


class Streams(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, catalog: Catalog, lake: Lake) -> None:
        super().__init__(f"{TYPE_PREFIX}:Streams", name, None)
        self.namespaces: dict[str, eventhub.Namespace] = {}
        self.hubs: dict[str, eventhub.EventHub] = {}
        for source in capture_sources(catalog):
            kind = kind_of(source)
            assert isinstance(kind, CaptureKind)
            settings = kind.capture(source)
            namespace = eventhub.Namespace(
                f"evhns-{source.name}", namespace_name=namespace_name(ctx, source),
                resource_group_name=ctx.resource_group_name, location=ctx.location, tags=ctx.tags,
                sku={"name": "Standard", "tier": "Standard", "capacity": 1},
                identity={"type": "SystemAssigned"}, disable_local_auth=True, minimum_tls_version="1.2",
                public_network_access=public_access(ctx), opts=child(self))
            landing = catalog.platform.zones[source.landing_zone]
            grant = Grant(f"identity:evhns-{source.name.replace('_', '-')}", roles.BLOB_CONTRIBUTOR,
                          f"zone:{source.landing_zone}",
                          (f"Event Hubs Capture of source {source.name} writes into the {landing.name} zone",))
            writes = assign_role(ctx, grant, principal_id=namespace.identity.apply(
                lambda i: i.principal_id if i else ""), scope=lake.filesystem_id(grant.scope), parent=self)
            self.namespaces[source.name] = namespace
            for entity in sorted(source.entities.values(), key=lambda e: e.name):
                self.hubs[entity.ref] = eventhub.EventHub(
                    f"evh-{source.name}-{entity.name}", event_hub_name=entity.path,
                    namespace_name=namespace.name, resource_group_name=ctx.resource_group_name,
                    partition_count=settings["partitions"], message_retention_in_days=settings["retention_days"],
                    capture_description={
                        "enabled": True, "encoding": "Avro", "skip_empty_archives": True,
                        "interval_in_seconds": settings["capture_interval_seconds"],
                        "size_limit_in_bytes": settings["capture_size_mb"] * MB,
                        "destination": {
                            "name": "EventHubArchive.AzureBlockBlob",  # Capture to Azure Storage
                            "blob_container": landing.filesystem,
                            "archive_name_format": settings["archive_name_format"],
                            "storage_account_resource_id": lake.account.id,
                            "identity": {"type": "SystemAssigned"},
                        },
                    },
                    opts=child(self, depends_on=[writes]))
        self.register_outputs({"namespaces": {n: ns.name for n, ns in self.namespaces.items()}})
