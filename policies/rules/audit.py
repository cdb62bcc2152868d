"""Audit logs: kept, versioned, long enough, and out of the ward's own reach."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from wardcloud.infra.graph import Resource
from wardcloud.policies.config import PolicyConfig
from wardcloud.policies.registry import CIS, MIC, REPORT, Finding, rule
from wardcloud.policies.rules._common import CONTAINER, PROJECT
from wardcloud.tenants.model import Tenant


def _audit_log(resource: Resource) -> bool:
    metadata = resource.inputs.get("metadata") or {}
    return (
        resource.type == CONTAINER and isinstance(metadata, dict) and metadata.get("purpose") == "audit-log"
    )


@rule(
    "AUD-001",
    title="audit-log retention meets the minimum",
    severity="high",
    source=MIC,
    kind="tenant",
    remediation="Raise audit.retention_years to at least thresholds.audit_min_retention_years.",
)
def audit_retention(tenant: Tenant, config: PolicyConfig) -> Iterator[Finding]:
    if tenant.audit.retention_years < config.audit_min_retention_years:
        yield Finding(
            f"audit logs are kept {tenant.audit.retention_years} years, less than "
            f"{config.audit_min_retention_years}",
            None,
            "audit.retention_years",
        )


@rule(
    "AUD-002",
    title="every ward has an audit-log container",
    severity="high",
    source=MIC,
    kind="graph",
    types=(PROJECT, CONTAINER),
    remediation="Create the ward's audit-log container (WardTenant does).",
)
def audit_container_exists(resources: Sequence[Resource], config: PolicyConfig) -> Iterator[Finding]:
    projects: dict[str, Resource] = {}
    logged: set[str] = set()
    for resource in resources:
        if resource.ward is None:
            continue
        if resource.type == PROJECT:
            projects.setdefault(resource.ward, resource)
        elif _audit_log(resource):
            logged.add(resource.ward)
    for ward, project in sorted(projects.items()):
        if ward not in logged:
            yield Finding(
                f"ward {ward} has a project but no audit-log container", project.name, "audit", ward
            )


@rule(
    "AUD-003",
    title="audit-log container is versioned",
    severity="high",
    source=CIS,
    kind="resource",
    types=(CONTAINER,),
    remediation="Enable versioning on the audit-log container.",
)
def audit_versioned(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    if _audit_log(resource) and resource.inputs.get("versioning") is not True:
        yield Finding(f"audit-log container {resource.name} is not versioned", resource.name, "audit")


@rule(
    "AUD-004",
    title="audit-log container states a retention meeting the minimum",
    severity="medium",
    source=REPORT,
    kind="resource",
    types=(CONTAINER,),
    remediation="Set the container's retention-years metadata from audit.retention_years.",
)
def audit_container_retention(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    if not _audit_log(resource):
        return
    raw = (resource.inputs.get("metadata") or {}).get("retention-years")
    years = int(str(raw)) if str(raw).isascii() and str(raw).isdigit() else None
    if years is None or years < config.audit_min_retention_years:
        yield Finding(
            f"audit-log container {resource.name} keeps {years if years is not None else 'unstated'} "
            f"years, less than {config.audit_min_retention_years}",
            resource.name,
            "audit.retention_years",
        )


@rule(
    "AUD-005",
    title="audit log is not deletable by the ward's own role",
    severity="critical",
    source=MIC,
    kind="resource",
    types=(CONTAINER,),
    waivable=False,
    remediation="Make the container write-only for the platform log shipper and delete-protected.",
)
def audit_not_deletable(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    if not _audit_log(resource):
        return
    metadata = resource.inputs.get("metadata") or {}
    writers = str(resource.inputs.get("containerWrite") or "")
    ward = resource.ward or ""
    if metadata.get("delete-protected") != "true":
        yield Finding(f"audit-log container {resource.name} is not delete-protected", resource.name, "audit")
    if not writers:
        yield Finding(
            f"audit-log container {resource.name} has no write ACL: the owning project can delete",
            resource.name,
            "audit",
        )
    elif any(w.strip().startswith(f"{ward}-") for w in writers.split(",")):
        yield Finding(
            f"audit-log container {resource.name} is writable by the ward's own project ({writers})",
            resource.name,
            "audit",
        )


@rule(
    "AUD-006",
    title="audit logs are shipped to the central archive",
    severity="medium",
    source=REPORT,
    kind="tenant",
    enforcement="advisory",
    remediation="Set audit.ship_to_central: true.",
)
def audit_central(tenant: Tenant, config: PolicyConfig) -> Iterator[Finding]:
    if not tenant.audit.ship_to_central:
        yield Finding("audit logs stay in the ward only", None, "audit.ship_to_central")
