"""`wardctl`: the platform team's one command. Commands parse, call a library, format."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from wardcloud.cli.context import Settings
from wardcloud.cli.lazy import LazyGroup
from wardcloud.core.errors import WardcloudError

COMMANDS = {  # name → where it lives; a command's module is imported only when it runs
    "validate": "wardcloud.cli.validate:validate",
    "tenant": "wardcloud.cli.tenant:tenant",
    "policy": "wardcloud.cli.policy:policy",
    "plan": "wardcloud.cli.infra:plan",
    "state": "wardcloud.cli.infra:state",
    "apply": "wardcloud.cli.infra:apply",
    "destroy": "wardcloud.cli.infra:destroy",
    "cost": "wardcloud.cli.cost:cost",
    "report": "wardcloud.cli.report:report",
    "inventory": "wardcloud.cli.inventory:inventory",
    "drift": "wardcloud.cli.drift:drift_command",
    "audit": "wardcloud.cli.audit:audit",
    "guardrails": "wardcloud.cli.guardrails:guardrails",
}


class WardctlGroup(LazyGroup):
    """The command group, with the error contract built in so every caller (shell or test) sees it."""

    def main(self, *args: Any, **kwargs: Any) -> Any:  # noqa: D102 - click's entry point
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            exc.show()
            sys.exit(1)  # usage errors are bad input too: exit 1
        except WardcloudError as exc:
            for problem in exc.problems:
                click.echo(problem.render(), err=True)
            sys.exit(1)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        except Exception as exc:  # a bug: one line; the traceback on request
            if os.environ.get("WARDCTL_DEBUG"):
                raise
            click.echo(f"wardctl: internal error: {type(exc).__name__}: {exc} "
                       "(set WARDCTL_DEBUG=1 for a traceback)", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(cls=WardctlGroup, lazy_subcommands=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--tenants", "tenants_dir", type=click.Path(path_type=Path), envvar="WARDCTL_TENANTS",
              default=Path("tenants/wards"), show_default=True, show_envvar=True,
              help="Directory of ward tenant files.")
@click.option("--state", "state_dir", type=click.Path(path_type=Path), envvar="WARDCTL_STATE",
              default=Path(".wardctl"), show_default=True, show_envvar=True,
              help="State directory (applied graphs, audit log, Pulumi file backend).")
@click.option("--actor", envvar="WARDCTL_ACTOR", default=None, show_envvar=True,
              help="Who is acting, for the audit log (default: the OS user).")
@click.option("--audit-log", "audit_log", type=click.Path(path_type=Path, dir_okay=False),
              envvar="WARDCTL_AUDIT_LOG", default=None, show_envvar=True,
              help="Audit log file (default: STATE/audit.jsonl).")
@click.version_option(package_name="wardcloud")
@click.pass_context
def cli(ctx: click.Context, tenants_dir: Path, state_dir: Path, actor: str | None,
        audit_log: Path | None) -> None:
    """Control plane of the private cloud Tokyo's 23 special wards share."""
    ctx.obj = Settings(tenants_dir=tenants_dir, state_dir=state_dir, actor=actor, audit_log=audit_log)


def main() -> None:
    """Console entry point (`wardctl`)."""
    cli.main()


if __name__ == "__main__":
    main()
