"""`wardctl backup run`: for each ward, expire what retention says and take what the schedule says is due.

Each action leaves one audit record as it completes, success or failure, so the log says what was done
even when the cloud fails half-way. A backup that ends in `error` or does not finish in time is reported,
never counted as good, and a failed one is deleted so it cannot pose as a restore point.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from wardcloud.backup import cloud as ops
from wardcloud.backup.audit import RUN, AuditTrail
from wardcloud.backup.errors import Code
from wardcloud.backup.model import TAG
from wardcloud.backup.plan import Expire, Take, plan_run
from wardcloud.core.cloud import Cloud
from wardcloud.core.errors import Problem, WardcloudError
from wardcloud.tenants.model import Tenant
from wardcloud.tenants.schedule import Schedule

DEFAULT_TIMEOUT = 600.0  # seconds one backup may take before the run stops waiting on it


@dataclass(frozen=True)
class Action:
    """One thing a run did (or left alone), for the report and the audit record."""

    ward: str
    action: str  # take | expire | skip | keep
    segment: str
    volume_id: str
    backup_id: str
    status: str
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"ward": self.ward, "action": self.action, "segment": self.segment, "volume": self.volume_id,
                "backup": self.backup_id, "status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class RunReport:
    """What a run did, ward by ward, and what went wrong (one problem per failed action)."""

    now: datetime
    actions: tuple[Action, ...]
    problems: tuple[Problem, ...]

    def to_json(self) -> dict[str, Any]:
        return {"now": self.now.isoformat(), "actions": [a.to_json() for a in self.actions],
                "errors": [p.to_json() for p in self.problems]}


def select_wards(tenants: Sequence[Tenant], codes: Sequence[str], where: str = "--ward") -> list[Tenant]:
    """The wards named (all when none is), or a BKP001 error naming each unknown code."""
    by_code = {t.code: t for t in tenants}
    unknown = [c for c in codes if c not in by_code]
    if unknown:
        raise WardcloudError([Problem(where, 0, 0, Code.UNKNOWN_WARD,
                                      f"{c!r} is not a ward of the consortium (known: {len(by_code)} wards; "
                                      "see `wardctl tenant list`)") for c in unknown])
    return [by_code[c] for c in dict.fromkeys(codes)] if codes else sorted(tenants, key=lambda t: t.code)


def schedule_of(tenant: Tenant) -> Schedule:
    return Schedule(tenant.backup.schedule, tenant.backup.timezone)


def run_backups(cloud: Cloud, wards: Sequence[Tenant], now: datetime, trail: AuditTrail, *,
                timeout: float = DEFAULT_TIMEOUT, dry_run: bool = False) -> RunReport:
    """Expire and take the backups that are due for each ward; every action audited as it completes.

    Every due backup is asked for first, then each is waited for: Cinder backs the volumes up side by side
    (as many at once as its `backup_max_operations` allows) instead of one after another through the night.
    """
    projects = ops.ward_projects(cloud)
    actions: list[Action] = []
    problems: list[Problem] = []
    asked: list[tuple[ops.WardCloud, Take, str]] = []
    for tenant in wards:
        if tenant.code not in projects:
            problems.append(_problem(tenant.code, Code.NO_PROJECT,
                                     "has no project in the cloud (apply its stack first)"))
            continue
        try:
            ward = ops.scoped(cloud, tenant.code, projects[tenant.code])
            plan = plan_run(ops.read_state(ward), schedule_of(tenant), tenant.backup.retention_days, now)
        except WardcloudError as exc:
            problems.extend(exc.problems)
            continue
        actions += [Action(tenant.code, "skip", s.volume.segment, s.volume.id, "", "", s.reason) for s in plan.skip]
        if dry_run:
            actions += [Action(tenant.code, "expire", e.backup.segment, e.backup.volume_id, e.backup.id,
                               "planned", e.reason) for e in plan.expire]
            actions += [Action(tenant.code, "take", t.volume.segment, t.volume.id, "", "planned",
                               "incremental" if t.incremental else "full") for t in plan.take]
            continue
        for expire in plan.expire:
            _carry_out(partial(_expire, ward, expire), tenant.code, trail, now, actions, problems)
        for take in plan.take:
            try:
                asked.append((ward, take, _ask(ward, tenant, take)))
            except WardcloudError as exc:
                _record_failure(exc, tenant.code, trail, now, problems)
    for ward, take, backup_id in asked:
        _carry_out(partial(_finish, ward, take, backup_id, timeout), ward.ward, trail, now, actions, problems)
    order = {tenant.code: n for n, tenant in enumerate(wards)}
    actions.sort(key=lambda a: order[a.ward])  # stable: each ward's skips, expiries and takes together
    return RunReport(now, tuple(actions), tuple(problems))


def _carry_out(step: Callable[[], tuple[Action, Problem | None]], ward: str, trail: AuditTrail, now: datetime,
               actions: list[Action], problems: list[Problem]) -> None:
    try:
        action, problem = step()
    except WardcloudError as exc:  # the cloud refused or went away: record what was attempted, go on
        _record_failure(exc, ward, trail, now, problems)
        return
    actions.append(action)
    if action.action != "keep":
        trail.write(RUN, "failure" if problem else "success", {"at": now.isoformat(), **action.to_json()}, [ward])
    if problem:
        problems.append(problem)


def _record_failure(exc: WardcloudError, ward: str, trail: AuditTrail, now: datetime,
                    problems: list[Problem]) -> None:
    problems.extend(exc.problems)
    trail.write(RUN, "failure", {"at": now.isoformat(), "ward": ward,
                                 "error": "; ".join(p.render() for p in exc.problems)}, [ward])


def _expire(ward: ops.WardCloud, expire: Expire) -> tuple[Action, Problem | None]:
    backup = expire.backup
    if expire.reason == "retention" and ops.has_dependents(ward, backup.id):
        return Action(ward.ward, "keep", backup.segment, backup.volume_id, backup.id, backup.status,
                      "past retention, but a backup still in retention chains to it"), None
    ops.delete_backup(ward, backup.id)
    return Action(ward.ward, "expire", backup.segment, backup.volume_id, backup.id, "deleted", expire.reason), None


def _ask(ward: ops.WardCloud, tenant: Tenant, take: Take) -> str:
    """Ask Cinder for the backup `take` describes; its id (Cinder takes it in the background)."""
    volume = take.volume
    metadata = {TAG: tenant.code, "segment": volume.segment, "schedule": tenant.backup.schedule,
                "timezone": tenant.backup.timezone, "retention-days": str(tenant.backup.retention_days),
                "window": take.window.isoformat()}
    return ops.create_backup(ward, volume, name=take.name, container=take.container,
                             incremental=take.incremental, metadata=metadata)


def _finish(ward: ops.WardCloud, take: Take, backup_id: str, timeout: float) -> tuple[Action, Problem | None]:
    """Wait for an asked backup; one that failed is deleted, one that hangs is reported, neither counted."""
    volume = take.volume
    status, reason = ops.wait_backup(ward, backup_id, timeout)
    kind = "incremental" if take.incremental else "full"
    action = Action(ward.ward, "take", volume.segment, volume.id, backup_id, status, kind)
    if status == "available":
        return action, None
    if status == "error":
        ops.delete_backup(ward, backup_id)  # never left behind to pose as a restore point
        return action, _problem(ward.ward, Code.BACKUP_ERROR,
                                f"backup of volume {volume.name} ({volume.id}) failed: {reason or 'no reason given'}; "
                                "deleted, not counted")
    return action, _problem(ward.ward, Code.BACKUP_ERROR,
                            f"backup {backup_id} of volume {volume.name} is still '{status}' after {timeout:.0f} s; "
                            "not counted as good")


def _problem(ward: str, code: str, message: str) -> Problem:
    return Problem(f"ward {ward}", 0, 0, code, message)
