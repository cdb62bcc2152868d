"""`wardctl tenant new|list`: scaffold and list ward tenant files."""

from __future__ import annotations

from datetime import date

import click
from rich.console import Console
from rich.table import Table

from wardcloud.cli.context import Settings
from wardcloud.cli.output import echo_json
from wardcloud.tenants.problems import Code, Problem, TenantError
from wardcloud.tenants.reference import POPULATION_AS_OF, address_plan, reference_wards
from wardcloud.tenants.scaffold import ScaffoldError, scaffold
from wardcloud.tenants.validate import load_tenants, validate_paths


@click.group()
def tenant() -> None:
    """Scaffold and list ward tenant files."""


@tenant.command("new")
@click.argument("code6")
@click.option("--joined", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Membership start (default: today).")
@click.pass_obj
def new(settings: Settings, code6: str, joined: object) -> None:
    """Write a valid tenant file for ward CODE6 with the next free address blocks."""
    ward = next((w for w in reference_wards() if w.code6 == code6), None)
    if ward is None:
        known = ", ".join(w.code6 for w in reference_wards())
        raise click.ClickException(f"unknown ward code {code6}; known: {known}")
    existing = validate_paths([settings.tenants_dir]).tenants if settings.tenants_dir.is_dir() else ()
    joined_on = joined.date() if joined is not None else date.today()  # type: ignore[attr-defined]
    try:
        path = scaffold(ward, settings.tenants_dir, existing, address_plan(), joined_on, POPULATION_AS_OF)
    except ScaffoldError as exc:
        raise TenantError([Problem(str(settings.tenants_dir), 0, 0, Code.FILE_NAME, str(exc))]) from exc
    click.echo(f"wrote {path}")


@tenant.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def list_(settings: Settings, fmt: str) -> None:
    """Table of wards: code, name, population, joined, segments."""
    tenants = load_tenants(settings.tenants_dir, settings.verdicts)
    if fmt == "json":
        echo_json({"tenants": [t.summary() for t in tenants]})
        return
    table = Table("code", "name", "name_en", "population", "joined", "mynumber", "lgwan", "internet")
    for t in tenants:
        table.add_row(t.code, t.name, t.name_en, f"{t.population:,}", t.membership.joined.isoformat(),
                      *(str(s.cidr) for s in t.segments))
    Console(width=140).print(table)
