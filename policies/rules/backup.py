"""Backups: kept long enough, copied off-site where required, versioned."""

from __future__ import annotations

from collections.abc import Iterator

from wardcloud.infra.graph import Resource
from wardcloud.policies.config import PolicyConfig
from wardcloud.policies.registry import CIS, MIC, REPORT, Finding, rule
from wardcloud.policies.rules._common import CONTAINER
from wardcloud.tenants.model import Tenant


def _purpose(resource: Resource) -> str | None:
    metadata = resource.inputs.get("metadata") or {}
    return metadata.get("purpose") if isinstance(metadata, dict) else None


def _int(value: object) -> int | None:
    text = str(value).strip()
    if not text.isascii():  # int() takes any Unicode digit (full-width, Arabic-Indic); a tag value is ASCII
        return None
    try:
        return int(text)
    except ValueError:
        return None


@rule(
    "BAK-001",
    title="backup retention meets the minimum",
    severity="high",
    source=REPORT,
    kind="tenant",
    remediation="Raise backup.retention_days to at least thresholds.backup_min_retention_days.",
)
def backup_retention(tenant: Tenant, config: PolicyConfig) -> Iterator[Finding]:
    if tenant.backup.retention_days < config.backup_min_retention_days:
        yield Finding(
            f"backups are kept {tenant.backup.retention_days} days, less than "
            f"{config.backup_min_retention_days}",
            None,
            "backup.retention_days",
        )


@rule(
    "BAK-002",
    title="mynumber backups are copied off-site",
    severity="high",
    source=MIC,
    kind="tenant",
    remediation="Add mynumber to backup.offsite_copy.",
)
def mynumber_offsite(tenant: Tenant, config: PolicyConfig) -> Iterator[Finding]:
    if "mynumber" not in tenant.backup.offsite_copy:
        yield Finding("mynumber backups have no off-site copy", None, "backup.offsite_copy")


@rule(
    "BAK-003",
    title="backup container is versioned",
    severity="high",
    source=CIS,
    kind="resource",
    types=(CONTAINER,),
    remediation="Enable versioning on the backup container.",
)
def backup_versioned(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    if _purpose(resource) == "backup" and resource.inputs.get("versioning") is not True:
        yield Finding(f"backup container {resource.name} is not versioned", resource.name, "backup")


@rule(
    "BAK-004",
    title="backup container states a retention meeting the minimum",
    severity="medium",
    source=REPORT,
    kind="resource",
    types=(CONTAINER,),
    remediation="Set the container's retention-days metadata from backup.retention_days.",
)
def backup_container_retention(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    if _purpose(resource) != "backup":
        return
    days = _int((resource.inputs.get("metadata") or {}).get("retention-days"))
    if days is None or days < config.backup_min_retention_days:
        yield Finding(
            f"backup container {resource.name} keeps {days if days is not None else 'unstated'} days, "
            f"less than {config.backup_min_retention_days}",
            resource.name,
            "backup.retention_days",
        )


@rule(
    "BAK-005",
    title="mynumber backup container is copied off-site",
    severity="high",
    source=MIC,
    kind="resource",
    types=(CONTAINER,),
    remediation="Mark the mynumber backup container for off-site copy.",
)
def mynumber_container_offsite(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    metadata = resource.inputs.get("metadata") or {}
    if (
        _purpose(resource) == "backup"
        and metadata.get("segment") == "mynumber"
        and metadata.get("offsite-copy") != "true"
    ):
        yield Finding(
            f"mynumber backup container {resource.name} has no off-site copy",
            resource.name,
            "backup.offsite_copy",
        )


@rule(
    "BAK-006",
    title="backups run at least daily",
    severity="low",
    source=CIS,
    kind="tenant",
    enforcement="advisory",
    remediation="Schedule backups every day (`M H * * *`).",
)
def backup_daily(tenant: Tenant, config: PolicyConfig) -> Iterator[Finding]:
    fields = tenant.backup.schedule.split()
    if len(fields) != 5 or fields[2:] != ["*", "*", "*"]:
        yield Finding(
            f"backup schedule '{tenant.backup.schedule}' does not run every day", None, "backup.schedule"
        )
