"""Policy as code: the security baseline of docs/security.md, written once.

Each rule (``rules.Rule``) carries its Checkov check ID and Microsoft cloud security benchmark
control. ``wharf plan`` runs them over the planned resources and fails on a mandatory violation,
naming resource, property and rule; ``pack.py`` serves the same rules as a Pulumi policy pack
(``pulumi preview --policy-pack policy``). Rule modules are registered here, in one place.
"""

from lakewharf.infra.policy import analytics, identity, services, storage  # noqa: F401  (registers the rules)
from lakewharf.infra.policy.rules import ADVISORY, MANDATORY, RULES, Rule, Violation, evaluate

__all__ = ["ADVISORY", "MANDATORY", "RULES", "Rule", "Violation", "evaluate"]
