"""`wardctl report`: the monthly finance report as one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path

import click

from wardcloud.cli.context import Settings
from wardcloud.cli.options import period_option
from wardcloud.cli.output import echo_json
from wardcloud.tenants.validate import load_tenants

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("report")
@period_option()
@click.option("--bill", "bill_path", type=_FILE, help="FOCUS bill to allocate (with --rules), CSV or Parquet.")
@click.option("--rules", "rules_path", type=_FILE, help="Allocation rules YAML.")
@click.option("--usage", "usage_path", type=_FILE, help="Usage rows for usage drivers (default: the bill's).")
@click.option(
    "--allocation",
    "allocation_path",
    type=_FILE,
    help="A saved allocation (`wardctl cost allocate --format json`).",
)
@click.option(
    "--policy",
    "policy_path",
    type=_FILE,
    help="A saved policy result (`wardctl policy check --format json`).",
)
@click.option("--policy-config", type=_FILE, help="Policy config for the policy engine (default: the bundled one).")
@click.option("--previous", type=_FILE, help="Last month's allocation JSON, for month-over-month changes.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="HTML file to write.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def report(
    settings: Settings,
    period: str,
    bill_path: Path | None,
    rules_path: Path | None,
    usage_path: Path | None,
    allocation_path: Path | None,
    policy_path: Path | None,
    policy_config: Path | None,
    previous: Path | None,
    out: Path,
    fmt: str,
) -> None:
    """Write the monthly report: totals, shares vs population, pools, policy status, statements."""
    if (allocation_path is None) == (bill_path is None and rules_path is None):
        raise click.UsageError("give either --bill FILE and --rules FILE, or --allocation FILE.json")
    if allocation_path is None and (bill_path is None or rules_path is None):
        raise click.UsageError("--bill and --rules go together")
    # the report stack (jinja2, charts) loads only when a report is written: other commands start faster
    from wardcloud.audit.log import log_path
    from wardcloud.reports.build import allocate_bill, build_report, check_period, evaluate_policies, load_policy_json
    from wardcloud.reports.charts import yen
    from wardcloud.reports.html import write_html
    from wardcloud.reports.inputs import describe_inputs
    from wardcloud.reports.model import load_allocation

    tenants = load_tenants(settings.tenants_dir, settings.verdicts)
    if allocation_path is not None:
        allocation = load_allocation(allocation_path)
    else:
        assert bill_path is not None and rules_path is not None
        allocation = allocate_bill(bill_path, rules_path, tenants, period, usage_path)
    check_period(period, allocation)  # before the policy engine runs: bad input fails fast
    # a saved policy result, or the policy engine run now on the same tenant files
    policy = (
        load_policy_json(policy_path)
        if policy_path
        else evaluate_policies(tenants, policy_config, audit_log=log_path(settings.state_dir, settings.audit_log))
    )
    inputs = describe_inputs(
        [
            ("bill", bill_path),
            ("rules", rules_path),
            ("usage", usage_path),
            ("allocation", allocation_path),
            ("policy", policy_path),
            ("previous", previous),
        ],
        tenants,
    )
    result = build_report(
        allocation,
        tenants,
        period=period,
        inputs=inputs,
        policy=policy,
        policy_source=str(policy_path or "policy engine"),
        previous=previous,
    )
    write_html(result, out)
    summary = {
        "out": str(out),
        "period": allocation.period.label,
        "currency": allocation.currency,
        "total": allocation.total,
        "wards": len(allocation.wards),
        "policy": result.policy is not None,
        "unreviewed_break_glass": [b.seq for b in result.break_glass],
        "previous": str(previous) if previous else None,
    }
    if fmt == "json":
        echo_json(summary)
    else:
        click.echo(
            f"wrote {out}: {allocation.period.label}, {len(allocation.wards)} wards, total {yen(allocation.total)}"
        )
        for b in result.break_glass:
            click.echo(f"BREAK-GLASS UNREVIEWED record {b.seq}: {', '.join(b.stacks)} ({b.reason}); "
                       f"`wardctl audit ack {b.seq}` by a second signer clears it", err=True)
