"""`wardctl cost estimate|settle|budget`: the fiscal year — rate card estimates, 年度精算, 予算 forecast."""

from __future__ import annotations

import json
from pathlib import Path

import click

from wardcloud.cli.context import Settings
from wardcloud.cli.options import period_option
from wardcloud.core.files import write_atomic

_FILE = click.Path(path_type=Path, dir_okay=False)


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=False)
    else:
        write_atomic(out, text)


def _period(text: str):  # type: ignore[no-untyped-def]
    from wardcloud.cost_allocation.errors import Code, CostError, Problem
    from wardcloud.cost_allocation.shares import Period

    try:
        return Period.month(text)
    except ValueError as exc:
        raise CostError([Problem("--period", 0, 0, Code.BAD_PERIOD, str(exc))]) from exc


@click.command("estimate")
@click.option(
    "--usage",
    "usage_path",
    type=_FILE,
    required=True,
    help="Usage rows (CSV): SubAccountId, ServiceName, ConsumedQuantity, ConsumedUnit.",
)
@click.option("--rates", "rates_path", type=_FILE, required=True, help="Rate card YAML (rates.yaml).")
@period_option(help="The month to price (rates valid on its 1st).")
@click.option("--out", type=_FILE, default=None, help="Write the FOCUS bill here (atomically) instead of stdout.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: the FOCUS bill as CSV (what `cost allocate --bill` reads); json: its rows.")
def estimate(usage_path: Path, rates_path: Path, period: str, out: Path | None, fmt: str) -> None:
    """Price USAGE by the rate card into a FOCUS bill that `cost allocate` takes (an invoice not yet in)."""
    import json

    from wardcloud.cost_allocation.rates import estimate_rows, render_focus

    rows = estimate_rows(usage_path, rates_path, _period(period))
    if fmt == "json":
        _emit(json.dumps([dict(r) for r in rows], ensure_ascii=False, indent=2) + "\n", out)
    else:
        _emit(render_focus(rows), out)


def _known_wards(settings: Settings) -> list[tuple[str, str]]:
    from wardcloud.tenants.validate import load_tenants

    return [(t.code, t.name) for t in load_tenants(settings.tenants_dir, settings.verdicts)]


@click.command("settle")
@click.option("--fiscal-year", "fiscal_year", required=True, metavar="YYYY", help="April YYYY – March YYYY+1.")
@click.option(
    "--estimates", "estimates_path", type=_FILE, required=True, help="CSV code,paid: the 概算 each ward paid."
)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "xlsx"]), default="text", show_default=True)
@click.option("--out", type=_FILE, default=None, help="Write here (atomically) instead of stdout.")
@click.pass_obj
def settle(settings: Settings, fiscal_year: str, estimates_path: Path, fmt: str, out: Path | None) -> None:
    """年度精算: each ward's issued statements for the year against its estimate payments."""
    from wardcloud.cli.audited import audited
    from wardcloud.cost_allocation.ledger import Ledger
    from wardcloud.cost_allocation.settle import check_fiscal_year, render_settlement
    from wardcloud.cost_allocation.settle import settle as settle_year

    with audited("cost settle", {"estimates": estimates_path, "tenants": settings.tenants_dir}) as note:
        year = check_fiscal_year(fiscal_year)
        if fmt == "xlsx" and out is None:
            raise click.UsageError("--format xlsx needs --out FILE.xlsx")
        result = settle_year(Ledger(settings.state_dir), year, estimates_path, _known_wards(settings))
        if fmt == "json":
            _emit(json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n", out)
        elif fmt == "text":
            _emit(render_settlement(result), out)
        else:
            from wardcloud.cost_allocation.finance_xlsx import write_workbook

            data = result.to_json()
            months = list(data["months"])
            header = ["code", "name", "paid", "actual", "operating", "buy_in", "settlement", *months]
            rows = [
                [
                    w["code"],
                    w["name"],
                    w["paid"],
                    w["actual"],
                    w["operating"],
                    w["buy_in"],
                    w["settlement"],
                    *(w["months"][m] for m in months),
                ]
                for w in data["wards"]
            ]
            rows.append(["TOTAL", "", data["paid"], data["actual"], "", "", data["settlement"]])
            assert out is not None
            write_workbook(out, [(f"精算 FY{year}", header, rows)])
        note.summary.update({"fiscal_year": year, "settlement": {w.code: w.settlement for w in result.wards}})
        note.wards.extend(w.code for w in result.wards)


@click.command("budget")
@click.option("--fiscal-year", "fiscal_year", required=True, metavar="YYYY", help="The year to forecast (April–March).")
@click.option("--rules", "rules_path", type=_FILE, required=True, help="Allocation rules YAML.")
@click.option("--usage-plan", "plan", type=_FILE, default=None, help="Planned monthly usage (CSV), priced by --rates.")
@click.option("--rates", "rates_path", type=_FILE, default=None, help="Rate card YAML (with --usage-plan).")
@click.option(
    "--from-actuals", "actuals", default=None, metavar="YYYY", help="Grow a past fiscal year's issued statements."
)
@click.option("--growth", default="0", show_default=True, help="With --from-actuals: growth rate, e.g. 0.03.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "xlsx"]), default="text", show_default=True)
@click.option("--out", type=_FILE, default=None, help="Write here (atomically) instead of stdout.")
@click.pass_obj
def budget(
    settings: Settings,
    fiscal_year: str,
    rules_path: Path,
    plan: Path | None,
    rates_path: Path | None,
    actuals: str | None,
    growth: str,
    fmt: str,
    out: Path | None,
) -> None:
    """予算: each ward's monthly and yearly charge per pool for --fiscal-year."""
    from decimal import Decimal, InvalidOperation
    from fractions import Fraction

    from wardcloud.cli.cost import _wards
    from wardcloud.cost_allocation.budget import budget_csv, budget_sheets, forecast, render_budget
    from wardcloud.cost_allocation.errors import Code, CostError, Problem
    from wardcloud.cost_allocation.ledger import Ledger
    from wardcloud.cost_allocation.settle import check_fiscal_year

    year = check_fiscal_year(fiscal_year)
    if (plan is None) == (actuals is None):
        raise CostError(
            [
                Problem(
                    "--usage-plan/--from-actuals",
                    0,
                    0,
                    Code.BAD_FISCAL_YEAR,
                    "give exactly one of --usage-plan or --from-actuals",
                )
            ]
        )
    try:
        rate = Fraction(Decimal(growth))
    except InvalidOperation as exc:
        raise CostError([Problem("--growth", 0, 0, Code.BAD_FISCAL_YEAR, f"{growth!r} is not a number")]) from exc
    if fmt == "xlsx" and out is None:
        raise click.UsageError("--format xlsx needs --out FILE.xlsx")
    result = forecast(
        year,
        rules_path,
        _wards(settings),
        plan=plan,
        rates=rates_path,
        ledger=Ledger(settings.state_dir),
        actuals_year=check_fiscal_year(actuals) if actuals else None,
        growth=rate,
    )
    if fmt == "json":
        _emit(json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n", out)
    elif fmt == "csv":
        _emit(budget_csv(result), out)
    elif fmt == "text":
        _emit(render_budget(result), out)
    else:
        from wardcloud.cost_allocation.finance_xlsx import write_workbook

        assert out is not None
        write_workbook(out, budget_sheets(result))
