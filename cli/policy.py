"""`wardctl policy check` and `wardctl policy list`: the rule catalogue and its verdict on the wards."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import date
from pathlib import Path

import click

from wardcloud.cli.audited import AuditNote, audited, ci_environment, record_command
from wardcloud.cli.context import Settings
from wardcloud.cli.options import check_ward_codes, governance_option
from wardcloud.cli.output import echo_json
from wardcloud.core.files import write_atomic

FORMATS = ("text", "json", "sarif", "junit")


@click.group()
def policy() -> None:
    """Policy-as-code: the rule catalogue, and checking the wards against it."""


@policy.command("check")
@click.option("--ward", "wards", multiple=True, metavar="CODE6", callback=check_ward_codes,
              help="Check only this ward (repeatable).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write the report to FILE.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Policy config (default: the bundled policies/config.yaml).",
)
@click.option(
    "--spec-only", is_flag=True, help="Tenant (spec) rules only: skip rendering the resource graph."
)
@click.option(
    "--date",
    "today",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Judge waiver expiry as of this date (default: today).",
)
@click.option("--ci", is_flag=True, help="CI mode (also when $CI is set): the run goes into the audit log.")
@governance_option(help="Directory holding `signers`: whose waiver signatures and break-glass acks count.")
@click.pass_obj
def check_command(
    settings: Settings,
    wards: tuple[str, ...],
    fmt: str,
    out: Path | None,
    config_path: Path | None,
    spec_only: bool,
    today: object,
    ci: bool,
    governance_dir: Path,
) -> None:
    """Evaluate every rule and read the audit log for break-glass applies nobody reviewed yet; exit 1 on any
    unwaived mandatory violation or unreviewed break-glass apply (advisories do not fail)."""
    from wardcloud.audit.log import log_path
    from wardcloud.policies.engine import check
    from wardcloud.policies.report import render

    ci_mode = ci or ci_environment()
    inputs = {"tenants": settings.tenants_dir, "config": config_path}
    # In CI mode every run is recorded (failures too); elsewhere only a run that used a waiver.
    with audited("policy check", inputs) if ci_mode else nullcontext(AuditNote()) as note:
        day = today.date() if today is not None else date.today()  # type: ignore[attr-defined]
        report = check(
            settings.tenants_dir, config_path=config_path, wards=wards, today=day, render=not spec_only,
            audit_log=log_path(settings.state_dir, settings.audit_log), governance_dir=governance_dir,
        )
        used = report.waivers_used()
        note.summary.update(report.summary() | {"ci": ci_mode, "waivers_used": used})
        note.wards.extend(report.wards)
        if used and not ci_mode:
            outcome, code = ("success", 0) if report.passed else ("failure", 1)
            record_command("policy check", inputs, outcome, code, note.summary, note.wards)
        output = render(report, fmt)
        if out is not None:
            write_atomic(out, output)
            s = report.summary()
            click.echo(
                f"{out}: {s['violations']} violation(s), {s['mandatory']} blocking"
                + (f", {s['unreviewed_break_glass']} unreviewed break-glass apply(s)"
                   if s["unreviewed_break_glass"] else "")
                + f" — {'passed' if report.passed else 'FAILED'}",
                err=True,
            )
        else:
            click.echo(output, nl=False)
        if not report.passed:
            raise SystemExit(1)


@policy.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Policy config whose enforcement overrides to show.",
)
def list_command(fmt: str, config_path: Path | None) -> None:
    """Print the rule catalogue: ID, severity, enforcement (as configured), kind, layers, title, source."""
    from wardcloud.policies.config import load_config
    from wardcloud.policies.engine import effective_rules

    rules = effective_rules(load_config(config_path))
    if fmt == "json":
        echo_json({"rules": [r.to_json() for r in rules]})
        return
    for r in rules:
        click.echo(
            f"{r.id:8} {r.severity:8} {r.enforcement:9} {r.kind:8} {','.join(r.layers):21} {r.title}  [{r.source}]"
        )
