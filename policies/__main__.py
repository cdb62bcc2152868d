"""The CrossGuard policy pack: the registry's resource and graph rules as a `pulumi_policy.PolicyPack`.

Run by the Pulumi CLI (`pulumi preview --policy-pack policies`); tenant (spec) rules stay with
`wardctl policy check`, which sees the tenant files. Waivers from the tenant files apply here too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from pulumi_policy import (  # noqa: E402
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from wardcloud.infra.graph import Resource  # noqa: E402
from wardcloud.policies import waivers  # noqa: E402
from wardcloud.policies.config import PolicyConfig, load_config  # noqa: E402
from wardcloud.policies.engine import effective_rules  # noqa: E402
from wardcloud.policies.registry import Rule  # noqa: E402
from wardcloud.tenants.model import Tenant  # noqa: E402

PACK_NAME = "wardcloud-policies"
ENFORCEMENT = {
    "advisory": EnforcementLevel.ADVISORY,
    "mandatory": EnforcementLevel.MANDATORY,
    "disabled": EnforcementLevel.DISABLED,
}
SEVERITY = {
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}


def _tenants() -> dict[str, Tenant]:
    """Tenants for their waivers (WARDCTL_TENANTS or the repository's tenants/wards); none if unreadable."""
    from wardcloud.core.errors import WardcloudError
    from wardcloud.tenants.validate import load_tenants

    directory = Path(
        os.environ.get("WARDCTL_TENANTS") or Path(__file__).resolve().parent.parent / "tenants/wards"
    )
    try:
        return {t.code: t for t in load_tenants(directory)}
    except WardcloudError:
        return {}


def _waived(
    rule: Rule,
    resource: Resource,
    finding_resource: str | None,
    ward: str | None,
    tenants: Mapping[str, Tenant],
    today: date,
) -> bool:
    tenant = tenants.get(ward or resource.ward or "")
    applied = waivers.match(tenant, rule.id, finding_resource, rule.waivable, today)
    return applied is not None and applied.status == "active"


def _resource(
    resource_type: str, props: Mapping[str, Any], urn: str, name: str, provider: Any = None
) -> Resource:
    provider_urn = getattr(provider, "urn", None) or None
    if provider_urn and provider_urn.rsplit("::", 1)[-1].startswith("default"):
        provider_urn = None  # a default provider: as in a render, where only explicit ones are recorded
    return Resource(urn=urn, type=resource_type, name=name, inputs=dict(props), provider=provider_urn)


def _resource_policy(
    rule: Rule, config: PolicyConfig, tenants: Mapping[str, Tenant], today: date
) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        resource = _resource(args.resource_type, args.props, args.urn, args.name)
        if not rule.applies_to(resource):
            return
        for finding in rule.check(resource, config):
            if not _waived(rule, resource, finding.resource, finding.ward, tenants, today):
                report_violation(f"{finding.message}. Fix: {rule.remediation}", args.urn)

    return ResourceValidationPolicy(
        name=rule.id,
        description=rule.title,
        validate=validate,
        enforcement_level=ENFORCEMENT[rule.enforcement],
        severity=SEVERITY[rule.severity],
        display_name=rule.title,
    )


def _stack_policy(
    rule: Rule, config: PolicyConfig, tenants: Mapping[str, Tenant], today: date
) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        # with each resource's dependencies (URNs), which the detective graph rules follow
        resources = [
            replace(
                _resource(r.resource_type, r.props, r.urn, r.name, r.provider),
                dependencies=tuple(d.urn for d in r.dependencies or ()),
            )
            for r in args.resources
        ]
        by_name = {r.name: r for r in resources}
        for finding in rule.check(resources, config):
            resource = by_name.get(finding.resource or "")
            if resource is not None and _waived(
                rule, resource, finding.resource, finding.ward, tenants, today
            ):
                continue
            report_violation(
                f"{finding.message}. Fix: {rule.remediation}", resource.urn if resource else None
            )

    return StackValidationPolicy(
        name=rule.id,
        description=rule.title,
        validate=validate,
        enforcement_level=ENFORCEMENT[rule.enforcement],
        severity=SEVERITY[rule.severity],
        display_name=rule.title,
    )


def pack_policies(
    config: PolicyConfig | None = None, tenants: Mapping[str, Tenant] | None = None, today: date | None = None
) -> Sequence[ResourceValidationPolicy | StackValidationPolicy]:
    """One CrossGuard policy per resource or graph rule, with the rule's ID, severity and enforcement."""
    config = config or load_config()
    tenants = _tenants() if tenants is None else tenants
    today = today or date.today()
    policies: list[ResourceValidationPolicy | StackValidationPolicy] = []
    for rule in effective_rules(config):
        if rule.kind == "resource":
            policies.append(_resource_policy(rule, config, tenants, today))
        elif rule.kind == "graph":
            policies.append(_stack_policy(rule, config, tenants, today))
    return policies


if __name__ == "__main__":
    PolicyPack(name=PACK_NAME, policies=list(pack_policies()), description="wardcloud policies")
