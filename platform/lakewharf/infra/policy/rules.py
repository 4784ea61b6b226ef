"""One rule type, one registry, one evaluator: the baseline written once, run by ``wharf plan`` and by
the Pulumi policy pack (``policy/pack.py``).

A rule looks at one resource's inputs as the provider receives them (camelCase keys, the shape of
``wharf plan --json`` and of a policy pack's ``args.props``) and yields ``(property, message)``
for each problem. Each names the Checkov check it mirrors (``None`` where Checkov has none) and the
Microsoft cloud security benchmark control: https://learn.microsoft.com/security/benchmark/azure/overview
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Problems = Iterator[tuple[str, str]]
Check = Callable[[Mapping[str, Any]], Iterable[tuple[str, str]]]
MANDATORY = "mandatory"  # fails the plan, blocks `pulumi up --policy-pack`
ADVISORY = "advisory"  # reported, never blocks: something the stack asked for explicitly
UNKNOWN = "<computed>"  # how the offline plan shows a value Azure assigns (mocks.COMPUTED)
_MISSING = object()


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    types: tuple[str, ...]  # Pulumi type tokens, e.g. azure-native:storage:StorageAccount
    mcsb: str  # Microsoft cloud security benchmark control, e.g. NS-2
    checkov: str | None  # the Checkov check it mirrors
    check: Check
    enforcement: str = MANDATORY

    @property
    def reference(self) -> str:
        return f"{self.checkov or 'no Checkov check'}; MCSB {self.mcsb}"


@dataclass(frozen=True)
class Violation:
    rule: Rule
    resource_type: str
    resource: str  # logical name
    property: str
    message: str

    def __str__(self) -> str:
        return (f"{self.resource} ({self.resource_type}) {self.property}: {self.message} "
                f"[{self.rule.id}, {self.rule.reference}]")


RULES: list[Rule] = []


def rule(id: str, title: str, *types: str, mcsb: str, checkov: str | None,
         enforcement: str = MANDATORY) -> Callable[[Check], Check]:
    """Register a check: ``@rule("LW-ST-1", "…", "azure-native:storage:StorageAccount", mcsb=…, checkov=…)``."""
    def register(check: Check) -> Check:
        if any(r.id == id for r in RULES):
            raise ValueError(f"rule {id} registered twice")
        RULES.append(Rule(id, title, tuple(types), mcsb, checkov, check, enforcement))
        return check
    return register


def get(props: Mapping[str, Any], path: str, default: Any = None) -> Any:
    """``get(props, "networkRuleSet.defaultAction")``: nested lookup that tolerates missing levels."""
    value: Any = props
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return default
        value = value[part]
    return value


def known(value: Any) -> bool:
    return value is not _MISSING and value != UNKNOWN


def expect(props: Mapping[str, Any], path: str, wanted: Any, why: str) -> Problems:
    """One problem unless ``path`` holds ``wanted`` (a value the service computes later passes)."""
    value = get(props, path, _MISSING)
    if value is _MISSING:
        yield path, f"not set (must be {wanted!r}): {why}"
    elif known(value) and value != wanted:
        yield path, f"is {value!r}, must be {wanted!r}: {why}"


def items(value: Any) -> Sequence[Any]:
    return value if isinstance(value, Sequence) and not isinstance(value, str) else ()


def evaluate(resources: Iterable[tuple[str, str, Mapping[str, Any]]]) -> list[Violation]:
    """Every rule over ``(type token, logical name, inputs)`` triples, in rule then resource order."""
    listed = list(resources)
    out = []
    for r in RULES:
        for token, name, props in listed:
            if token in r.types:
                out += [Violation(r, token, name, prop, msg) for prop, msg in r.check(props)]
    return out
