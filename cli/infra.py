"""`wardctl plan / apply / destroy / state import`: the infra commands (parse, call infra, format)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from wardcloud.cli.audited import audit_context, command_argv
from wardcloud.cli.context import Settings
from wardcloud.cli.options import check_ward_codes, governance_option, yes_option
from wardcloud.cli.output import echo_json
from wardcloud.core.files import write_atomic
from wardcloud.tenants.validate import load_tenants

if TYPE_CHECKING:
    from wardcloud.audit.keys import SigningKey
    from wardcloud.infra.plan import Plan
    from wardcloud.policies.engine import PolicyReport

# The infra library loads the Pulumi SDK (about a second): commands import it when they run, so
# `wardctl validate` and `--help` stay fast.

EXIT_NO_CHANGES, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2

ward_option = click.option(
    "--ward",
    "wards",
    multiple=True,
    metavar="CODE6",
    callback=check_ward_codes,
    help="Only this ward's stack (repeatable). Default: platform and every ward.",
)
key_option = click.option(
    "--key",
    "key_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Your OpenSSH Ed25519 private key (ssh-keygen -t ed25519); $WARDCTL_KEY_PASSPHRASE if encrypted.",
)
format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)


@contextmanager
def rendering_progress() -> Iterator[Callable[[str], None] | None]:
    """A rich progress bar on stderr when it is a terminal; nothing in pipes, CI and tests."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("rendering"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("", total=None)

        def advance(stack: str) -> None:
            progress.update(task, advance=1, description=stack)

        yield advance


_RETAINED = "  (retained: the audit log outlives the ward; pulumi forgets it, Swift keeps it)"  # as Plan.to_text


def plan_summary(plan: Plan) -> str:
    """The plan for a reader in a hurry: each changed stack's counts, its updates and deletes by name.

    Creates are only counted (a fresh machine has ~900 of them); stacks without changes are one line.
    `plan --verbose` prints `Plan.to_text()`, every resource.
    """
    lines: list[str] = []
    unchanged = [stack for stack, stack_plan in plan.stacks.items() if stack_plan.changes.empty]
    hidden = 0
    for stack, stack_plan in plan.stacks.items():
        changes = stack_plan.changes
        if changes.empty:
            continue
        lines.append(
            f"{stack}: {len(changes.create)} to create, {len(changes.update)} to update, "
            f"{len(changes.delete)} to delete"
        )
        hidden += len(changes.create)
        lines.extend(f"  ~ update {_label(u.urn)}  changed: {', '.join(u.keys)}" for u in changes.update)
        retained = set(stack_plan.retained)
        lines.extend(f"  - delete {_label(urn)}{_RETAINED if urn in retained else ''}" for urn in changes.delete)
    if unchanged:
        lines.append(f"{unchanged[0]}: no changes" if len(unchanged) == 1 else f"{len(unchanged)} stacks: no changes")
    create, update, delete = plan.counts
    lines.append("")
    lines.append(f"Plan: {create} to create, {update} to update, {delete} to delete.")
    if hidden:
        lines.append(f"({hidden} creates not listed; --verbose lists every resource)")
    return "\n".join(lines) + "\n"


def _label(urn: str) -> str:
    """`name (type)` from a URN, as `Plan.to_text` writes it."""
    parts = urn.split("::")
    return f"{parts[-1]} ({parts[2].split('$')[-1]})" if len(parts) >= 4 else urn


def emit_plan(
    plan: Plan, fmt: str, out: Path | None, policy: PolicyReport | None = None, *, verbose: bool = True
) -> None:
    """Print the plan in `fmt` (with its policy verdict); `--out` saves the JSON form atomically.

    Text is the summary unless `verbose`; JSON is always complete.
    """
    payload = plan.to_json() | ({"policy": policy.to_json()} if policy is not None else {})
    if out is not None:
        write_atomic(out, json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    if fmt == "json":
        echo_json(payload)
    else:
        click.echo(plan.to_text() if verbose else plan_summary(plan), nl=False)
        if policy is not None and (policy.violations or policy.waiver_notes):
            from wardcloud.policies.report.text import render as policy_text

            click.echo("\nPolicy:\n" + policy_text(policy), nl=False)


def _key(path: Path | None, required: str | None = None) -> SigningKey | None:
    """The signing key at `path`; a usage error naming what needs it when it is required and absent."""
    from wardcloud.audit.keys import SigningKey

    if path is None:
        if required:
            raise click.UsageError(f"--key KEY is required: {required}")
        return None
    return SigningKey.load(path)


@click.command()
@ward_option
@format_option
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Save the plan for `approve` and `apply` (inputs named by SHA-256, expiry); includes a "
    "never-applied platform.",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=None,
    help="Render processes (default: 2 for 4+ stacks, else 1).",
)
@click.option("-v", "--verbose", is_flag=True, help="List every resource to create (default: counts per stack).")
@key_option
@governance_option()
@click.pass_obj
def plan(
    settings: Settings,
    wards: tuple[str, ...],
    fmt: str,
    out: Path | None,
    jobs: int | None,
    verbose: bool,
    key_path: Path | None,
    governance_dir: Path,
) -> int:
    """Render stacks offline (Pulumi mocks) and diff against applied state.

    Prints a summary: per changed stack its counts, updates and deletes; --verbose lists every resource.
    With --out, save the plan for `wardctl approve` and `wardctl apply PLAN` (--key names you its author).
    Exit 0: no changes; 2: changes; 1: error.
    """
    if out is not None:
        from wardcloud.governance.plans import make_saved_plan

        with rendering_progress() as on_rendered:
            result, report, saved = make_saved_plan(
                settings.tenants_dir,
                settings.state_dir,
                governance_dir,
                wards,
                actor=settings.actor,
                key=_key(key_path),
                jobs=jobs,
                on_rendered=on_rendered,
            )
        saved.save(out)
        emit_plan(result, fmt, None, report, verbose=verbose)
        if fmt == "text":
            click.echo(f"Saved plan {saved.digest} to {out} (expires {saved.document['expires']}).")
        return EXIT_CHANGES if result.has_changes else EXIT_NO_CHANGES
    from wardcloud.infra.plan import make_plan
    from wardcloud.policies.engine import plan_report

    tenants = load_tenants(settings.tenants_dir, settings.verdicts)
    with rendering_progress() as on_rendered:
        result = make_plan(tenants, settings.state_dir, wards, jobs=jobs, on_rendered=on_rendered)
    emit_plan(result, fmt, None, plan_report(tenants, {stack: p.graph for stack, p in result.stacks.items()}),
              verbose=verbose)
    return EXIT_CHANGES if result.has_changes else EXIT_NO_CHANGES


@click.group()
def state() -> None:
    """Recorded state of the stacks (what `plan` diffs against)."""


@state.command("import")
@click.option("--stack", required=True, help="Stack name: platform or ward-<code6>.")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def state_import(settings: Settings, stack: str, file: Path, fmt: str) -> None:
    """Record a `pulumi stack export` (version 3) FILE as the applied state of --stack."""
    from wardcloud.infra.state import import_deployment

    recorded = import_deployment(settings.state_dir, stack, file)
    if fmt == "json":
        echo_json({"stack": stack, "resources": len(recorded.graph.resources), "ids": len(recorded.ids)})
    else:
        click.echo(f"{stack}: recorded {len(recorded.graph.resources)} resources from {file}.")


@click.command()
@click.argument("plan_file", type=click.Path(path_type=Path, dir_okay=False), required=False)
@click.option(
    "--waiver",
    metavar="CODE6:POLICY",
    default=None,
    help="Sign that ward's waiver of POLICY instead (a security signer not of that ward).",
)
@key_option
@governance_option()
@format_option
@click.pass_obj
def approve(
    settings: Settings,
    plan_file: Path | None,
    waiver: str | None,
    key_path: Path | None,
    governance_dir: Path,
    fmt: str,
) -> int:
    """Sign a saved plan's digest (or, with --waiver, a ward's waiver) with your key.

    Exit 0 when the plan now has every approval governance/rules.yaml asks; 2 when more are needed.
    """
    from wardcloud.governance.apply import approve_plan, approve_waiver

    key = _key(key_path, "approving is signing")
    assert key is not None
    context = audit_context(key=key)
    if waiver is not None:
        if plan_file is not None:
            raise click.UsageError("give a PLAN_FILE or --waiver, not both")
        path = approve_waiver(settings.tenants_dir, waiver, key, governance_dir, context)
        if fmt == "json":
            echo_json({"waiver": waiver, "signer": key.fingerprint, "file": str(path)})
        else:
            click.echo(f"waiver {waiver} signed by {key.fingerprint} ({path})")
        return EXIT_NO_CHANGES
    if plan_file is None:
        raise click.UsageError("give the saved plan to approve (wardctl plan --out FILE), or --waiver")
    saved, verdict = approve_plan(plan_file, key, governance_dir, context)
    if fmt == "json":
        echo_json({"plan": saved.digest, "signer": key.fingerprint, **verdict.to_json()})
    else:
        click.echo(f"{plan_file}: approved by {key.fingerprint} (plan {saved.digest[:16]}…)")
        click.echo(
            "Ready to apply."
            if verdict.approved
            else "Still needs: " + "; ".join(verdict.missing)
        )
    return EXIT_NO_CHANGES if verdict.approved else EXIT_CHANGES


@click.command()
@click.argument("plan_file", type=click.Path(path_type=Path, dir_okay=False))
@key_option
@governance_option()
@click.option("--break-glass", is_flag=True, help="Apply with one approval (needs --reason); recorded as unreviewed.")
@click.option("--reason", default=None, help="Why break-glass is needed (recorded).")
@yes_option()
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="Render processes and parallel ward updates.")
@click.pass_obj
def apply(
    settings: Settings,
    plan_file: Path,
    key_path: Path | None,
    governance_dir: Path,
    break_glass: bool,
    reason: str | None,
    yes: bool,
    jobs: int | None,
) -> int:
    """Apply exactly a saved, approved plan: `pulumi up` its changed stacks (platform first).

    Refuses, changing nothing, if the plan was edited or expired, lacks approvals, any input changed,
    or the policy gate fails; then needs the pulumi CLI and OpenStack credentials.
    """
    from wardcloud.governance.apply import apply_saved_plan

    key = _key(key_path, "the audit records of an apply are signed by whoever applies it")
    assert key is not None

    def confirm(result: Plan) -> bool:
        click.echo(result.to_text(), nl=False)
        if not yes:
            click.confirm("Apply these changes?", abort=True)
        return True

    outcome = apply_saved_plan(
        plan_file,
        tenants_dir=settings.tenants_dir,
        state_dir=settings.state_dir,
        governance_dir=governance_dir,
        key=key,
        break_glass=(reason or "") if break_glass else None,  # no reason: GOV009 from the library
        audit_log=settings.audit_log,
        argv=command_argv(click.get_current_context()),
        jobs=jobs or 2,
        log=lambda line: click.echo(line, err=True),
        confirm=confirm,
    )
    if not outcome.approved.plan.has_changes:
        click.echo("Nothing to apply.")
        return EXIT_NO_CHANGES
    if break_glass:
        click.echo("BREAK-GLASS apply: unreviewed until a second signer runs `wardctl audit ack`.", err=True)
    for stack_outcome in outcome.outcomes:
        click.echo(
            f"{stack_outcome.stack}: applied"
            if stack_outcome.ok
            else f"{stack_outcome.stack}: FAILED {stack_outcome.message}"
        )
    return EXIT_NO_CHANGES if outcome.ok else EXIT_ERROR


@click.command()
@click.option("--ward", "code", required=True, metavar="CODE6", callback=check_ward_codes,
              help="The departed ward whose stack goes.")
@yes_option()
@click.option("--dry-run", is_flag=True, help="Show what would be destroyed (and retained), change nothing.")
@key_option
@format_option
@click.pass_obj
def destroy(settings: Settings, code: str, yes: bool, dry_run: bool, key_path: Path | None, fmt: str) -> int:
    """Destroy the stack of a ward whose membership has ended; its audit-log container is retained."""
    from wardcloud.governance.apply import destroy_ward

    context = audit_context(key=_key(key_path))

    def confirm(result: Plan) -> bool:
        emit_plan(result, fmt, None)
        if not yes:
            click.confirm(f"Destroy ward-{code}?", abort=True)
        return True

    result, outcome = destroy_ward(
        code,
        tenants_dir=settings.tenants_dir,
        state_dir=settings.state_dir,
        context=context,
        dry_run=dry_run,
        log=lambda line: click.echo(line, err=True),
        confirm=confirm,
    )
    if outcome is None:
        emit_plan(result, fmt, None)
        return EXIT_CHANGES if result.has_changes else EXIT_NO_CHANGES
    click.echo(
        f"{outcome.stack}: destroyed (audit log retained)"
        if outcome.ok
        else f"{outcome.stack}: FAILED {outcome.message}"
    )
    return EXIT_NO_CHANGES if outcome.ok else EXIT_ERROR
