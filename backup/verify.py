"""`wardctl backup verify`: gather each ward's live backup facts and run the detective BAK-1xx rules on them.

Facts come from Cinder (volumes, backups), both Swift sites (the segment containers that must be copied
off-site) and the audit log (which backups the service made and expired, and its restore drills). The
rules themselves are pure and live in the policy catalogue (policies/rules/backup.py), so waivers, SARIF
and `policy list` treat them like every other rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from wardcloud.backup import cloud as ops
from wardcloud.backup.audit import DRILL, RUN, AuditTrail
from wardcloud.backup.errors import Code
from wardcloud.backup.model import WardState, container_for
from wardcloud.backup.plan import keep_ids
from wardcloud.backup.run import schedule_of
from wardcloud.core.cloud import Cloud
from wardcloud.core.errors import Problem, WardcloudError
from wardcloud.live.drift import DetectiveCheck, PolicyResult, Violation
from wardcloud.live.inventory import BLOCK_STORAGE
from wardcloud.policies.config import PolicyConfig
from wardcloud.policies.engine import PolicyReport, evaluate_backups
from wardcloud.policies.registry import catalogue
from wardcloud.policies.rules.backup import (
    BackupFacts,
    OffsiteFacts,
    VanishedBackup,
    VolumeFacts,
    WardBackupFacts,
)
from wardcloud.tenants.model import Tenant


@dataclass(frozen=True)
class Verification:
    """The rules' verdict, the facts they read, and what could not be read."""

    report: PolicyReport
    facts: tuple[WardBackupFacts, ...]
    problems: tuple[Problem, ...]
    offsite_compared: bool


def verify_backups(cloud: Cloud, wards: Sequence[Tenant], now: datetime, trail: AuditTrail, config: PolicyConfig,
                   *, offsite: Cloud | None = None) -> Verification:
    """Facts for each ward, then the BAK-1xx rules over them."""
    projects = ops.ward_projects(cloud)
    history = _history(trail)
    facts: list[WardBackupFacts] = []
    problems: list[Problem] = []
    for tenant in wards:
        if tenant.code not in projects:
            problems.append(Problem(f"ward {tenant.code}", 0, 0, Code.NO_PROJECT,
                                    "has no project in the cloud (apply its stack first)"))
            continue
        try:
            ward = ops.scoped(cloud, tenant.code, projects[tenant.code])
            remote = ops.scoped(offsite, tenant.code, projects[tenant.code]) if offsite else None
            facts.append(ward_facts(tenant, ops.read_state(ward), now, config, history,
                                    _offsite(tenant, ward, remote)))
        except WardcloudError as exc:
            problems.extend(exc.problems)
    report = evaluate_backups(facts, wards, config, now.date())
    return Verification(report, tuple(facts), tuple(problems), offsite is not None)


OFFSITE_RULE = "BAK-104"  # the one rule that reads Swift (both sites' containers)


def drift_check(cloud: Cloud, tenants: Sequence[Tenant], trail: AuditTrail, config: PolicyConfig, *,
                offsite: Cloud | None = None, now: datetime | None = None) -> DetectiveCheck:
    """The BAK-1xx rules as a check of `wardctl drift`: the same facts and `evaluate_backups` as `backup verify`.

    A ward without a project is drift's own finding (its project `missing`), not a backup one; a cloud
    without Cinder runs none of the rules, and says so. Any other failure to read the facts is an error.
    """
    by_code = {t.code: t for t in tenants}

    def check(codes: Sequence[str]) -> PolicyResult:
        if not any(cloud.connection.has_service(kind) for kind in BLOCK_STORAGE):
            rules = sorted(r.id for r in catalogue() if r.kind == "backup")
            return PolicyResult((), dict.fromkeys(rules, "the cloud has no block-storage service"))
        wards = [by_code[c] for c in codes if c in by_code]
        result = verify_backups(cloud, wards, now or datetime.now(UTC), trail, config, offsite=offsite)
        if errors := [p for p in result.problems if p.code != Code.NO_PROJECT]:
            raise WardcloudError(errors)
        not_run = {} if cloud.connection.has_service("object-store") else {
            OFFSITE_RULE: "the cloud has no object-store service: the off-site copy cannot be read"}
        return PolicyResult(tuple(Violation(v.policy, v.severity, v.enforcement, v.ward, v.resource, v.message,
                                            v.waived) for v in result.report.violations), not_run)

    return check


@dataclass(frozen=True)
class _History:
    taken: dict[str, tuple[str, str, datetime]]  # backup id → (ward, volume, when)
    expired: set[str]
    drills: dict[str, datetime]  # ward → last successful drill


def _history(trail: AuditTrail) -> _History:
    taken: dict[str, tuple[str, str, datetime]] = {}
    expired: set[str] = set()
    drills: dict[str, datetime] = {}
    for time, outcome, summary in trail.records(RUN):
        at = _at(summary, time)
        if summary.get("action") == "take" and summary.get("status") == "available" and outcome == "success":
            taken[str(summary["backup"])] = (str(summary.get("ward")), str(summary.get("volume")), at)
        elif summary.get("action") == "expire":
            expired.add(str(summary.get("backup")))
    for time, outcome, summary in trail.records(DRILL):
        if outcome == "success":
            ward, at = str(summary.get("ward")), _at(summary, time)
            drills[ward] = max(drills[ward], at) if ward in drills else at
    return _History(taken, expired, drills)


def _at(summary: object, time: datetime) -> datetime:
    """The time a record speaks of: its `at` (the run's clock) when present, else when it was written."""
    text = summary.get("at") if isinstance(summary, dict) else None
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else time
    except ValueError:
        return time


def ward_facts(tenant: Tenant, state: WardState, now: datetime, config: PolicyConfig, history: _History,
               offsite: tuple[OffsiteFacts, ...]) -> WardBackupFacts:
    """What the rules read about one ward."""
    schedule = schedule_of(tenant)
    kept = keep_ids(state)
    volumes = []
    for volume in state.volumes:
        good = [b for b in state.backups_of(volume.id) if b.good]
        volumes.append(VolumeFacts(volume.id, volume.name, volume.segment, good[-1].created_at if good else None))
    backups = tuple(BackupFacts(b.id, b.volume_id, b.segment, b.status, b.created_at, b.id in kept)
                    for b in state.backups if b.managed)
    present = {b.id for b in state.backups}
    vanished = tuple(
        VanishedBackup(backup_id, volume, when)
        for backup_id, (ward, volume, when) in sorted(history.taken.items())
        if ward == tenant.code and backup_id not in present and backup_id not in history.expired
    )
    return WardBackupFacts(
        tenant.code, now, schedule.cron, schedule.timezone, tenant.backup.retention_days,
        schedule.due_since(now, timedelta(hours=config.backup_rpo_grace_hours)),
        tuple(volumes), backups, offsite, vanished, history.drills.get(tenant.code),
    )


def _offsite(tenant: Tenant, ward: ops.WardCloud, remote: ops.WardCloud | None) -> tuple[OffsiteFacts, ...]:
    if not ward.cloud.connection.has_service("object-store"):
        return ()  # no Swift to read: BAK-104 is not run (drift says so), never judged on nothing
    facts = []
    for segment in tenant.backup.offsite_copy:
        container = container_for(tenant.code, segment)
        synced = ops.container_sync_to(ward, container) is not None
        missing, oldest = 0, None
        if remote is not None:
            here = ops.container_objects(ward, container) or {}
            there = ops.container_objects(remote, container) or {}
            lagging = [o for name, o in here.items() if name not in there or there[name].hash != o.hash]
            missing = len(lagging)
            oldest = min((o.last_modified for o in lagging), default=None)
        facts.append(OffsiteFacts(segment, container, synced, missing, oldest))
    return tuple(facts)
