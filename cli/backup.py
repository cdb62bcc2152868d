"""`wardctl backup run | verify | restore-drill | timer`: the wards' backups, taken, checked and restored."""

from __future__ import annotations

import random
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from wardcloud.cli.context import Settings
from wardcloud.cli.inventory import CLOUD_OPTION
from wardcloud.cli.options import check_ward_codes
from wardcloud.cli.output import echo_json, echo_problems

if TYPE_CHECKING:
    from wardcloud.backup.audit import AuditTrail

WARDS = click.option("--ward", "wards", multiple=True, metavar="CODE6", callback=check_ward_codes,
                     help="Only these wards (repeatable).")
NOW = click.option("--now", "now_text", metavar="ISO8601",
                   help="Act as of this time (with a zone, e.g. 2026-12-02T03:00:00+09:00); default: now.")
FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)


def _now(text: str | None) -> datetime:
    from wardcloud.backup.errors import Code
    from wardcloud.core.errors import Problem, WardcloudError

    if not text:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text) if text.isascii() else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise WardcloudError([Problem("--now", 0, 0, Code.CLOCK, f"'{text}' is not an ISO 8601 time with a zone "
                                      "(e.g. 2026-12-02T03:00:00+09:00)")])
    return moment


def _trail(settings: Settings) -> AuditTrail:
    from wardcloud.backup.audit import AuditTrail

    return AuditTrail(settings.state_dir, settings.actor, settings.audit_log, tuple(sys.argv[1:]))


@click.group()
def backup() -> None:
    """Cinder backups of the wards' volumes to Swift, off-site copies, compliance and restore drills."""


@backup.command("run")
@CLOUD_OPTION
@WARDS
@NOW
@click.option("--wait", "wait", type=click.FloatRange(min=1), default=600, show_default=True,
              help="Seconds to wait for each backup to finish.")
@click.option("--dry-run", is_flag=True, help="Say what is due; take and delete nothing.")
@FORMAT
@click.pass_obj
def run(settings: Settings, cloud: str, timeout: float, wards: tuple[str, ...], now_text: str | None, wait: float,
        dry_run: bool, fmt: str) -> int:
    """Take the backups that are due, expire those past retention. Exit 0 done, 1 on any failure."""
    from wardcloud.backup.run import run_backups, select_wards
    from wardcloud.core.cloud import connect
    from wardcloud.tenants.validate import load_tenants

    now = _now(now_text)
    chosen = select_wards(load_tenants(settings.tenants_dir, settings.verdicts), wards)
    report = run_backups(connect(cloud, timeout=timeout), chosen, now, _trail(settings), timeout=wait,
                         dry_run=dry_run)
    if fmt == "json":
        echo_json(report.to_json())
    else:
        for a in report.actions:
            click.echo(f"{a.ward} {a.segment:<12} {a.action:<6} volume {a.volume_id} "
                       f"{('backup ' + a.backup_id) if a.backup_id else ''} {a.status} {a.detail}".rstrip())
        taken = sum(1 for a in report.actions if a.action == "take")
        expired = sum(1 for a in report.actions if a.action == "expire")
        click.echo(f"{len(chosen)} ward(s): {taken} backup(s) taken, {expired} expired, "
                   f"{len(report.problems)} problem(s)" + (" (dry run)" if dry_run else ""))
    echo_problems(report.problems)
    return 1 if report.problems else 0


@backup.command("verify")
@CLOUD_OPTION
@WARDS
@NOW
@click.option("--offsite-cloud", "offsite_cloud", envvar="WARDCTL_OFFSITE_CLOUD", show_envvar=True,
              help="clouds.yaml entry of the off-site Swift (same Keystone); without it off-site copies are "
                   "checked for sync settings only.")
@click.option("--policy-config", "policy_config", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Policy config (thresholds, enforcement); default: the bundled one.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True)
@click.pass_obj
def verify(settings: Settings, cloud: str, timeout: float, wards: tuple[str, ...], now_text: str | None,
           offsite_cloud: str | None, policy_config: Path | None, fmt: str) -> int:
    """Check RPO, retention, off-site lag and restore drills (rules BAK-101…106). Exit 0 clean, 2 findings, 1 error."""
    from wardcloud.backup.run import select_wards
    from wardcloud.backup.verify import verify_backups
    from wardcloud.core.cloud import connect
    from wardcloud.policies.config import load_config
    from wardcloud.policies.report import render
    from wardcloud.tenants.validate import load_tenants

    now = _now(now_text)
    chosen = select_wards(load_tenants(settings.tenants_dir, settings.verdicts), wards)
    config = load_config(policy_config)
    primary = connect(cloud, timeout=timeout)
    offsite = connect(offsite_cloud, timeout=timeout) if offsite_cloud else None
    result = verify_backups(primary, chosen, now, _trail(settings), config, offsite=offsite)
    findings = [v for v in result.report.violations if not v.waived]
    if fmt == "json":
        payload = result.report.to_json()
        payload["offsite_compared"] = result.offsite_compared
        payload["errors"] = [p.to_json() for p in result.problems]
        echo_json(payload)
    elif fmt == "sarif":
        click.echo(render(result.report, "sarif"))
    else:
        for v in result.report.violations:
            state = "waived" if v.waived else v.severity
            click.echo(f"{v.policy}  ward {v.ward}  {state:<8} {v.message}")
        click.echo(f"{len(result.facts)} ward(s) verified as of {now.isoformat()}: {len(findings)} finding(s)"
                   + ("" if result.offsite_compared else "; off-site contents not compared (no --offsite-cloud)"))
    echo_problems(result.problems)
    if result.problems:
        return 1
    return 2 if findings else 0


@backup.command("restore-drill")
@CLOUD_OPTION
@click.option("--ward", "ward", required=True, metavar="CODE6", callback=check_ward_codes,
              help="The ward whose backups are drilled.")
@click.option("--volume", "volume_id", metavar="ID", help="Drill this volume (default: one sampled at random).")
@click.option("--seed", type=int, default=None, help="Seed of the random sample (repeatable drills).")
@click.option("--wait", "wait", type=click.FloatRange(min=1), default=600, show_default=True,
              help="Seconds to wait for the scratch volume and the restore.")
@click.option("--rbd-conf", "rbd_conf", type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None,
              help="ceph.conf of Cinder's RBD backend: also compare the restored bytes, block by block, with the "
                   "hashes cinder-backup stored.")
@click.option("--rbd-pool", "rbd_pool", default="volumes", show_default=True, help="Cinder's rbd_pool.")
@NOW
@FORMAT
@click.pass_obj
def restore_drill(settings: Settings, cloud: str, timeout: float, ward: str, volume_id: str | None,
                  seed: int | None, wait: float, rbd_conf: Path | None, rbd_pool: str, now_text: str | None,
                  fmt: str) -> int:
    """Restore the newest backup of a volume into a scratch volume, check it, delete it, record the result."""
    from wardcloud.backup.content import RbdReader
    from wardcloud.backup.drill import restore_drill as drill
    from wardcloud.backup.errors import Code
    from wardcloud.backup.run import select_wards
    from wardcloud.core.cloud import connect
    from wardcloud.core.errors import Problem
    from wardcloud.tenants.validate import load_tenants

    now = _now(now_text)
    (tenant,) = select_wards(load_tenants(settings.tenants_dir, settings.verdicts), [ward])
    result = drill(connect(cloud, timeout=timeout), tenant, now, _trail(settings), volume_id=volume_id,
                   sample=random.Random(seed), timeout=wait,
                   rbd=RbdReader(rbd_conf, rbd_pool) if rbd_conf else None)
    if fmt == "json":
        echo_json(result.to_json())
    else:
        checks = ", ".join(f"{k}={v}" for k, v in result.checks.items())
        click.echo(f"ward {result.ward}: backup {result.backup} of volume {result.volume} restored into "
                   f"{result.scratch} (deleted): {'passed' if result.passed else 'FAILED'} ({checks})")
    if not result.passed:
        echo_problems([Problem(f"ward {ward}", 0, 0, Code.DRILL_FAILED, f"restore drill failed: {result.checks}")])
        return 1
    return 0


@backup.command("timer")
@CLOUD_OPTION
@WARDS
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Write wardcloud-backup.service, .timer and .cron into this folder (default: print them).")
@FORMAT
@click.pass_obj
def timer(settings: Settings, cloud: str, timeout: float, wards: tuple[str, ...], out: Path | None, fmt: str) -> None:
    """The systemd service + timer (and cron lines) that run `backup run` on the wards' schedules."""
    from wardcloud.backup.run import select_wards
    from wardcloud.backup.timer import units
    from wardcloud.core.files import write_atomic
    from wardcloud.tenants.validate import load_tenants

    chosen = select_wards(load_tenants(settings.tenants_dir, settings.verdicts), wards)
    running = Path(sys.argv[0])
    wardctl = str(running.resolve()) if running.name == "wardctl" else shutil.which("wardctl") or "wardctl"
    made = units(chosen, wardctl, cloud, str(settings.tenants_dir.resolve()), str(settings.state_dir.resolve()))
    files = {"wardcloud-backup.service": made.service, "wardcloud-backup.timer": made.timer,
             "wardcloud-backup.cron": made.cron}
    if out is None:
        if fmt == "json":
            echo_json(files)
            return
        for name, text in files.items():
            click.echo(f"# --- {name}\n{text}")
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        write_atomic(out / name, text.encode("utf-8"))
        click.echo(f"wrote {out / name}")
