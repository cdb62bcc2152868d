"""What a backup run must do, decided from a snapshot of the cloud and the time: a pure function.

Idempotent by construction: a volume that already has a backup (good or in progress) made in the current
window of its schedule gets nothing, so a second run inside the window plans no new backup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from wardcloud.backup.model import IN_PROGRESS, Backup, Volume, WardState, container_for
from wardcloud.tenants.schedule import Schedule

FULL_EVERY = timedelta(days=7)  # a new full backup at least this often; incrementals chain to it between
BACKED_UP = ("available", "in-use")  # volume states Cinder backs up (in-use needs --force)


@dataclass(frozen=True)
class Take:
    """Take one backup of a volume."""

    volume: Volume
    incremental: bool
    container: str
    name: str
    window: datetime  # the fire time of the window it belongs to


@dataclass(frozen=True)
class Expire:
    """Delete one backup: past retention, or failed (a failed backup is never kept as if it were good)."""

    backup: Backup
    reason: str  # "retention" | "failed"


@dataclass(frozen=True)
class Skip:
    """A volume the run leaves alone, and why."""

    volume: Volume
    reason: str


@dataclass(frozen=True)
class RunPlan:
    """The actions of one ward's run, in the order they are carried out: expiries, then new backups."""

    ward: str
    window: tuple[datetime, datetime]
    expire: tuple[Expire, ...]
    take: tuple[Take, ...]
    skip: tuple[Skip, ...]


def plan_run(state: WardState, schedule: Schedule, retention_days: int, now: datetime) -> RunPlan:
    """The expiries and backups a run at `now` must make for one ward."""
    start, end = schedule.window(now)
    take: list[Take] = []
    skip: list[Skip] = []
    for volume in sorted(state.volumes, key=lambda v: (v.segment, v.name, v.id)):
        if volume.status not in BACKED_UP:
            skip.append(Skip(volume, f"volume is '{volume.status}'"))
            continue
        backups = state.backups_of(volume.id)
        current = [b for b in backups if b.created_at >= start and (b.good or b.status in IN_PROGRESS)]
        if current:
            skip.append(Skip(volume, f"backed up in this window ({current[-1].id}, {current[-1].status})"))
            continue
        take.append(Take(volume, _incremental(backups, now), container_for(state.ward, volume.segment),
                         _name(state.ward, volume, start), start))
    return RunPlan(state.ward, (start, end), tuple(expiries(state, retention_days, now)), tuple(take), tuple(skip))


def expiries(state: WardState, retention_days: int, now: datetime) -> list[Expire]:
    """Backups to delete: failed ones at once, then those past retention, newest first.

    Newest first because incrementals chain to older backups and Cinder deletes only a backup nothing
    chains to: the run re-reads each candidate before deleting it, so a chain's expired tail goes in one
    run while a backup an unexpired incremental still chains to stays. The newest good backup of a volume
    that still exists is never expired: a failing job must not take a volume's last restore point with it.
    """
    limit = now - timedelta(days=retention_days)
    managed = [b for b in state.backups if b.managed]
    kept = keep_ids(state)
    failed = [Expire(b, "failed") for b in sorted(managed, key=lambda b: (b.created_at, b.id)) if b.status == "error"]
    old = [b for b in managed if b.good and b.created_at <= limit and b.id not in kept]
    return failed + [Expire(b, "retention") for b in sorted(old, key=lambda b: (b.created_at, b.id), reverse=True)]


def keep_ids(state: WardState) -> set[str]:
    """The newest good backup of each volume that still exists: kept whatever its age."""
    kept = set()
    for volume in state.volumes:
        good = [b for b in state.backups_of(volume.id) if b.good]
        if good:
            kept.add(good[-1].id)
    return kept


def _incremental(backups: list[Backup], now: datetime) -> bool:
    """Incremental when a good full backup younger than FULL_EVERY exists for Cinder to chain to."""
    fulls = [b for b in backups if b.good and not b.incremental]
    return bool(fulls) and now - fulls[-1].created_at < FULL_EVERY


def _name(ward: str, volume: Volume, window: datetime) -> str:
    return f"wardcloud-{ward}-{volume.segment}-{volume.id[:8]}-{window.strftime('%Y%m%dT%H%M%z')}"
