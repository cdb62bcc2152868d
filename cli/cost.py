"""`wardctl cost allocate|simulate`: split a FOCUS bill among the wards by the burden-sharing rules."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from wardcloud.cli.audited import audited
from wardcloud.cli.context import Settings
from wardcloud.cli.lazy import LazyGroup
from wardcloud.cli.options import check_ward_codes, period_option
from wardcloud.core.files import publish, temporary_beside, write_atomic

# The libraries load inside the commands, after `audited` has started hashing the inputs in a thread and
# (for `allocate`) DuckDB has started opening a database in another: the SHA-256 of a 100 MB bill (~60 ms)
# and DuckDB's start-up (~25 ms) then overlap importing the allocation code instead of following it.
# bench/cost.py measures the difference.
if TYPE_CHECKING:
    from wardcloud.cost_allocation.ledger import Issue
    from wardcloud.cost_allocation.model import Statement
    from wardcloud.cost_allocation.rules import Rules
    from wardcloud.cost_allocation.shares import Period, Ward
    from wardcloud.cost_allocation.simulate import Simulation
    from wardcloud.tenants.model import Tenant

_FILE = click.Path(path_type=Path, dir_okay=False)


@click.group(
    "cost",
    cls=LazyGroup,
    lazy_subcommands={
        "usage": "wardcloud.cli.cost_usage:usage",  # usage: live cloud
        "estimate": "wardcloud.cli.cost_finance:estimate",  # the fiscal-year commands: off allocate's path
        "settle": "wardcloud.cli.cost_finance:settle",
        "budget": "wardcloud.cli.cost_finance:budget",
    },
)
def cost() -> None:
    """Split FOCUS bills among the wards by the report's burden-sharing rules."""


def _period(text: str) -> Period:
    from wardcloud.cost_allocation.errors import Code, CostError, Problem
    from wardcloud.cost_allocation.shares import Period

    try:
        return Period.month(text)
    except ValueError as exc:
        raise CostError([Problem("--period", 0, 0, Code.BAD_PERIOD, str(exc))]) from exc


def _wards(settings: Settings, loaded: list[Tenant] | None = None) -> list[Ward]:
    """The wards of the tenant files, loaded once; `loaded` keeps the tenants for writers that need them."""
    from wardcloud.cost_allocation.shares import Ward
    from wardcloud.tenants.validate import load_tenants

    tenants = load_tenants(settings.tenants_dir, settings.verdicts)
    if loaded is not None:
        loaded.extend(tenants)
    return [Ward.from_tenant(t) for t in tenants]


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=False)
    else:
        write_atomic(out, text)


@cost.command("allocate")
@click.option("--bill", "bill_path", type=_FILE, required=True, help="FOCUS bill, CSV or Parquet.")
@click.option("--rules", "rules_path", type=_FILE, required=True, help="Allocation rules YAML.")
@click.option(
    "--usage",
    "usage_path",
    type=_FILE,
    default=None,
    help="FOCUS-style usage rows for usage drivers (default: the bill's own ward rows).",
)
@period_option(help="Billing month; every row must lie in it.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "csv", "json", "focus", "xlsx"]),
    default="text",
    show_default=True,
)
@click.option("--out", type=_FILE, default=None, help="Write here (atomically) instead of stdout.")
@click.option(
    "--allow-duplicate-rows",
    "allow_duplicates",
    is_flag=True,
    help="Accept bill rows equal in every column (refused by default: a bill fed twice).",
)
@click.option(
    "--issue",
    is_flag=True,
    help="Record the statement as issued in STATE/ledger (a changed re-issue is a correction with 差額).",
)
@click.pass_obj
def allocate_command(
    settings: Settings,
    bill_path: Path,
    rules_path: Path,
    usage_path: Path | None,
    period: str,
    fmt: str,
    out: Path | None,
    allow_duplicates: bool = False,
    issue: bool = False,
) -> None:
    """Allocate BILL by RULES for --period: per-ward direct, shared and buy-in charges."""
    inputs = {"bill": bill_path, "rules": rules_path, "usage": usage_path, "tenants": settings.tenants_dir}
    with audited("cost allocate", inputs) as note:  # success or failure, the allocation is on record
        from wardcloud.cost_allocation.database import close_database, start_database

        database = start_database()  # DuckDB starts while the allocation code loads
        try:
            from wardcloud.cost_allocation.statement import allocate, read_inputs, render_csv, render_text

            month = _period(period)
        except BaseException:
            close_database(database)
            raise
        tenants: list[Tenant] = []  # loaded once, while DuckDB reads the bill; the workbook reuses them
        rules, bill, usage, wards = read_inputs(
            bill_path,
            rules_path,
            lambda: _wards(settings, tenants),
            month,
            usage_path,
            settings.verdicts,
            database,
            allow_duplicates,
        )
        statement = allocate(bill, rules, wards, month, usage)
        issued = _issue(settings, statement, rules, bill_path, rules_path, usage_path) if issue else None
        if issued is not None:
            note.summary["issue"] = {k: v for k, v in issued.to_json().items() if k != "statement"}
        if fmt == "json":
            document = statement.to_json()
            if issue:
                document["issue"] = _issue_json(issued, settings, statement.period.label)
            _emit(json.dumps(document, ensure_ascii=False, indent=2) + "\n", out)
        elif fmt == "csv":
            _emit(render_csv(statement), out)
        elif fmt == "text":
            _emit(render_text(statement) + (_issue_text(issued, settings, statement) if issue else ""), out)
        elif fmt == "xlsx":
            if out is None:
                raise click.UsageError("--format xlsx needs --out FILE.xlsx")
            from wardcloud.reports.xlsx import write_statements_xlsx  # late: openpyxl only when a workbook is asked for

            write_statements_xlsx(
                statement,
                out,
                tenants=tenants,
                inputs=[("bill", bill_path), ("rules", rules_path), ("usage", usage_path)],
            )
        else:
            _write_focus(bill_path, out, rules, wards, statement)
        if issue and fmt not in ("json", "text"):  # the statement went to a file or stdout: say so aside
            click.echo(_issue_text(issued, settings, statement).strip(), err=True)
        note.summary.update(
            {
                "period": statement.period.label,
                "currency": statement.currency,
                "total": statement.total,
                "out": str(out) if out else None,
                "totals": {w.code: w.total for w in statement.wards},
            }
        )
        note.wards.extend(w.code for w in statement.wards)


def _issue(
    settings: Settings,
    statement: Statement,
    rules: Rules,
    bill_path: Path,
    rules_path: Path,
    usage_path: Path | None,
) -> Issue | None:
    """Record the statement in the ledger; None when it repeats the standing issue of its period."""
    from datetime import UTC, datetime

    from wardcloud.audit.recorder import resolve_actor
    from wardcloud.cost_allocation.ledger import Ledger, input_digests

    files: list[tuple[str, Path | None]] = [("bill", bill_path), ("rules", rules_path), ("usage", usage_path)]
    if rules.driver_data is not None:
        files.append(("drivers", Path(rules.driver_data.file)))
    ledger = Ledger(settings.state_dir)
    prepared = ledger.prepare(
        statement.to_json(),
        input_digests(files, settings.tenants_dir),
        resolve_actor(settings.actor),
        datetime.now(UTC),
    )
    if prepared is None:
        return None
    path = ledger.record(prepared)
    from dataclasses import replace

    return replace(prepared, file=str(path))


def _issue_json(issued: Issue | None, settings: Settings, period: str) -> dict[str, object]:
    from wardcloud.cost_allocation.ledger import Ledger

    standing = issued or Ledger(settings.state_dir).latest(period)
    assert standing is not None
    data = {k: v for k, v in standing.to_json().items() if k not in ("statement", "inputs")}
    data["unchanged"] = issued is None
    return data


def _issue_text(issued: Issue | None, settings: Settings, statement: Statement) -> str:
    from wardcloud.cost_allocation.ledger import Ledger, render_issue

    if issued is None:
        standing = Ledger(settings.state_dir).latest(statement.period.label)
        assert standing is not None
        return f"\nUnchanged: {standing.period} no. {standing.number} stands; nothing issued.\n"
    return "\n" + render_issue(issued, {w.code: w.name for w in statement.wards})


def _write_focus(bill_path: Path, out: Path | None, rules: Rules, wards: Sequence[Ward], statement: Statement) -> None:
    """DuckDB writes the rows to a temporary file beside the target, renamed over it when complete (and
    only once the audit record is written: `publish` inside `audited`)."""
    from wardcloud.cost_allocation.focus import write_focus_split
    from wardcloud.cost_allocation.statement import RATIO_UNITS, row_splits

    splits = row_splits(statement, rules, wards)
    if out is not None:  # a complete temporary beside the target, published once the audit record is written
        temporary = temporary_beside(out, out.suffix)
        try:
            temporary.unlink()
            write_focus_split(bill_path, temporary, rules.pools, wards, splits, RATIO_UNITS)
            _append_capital(temporary, statement, wards)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        publish(temporary, out)
        return
    fd, tmp = tempfile.mkstemp(prefix=".cost-focus.", suffix=".csv")
    os.close(fd)
    temporary = Path(tmp)
    try:
        temporary.unlink()
        write_focus_split(bill_path, temporary, rules.pools, wards, splits, RATIO_UNITS)
        _append_capital(temporary, statement, wards)
        with temporary.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                click.echo(chunk, nl=False)  # bytes go to stdout's binary buffer as they are
    finally:
        temporary.unlink(missing_ok=True)


def _append_capital(path: Path, statement: Statement, wards: Sequence[Ward]) -> None:
    """Buy-in and leave settlements as FOCUS rows of their own, never netted into the month's charges."""
    if statement.buy_ins or statement.leaves:
        from wardcloud.cost_allocation.focus_capital import append_capital_rows, capital_rows

        append_capital_rows(path, capital_rows(statement, wards))


@cost.command("simulate")
@click.option(
    "--join", "join", metavar="CODE6", default=None, callback=check_ward_codes, help="Ward joining on --date."
)
@click.option(
    "--leave", "leave", metavar="CODE6", default=None, callback=check_ward_codes, help="Ward leaving on --date."
)
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    required=True,
    help="Date of the change (YYYY-MM-DD).",
)
@click.option("--bill", "bill_path", type=_FILE, required=True, help="FOCUS bill, CSV or Parquet.")
@click.option("--rules", "rules_path", type=_FILE, required=True, help="Allocation rules YAML.")
@click.option("--usage", "usage_path", type=_FILE, default=None, help="Usage rows for usage drivers.")
@period_option(required=False, help="Billing month (default: the month of --date).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--out", type=_FILE, default=None, help="Write here (atomically) instead of stdout.")
@click.pass_obj
def simulate_command(
    settings: Settings,
    join: str | None,
    leave: str | None,
    day: datetime,
    bill_path: Path,
    rules_path: Path,
    usage_path: Path | None,
    period: str | None,
    fmt: str,
    out: Path | None,
) -> None:
    """What-if: each ward's charge before and after a ward joins or leaves, with the buy-in flows."""
    from wardcloud.cost_allocation.errors import Code, CostError, Problem
    from wardcloud.cost_allocation.focus import period_of
    from wardcloud.cost_allocation.rules import load_rules
    from wardcloud.cost_allocation.simulate import Change, reference_candidates, simulate

    if (join is None) == (leave is None):
        raise CostError([Problem("--join/--leave", 0, 0, Code.BAD_CHANGE, "give exactly one of --join or --leave")])
    change = Change("join" if join else "leave", join or leave or "", day.date())
    month = _period(period) if period else period_of(change.day)
    load_rules(rules_path)  # rules errors first, before tenants and bill
    result = simulate(bill_path, rules_path, _wards(settings), month, change, usage_path, reference_candidates())
    if fmt == "json":
        _emit(json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n", out)
    else:
        _emit(render_simulation(result), out)


def render_simulation(result: Simulation) -> str:
    """Before/after/delta per ward, then the buy-in flows."""
    data = result.to_json()
    change = data["change"]
    lines = [
        f"What if {change['ward']} {change['action']}s on {change['date']} ({data['period']}, {data['currency']})",
        "",
        f"{'code':<7} {'before':>14} {'after':>14} {'delta':>14}  name",
    ]
    for ward in data["wards"]:
        lines.append(
            f"{ward['code']:<7} {ward['before']:>14,} {ward['after']:>14,} {ward['delta']:>+14,}  {ward['name']}"
        )
    lines.append(f"{'TOTAL':<7} {data['total']['before']:>14,} {data['total']['after']:>14,}")
    for flow in data["buy_in"]:
        lines.append("")
        lines.append(f"buy-in: {flow['newcomer']} (joined {flow['joined']}) pays {flow['payment']:,}")
        for code, refund in flow["refunds"].items():
            lines.append(f"  refund to {code}: {refund:,}")
    for leave in data["leave"]:
        lines.append("")
        lines.append(
            f"leaving: {leave['ward']} (left {leave['left']}) is refunded {leave['refund']:,} "
            f"of its capital {leave['capital']:,}"
        )
        for code, yen in leave["buyout"].items():
            lines.append(f"  paid by {code}: {yen:,}")
        for commitment in leave["commitments"]:
            lines.append(
                f"  commitment {commitment['id']}: {commitment['remaining']:,} remaining, "
                f"{leave['ward']} pays {commitment['payment']:,}"
            )
            for code, yen in commitment["credits"].items():
                lines.append(f"    credited to {code}: {yen:,}")
    return "\n".join(lines) + "\n"
