"""The rules as a Pulumi policy pack: ``pulumi preview --policy-pack policy`` (see docs/security.md).

``policy/__main__.py`` in the project calls ``serve()``; ``policies()`` builds the pulumi-policy
objects, one ``ResourceValidationPolicy`` per rule, so the pack enforces exactly what ``wharf plan``
checks.
"""

from __future__ import annotations

from typing import Any

from lakewharf.infra.policy import MANDATORY, RULES, Rule

PACK_NAME = "lakewharf-security-baseline"


def _validator(r: Rule) -> Any:
    def validate(args: Any, report_violation: Any) -> None:
        if args.resource_type not in r.types:
            return
        for prop, message in r.check(args.props):
            report_violation(f"{prop}: {message} [{r.reference}]", None)
    return validate


def policies() -> list[Any]:
    from pulumi_policy import EnforcementLevel, PolicyComplianceFramework, ResourceValidationPolicy

    return [ResourceValidationPolicy(
        name=r.id, description=f"{r.title} ({r.reference})", validate=_validator(r),
        enforcement_level=EnforcementLevel.MANDATORY if r.enforcement == MANDATORY else EnforcementLevel.ADVISORY,
        framework=PolicyComplianceFramework(name="Microsoft cloud security benchmark", version="v1", reference=r.mcsb),
    ) for r in RULES]


def serve() -> None:
    """Start the pack's analyzer (blocks; the Pulumi CLI reads the port from stdout and stops it)."""
    from pulumi_policy import PolicyPack

    PolicyPack(name=PACK_NAME, policies=policies(), description="lakewharf security baseline (docs/security.md)")
