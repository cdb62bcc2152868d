"""Quotas: set, finite, and under the platform's per-ward ceiling."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields

from wardcloud.infra.graph import Resource
from wardcloud.policies.config import PolicyConfig
from wardcloud.policies.registry import CIS, REPORT, Finding, rule
from wardcloud.policies.rules._common import QUOTAS
from wardcloud.tenants.model import Tenant


@rule(
    "QUO-001",
    title="every quota class is set and finite",
    severity="high",
    source=REPORT,
    kind="tenant",
    remediation="Give every quota class (including snapshots) a non-negative number; -1 means unlimited.",
)
def quotas_finite(tenant: Tenant, config: PolicyConfig) -> Iterator[Finding]:
    for field in fields(tenant.quotas):
        value = getattr(tenant.quotas, field.name)
        if value is None or value < 0:
            yield Finding(
                f"quota {field.name} is {'unset' if value is None else 'unlimited'}",
                None,
                f"quotas.{field.name}" if value is not None else "quotas",
            )


@rule(
    "QUO-002",
    title="no quota above the platform's per-ward ceiling",
    severity="medium",
    source=REPORT,
    kind="tenant",
    remediation="Lower the quota, or raise quota_ceilings in policies/config.yaml by agreement.",
)
def quotas_under_ceiling(tenant: Tenant, config: PolicyConfig) -> Iterator[Finding]:
    for name, ceiling in sorted(config.quota_ceilings.items()):
        value = getattr(tenant.quotas, name, None)
        if value is not None and value > ceiling:
            yield Finding(
                f"quota {name} = {value} exceeds the per-ward ceiling {ceiling}", None, f"quotas.{name}"
            )


@rule(
    "QUO-003",
    title="rendered quotas are finite",
    severity="high",
    source=CIS,
    kind="resource",
    types=QUOTAS,
    remediation="Replace -1 (unlimited) with a number.",
)
def rendered_quota_finite(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    for key, value in sorted(resource.inputs.items()):
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            yield Finding(f"{resource.name} sets {key} unlimited ({value})", resource.name, "quotas")
