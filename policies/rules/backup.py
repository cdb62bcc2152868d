"""Backups: kept long enough, copied off-site where required, versioned — and, live, really taken."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

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
    remediation="Enable versioning on the backup container, or copy it off-site (its versions are kept there).",
)
def backup_versioned(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    # A container copied off-site keeps its versions at the second site: Swift refuses container sync on
    # a versioned container (docs/backup.md); BAK-104 checks live that the copy is really there.
    metadata = resource.inputs.get("metadata") or {}
    offsite = isinstance(metadata, dict) and metadata.get("offsite-copy") == "true"
    if _purpose(resource) == "backup" and resource.inputs.get("versioning") is not True and not offsite:
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


# --- Detective rules over the live backup service (`wardctl backup verify`) --------------------------------
# They read `BackupFacts`, which `wardcloud.backup.verify` gathers from Cinder, both Swift sites and the audit
# log; the rules stay pure so each has a passing and a failing fixture like every other rule.


@dataclass(frozen=True)
class VolumeFacts:
    """One ward volume and the newest good (available) backup the backup service made of it."""

    id: str
    name: str
    segment: str
    newest_good: datetime | None


@dataclass(frozen=True)
class BackupFacts:
    """One backup the service made (tagged `wardcloud`), as Cinder reports it now."""

    id: str
    volume_id: str
    segment: str
    status: str
    created_at: datetime
    keep: bool = False  # the newest good backup of a volume that still exists: never expired


@dataclass(frozen=True)
class OffsiteFacts:
    """One segment's backup container at both sites."""

    segment: str
    container: str
    sync_configured: bool
    missing: int  # objects at the primary site that the off-site copy lacks or holds differently
    oldest_missing: datetime | None  # when the oldest of them was written at the primary site


@dataclass(frozen=True)
class VanishedBackup:
    """A backup the audit log says was made, that Cinder no longer holds, with no expiry on record."""

    id: str
    volume_id: str
    created_at: datetime


@dataclass(frozen=True)
class WardBackupFacts:
    """Everything `backup verify` knows about one ward at `now`."""

    ward: str
    now: datetime
    schedule: str
    timezone: str
    retention_days: int
    due_since: datetime  # a good backup must be at least this new (the last due run, grace passed)
    volumes: tuple[VolumeFacts, ...] = ()
    backups: tuple[BackupFacts, ...] = ()
    offsite: tuple[OffsiteFacts, ...] = ()
    vanished: tuple[VanishedBackup, ...] = ()
    last_drill: datetime | None = None  # the last successful restore drill


def _age(now: datetime, then: datetime) -> str:
    hours = (now - then).total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


@rule(
    "BAK-101",
    title="every volume has a good backup from its last due run (RPO)",
    severity="high",
    source=REPORT,
    kind="backup",
    remediation="Run `wardctl backup run --ward CODE6` (or fix the timer) and check `backup verify` again.",
)
def backup_rpo(facts: WardBackupFacts, config: PolicyConfig) -> Iterator[Finding]:
    for volume in facts.volumes:
        if volume.newest_good is None or volume.newest_good < facts.due_since:
            newest = "none" if volume.newest_good is None else f"{volume.newest_good.isoformat()} " \
                f"({_age(facts.now, volume.newest_good)} old)"
            yield Finding(
                f"volume {volume.name} ({volume.segment}) has no good backup since the run due "
                f"{facts.due_since.isoformat()} ('{facts.schedule}' {facts.timezone}); newest: {newest}",
                volume.id,
                "backup.schedule",
            )


@rule(
    "BAK-102",
    title="no backup is kept past its retention",
    severity="medium",
    source=REPORT,
    kind="backup",
    remediation="Run `wardctl backup run`, which expires backups older than backup.retention_days.",
)
def backup_past_retention(facts: WardBackupFacts, config: PolicyConfig) -> Iterator[Finding]:
    limit = timedelta(days=facts.retention_days + config.backup_retention_grace_days)
    for backup in facts.backups:
        if not backup.keep and facts.now - backup.created_at > limit:
            yield Finding(
                f"backup {backup.id} of volume {backup.volume_id} is {_age(facts.now, backup.created_at)} old, "
                f"past {facts.retention_days} days of retention and {config.backup_retention_grace_days} of grace",
                backup.id,
                "backup.retention_days",
            )


@rule(
    "BAK-103",
    title="no backup disappears before its retention ends",
    severity="high",
    source=REPORT,
    kind="backup",
    remediation="Find who deleted it (Cinder's and the audit log's records); restrict backup deletion to the "
    "backup service.",
)
def backup_expired_early(facts: WardBackupFacts, config: PolicyConfig) -> Iterator[Finding]:
    for gone in facts.vanished:
        if facts.now - gone.created_at < timedelta(days=facts.retention_days):
            yield Finding(
                f"backup {gone.id} of volume {gone.volume_id}, made {gone.created_at.isoformat()}, is gone "
                f"before its {facts.retention_days} days of retention, with no expiry on record",
                gone.id,
                "backup.retention_days",
            )


@rule(
    "BAK-104",
    title="the off-site copy keeps up with the primary site",
    severity="high",
    source=MIC,
    kind="backup",
    remediation="Check container sync (the realm, the sync key, the container-sync daemon) between the sites.",
)
def backup_offsite_lag(facts: WardBackupFacts, config: PolicyConfig) -> Iterator[Finding]:
    limit = timedelta(minutes=config.backup_offsite_max_lag_minutes)
    for site in facts.offsite:
        if not site.sync_configured:
            yield Finding(f"backup container {site.container} is not synced off-site", site.container,
                          "backup.offsite_copy")
        elif site.missing and site.oldest_missing is not None and facts.now - site.oldest_missing > limit:
            yield Finding(
                f"the off-site copy of {site.container} lacks {site.missing} object(s), the oldest written "
                f"{_age(facts.now, site.oldest_missing)} ago (allowed: {config.backup_offsite_max_lag_minutes} min)",
                site.container,
                "backup.offsite_copy",
            )


@rule(
    "BAK-105",
    title="a restore drill succeeded recently",
    severity="medium",
    source=REPORT,
    kind="backup",
    remediation="Run `wardctl backup restore-drill --ward CODE6`.",
)
def backup_drill_age(facts: WardBackupFacts, config: PolicyConfig) -> Iterator[Finding]:
    if not any(v.newest_good for v in facts.volumes):
        return  # nothing a drill could restore yet: BAK-101 says what is missing
    limit = timedelta(days=config.backup_drill_max_age_days)
    if facts.last_drill is None:
        yield Finding(f"ward {facts.ward} has no successful restore drill on record", None, "backup")
    elif facts.now - facts.last_drill > limit:
        yield Finding(
            f"the last successful restore drill of ward {facts.ward} was {_age(facts.now, facts.last_drill)} ago "
            f"(allowed: {config.backup_drill_max_age_days} days)",
            None,
            "backup",
        )


@rule(
    "BAK-106",
    title="no backup is failed or stuck",
    severity="medium",
    source=CIS,
    kind="backup",
    remediation="Look at cinder-backup's log; `wardctl backup run` removes failed backups and takes new ones.",
)
def backup_failed(facts: WardBackupFacts, config: PolicyConfig) -> Iterator[Finding]:
    for backup in facts.backups:
        stuck = backup.status in ("creating", "restoring", "deleting") and facts.now - backup.created_at > STUCK
        if backup.status == "error" or stuck:
            yield Finding(
                f"backup {backup.id} of volume {backup.volume_id} is '{backup.status}' "
                f"since {backup.created_at.isoformat()}: not counted as good",
                backup.id,
                "backup",
            )


STUCK = timedelta(hours=6)  # a backup still in progress after this long is treated as failed
