"""予算 forecast: each ward's monthly and yearly charge per pool for a coming fiscal year.

Each month of the year gets a forecast bill — the usage plan priced by the rate card valid on the month's
first day, or the same month of a past year's issued statements grown by a stated rate — and is allocated
by the rules exactly as a real bill would be: the tenant files' joins and leaves, the dated drivers of the
month, caps, buy-ins and leaving settlements. What a ward's finance office pastes into its 予算要求.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from wardcloud.cost_allocation.errors import Code, CostError, Problem
from wardcloud.cost_allocation.focus import Bill, DirectCharge, read_bill
from wardcloud.cost_allocation.ledger import Ledger
from wardcloud.cost_allocation.model import Statement
from wardcloud.cost_allocation.rates import RateCard, estimate, load_rates, read_usage, render_focus
from wardcloud.cost_allocation.rules import Rules, load_rules
from wardcloud.cost_allocation.settle import fiscal_months
from wardcloud.cost_allocation.shares import Period, Ward, participation
from wardcloud.cost_allocation.statement import allocate


@dataclass(frozen=True)
class WardMonth:
    """One ward's forecast for one month."""

    direct: int
    pools: Mapping[str, int]
    buy_in: int

    @property
    def total(self) -> int:
        return self.direct + sum(self.pools.values()) + self.buy_in


@dataclass(frozen=True)
class Budget:
    """A fiscal year's forecast: per ward, per month, per pool."""

    fiscal_year: int
    basis: str
    currency: str
    pools: tuple[str, ...]
    names: Mapping[str, str]
    months: Mapping[str, Mapping[str, WardMonth]]  # month → code → forecast

    def ward_year(self, code: str) -> WardMonth:
        """The ward's year: the twelve months summed."""
        months = [m[code] for m in self.months.values()]
        return WardMonth(
            sum(m.direct for m in months),
            {p: sum(m.pools[p] for m in months) for p in self.pools},
            sum(m.buy_in for m in months),
        )

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape docs/cost.md documents."""

        def month_json(m: WardMonth) -> dict[str, Any]:
            return {"direct": m.direct, "pools": dict(m.pools), "buy_in": m.buy_in, "total": m.total}

        return {
            "fiscal_year": self.fiscal_year,
            "basis": self.basis,
            "currency": self.currency,
            "pools": list(self.pools),
            "total": sum(m.total for month in self.months.values() for m in month.values()),
            "months": {label: sum(m.total for m in month.values()) for label, month in self.months.items()},
            "wards": [
                {
                    "code": code,
                    "name": name,
                    "year": month_json(self.ward_year(code)),
                    "months": {label: month_json(month[code]) for label, month in self.months.items()},
                }
                for code, name in self.names.items()
            ],
        }


def _from_statement(statement: Statement) -> dict[str, WardMonth]:
    pools = {p.id: p.allocations for p in statement.pools}
    return {
        w.code: WardMonth(w.direct, {pid: alloc.get(w.code, 0) for pid, alloc in pools.items()}, w.buy_in)
        for w in statement.wards
    }


Usage = Mapping[tuple[str, str], Fraction]


def plan_bill(plan: Path, card: RateCard, period: Period, rules: Rules, wards: Sequence[Ward]) -> tuple[Bill, Usage]:
    """The usage plan priced for one month (and its wards' usage), without wards that are no member then."""
    absent = {ident for w in wards if participation(w, period) == 0 for ident in w.identifiers}
    usage = [(line, row) for line, row in read_usage(plan) if row["SubAccountId"] not in absent]
    rows = estimate(usage, card, period, str(plan))
    owner = {ident: w.code for w in wards for ident in w.identifiers}
    metered: dict[tuple[str, str], Fraction] = {}
    for row in rows:
        code = owner.get(row["SubAccountId"])
        if code is not None:
            key = (code, row["ConsumedUnit"])
            metered[key] = metered.get(key, Fraction(0)) + Fraction(row["ConsumedQuantity"])
    with tempfile.TemporaryDirectory(prefix="wardctl-budget-") as folder:
        path = Path(folder) / f"forecast-{period.label}.csv"
        path.write_text(render_focus(rows), encoding="utf-8")
        bill = read_bill(path, rules.currency, period, rules.pools, wards, rules.source_file)
    return Bill(f"{plan} × {card.file}", bill.direct, bill.pools, bill.pool_rows, bill.total, bill.rows), metered


def actuals_bill(ledger: Ledger, month: str, growth: Fraction) -> tuple[Bill, Usage]:
    """The same month of a past year as issued, every pool and direct charge grown by `growth`.

    Usage drivers take the usage the issued statement printed for each ward.
    """
    issue = ledger.latest(month)
    assert issue is not None
    statement = Statement.from_json(issue.statement, issue.file)
    factor = 1 + growth
    pools = {p.id: Fraction(p.total) * factor for p in statement.pools}
    direct = tuple(
        DirectCharge(w.code, str(line.field("service")), str(line.field("category")), Fraction(line.amount) * factor, 1)
        for w in statement.wards
        for line in w.lines
        if line.kind == "direct"
    )
    total = sum(pools.values(), Fraction(0)) + sum((d.cost for d in direct), Fraction(0))
    usage: dict[tuple[str, str], Fraction] = {}
    for w in statement.wards:
        for line in w.lines:
            for driver in line.field("drivers", []) if line.kind == "shared" else []:
                label = str(driver["driver"])
                if label.startswith("usage(") and label.endswith(")"):
                    usage[(w.code, label[6:-1])] = Fraction(str(driver["value"]))
    bill = Bill(
        f"ledger {month}", direct, pools, {p: 1 for p, v in pools.items() if v}, total, len(direct) + len(pools)
    )
    return bill, usage


def forecast(
    fiscal_year: int,
    rules_path: Path,
    wards: Sequence[Ward],
    *,
    plan: Path | None = None,
    rates: Path | None = None,
    ledger: Ledger | None = None,
    actuals_year: int | None = None,
    growth: Fraction = Fraction(0),
) -> Budget:
    """Forecast every month of `fiscal_year` from a usage plan (with rates) or from a past year's actuals."""
    rules = load_rules(rules_path)
    months = fiscal_months(fiscal_year)
    if plan is not None:
        if rates is None:
            raise CostError([Problem("--rates", 0, 0, Code.RATES, "--usage-plan needs --rates")])
        basis = f"usage plan {plan} priced by {rates}"
    else:
        assert ledger is not None and actuals_year is not None
        past = fiscal_months(actuals_year)
        missing = [m for m in past if ledger.latest(m) is None]
        if missing:
            raise CostError(
                [
                    Problem(
                        str(ledger.root),
                        0,
                        0,
                        Code.MISSING_MONTHS,
                        f"FY{actuals_year} has no issued statement for {', '.join(missing)}",
                    )
                ]
            )
        basis = f"FY{actuals_year} issued statements × {float(1 + growth):g}"
    card = load_rates(rates) if plan is not None and rates is not None else None
    forecasts: dict[str, dict[str, WardMonth]] = {}
    ordered = sorted(wards, key=lambda w: w.code)
    for index, label in enumerate(months):
        period = Period.month(label)
        if plan is not None:
            assert card is not None
            bill, usage = plan_bill(plan, card, period, rules, ordered)
        else:
            assert ledger is not None and actuals_year is not None
            bill, usage = actuals_bill(ledger, fiscal_months(actuals_year)[index], growth)
        forecasts[label] = _from_statement(allocate(bill, rules, ordered, period, usage))
    return Budget(
        fiscal_year,
        basis,
        rules.currency,
        tuple(p.id for p in rules.pools),
        {w.code: w.name for w in ordered},
        forecasts,
    )


def render_budget(budget: Budget) -> str:
    """Per ward: the year per pool, then a line of monthly totals."""
    from wardcloud.cost_allocation.statement import _pad, _width

    lines = [f"予算 forecast FY{budget.fiscal_year} ({budget.currency}): {budget.basis}", ""]
    header = ["code", "name", "direct", *budget.pools, "buy_in", "year"]
    table = [header]
    for code, name in budget.names.items():
        year = budget.ward_year(code)
        cells = [code, name, f"{year.direct:,}", *(f"{year.pools[p]:,}" for p in budget.pools), f"{year.buy_in:,}"]
        table.append([*cells, f"{year.total:,}"])
    data = budget.to_json()
    table.append(["TOTAL", "", *[""] * (len(header) - 3), f"{data['total']:,}"])
    widths = [max(_width(r[i]) for r in table) for i in range(len(header))]
    for row in table:
        lines.append("  ".join(_pad(c, widths[i], right=i >= 2) for i, c in enumerate(row)).rstrip())
    lines.append("")
    lines.append("by month: " + ", ".join(f"{m} {v:,}" for m, v in data["months"].items()))
    return "\n".join(lines) + "\n"


def budget_csv(budget: Budget) -> str:
    """`code,name,month,direct,pool:<id>…,buy_in,total`: twelve month rows and a `year` row per ward."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["code", "name", "month", "direct", *(f"pool:{p}" for p in budget.pools), "buy_in", "total"])
    for code, name in budget.names.items():
        for label, month in [*((m, v[code]) for m, v in budget.months.items()), ("year", budget.ward_year(code))]:
            writer.writerow(
                [code, name, label, month.direct, *(month.pools[p] for p in budget.pools), month.buy_in, month.total]
            )
    return buffer.getvalue()


def budget_sheets(budget: Budget) -> list[tuple[str, list[str], list[list[str | int]]]]:
    """An overview sheet and one sheet per ward (月 rows, pool columns, a 年度計 row)."""
    header = ["month", "direct", *budget.pools, "buy_in", "total"]
    overview: list[list[str | int]] = []
    sheets = []
    for code, name in budget.names.items():
        rows: list[list[str | int]] = [
            [label, m[code].direct, *(m[code].pools[p] for p in budget.pools), m[code].buy_in, m[code].total]
            for label, m in budget.months.items()
        ]
        year = budget.ward_year(code)
        rows.append(["年度計", year.direct, *(year.pools[p] for p in budget.pools), year.buy_in, year.total])
        sheets.append((f"{code} {name}", header, rows))
        overview.append([code, name, year.total])
    return [(f"FY{budget.fiscal_year}", ["code", "name", "year"], overview), *sheets]
