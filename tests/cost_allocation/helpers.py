"""Small builders for cost tests: wards, FOCUS CSV bills, rules files."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from fractions import Fraction
from pathlib import Path

from wardcloud.cost_allocation.shares import Ward

REPO = Path(__file__).resolve().parents[2]
WARDS_DIR = REPO / "tenants" / "wards"
EXAMPLES = REPO / "cost_allocation" / "examples"
# the July 2023 sample: bill, rules and usage, and the same as `wardctl` options
SAMPLE_BILL = EXAMPLES / "bill-2023-07.csv"
SAMPLE_RULES = EXAMPLES / "rules.yaml"
SAMPLE_USAGE = EXAMPLES / "usage-2023-07.csv"
SAMPLE_INPUTS = ["--bill", str(SAMPLE_BILL), "--rules", str(SAMPLE_RULES), "--usage", str(SAMPLE_USAGE)]
HEADER = [
    "BilledCost",
    "BillingCurrency",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ServiceName",
    "ServiceCategory",
    "SubAccountId",
    "ConsumedQuantity",
    "ConsumedUnit",
]


def ward(
    code: str,
    population: int = 100,
    joined: date = date(2020, 1, 1),
    left: date | None = None,
    **drivers: int,
) -> Ward:
    """A ward for library tests (code6-ish; only the code's order matters)."""
    values = {"population": Fraction(population)} | {k: Fraction(v) for k, v in drivers.items()}
    return Ward(code=code, name=f"ward {code}", joined=joined, left=left, drivers=values, accounts=(f"{code}-test",))


def row(
    cost: str | int,
    account: str = "platform",
    service: str = "Nova",
    category: str = "Compute",
    start: str = "2024-04-01T00:00:00Z",
    end: str = "2024-05-01T00:00:00Z",
    currency: str = "JPY",
    quantity: str = "",
    unit: str = "",
) -> list[str]:
    """One bill row in HEADER order."""
    return [str(cost), currency, start, end, service, category, account, quantity, unit]


def write_bill(path: Path, rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER) -> Path:
    """A FOCUS CSV bill."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def write_rules(path: Path, pools: str, extra: str = "") -> Path:
    """A rules file with `pools` (YAML list items, already indented by two spaces)."""
    path.write_text(f"currency: JPY\noperation_start: 2021-04-01\npools:\n{pools}{extra}", encoding="utf-8")
    return path


EQUAL_POOL = "  - id: platform\n    match: {}\n    split: [{driver: equal, weight: 1.0}]\n"
POPULATION_POOL = "  - id: platform\n    match: {}\n    split: [{driver: population, weight: 1.0}]\n"
