"""`wardctl drift`: declared (tenant files) vs live (the cloud), then resource policies on the live graph."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from wardcloud.cli.context import Settings
from wardcloud.cli.inventory import CLOUD_OPTION, short_type
from wardcloud.cli.options import check_ward_codes
from wardcloud.cli.output import echo_json
from wardcloud.tenants.validate import load_tenants

if TYPE_CHECKING:
    from wardcloud.live.drift import DriftReport


@click.command("drift")
@CLOUD_OPTION
@click.option(
    "--ward",
    "wards",
    multiple=True,
    metavar="CODE6",
    callback=check_ward_codes,
    help="Compare only these wards (repeatable).",
)
@click.option(
    "--policy-config",
    "policy_config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Policy config (enforcement overrides, thresholds); default: the bundled one.",
)
@click.option(
    "--offsite-cloud",
    "offsite_cloud",
    envvar="WARDCTL_OFFSITE_CLOUD",
    show_envvar=True,
    help="clouds.yaml entry of the off-site Swift, for BAK-104 as in `backup verify` (default: sync settings only).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def drift_command(
    settings: Settings,
    cloud: str,
    timeout: float,
    wards: tuple[str, ...],
    policy_config: Path | None,
    offsite_cloud: str | None,
    fmt: str,
) -> int:
    """Missing, unexpected, changed resources per ward; policy violations. Exit 0 clean, 2 drift, 1 error."""
    # imported here: the Pulumi and OpenStack SDKs load only when a live-cloud command runs
    from wardcloud.backup.audit import AuditTrail
    from wardcloud.backup.verify import drift_check
    from wardcloud.core.cloud import connect
    from wardcloud.live.drift import drift, select_stacks
    from wardcloud.live.inventory import read_inventory
    from wardcloud.live.policy import resource_policy_check
    from wardcloud.policies.config import load_config

    tenants = load_tenants(settings.tenants_dir, settings.verdicts)
    # bad local input (unknown ward, broken policy config) fails before any cloud call
    select_stacks(tenants, wards, str(settings.tenants_dir))
    chosen = [t for t in tenants if t.code in wards] if wards else list(tenants)
    policy_check = resource_policy_check(chosen, policy_config)
    connection = connect(cloud, timeout=timeout)
    # the backup rules (BAK-1xx) read what the inventory does not: Cinder's backups, Swift, the audit log
    trail = AuditTrail(settings.state_dir, settings.actor, settings.audit_log, tuple(sys.argv[1:]))
    offsite = connect(offsite_cloud, timeout=timeout) if offsite_cloud else None
    backups = drift_check(connection, tenants, trail, load_config(policy_config), offsite=offsite)
    report = drift(
        read_inventory(connection),
        tenants,
        wards,
        policy_check,
        source=str(settings.tenants_dir),
        detective_checks=[backups],
    )
    if fmt == "json":
        echo_json(report.to_json())
    else:
        render_text(report)
    return 0 if report.clean else 2


def render_text(report: DriftReport) -> None:
    """One line per finding and violation, then what was not compared, then a summary."""
    click.echo(f"drift on cloud {report.cloud}: {len(report.stacks)} stack(s) compared")
    for finding in report.findings:
        where = f" ({finding.live_id})" if finding.live_id else ""
        click.echo(f"{finding.stack:<12} {finding.kind:<10} {short_type(finding.type):<16} {finding.name}{where}")
        for change in finding.changes:
            click.echo(f"{'':<12} {'':<10} {'':<16}   {change.field}: {change.declared!r} -> {change.live!r}")
    for violation in report.violations:
        where = f"ward-{violation.ward}" if violation.ward else "-"
        state = "waived" if violation.waived else "violation"
        click.echo(
            f"{where:<12} {state:<10} {violation.policy_id:<16} {violation.resource or ''}: "
            f"[{violation.severity}, {violation.enforcement}] {violation.message}"
        )
    if not report.policies_run:
        click.echo("resource policies: not run")
    if report.policies_not_run:
        click.echo(
            f"policies not run on the live cloud: {', '.join(sorted(report.policies_not_run))} "
            "(they read what the inventory does not)"
        )
    if report.not_compared:
        skipped = ", ".join(
            f"{short_type(t)} x{n}" + (f" ({why})" if (why := report.not_compared_why.get(t)) else "")
            for t, n in sorted(report.not_compared.items())
        )
        click.echo(f"not compared (not read from the cloud): {skipped}")
    counts = {
        kind: sum(1 for f in report.findings if f.kind == kind)
        for kind in ("missing", "unexpected", "changed", "unowned")
    }
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    unwaived = sum(1 for v in report.violations if not v.waived)
    click.echo(f"{'clean' if report.clean else 'DRIFT'}: {summary}, {unwaived} policy violation(s)")
