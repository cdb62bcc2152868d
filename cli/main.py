"""`wardctl`: the platform team's one command. Commands parse, call a library, format."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from wardcloud.cli.lazy import LazyGroup, requested_format

# Everything else this module uses is imported where it is used: `wardctl --help` is the first thing a new
# user runs and the bench holds it to 80 ms, of which Python and click take most. Each command imports
# what it needs anyway.

COMMANDS = {  # name → where it lives; a command's module is imported only when it runs
    "validate": "wardcloud.cli.validate:validate",
    "tenant": "wardcloud.cli.tenant:tenant",
    "policy": "wardcloud.cli.policy:policy",
    "plan": "wardcloud.cli.infra:plan",
    "state": "wardcloud.cli.infra:state",
    "approve": "wardcloud.cli.infra:approve",
    "apply": "wardcloud.cli.infra:apply",
    "destroy": "wardcloud.cli.infra:destroy",
    "cost": "wardcloud.cli.cost:cost",
    "report": "wardcloud.cli.report:report",
    "inventory": "wardcloud.cli.inventory:inventory",
    "drift": "wardcloud.cli.drift:drift_command",
    "audit": "wardcloud.cli.audit:audit",
    "backup": "wardcloud.cli.backup:backup",
    "guardrails": "wardcloud.cli.guardrails:guardrails",
}

# Each command's help as its docstring's first paragraph says it, so `wardctl --help` imports no command
# (tests/test_startup.py checks that they agree).
SHORT_HELP = {
    "validate": "Validate tenant files (default: the --tenants directory). Exit 1 on any problem.",
    "tenant": "Scaffold and list ward tenant files.",
    "policy": "Policy-as-code: the rule catalogue, and checking the wards against it.",
    "plan": "Render stacks offline (Pulumi mocks) and diff against applied state.",
    "state": "Recorded state of the stacks (what `plan` diffs against).",
    "apply": "Apply exactly a saved, approved plan: `pulumi up` its changed stacks (platform first).",
    "destroy": "Destroy the stack of a ward whose membership has ended; its audit-log container is retained.",
    "cost": "Split FOCUS bills among the wards by the report's burden-sharing rules.",
    "report": "Write the monthly report: totals, shares vs population, pools, policy status, statements.",
    "inventory": "Read the live cloud (projects, groups, roles, networks, security groups, RBAC, quotas, containers).",
    "drift": "Missing, unexpected, changed resources per ward; policy violations. Exit 0 clean, 2 drift, 1 error.",
    "audit": "Tamper-evident audit log: verify the chain, list records, anchor the head, repair, ship.",
    "approve": "Sign a saved plan's digest (or, with --waiver, a ward's waiver) with your key.",
    "backup": "Cinder backups of the wards' volumes to Swift, off-site copies, compliance and restore drills.",
    "guardrails": "Guardrails the cloud itself enforces (oslo.policy overrides generated from the catalogue).",
}


ARGS_KEY = "wardctl.args"  # in ctx.meta: the command line as given, for errors raised before --format is parsed


class WardctlGroup(LazyGroup):
    """The command group, with the error contract built in so every caller (shell or test) sees it.

    Bad input is one `FILE:LINE:COL: CODE message` line per problem on stderr, exit 1; when the command was
    given `--format json`, the same problems are `{"errors": [...]}` on stdout instead. Never a traceback.
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:  # noqa: D102 - click's entry point
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except (Exception, KeyboardInterrupt) as exc:  # usage, bad input, Abort, bugs: all reported alike
            # only mistakes in the global options get here; a command's own are handled in invoke()
            if isinstance(exc, click.exceptions.Exit):
                sys.exit(exc.exit_code)
            sys.exit(report_failure(exc, None))
        sys.exit(result if isinstance(result, int) else 0)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:  # noqa: D102 - click's hook
        if not args and not ctx.resilient_parsing:  # `wardctl` alone: the help, a request that succeeded
            click.echo(ctx.get_help())
            ctx.exit(0)
        ctx.meta[ARGS_KEY] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:  # noqa: D102 - click's hook
        try:
            return super().invoke(ctx)
        except click.exceptions.Exit:
            raise
        except (Exception, KeyboardInterrupt) as exc:
            from wardcloud.cli.context import Settings
            from wardcloud.core.errors import WardcloudError

            if isinstance(exc, WardcloudError) and isinstance(ctx.obj, Settings):
                exc = WardcloudError(ctx.obj.explain(exc.problems))
            fmt = requested_format(ctx)
            if fmt is None:
                # failed before --format was processed (click rejects an unknown option before it processes
                # any value; an option's own check may run first): read it off the command line as given
                fmt = _format_in(ctx.meta.get(ARGS_KEY, []))
            raise click.exceptions.Exit(report_failure(exc, fmt)) from exc


def _format_in(args: list[str]) -> str | None:
    """The value of the last `--format X` / `--format=X` among raw command-line words."""
    fmt = None
    for word, following in zip(args, [*args[1:], ""], strict=False):
        if word == "--format":
            fmt = following
        elif word.startswith("--format="):
            fmt = word.partition("=")[2]
    return fmt


def report_failure(exc: BaseException, fmt: str | None) -> int:
    """Print why a command failed, in `fmt` (json: `{"errors": [...]}` on stdout; else text on stderr).

    Returns the exit status: 1 for bad input and bugs, 130 for an interrupt.
    """
    from dataclasses import replace

    from wardcloud.cli.errors import Code
    from wardcloud.cli.output import echo_json, echo_problems
    from wardcloud.core.errors import Problem, WardcloudError
    from wardcloud.core.secrets import mask_secrets

    status = 130 if isinstance(exc, KeyboardInterrupt) else 1
    if isinstance(exc, OSError) and not isinstance(exc, WardcloudError):
        # the disk or the OS refused (full, read-only, not permitted): a FILE line, never "internal error"
        from wardcloud.core.files import os_error

        exc = os_error(exc.filename or "wardctl", exc, "cannot complete")
    if isinstance(exc, WardcloudError):
        problems = [replace(p, message=mask_secrets(p.message), file=mask_secrets(p.file)) for p in exc.problems]
    elif isinstance(exc, click.exceptions.Abort | KeyboardInterrupt):
        problems = [Problem("wardctl", 0, 0, Code.ABORTED, "Interrupted." if status == 130 else "Aborted.")]
    elif isinstance(exc, click.ClickException):
        if fmt != "json":
            exc.show()
            return 1  # usage errors are bad input too: exit 1
        where = exc.ctx.command_path if isinstance(exc, click.UsageError) and exc.ctx else "wardctl"
        problems = [Problem(where, 0, 0, Code.USAGE, exc.format_message())]
    else:  # a bug: one line; the traceback on request
        if os.environ.get("WARDCTL_DEBUG"):
            raise exc
        problems = [Problem("wardctl", 0, 0, Code.INTERNAL, f"internal error: {type(exc).__name__}: "
                            f"{mask_secrets(str(exc))} (set WARDCTL_DEBUG=1 for a traceback)")]
    if fmt == "json":
        echo_json({"errors": [p.to_json() for p in problems]})
    elif isinstance(exc, WardcloudError):
        echo_problems(problems)
    else:  # no file to point at: the message alone, as before
        message = problems[0].message
        click.echo(message if isinstance(exc, click.exceptions.Abort | KeyboardInterrupt) else f"wardctl: {message}",
                   err=True)
    return status


@click.group("wardctl", cls=WardctlGroup, lazy_subcommands=COMMANDS, lazy_help=SHORT_HELP,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--tenants", "tenants_dir", type=click.Path(file_okay=False), envvar="WARDCTL_TENANTS",
              default="tenants/wards", show_default=True, show_envvar=True,
              help="Directory of ward tenant files.")
@click.option("--state", "state_dir", type=click.Path(file_okay=False), envvar="WARDCTL_STATE",
              default=".wardctl", show_default=True, show_envvar=True,
              help="State directory (applied graphs, audit log, Pulumi file backend).")
@click.option("--actor", envvar="WARDCTL_ACTOR", default=None, show_envvar=True,
              help="Who is acting, for the audit log (default: the OS user).")
@click.option("--audit-log", "audit_log", type=click.Path(dir_okay=False),
              envvar="WARDCTL_AUDIT_LOG", default=None, show_envvar=True,
              help="Audit log file (default: STATE/audit.jsonl).")
@click.version_option(package_name="wardcloud")
@click.pass_context
def cli(ctx: click.Context, tenants_dir: str, state_dir: str, actor: str | None, audit_log: str | None) -> None:
    """Control plane of the private cloud Tokyo's 23 special wards share."""
    # paths made here rather than by click (path_type=Path): `wardctl --help` then never imports pathlib
    from pathlib import Path

    from wardcloud.cli.context import Settings

    ctx.obj = Settings(tenants_dir=Path(tenants_dir), state_dir=Path(state_dir), actor=actor,
                       audit_log=None if audit_log is None else Path(audit_log))


def main() -> None:
    """Console entry point (`wardctl`)."""
    cli.main()


if __name__ == "__main__":
    main()
