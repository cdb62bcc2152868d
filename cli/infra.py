"""`wardctl plan / apply / destroy / state import`: the infra commands (parse, call infra, format)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from wardcloud.cli.audited import audited_stacks, waivers_used
from wardcloud.cli.context import Settings
from wardcloud.cli.options import check_ward_codes, yes_option
from wardcloud.cli.output import echo_json
from wardcloud.core.files import write_atomic
from wardcloud.infra.errors import InfraError
from wardcloud.infra.gate import apply_checks
from wardcloud.tenants.validate import load_tenants

if TYPE_CHECKING:
    from wardcloud.infra.plan import Plan
    from wardcloud.policies.engine import PolicyReport
    from wardcloud.tenants.model import Tenant

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


@click.command()
@ward_option
@format_option
@click.option(
    "--out", type=click.Path(path_type=Path, dir_okay=False), help="Also save the plan as JSON here."
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=None,
    help="Render processes (default: 2 for 4+ stacks, else 1).",
)
@click.option("-v", "--verbose", is_flag=True, help="List every resource to create (default: counts per stack).")
@click.pass_obj
def plan(
    settings: Settings, wards: tuple[str, ...], fmt: str, out: Path | None, jobs: int | None, verbose: bool
) -> int:
    """Render stacks offline (Pulumi mocks) and diff against applied state.

    Prints a summary: per changed stack its counts, updates and deletes; --verbose lists every resource.
    Exit 0: no changes; 2: changes; 1: error.
    """
    from wardcloud.infra.plan import make_plan
    from wardcloud.policies.engine import plan_report

    tenants = load_tenants(settings.tenants_dir, settings.verdicts)
    with rendering_progress() as on_rendered:
        result = make_plan(tenants, settings.state_dir, wards, jobs=jobs, on_rendered=on_rendered)
    policy = plan_report(tenants, {stack: p.graph for stack, p in result.stacks.items()})
    emit_plan(result, fmt, out, policy, verbose=verbose)
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
@ward_option
@yes_option()
@click.option(
    "--jobs", type=click.IntRange(1, 64), default=None, help="Render processes and parallel ward updates."
)
@click.pass_obj
def apply(settings: Settings, wards: tuple[str, ...], yes: bool, jobs: int | None) -> int:
    """Validate, check policies, show the plan, confirm, then `pulumi up` changed stacks (platform first)."""
    from wardcloud.infra.deploy import blocking_problems, preflight, run_apply
    from wardcloud.infra.plan import make_plan

    tenants = load_tenants(settings.tenants_dir)
    environment = preflight(settings.state_dir)  # before anything: missing CLI/credentials change nothing
    # ward stacks read the platform's outputs: a never-applied platform is applied first
    result = make_plan(tenants, settings.state_dir, wards, jobs=jobs, platform_if_unapplied=True)
    blocking = blocking_problems(tenants, result, apply_checks())
    if blocking:
        raise InfraError(blocking)
    click.echo(result.to_text(), nl=False)
    if not result.has_changes:
        click.echo("Nothing to apply.")
        return EXIT_NO_CHANGES
    if not yes:
        click.confirm("Apply these changes?", abort=True)
    outcomes = audited_stacks(
        "apply",
        {"tenants": settings.tenants_dir},
        _apply_summaries(tenants, result),
        lambda: run_apply(
            result,
            environment,
            settings.state_dir,
            settings.tenants_dir,
            log=lambda line: click.echo(line, err=True),
            jobs=jobs or 2,
        ),
    )
    for outcome in outcomes:
        click.echo(
            f"{outcome.stack}: applied" if outcome.ok else f"{outcome.stack}: FAILED {outcome.message}"
        )
    return EXIT_NO_CHANGES if all(o.ok for o in outcomes) else EXIT_ERROR


def _apply_summaries(tenants: Sequence[Tenant], plan: Plan) -> dict[str, dict[str, Any]]:
    """Per changed stack, what its audit records say: change counts and the waivers its ward used."""
    from wardcloud.policies.engine import plan_report

    used = waivers_used(plan_report(tenants, {s: p.graph for s, p in plan.stacks.items()}).violations)
    summaries: dict[str, dict[str, Any]] = {}
    for stack in plan.changed_stacks():
        summaries[stack] = dict(_change_counts(plan, stack))
        waivers = [w for w in used if f"ward-{w['ward']}" == stack]
        if waivers:  # any use of a waiver is on record
            summaries[stack]["waivers_used"] = waivers
    return summaries


def _change_counts(plan: Plan, stack: str) -> dict[str, int]:
    """What the audit record of one stack's apply or destroy says it changes."""
    changes = plan.stacks[stack].changes
    counts = {"create": len(changes.create), "update": len(changes.update), "delete": len(changes.delete)}
    return counts | {"retained": len(plan.stacks[stack].retained)} if changes.delete else counts


@click.command()
@click.option("--ward", "code", required=True, metavar="CODE6", callback=check_ward_codes,
              help="The departed ward whose stack goes.")
@yes_option()
@click.option("--dry-run", is_flag=True, help="Show what would be destroyed (and retained), change nothing.")
@format_option
@click.pass_obj
def destroy(settings: Settings, code: str, yes: bool, dry_run: bool, fmt: str) -> int:
    """Destroy the stack of a ward whose membership has ended; its audit-log container is retained."""
    from wardcloud.infra.deploy import destroy_plan, preflight, run_destroy

    tenants = load_tenants(settings.tenants_dir)
    result = destroy_plan(tenants, settings.state_dir, code, date.today())
    environment = None if dry_run else preflight(settings.state_dir)
    emit_plan(result, fmt, None)
    if dry_run:
        return EXIT_CHANGES if result.has_changes else EXIT_NO_CHANGES
    assert environment is not None
    if not yes:
        click.confirm(f"Destroy ward-{code}?", abort=True)
    outcome = audited_stacks(
        "destroy",
        {"tenants": settings.tenants_dir},
        {f"ward-{code}": _change_counts(result, f"ward-{code}")},
        lambda: [
            run_destroy(
                f"ward-{code}",
                environment,
                settings.state_dir,
                settings.tenants_dir,
                log=lambda line: click.echo(line, err=True),
            )
        ],
    )[0]
    click.echo(
        f"{outcome.stack}: destroyed (audit log retained)"
        if outcome.ok
        else f"{outcome.stack}: FAILED {outcome.message}"
    )
    return EXIT_NO_CHANGES if outcome.ok else EXIT_ERROR
