"""`wardctl validate`: schema and cross-ward checks on tenant files."""

from __future__ import annotations

from pathlib import Path

import click

from wardcloud.cli.context import Settings
from wardcloud.cli.output import echo_json, echo_problems
from wardcloud.tenants.validate import validate_paths


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def validate(settings: Settings, paths: tuple[Path, ...], fmt: str) -> None:
    """Validate tenant files (default: the --tenants directory). Exit 1 on any problem."""
    result = validate_paths(list(paths) or [settings.tenants_dir])
    problems = settings.explain(result.problems)
    if fmt == "json":
        echo_json({"valid": result.valid, "tenants": len(result.tenants),
                   "errors": [p.to_json() for p in problems]})
    else:
        echo_problems(problems)
        if result.valid:
            click.echo(f"{len(result.tenants)} tenant files valid.")
        else:
            click.echo(f"{len(result.problems)} problem(s) in {result.files} file(s).", err=True)
    if not result.valid:
        raise SystemExit(1)
