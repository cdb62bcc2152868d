"""The rate card (`rates.yaml`): unit prices per service and unit, with validity dates; usage priced into FOCUS.

For months whose invoice has not arrived (and for the budget), `estimate` prices usage rows by the rate
valid on the period's first day into FOCUS rows (`ListUnitPrice`, `ContractedUnitPrice`, `BilledCost` =
quantity × contracted price, exact decimals) that `cost allocate` takes like any bill.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from wardcloud.cost_allocation.errors import Code, CostError, Problem
from wardcloud.cost_allocation.shares import Period
from wardcloud.tenants.load import YamlError, load_document

USAGE_COLUMNS = ("SubAccountId", "ServiceName", "ConsumedQuantity", "ConsumedUnit")
FOCUS_COLUMNS = (
    "BilledCost",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeDescription",
    "ServiceName",
    "ServiceCategory",
    "SubAccountId",
    "ConsumedQuantity",
    "ConsumedUnit",
    "PricingQuantity",
    "PricingUnit",
    "ListUnitPrice",
    "ListCost",
    "ContractedUnitPrice",
    "ContractedCost",
    "EffectiveCost",
    "x_Estimate",
)


@dataclass(frozen=True)
class Rate:
    """A unit price of one service and unit, valid on [valid_from, valid_until)."""

    service: str
    category: str
    unit: str
    list_price: Decimal
    contracted_price: Decimal
    valid_from: date
    valid_until: date | None = None
    line: int = 0

    def valid_on(self, day: date) -> bool:
        """True when the rate applies on `day`."""
        return self.valid_from <= day and (self.valid_until is None or day < self.valid_until)


@dataclass(frozen=True)
class RateCard:
    """A whole rates file."""

    currency: str
    rates: tuple[Rate, ...]
    file: str = ""

    def rate(self, service: str, unit: str, day: date) -> Rate | None:
        """The rate of `service` per `unit` valid on `day` (validity never overlaps: at most one)."""
        return next((r for r in self.rates if r.service == service and r.unit == unit and r.valid_on(day)), None)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() and number >= 0 else None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def load_rates(path: Path) -> RateCard:
    """Read and check a rates file; every problem (bad field, overlapping validity) at its line."""
    name = str(path)
    try:
        document = load_document(path, name)
    except YamlError as exc:
        p = exc.problem
        raise CostError([Problem(p.file, p.line, p.column, Code.RATES, p.message)]) from exc
    root = document.value
    problems: list[Problem] = []
    if not isinstance(root, dict) or not isinstance(root.get("rates"), list):
        raise CostError([document.problem((), Code.RATES, "expected {currency: JPY, rates: [...]}")])
    currency = root.get("currency", "JPY")
    rates: list[Rate] = []
    allowed = {"service", "category", "unit", "list", "contracted", "from", "until"}
    for index, raw in enumerate(root["rates"]):
        at = ("rates", index)
        if not isinstance(raw, dict):
            problems.append(document.problem(at, Code.RATES, "a rate is a mapping"))
            continue
        for key in sorted(set(raw) - allowed, key=str):
            problems.append(document.problem((*at, key), Code.RATES, f"unknown key {key!r}", at_key=True))
        for key in ("service", "unit", "list", "from"):
            if key not in raw:
                problems.append(document.problem(at, Code.RATES, f"missing {key!r}"))
        if any(k not in raw for k in ("service", "unit", "list", "from")):
            continue
        list_price = _decimal(raw["list"])
        contracted = _decimal(raw.get("contracted", raw["list"]))
        start, until = _day(raw["from"]), _day(raw.get("until")) if "until" in raw else None
        if list_price is None or contracted is None:
            problems.append(document.problem(at, Code.RATES, "prices must be numbers ≥ 0"))
            continue
        if start is None or ("until" in raw and (until is None or until <= start)):
            problems.append(document.problem(at, Code.RATES, "from/until must be dates YYYY-MM-DD, until after from"))
            continue
        rates.append(
            Rate(
                str(raw["service"]),
                str(raw.get("category", "Other")),
                str(raw["unit"]),
                list_price,
                contracted,
                start,
                until,
                document.mark(at)[0],
            )
        )
    for i, a in enumerate(rates):
        for b in rates[i + 1 :]:
            if (a.service, a.unit) != (b.service, b.unit):
                continue
            if (b.valid_until is None or a.valid_from < b.valid_until) and (
                a.valid_until is None or b.valid_from < a.valid_until
            ):
                problems.append(
                    Problem(
                        name,
                        b.line,
                        1,
                        Code.RATE_OVERLAP,
                        f"rate of {b.service} per {b.unit} from {b.valid_from} overlaps the one at line {a.line} "
                        f"(from {a.valid_from}{f' until {a.valid_until}' if a.valid_until else ''})",
                    )
                )
    if problems:
        raise CostError(problems)
    return RateCard(str(currency), tuple(rates), name)


def read_usage(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Usage rows (CSV) with their line numbers; CostError for a missing file or column."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CostError([Problem(str(path), 0, 0, Code.UNREADABLE, f"cannot read: {exc}")]) from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in USAGE_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise CostError([Problem(str(path), 1, 1, Code.MISSING_COLUMN, f"missing column(s): {', '.join(missing)}")])
    return [(index + 2, row) for index, row in enumerate(reader)]


def estimate(
    usage: Sequence[tuple[int, Mapping[str, str]]], card: RateCard, period: Period, file: str
) -> list[dict[str, str]]:
    """FOCUS rows pricing every usage row by the rate valid on the period's first day."""
    start = period.start.isoformat() + "T00:00:00Z"
    end = period.end.isoformat() + "T00:00:00Z"
    rows: list[dict[str, str]] = []
    problems: list[Problem] = []
    for line, raw in usage:
        quantity = _decimal(raw.get("ConsumedQuantity", ""))
        if quantity is None:
            problems.append(
                Problem(
                    file,
                    line,
                    1,
                    Code.BAD_QUANTITY,
                    f"ConsumedQuantity {raw.get('ConsumedQuantity')!r} is not a number ≥ 0",
                )
            )
            continue
        rate = card.rate(raw["ServiceName"], raw["ConsumedUnit"], period.start)
        if rate is None:
            problems.append(
                Problem(
                    file,
                    line,
                    1,
                    Code.NO_RATE,
                    f"no rate for {raw['ServiceName']} per {raw['ConsumedUnit']} valid on {period.start} "
                    f"in {card.file}",
                )
            )
            continue
        cost = quantity * rate.contracted_price
        rows.append(
            {
                "BilledCost": _text(cost),
                "BillingCurrency": card.currency,
                "BillingPeriodStart": start,
                "BillingPeriodEnd": end,
                "ChargePeriodStart": start,
                "ChargePeriodEnd": end,
                "ChargeCategory": "Usage",
                "ChargeDescription": f"estimate: {_text(quantity)} {rate.unit} × {_text(rate.contracted_price)}",
                "ServiceName": rate.service,
                "ServiceCategory": raw.get("ServiceCategory") or rate.category,
                "SubAccountId": raw["SubAccountId"],
                "ConsumedQuantity": _text(quantity),
                "ConsumedUnit": rate.unit,
                "PricingQuantity": _text(quantity),
                "PricingUnit": rate.unit,
                "ListUnitPrice": _text(rate.list_price),
                "ListCost": _text(quantity * rate.list_price),
                "ContractedUnitPrice": _text(rate.contracted_price),
                "ContractedCost": _text(cost),
                "EffectiveCost": _text(cost),
                "x_Estimate": "true",
            }
        )
    if problems:
        raise CostError(problems)
    return rows


def _text(value: Decimal) -> str:
    """A decimal as plain text, no exponent, no trailing zeros (1234.50 → 1234.5, 1E+3 → 1000)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def render_focus(rows: Sequence[Mapping[str, str]]) -> str:
    """The estimated bill as FOCUS CSV."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, FOCUS_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def estimate_rows(usage_path: Path, rates_path: Path, period: Period) -> list[Mapping[str, str]]:
    """`cost estimate`: the usage file priced by the rate card, as FOCUS bill rows."""
    card = load_rates(rates_path)
    return list(estimate(read_usage(usage_path), card, period, str(usage_path)))


def estimate_file(usage_path: Path, rates_path: Path, period: Period) -> str:
    """`cost estimate`: the usage file priced by the rate card, as a FOCUS CSV bill."""
    return render_focus(estimate_rows(usage_path, rates_path, period))
