"""Pulumi policy pack entry point (``pulumi preview --policy-pack policy``): the rules live in
``lakewharf.infra.policy``, written once and also run by ``wharf plan``."""

from lakewharf.infra.policy.pack import serve

serve()
