"""`wardctl backup restore-drill`: prove a ward's backups restore, by restoring one into a scratch volume.

The drill takes the newest good backup of one volume (named, or sampled at random), restores it into a new
volume in the ward's own project, checks the result (status and size; with `RbdReader`, every block of the
restored bytes against the hashes cinder-backup stored), deletes the scratch volume whatever happened, and
leaves one audit record with the result: `backup verify` reads the last successful one (BAK-105).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from wardcloud.backup import cloud as ops
from wardcloud.backup.audit import DRILL, AuditTrail
from wardcloud.backup.content import RbdReader, backup_hashes, compare
from wardcloud.backup.errors import Code
from wardcloud.backup.model import Backup, Volume
from wardcloud.core.cloud import Cloud
from wardcloud.core.errors import Problem, WardcloudError
from wardcloud.tenants.model import Tenant


@dataclass(frozen=True)
class Drill:
    """One restore drill and what it found."""

    ward: str
    volume: str
    backup: str
    scratch: str
    checks: dict[str, Any] = field(default_factory=dict)
    passed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"ward": self.ward, "volume": self.volume, "backup": self.backup, "scratch": self.scratch,
                "checks": self.checks, "passed": self.passed}


def restore_drill(cloud: Cloud, tenant: Tenant, now: datetime, trail: AuditTrail, *, volume_id: str | None = None,
                  sample: random.Random | None = None, timeout: float = 600.0,
                  rbd: RbdReader | None = None) -> Drill:
    """Restore the newest good backup of one volume of `tenant` into a scratch volume, check it, remove it."""
    projects = ops.ward_projects(cloud)
    if tenant.code not in projects:
        raise WardcloudError([_problem(tenant.code, Code.NO_PROJECT, "has no project in the cloud")])
    ward = ops.scoped(cloud, tenant.code, projects[tenant.code])
    state = ops.read_state(ward)
    try:
        volume, backup = _pick(tenant.code, state.volumes, state.backups_of, volume_id, sample or random.Random())
    except WardcloudError as exc:  # nothing to drill is a failed drill, and on record as one
        trail.write(DRILL, "failure", {"at": now.isoformat(), "ward": tenant.code, "passed": False,
                                       "error": exc.problems[0].message}, [tenant.code])
        raise
    scratch = ""
    checks: dict[str, Any] = {}
    try:
        scratch = ops.create_volume(ward, name=f"wardcloud-drill-{tenant.code}-{backup.id[:8]}",
                                    size_gb=max(backup.size_gb, volume.size_gb), volume_type=volume.volume_type,
                                    metadata={"wardcloud-drill": tenant.code, "backup": backup.id})
        created = ops.wait_volume(ward, scratch, timeout)
        if created.status != "available":
            raise WardcloudError([_problem(tenant.code, Code.DRILL_FAILED,
                                           f"scratch volume {scratch} is '{created.status}', not available")])
        ops.restore_backup(ward, backup.id, scratch)
        restored = ops.wait_volume(ward, scratch, timeout)
        checks["status"] = restored.status
        checks["size_gb"] = restored.size_gb
        checks["status_ok"] = restored.status == "available"
        checks["size_ok"] = restored.size_gb >= backup.size_gb
        if rbd is not None and checks["status_ok"]:
            expected = backup_hashes(ward, backup.container, volume.id, backup.id)
            if expected is None:
                checks["content"] = "the backup stored no block hashes"
            else:
                differ, total = compare(expected, rbd.blocks(scratch, expected.block_size))
                checks["blocks"], checks["blocks_differ"] = total, differ
                checks["content_ok"] = differ == 0
        passed = all(v for k, v in checks.items() if k.endswith("_ok"))
    except WardcloudError as exc:
        drill = Drill(tenant.code, volume.id, backup.id, scratch, {**checks, "error": exc.problems[0].message})
        trail.write(DRILL, "failure", {"at": now.isoformat(), **drill.to_json()}, [tenant.code])
        raise
    finally:
        if scratch:
            ops.delete_volume(ward, scratch)
    drill = Drill(tenant.code, volume.id, backup.id, scratch, checks, passed)
    trail.write(DRILL, "success" if passed else "failure", {"at": now.isoformat(), **drill.to_json()},
                [tenant.code])
    return drill


def _pick(ward: str, volumes: Sequence[Volume], backups_of: Callable[[str], list[Backup]], volume_id: str | None,
          sample: random.Random) -> tuple[Volume, Backup]:
    candidates = []
    for volume in sorted(volumes, key=lambda v: v.id):
        good = [b for b in backups_of(volume.id) if b.good]
        if good and (volume_id is None or volume.id == volume_id):
            candidates.append((volume, good[-1]))
    if volume_id is not None and not any(v.id == volume_id for v in volumes):
        raise WardcloudError([_problem(ward, Code.NO_VOLUME, f"no volume {volume_id} in the ward's project")])
    if not candidates:
        raise WardcloudError([_problem(ward, Code.NO_BACKUP, "no good backup to restore"
                                       + (f" of volume {volume_id}" if volume_id else ""))])
    return sample.choice(candidates)


def _problem(ward: str, code: str, message: str) -> Problem:
    return Problem(f"ward {ward}", 0, 0, code, message)
