"""Regenerate the sample bill, usage and rules for the 23 bundled wards (deterministic).

python -m cost_allocation.examples.generate
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from wardcloud.core.files import write_atomic
from wardcloud.cost_allocation.rules import RULES_SCHEMA
from wardcloud.cost_allocation.shares import Ward
from wardcloud.tenants.validate import load_tenants

HERE = Path(__file__).parent
PERIOD_START, PERIOD_END = date(2023, 7, 1), date(2023, 8, 1)
# FOCUS 1.0 columns, all of them: the FinOps Foundation's validator requires every one. It spells the
# resource column "ResourceID" (focus-validator 1.0.0) where the spec says "ResourceId", and its SkuPriceId
# rule queries the pre-1.0 column "ChargeType": we carry both spellings and ChargeType so it passes.
COLUMNS = [
    "AvailabilityZone",
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeType",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceIssuer",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "Provider",
    "Publisher",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceID",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "SkuId",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "Tags",
]
# (ServiceName, ServiceCategory, ConsumedUnit, yen per unit) for the wards' own projects
OWN = [
    ("Nova", "Compute", "vCPU-Hours", 4),
    ("Cinder", "Storage", "GB-Months", 12),
    ("Neutron", "Networking", "Hours", 3),
]
# shared accounts: (SubAccountId, ServiceName, ServiceCategory, unit, quantity range, yen per unit)
SHARED = [
    ("platform", "Nova", "Compute", "vCPU-Hours", (200_000, 300_000), 4),
    ("platform", "Swift", "Storage", "GB-Months", (50_000, 80_000), 12),
    ("platform", "Neutron", "Networking", "Hours", (20_000, 40_000), 30),
    ("shared-bousai", "bousai", "Business Applications", "vCPU-Hours", (40_000, 60_000), 9),
    ("shared-renkei", "renkei", "Integration", "Requests", (1_000_000, 2_000_000), 1),
    ("shared-procurement", "procurement", "Business Applications", "Users", (200, 400), 1500),
]


def _stamp(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _row(
    day: date,
    account: str,
    account_name: str,
    service: str,
    category: str,
    unit: str,
    quantity: int,
    price: int,
    resource: str,
    end: date | None = None,
) -> dict[str, str]:
    cost, qty, unit_price = (f"{v:.2f}" for v in (quantity * price, quantity, price))  # decimals: the
    # validator reads columns with pandas and insists on a float dtype for every decimal column
    return {
        "AvailabilityZone": "tokyo-az1",
        "BilledCost": cost,
        "BillingAccountId": "tokyo-23-consortium",
        "BillingAccountName": "特別区共同化クラウド",
        "BillingCurrency": "JPY",
        "BillingPeriodEnd": _stamp(PERIOD_END),
        "BillingPeriodStart": _stamp(PERIOD_START),
        "ChargeCategory": "Usage",
        "ChargeType": "Usage",
        "ChargeClass": "",
        "ChargeDescription": f"{service} {unit}",
        "ChargeFrequency": "Usage-Based",
        "ChargePeriodEnd": _stamp(end or day + timedelta(days=1)),
        "ChargePeriodStart": _stamp(day),
        "CommitmentDiscountCategory": "",
        "CommitmentDiscountId": "",
        "CommitmentDiscountName": "",
        "CommitmentDiscountStatus": "",
        "CommitmentDiscountType": "",
        "ConsumedQuantity": qty,
        "ConsumedUnit": unit,
        "ContractedCost": cost,
        "ContractedUnitPrice": unit_price,
        "EffectiveCost": cost,
        "InvoiceIssuer": "wardcloud consortium",
        "ListCost": cost,
        "ListUnitPrice": unit_price,
        "PricingCategory": "Standard",
        "PricingQuantity": qty,
        "PricingUnit": unit,
        "Provider": "wardcloud",
        "Publisher": "wardcloud",
        "RegionId": "tokyo-1",
        "RegionName": "Tokyo",
        "ResourceId": resource,
        "ResourceID": resource,
        "ResourceName": resource,
        "ResourceType": category,
        "ServiceCategory": category,
        "ServiceName": service,
        "SkuId": f"{service.lower()}-{unit.lower()}",
        "SkuPriceId": f"{service.lower()}-{unit.lower()}-2023",
        "SubAccountId": account,
        "SubAccountName": account_name,
        "Tags": json.dumps({"consortium": "tokyo-23"}),
    }


def _csv(rows: list[dict[str, str]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def drivers_yaml(tenants: Sequence[Any]) -> str:
    """Dated drivers: the tenant files' values as of 2020-01-01, and a newer census as of 2024-01-01.

    The 2024 figures (population +1 %, registrations −2 %, rounded) apply from FY2024 under the example rules'
    `january-before-fiscal-year`; they leave every FY2023 statement as it was.
    """
    lines = [
        "# Dated cost drivers of the example wards (regenerate: python -m cost_allocation.examples.generate).",
        "# Each value is as of a date; a period uses the latest value on or before its reference date.",
        "population:",
        "  source: 住民基本台帳人口（1月1日現在）",
        "  values:",
    ]
    for t in sorted(tenants, key=lambda t: t.code):
        lines.append(f'    "{t.code}": {{"2020-01-01": {t.population}, "2024-01-01": {t.population * 101 // 100}}}')
    lines += ["inkan_registrations:", "  source: 印鑑登録数（1月1日現在）", "  values:"]
    for t in sorted(tenants, key=lambda t: t.code):
        value = int(t.driver("inkan_registrations"))
        lines.append(f'    "{t.code}": {{"2020-01-01": {value}, "2024-01-01": {value * 98 // 100}}}')
    return "\n".join(lines) + "\n"


FISCAL_YEAR = 2023
# the fiscal year's usage: (SubAccountId, ServiceName, ServiceCategory, unit, monthly quantity range)
FY_SHARED = [
    ("platform", "Nova", "Compute", "vCPU-Hours", (6_000_000, 7_500_000)),
    ("platform", "Swift", "Storage", "GB-Months", (55_000, 70_000)),
    ("platform", "Neutron", "Networking", "Hours", (20_000, 25_000)),
    ("shared-bousai", "bousai", "Business Applications", "vCPU-Hours", (150_000, 180_000)),
    ("shared-renkei", "renkei", "Integration", "Requests", (4_000_000, 5_000_000)),
    ("shared-procurement", "procurement", "Business Applications", "Users", (800, 1000)),
]
FY_OWN = [("Nova", "Compute", "vCPU-Hours", 40, 60), ("Cinder", "Storage", "GB-Months", 8, 12)]


def fiscal_year_files(tenants: Sequence[Any]) -> dict[str, str]:
    """FY2023's monthly usage and the bills priced from it by rates.yaml; the usage plan for the budget.

    A ward's own rows scale with its population (per 10,000) and appear from its joining month on.
    """
    from wardcloud.cost_allocation.rates import estimate, load_rates, render_focus
    from wardcloud.cost_allocation.shares import Period

    rng = random.Random(2023)
    card = load_rates(HERE / "rates.yaml")
    files: dict[str, str] = {}
    columns = ["SubAccountId", "ServiceName", "ServiceCategory", "ConsumedQuantity", "ConsumedUnit"]
    plan = []
    for account, service, category, unit, (low, high) in FY_SHARED:
        plan.append([account, service, category, str((low + high) // 2), unit])
    for t in sorted(tenants, key=lambda t: t.code):
        for service, category, unit, low, high in FY_OWN:
            quantity = t.population // 10_000 * (low + high) // 2
            plan.append([f"{t.code}-{t.name_en.lower()}", service, category, str(quantity), unit])
    files["usage-plan.csv"] = _table(columns, plan)
    for index in range(12):
        year, month = FISCAL_YEAR + (index + 3) // 12, (index + 3) % 12 + 1
        period = Period.month(f"{year}-{month:02d}")
        rows = [
            [account, service, category, str(rng.randint(low, high)), unit]
            for account, service, category, unit, (low, high) in FY_SHARED
        ]
        for t in sorted(tenants, key=lambda t: t.code):
            if t.membership.joined >= period.end:
                continue
            for service, category, unit, low, high in FY_OWN:
                quantity = t.population // 10_000 * rng.randint(low, high)
                rows.append([f"{t.code}-{t.name_en.lower()}", service, category, str(quantity), unit])
        usage = [(n + 2, dict(zip(columns, r, strict=True))) for n, r in enumerate(rows)]
        files[f"fy{FISCAL_YEAR}/usage-{period.label}.csv"] = _table(columns, rows)
        files[f"fy{FISCAL_YEAR}/bill-{period.label}.csv"] = render_focus(estimate(usage, card, period, "usage"))
    return files


def estimates_csv(wards: Sequence[Ward], out: Path) -> str:
    """The 概算 each ward paid in FY2023: its budget (usage plan × rates) in four quarterly installments,
    each rounded down to ¥1,000 — so the settlement has something to settle."""
    from wardcloud.cost_allocation.budget import forecast

    budget = forecast(FISCAL_YEAR, HERE / "rules.yaml", wards, plan=out / "usage-plan.csv", rates=HERE / "rates.yaml")
    rows = []
    for code in budget.names:
        quarter = budget.ward_year(code).total // 4 // 1000 * 1000
        for due in ("2023-04-28", "2023-07-31", "2023-10-31", "2024-01-31"):
            rows.append([code, str(quarter), due])
    return _table(["code", "paid", "date"], rows)


def _table(columns: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


def generate(tenants_dir: Path = Path("tenants/wards"), out: Path = HERE) -> None:
    """Write the sample bill and usage for `tenants_dir`'s wards, and the published rules schema."""
    rng = random.Random(23)
    wards = [Ward.from_tenant(t) for t in load_tenants(tenants_dir)]
    bill, usage = [], []
    for offset in range((PERIOD_END - PERIOD_START).days):
        day = PERIOD_START + timedelta(days=offset)
        for account, service, category, unit, (low, high), price in SHARED:
            bill.append(
                _row(
                    day,
                    account,
                    account,
                    service,
                    category,
                    unit,
                    rng.randint(low, high) // 10,
                    price,
                    f"{account}/{service.lower()}",
                )
            )
    for ward in wards:  # a ward's own rows: one per service for the days it was a member
        first = max(ward.joined, PERIOD_START)
        if first >= PERIOD_END:
            continue
        days = (PERIOD_END - first).days
        project = ward.accounts[0]
        scale = int(ward.drivers["population"]) // 10_000
        for service, category, unit, price in OWN:
            bill.append(
                _row(
                    first,
                    project,
                    ward.name,
                    service,
                    category,
                    unit,
                    rng.randint(5, 15) * scale * days,
                    price,
                    f"{project}/{service.lower()}",
                    end=PERIOD_END,
                )
            )
        usage.append(
            {
                "SubAccountId": project,
                "ConsumedQuantity": str(rng.randint(20, 60) * scale * days),
                "ConsumedUnit": "vCPU-Hours",
                "ServiceName": "bousai",
                "ChargePeriodStart": _stamp(first),
                "ChargePeriodEnd": _stamp(PERIOD_END),
            }
        )
    if out == HERE:  # the published schema lives beside the package, once
        write_atomic(HERE.parent / "rules.schema.json", json.dumps(RULES_SCHEMA, indent=2) + "\n")
    write_atomic(out / "drivers.yaml", drivers_yaml(load_tenants(tenants_dir)))
    for name, text in fiscal_year_files(load_tenants(tenants_dir)).items():
        write_atomic(out / name, text)
    write_atomic(out / f"fy{FISCAL_YEAR}" / "estimates.csv", estimates_csv(wards, out))
    write_atomic(out / "bill-2023-07.csv", _csv(bill, COLUMNS))
    write_atomic(out / "usage-2023-07.csv", _csv(usage, list(usage[0])))


if __name__ == "__main__":
    generate()
