"""`wardctl guardrails render`: the `prevent` layer as oslo.policy files for Keystone, Neutron, Nova, Cinder."""

from __future__ import annotations

from pathlib import Path

import click

from wardcloud.cli.output import echo_json


@click.group()
def guardrails() -> None:
    """Guardrails the cloud itself enforces (oslo.policy overrides generated from the catalogue)."""


@guardrails.command("render")
@click.option(
    "--out", required=True, type=click.Path(path_type=Path, file_okay=True), help="Directory to write into."
)
@click.option(
    "--layout",
    type=click.Choice(["flat", "per-service"]),
    default="flat",
    show_default=True,
    help="flat: OUT/<service>.yaml; per-service: OUT/<service>/policy.yaml (as /etc/<service>/).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def render_command(out: Path, layout: str, fmt: str) -> None:
    """Write one policy file per service; each guardrail names the rule IDs it enforces."""
    from wardcloud.policies.guardrails import write_guardrails

    written = write_guardrails(out, layout=layout)  # type: ignore[arg-type]
    if fmt == "json":
        echo_json({"files": [f.to_json() for f in written]})
        return
    for f in written:
        click.echo(f"{f.service:9} {f.guardrails:3} guardrails  {f.path}")
