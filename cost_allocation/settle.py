"""年度精算: what each ward paid in estimates (概算) against its issued statements for the fiscal year.

Settlement per ward = Σ its standing issued totals for the twelve months (April–March) − Σ its estimate
payments: positive is an additional charge (追加徴収), negative a refund (還付). Integers throughout, so the
settlements sum exactly to (actual bills − estimates); perfect estimates settle to all zeros.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wardcloud.cost_allocation.errors import Code, CostError, Problem
from wardcloud.cost_allocation.ledger import Ledger


def fiscal_months(year: int) -> list[str]:
    """`2023` → 2023-04 … 2024-03."""
    return [f"{year + (i + 3) // 12}-{(i + 3) % 12 + 1:02d}" for i in range(12)]


def check_fiscal_year(text: str | int) -> int:
    """A fiscal year as an int (2000–2999), or CostError COST062 at `--fiscal-year`."""
    try:
        year = int(text)
    except ValueError:
        year = 0
    if not 2000 <= year <= 2999:
        raise CostError([Problem("--fiscal-year", 0, 0, Code.BAD_FISCAL_YEAR, f"{text!r} is not a year YYYY")])
    return year


@dataclass(frozen=True)
class WardSettlement:
    """One ward's year: estimate payments, issued totals (by month), and the difference to settle."""

    code: str
    name: str
    paid: int
    actual: int
    operating: int
    buy_in: int
    months: Mapping[str, int]

    @property
    def settlement(self) -> int:
        """Additional charge (> 0) or refund (< 0)."""
        return self.actual - self.paid


@dataclass(frozen=True)
class Settlement:
    """A fiscal year's settlement for every ward."""

    fiscal_year: int
    currency: str
    wards: tuple[WardSettlement, ...]
    issues: Mapping[str, int]  # month → the issue number whose figures stand

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape docs/cost.md documents."""
        return {
            "fiscal_year": self.fiscal_year,
            "currency": self.currency,
            "months": dict(self.issues),
            "paid": sum(w.paid for w in self.wards),
            "actual": sum(w.actual for w in self.wards),
            "settlement": sum(w.settlement for w in self.wards),
            "wards": [
                {
                    "code": w.code,
                    "name": w.name,
                    "paid": w.paid,
                    "actual": w.actual,
                    "operating": w.operating,
                    "buy_in": w.buy_in,
                    "settlement": w.settlement,
                    "months": dict(w.months),
                }
                for w in self.wards
            ],
        }


def read_estimates(path: Path, known: Mapping[str, str]) -> dict[str, int]:
    """`code,paid` rows (a ward may have several: installments); unknown wards and bad yen located by line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CostError([Problem(str(path), 0, 0, Code.ESTIMATES, f"cannot read: {exc}")]) from exc
    reader = csv.DictReader(io.StringIO(text))
    if not {"code", "paid"} <= set(reader.fieldnames or []):
        raise CostError([Problem(str(path), 1, 1, Code.ESTIMATES, "expected columns code, paid")])
    paid: dict[str, int] = {}
    problems = []
    for number, row in enumerate(reader, start=2):
        code, amount = (row.get("code") or "").strip(), (row.get("paid") or "").strip()
        if code not in known:
            problems.append(Problem(str(path), number, 1, Code.ESTIMATES, f"estimates for unknown ward {code!r}"))
            continue
        if not amount.lstrip("-").isdigit():
            problems.append(Problem(str(path), number, 1, Code.ESTIMATES, f"paid {amount!r} is not whole yen"))
            continue
        paid[code] = paid.get(code, 0) + int(amount)
    if problems:
        raise CostError(problems)
    return paid


def settle(ledger: Ledger, fiscal_year: int, estimates: Path, wards: Sequence[tuple[str, str]]) -> Settlement:
    """The year's settlement from the ledger's standing issues and the estimate payments."""
    known = dict(wards)
    months = fiscal_months(fiscal_year)
    issues = {month: ledger.latest(month) for month in months}
    missing = [month for month, issue in issues.items() if issue is None]
    problems = []
    if missing:
        problems.append(
            Problem(
                str(ledger.root),
                0,
                0,
                Code.MISSING_MONTHS,
                f"FY{fiscal_year} has no issued statement for {', '.join(missing)} "
                "(issue them with cost allocate --issue)",
            )
        )
    try:
        paid = read_estimates(estimates, known)
    except CostError as exc:
        problems.extend(exc.problems)
        paid = {}
    if problems:
        raise CostError(problems)
    currencies = {str(i.statement.get("currency", "JPY")) for i in issues.values() if i is not None}
    codes = sorted(set(known) | {c for i in issues.values() if i is not None for c in i.wards})
    out = []
    for code in codes:
        per_month = {m: i.wards[code].total if i is not None and code in i.wards else 0 for m, i in issues.items()}
        out.append(
            WardSettlement(
                code,
                known.get(code, ""),
                paid.get(code, 0),
                sum(per_month.values()),
                sum(i.wards[code].operating for i in issues.values() if i is not None and code in i.wards),
                sum(i.wards[code].buy_in for i in issues.values() if i is not None and code in i.wards),
                per_month,
            )
        )
    return Settlement(
        fiscal_year,
        ",".join(sorted(currencies)) or "JPY",
        tuple(out),
        {m: i.number for m, i in issues.items() if i is not None},
    )


def render_settlement(settlement: Settlement) -> str:
    """A table per ward: 概算 paid, 確定 actual, 精算 (additional charge + / refund −)."""
    lines = [
        f"年度精算 FY{settlement.fiscal_year} ({settlement.currency}), April {settlement.fiscal_year} – "
        f"March {settlement.fiscal_year + 1}",
        "",
        f"{'code':<7} {'paid (概算)':>16} {'actual (確定)':>16} {'settlement':>14}  name",
    ]
    for w in settlement.wards:
        lines.append(f"{w.code:<7} {w.paid:>16,} {w.actual:>16,} {w.settlement:>+14,}  {w.name}".rstrip())
    data = settlement.to_json()
    lines.append(f"{'TOTAL':<7} {data['paid']:>16,} {data['actual']:>16,} {data['settlement']:>+14,}")
    lines.append("")
    lines.append("settlement > 0: additional charge (追加徴収); < 0: refund (還付)")
    lines.append("issues: " + ", ".join(f"{m} no. {n}" for m, n in settlement.issues.items()))
    return "\n".join(lines) + "\n"
