"""`wardctl tenant new|list`: scaffold and list ward tenant files."""

from __future__ import annotations

from datetime import date, datetime

import click
from rich.console import Console
from rich.table import Table

from wardcloud.cli.context import Settings
from wardcloud.cli.output import echo_json
from wardcloud.tenants.scaffold import new_tenant_file
from wardcloud.tenants.validate import load_tenants


@click.group()
def tenant() -> None:
    """Scaffold and list ward tenant files."""


@tenant.command("new")
@click.argument("code6")
@click.option("--joined", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Membership start (default: today).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def new(settings: Settings, code6: str, joined: datetime | None, fmt: str) -> None:
    """Write a valid tenant file for ward CODE6 with the next free address blocks."""
    path = new_tenant_file(code6, settings.tenants_dir, joined.date() if joined is not None else date.today())
    if fmt == "json":
        echo_json({"ward": code6, "wrote": str(path)})
    else:
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
