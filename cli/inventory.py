"""`wardctl inventory`: what is really in the cloud, in the graph shape `plan` renders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from wardcloud.cli.output import echo_json
from wardcloud.core.cloud import DEFAULT_TIMEOUT  # cheap: the SDK loads only inside connect()


def CLOUD_OPTION(command: Callable[..., Any]) -> Callable[..., Any]:  # noqa: N802 - reads as a constant
    """`--cloud NAME` and `--timeout SECONDS`, shared by every command that talks to a live cloud."""
    command = click.option(
        "--timeout",
        "timeout",
        type=click.FloatRange(min=0.1),
        default=DEFAULT_TIMEOUT,
        show_default=True,
        envvar="WARDCTL_CLOUD_TIMEOUT",
        show_envvar=True,
        help="Seconds to wait for any one API call.",
    )(command)
    return click.option(
        "--cloud",
        "cloud",
        required=True,
        envvar="WARDCTL_CLOUD",
        show_envvar=True,
        help="clouds.yaml entry (OS_CLIENT_CONFIG_FILE picks the file); `envvars` for OS_*.",
    )(command)


def short_type(type_token: str) -> str:
    """`openstack:networking/secGroupRule:SecGroupRule` → `SecGroupRule`, for tables people read."""
    return type_token.rsplit(":", 1)[-1]


@click.command()
@CLOUD_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def inventory(cloud: str, timeout: float, fmt: str) -> None:
    """Read the live cloud (projects, groups, roles, networks, security groups, RBAC, quotas, containers)."""
    # imported here: the Pulumi and OpenStack SDKs load only when a live-cloud command runs
    from wardcloud.core.cloud import connect
    from wardcloud.live.inventory import read_inventory

    result = read_inventory(connect(cloud, timeout=timeout))
    if fmt == "json":
        echo_json(result.to_json())
        return
    for stack, graph in result.graphs.items():
        resources = [r for r in graph if not r.type.startswith("wardcloud:")]
        click.echo(f"{stack} ({len(resources)} resources)")
        ids = result.ids.get(stack, {})
        for resource in resources:
            flags = []
            if resource.inputs.get("shared"):
                flags.append("SHARED")
            if resource.inputs.get("external"):
                flags.append("external")
            click.echo(
                f"  {short_type(resource.type):<16} {resource.name:<60} {ids.get(resource.name, '')}"
                + (f"  [{', '.join(flags)}]" if flags else "")
            )
    for type_, why in sorted(result.not_read.items()):
        click.echo(f"not read: {short_type(type_)} ({why})")
