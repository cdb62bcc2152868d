"""The rule catalogue: one registry, rules added by decorator, each ID defined once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from wardcloud.infra.graph import Resource

Severity = Literal["low", "medium", "high", "critical"]
Enforcement = Literal["advisory", "mandatory", "disabled"]
Kind = Literal["tenant", "resource", "graph", "backup"]  # backup: `wardctl backup verify` on live facts
# The three layers of enforcement (DESIGN.md): the cloud's own API policy refuses it (prevent), the
# plan/apply gate refuses to deploy it (block), drift finds it in the live cloud (detect).
Layer = Literal["prevent", "block", "detect"]
LAYERS: tuple[Layer, ...] = ("prevent", "block", "detect")
SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high", "critical")
ENFORCEMENTS: tuple[Enforcement, ...] = ("advisory", "mandatory", "disabled")

# Sources, spelled once so the catalogue reads consistently.
MIC = "MIC local-government information security policy guideline"
THREE_LAYER = f"{MIC}, three-layer separation (三層の対策)"
REPORT = "Study report on the 23 wards' shared cloud"
CIS = "CIS-style hygiene"


@dataclass(frozen=True)
class Finding:
    """One violation a check found: what is wrong, on which resource, where in the tenant file."""

    message: str
    resource: str | None = None
    path: str = ""  # tenant-file field path (`security_groups[0].ingress[1]`), for locating the result
    ward: str | None = None  # graph rules name the ward; tenant and resource rules know it already


@dataclass(frozen=True)
class Rule:
    """A policy rule: stable ID, metadata, and one pure check function."""

    id: str
    title: str
    severity: Severity
    enforcement: Enforcement
    source: str
    remediation: str
    kind: Kind
    check: Callable[..., Iterable[Finding]] = field(compare=False, repr=False)
    waivable: bool = True
    types: tuple[str, ...] = ()  # resource rules: the Pulumi type tokens the check reads
    layers: tuple[Layer, ...] = ()  # which layers carry the rule, in LAYERS order

    @property
    def area(self) -> str:
        return self.id.split("-")[0]

    def applies_to(self, resource: Resource) -> bool:
        """Whether a resource rule reads this resource (every type when `types` is empty)."""
        return not self.types or resource.type in self.types

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "severity": self.severity,
            "enforcement": self.enforcement,
            "source": self.source,
            "remediation": self.remediation,
            "kind": self.kind,
            "waivable": self.waivable,
            "types": list(self.types),
            "layers": list(self.layers),
        }


class Registry:
    """Rules by ID; registering an ID twice is a programming error."""

    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}

    def rule(
        self,
        id: str,
        *,
        title: str,
        severity: Severity,
        source: str,
        remediation: str,
        kind: Kind,
        enforcement: Enforcement = "mandatory",
        waivable: bool = True,
        types: Sequence[str] = (),
        layers: Sequence[Layer] | None = None,
    ) -> Callable[[Callable[..., Iterable[Finding]]], Callable[..., Iterable[Finding]]]:
        """Decorator: register the function as the check of rule `id`."""

        def register(check: Callable[..., Iterable[Finding]]) -> Callable[..., Iterable[Finding]]:
            if id in self._rules:
                raise ValueError(f"policy rule {id} is defined twice")
            if severity not in SEVERITIES or enforcement not in ENFORCEMENTS:
                raise ValueError(f"policy rule {id}: bad severity or enforcement")
            carried = default_layers(kind) if layers is None else tuple(layers)
            if any(layer not in LAYERS for layer in carried):
                raise ValueError(f"policy rule {id}: unknown layer in {carried}")
            self._rules[id] = Rule(
                id, title, severity, enforcement, source, remediation, kind, check, waivable, tuple(types),
                _ordered(carried),
            )
            return check

        return register

    def __iter__(self) -> Iterator[Rule]:
        return iter(sorted(self._rules.values(), key=lambda r: r.id))

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def __getitem__(self, rule_id: str) -> Rule:
        return self._rules[rule_id]

    def add_layer(self, rule_id: str, layer: Layer) -> None:
        """Record that `layer` also carries rule `rule_id` (the guardrails add `prevent`)."""
        if rule_id not in self._rules:
            raise ValueError(f"layer {layer} names unknown policy rule {rule_id}")
        current = self._rules[rule_id]
        self._rules[rule_id] = replace(current, layers=_ordered((*current.layers, layer)))

    def ids(self) -> Mapping[str, Rule]:
        return dict(self._rules)


def default_layers(kind: Kind) -> tuple[Layer, ...]:
    """Tenant rules judge the YAML (plan time only); resource and graph rules also run on the live graph;
    backup rules judge the live backup service."""
    if kind == "backup":  # `backup verify` on the live backup service only
        return ("detect",)
    return ("block",) if kind == "tenant" else ("block", "detect")


def _ordered(layers: Iterable[Layer]) -> tuple[Layer, ...]:
    wanted = set(layers)
    return tuple(layer for layer in LAYERS if layer in wanted)


# The catalogue. Populated by importing `policies.rules`; constant after import.
REGISTRY = Registry()
rule = REGISTRY.rule


def catalogue() -> Registry:
    """The full rule registry (imports every rule module once)."""
    import wardcloud.policies.guardrails  # noqa: F401 - marks the rules the cloud's API policy prevents
    import wardcloud.policies.rules  # noqa: F401 - registers the rules

    return REGISTRY
