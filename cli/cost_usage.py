"""`wardctl cost usage`: per-ward metered usage from the live cloud, as a FOCUS usage file."""

from __future__ import annotations

from pathlib import Path

import click

from wardcloud.cli.inventory import CLOUD_OPTION
from wardcloud.cli.options import period_option
from wardcloud.cli.output import echo_json


@click.command("usage")
@CLOUD_OPTION
@period_option()
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="FOCUS usage CSV to write (atomically) for `cost allocate --usage`.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def usage(cloud: str, timeout: float, period: str, out: Path, fmt: str) -> None:
    """Per-ward usage as FOCUS rows: Nova hours over the period; Neutron counts, Cinder GB-months and Swift
    bytes as gauges read now, for the current month only (a past month: skipped, named)."""
    # imported here: the OpenStack SDK loads only when a live-cloud command runs
    from wardcloud.core.cloud import connect
    from wardcloud.live.usage import parse_period, read_usage, write_usage

    month = parse_period(period)
    result = read_usage(connect(cloud, timeout=timeout), month)
    write_usage(result, out)
    if fmt == "json":
        echo_json({**result.to_json(), "out": str(out)})
        return
    for skipped in result.skipped:
        click.echo(f"skipped: {skipped.service}: {skipped.reason}", err=True)
    wards = len({row.ward for row in result.rows})
    click.echo(f"{len(result.rows)} usage rows for {wards} ward(s), {month.label}, written to {out}")
