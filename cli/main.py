"""`wardctl`: the platform team's one command. Commands parse, call a library, format."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from cli.context import Settings
from cli.tenant import tenant
from cli.validate import validate
from wardcloud_core.errors import WardcloudError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--tenants", "tenants_dir", type=click.Path(path_type=Path), envvar="WARDCTL_TENANTS",
              default=Path("tenants/wards"), show_default=True, show_envvar=True,
              help="Directory of ward tenant files.")
@click.option("--state", "state_dir", type=click.Path(path_type=Path), envvar="WARDCTL_STATE",
              default=Path(".wardctl"), show_default=True, show_envvar=True,
              help="State directory (applied graphs, audit log, Pulumi file backend).")
@click.version_option(package_name="wardcloud")
@click.pass_context
def cli(ctx: click.Context, tenants_dir: Path, state_dir: Path) -> None:
    """Control plane of the private cloud Tokyo's 23 special wards share."""
    ctx.obj = Settings(tenants_dir=tenants_dir, state_dir=state_dir)


cli.add_command(validate)
cli.add_command(tenant)


def main() -> None:
    """Console entry point: bad input is one line per problem and exit 1, never a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(1 if exc.exit_code == 2 else exc.exit_code)  # usage errors are errors: exit 1
    except WardcloudError as exc:
        for problem in exc.problems:
            click.echo(problem.render(), err=True)
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug: say so in one line; the traceback is there on request
        if os.environ.get("WARDCTL_DEBUG"):
            raise
        click.echo(f"wardctl: internal error: {type(exc).__name__}: {exc} (set WARDCTL_DEBUG=1 for a traceback)",
                   err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
