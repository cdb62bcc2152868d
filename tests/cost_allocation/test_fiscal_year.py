"""The fiscal year: rate card estimates, 予算 budget, 年度精算 settlement — through wardctl, on real files."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cost_allocation.helpers import EXAMPLES, WARDS_DIR
from wardcloud.cli.main import cli
from wardcloud.cost_allocation.ledger import Ledger
from wardcloud.cost_allocation.settle import fiscal_months, settle

FY = EXAMPLES / "fy2023"
RULES = EXAMPLES / "rules.yaml"
RATES = """\
currency: JPY
rates:
  - {service: Nova, category: Compute, unit: vCPU-Hours, list: 5, contracted: 4, from: 2023-04-01, until: 2023-10-01}
  - {service: Nova, category: Compute, unit: vCPU-Hours, list: 5, contracted: 3.8, from: 2023-10-01}
"""


def wardctl(state: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--tenants", str(WARDS_DIR), "--state", str(state), *args])


@pytest.fixture(scope="module")
def issued_year(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A state directory whose ledger holds FY2023's twelve example months, issued."""
    state = tmp_path_factory.mktemp("state")
    for month in fiscal_months(2023):
        result = wardctl(
            state,
            "cost",
            "allocate",
            "--period",
            month,
            "--bill",
            str(FY / f"bill-{month}.csv"),
            "--rules",
            str(RULES),
            "--issue",
        )
        assert result.exit_code == 0, result.output
    return state


# --- rate card and estimate ------------------------------------------------------------------------


def test_estimate_prices_usage_by_the_rate_valid_that_month(tmp_path: Path) -> None:
    (tmp_path / "rates.yaml").write_text(RATES, encoding="utf-8")
    usage = tmp_path / "usage.csv"
    usage.write_text(
        "SubAccountId,ServiceName,ConsumedQuantity,ConsumedUnit\n131016-chiyoda,Nova,100,vCPU-Hours\n", encoding="utf-8"
    )
    bills = {}
    for month in ("2023-09", "2023-10"):
        out = tmp_path / f"bill-{month}.csv"
        result = wardctl(
            tmp_path / "s",
            "cost",
            "estimate",
            "--usage",
            str(usage),
            "--rates",
            str(tmp_path / "rates.yaml"),
            "--period",
            month,
            "--out",
            str(out),
        )
        assert result.exit_code == 0, result.output
        (row,) = list(csv.DictReader(out.open(encoding="utf-8")))
        bills[month] = row
    # September: 100 × 4 = 400 (list 500); October, the new contract: 100 × 3.8 = 380
    assert (bills["2023-09"]["BilledCost"], bills["2023-09"]["ListCost"]) == ("400", "500")
    assert bills["2023-09"]["ListUnitPrice"] == "5" and bills["2023-09"]["ContractedUnitPrice"] == "4"
    assert (bills["2023-10"]["BilledCost"], bills["2023-10"]["ContractedUnitPrice"]) == ("380", "3.8")
    assert bills["2023-10"]["ChargePeriodStart"] == "2023-10-01T00:00:00Z"
    # cost allocate takes the estimate: 380 yen straight to 千代田区
    result = wardctl(
        tmp_path / "s",
        "cost",
        "allocate",
        "--period",
        "2023-10",
        "--bill",
        str(tmp_path / "bill-2023-10.csv"),
        "--rules",
        str(RULES),
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == 380
    assert next(w for w in data["wards"] if w["code"] == "131016")["direct"] == 380


def test_overlapping_rate_validity_is_one_located_error_and_nothing_written(tmp_path: Path) -> None:
    rates = tmp_path / "rates.yaml"
    rates.write_text(RATES.replace("until: 2023-10-01", "until: 2023-10-02"), encoding="utf-8")
    usage = tmp_path / "usage.csv"
    usage.write_text("SubAccountId,ServiceName,ConsumedQuantity,ConsumedUnit\n", encoding="utf-8")
    out = tmp_path / "bill.csv"
    result = wardctl(
        tmp_path / "s",
        "cost",
        "estimate",
        "--usage",
        str(usage),
        "--rates",
        str(rates),
        "--period",
        "2023-10",
        "--out",
        str(out),
    )
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{rates}:4:1: COST051 rate of Nova per vCPU-Hours from 2023-10-01 overlaps the one at line 3 "
        "(from 2023-04-01 until 2023-10-02)"
    ]
    assert not out.exists()


def test_usage_without_a_rate_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "rates.yaml").write_text(RATES, encoding="utf-8")
    usage = tmp_path / "usage.csv"
    usage.write_text(
        "SubAccountId,ServiceName,ConsumedQuantity,ConsumedUnit\n131016-chiyoda,Nova,1,vCPU-Hours\n"
        "131016-chiyoda,Swift,5,GB-Months\n",
        encoding="utf-8",
    )
    result = wardctl(
        tmp_path / "s",
        "cost",
        "estimate",
        "--usage",
        str(usage),
        "--rates",
        str(tmp_path / "rates.yaml"),
        "--period",
        "2022-10",
    )
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{usage}:2:1: COST052 no rate for Nova per vCPU-Hours valid on 2022-10-01")
    assert lines[1].startswith(f"{usage}:3:1: COST052 no rate for Swift per GB-Months")


# --- settlement --------------------------------------------------------------------------------------


def test_settlement_of_the_example_year(issued_year: Path, tmp_path: Path) -> None:
    result = wardctl(
        issued_year,
        "cost",
        "settle",
        "--fiscal-year",
        "2023",
        "--estimates",
        str(FY / "estimates.csv"),
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    ledger = Ledger(issued_year)
    actual = sum(ledger.latest(m).total for m in fiscal_months(2023))  # type: ignore[union-attr]
    paid = sum(int(r["paid"]) for r in csv.DictReader((FY / "estimates.csv").open(encoding="utf-8")))
    assert (data["actual"], data["paid"]) == (actual, paid)
    assert data["settlement"] == sum(w["settlement"] for w in data["wards"]) == actual - paid
    for w in data["wards"]:
        assert w["settlement"] == w["actual"] - w["paid"]
        assert w["actual"] == sum(w["months"].values()) == w["operating"] + w["buy_in"]
    assert data["months"] == {m: 1 for m in fiscal_months(2023)}
    text = wardctl(issued_year, "cost", "settle", "--fiscal-year", "2023", "--estimates", str(FY / "estimates.csv"))
    assert "年度精算 FY2023 (JPY), April 2023 – March 2024" in text.output
    book = tmp_path / "settle.xlsx"
    xlsx = wardctl(
        issued_year,
        "cost",
        "settle",
        "--fiscal-year",
        "2023",
        "--estimates",
        str(FY / "estimates.csv"),
        "--format",
        "xlsx",
        "--out",
        str(book),
    )
    assert xlsx.exit_code == 0, xlsx.output
    from openpyxl import load_workbook

    sheet = load_workbook(book)["精算 FY2023"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[-1][0] == "TOTAL" and rows[-1][6] == actual - paid


def test_perfect_estimates_settle_to_zero(issued_year: Path, tmp_path: Path) -> None:
    ledger = Ledger(issued_year)
    per_ward: dict[str, int] = {}
    for month in fiscal_months(2023):
        for code, totals in ledger.latest(month).wards.items():  # type: ignore[union-attr]
            per_ward[code] = per_ward.get(code, 0) + totals.total
    estimates = tmp_path / "estimates.csv"
    estimates.write_text("code,paid\n" + "".join(f"{c},{v}\n" for c, v in per_ward.items()), encoding="utf-8")
    data = json.loads(
        wardctl(
            issued_year, "cost", "settle", "--fiscal-year", "2023", "--estimates", str(estimates), "--format", "json"
        ).output
    )
    assert all(w["settlement"] == 0 for w in data["wards"]) and data["settlement"] == 0


def test_estimates_for_an_unknown_ward_and_missing_months(issued_year: Path, tmp_path: Path) -> None:
    estimates = tmp_path / "estimates.csv"
    estimates.write_text("code,paid\n131016,1000\n131997,5\n", encoding="utf-8")
    out = tmp_path / "settle.json"
    result = wardctl(
        issued_year, "cost", "settle", "--fiscal-year", "2023", "--estimates", str(estimates), "--out", str(out)
    )
    assert result.exit_code == 1
    assert result.output.splitlines() == [f"{estimates}:3:1: COST060 estimates for unknown ward '131997'"]
    missing = wardctl(
        issued_year,
        "cost",
        "settle",
        "--fiscal-year",
        "2024",
        "--estimates",
        str(FY / "estimates.csv"),
        "--out",
        str(out),
    )
    assert missing.exit_code == 1
    assert "COST061 FY2024 has no issued statement for 2024-04, 2024-05" in missing.output
    assert "2025-03 (issue them with cost allocate --issue)" in missing.output
    assert not out.exists()
    bad_year = wardctl(issued_year, "cost", "settle", "--fiscal-year", "23", "--estimates", str(estimates))
    assert "--fiscal-year: COST062 '23' is not a year YYYY" in bad_year.output


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    totals=st.lists(st.lists(st.integers(-(10**6), 10**9), min_size=3, max_size=3), min_size=12, max_size=12),
    paid=st.lists(st.integers(0, 10**10), min_size=3, max_size=3),
)
def test_settlements_sum_exactly_to_actual_minus_estimates(
    tmp_path_factory: pytest.TempPathFactory, totals: list[list[int]], paid: list[int]
) -> None:
    state = tmp_path_factory.mktemp("ledger")
    ledger = Ledger(state)
    codes = ["131016", "131024", "131032"]
    for month, row in zip(fiscal_months(2025), totals, strict=True):
        statement = {
            "period": month,
            "currency": "JPY",
            "total": sum(row),
            "wards": [{"code": c, "operating": t, "buy_in": 0, "total": t} for c, t in zip(codes, row, strict=True)],
        }
        issue = ledger.prepare(statement, {}, "test", datetime(2026, 4, 1))
        assert issue is not None
        ledger.record(issue)
    estimates = state / "estimates.csv"
    estimates.write_text("code,paid\n" + "".join(f"{c},{p}\n" for c, p in zip(codes, paid, strict=True)))
    result = settle(ledger, 2025, estimates, [(c, c) for c in codes])
    data = result.to_json()
    assert data["settlement"] == sum(map(sum, totals)) - sum(paid)
    assert sum(w.settlement for w in result.wards) == data["settlement"]
    perfect = state / "perfect.csv"
    perfect.write_text("code,paid\n" + "".join(f"{w.code},{w.actual}\n" for w in result.wards))
    assert all(w.settlement == 0 for w in settle(ledger, 2025, perfect, [(c, c) for c in codes]).wards)


# --- budget ------------------------------------------------------------------------------------------


def test_budget_from_the_usage_plan(tmp_path: Path) -> None:
    args = [
        "cost",
        "budget",
        "--fiscal-year",
        "2023",
        "--rules",
        str(RULES),
        "--usage-plan",
        str(EXAMPLES / "usage-plan.csv"),
        "--rates",
        str(EXAMPLES / "rates.yaml"),
    ]
    result = wardctl(tmp_path, *args, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["fiscal_year", "basis", "currency", "pools", "total", "months", "wards"]
    assert list(data["months"]) == fiscal_months(2023)
    assert data["total"] == sum(data["months"].values()) == sum(w["year"]["total"] for w in data["wards"])
    ota = next(w for w in data["wards"] if w["code"] == "131113")  # joins 2023-10-01
    assert ota["months"]["2023-09"]["total"] == 0
    assert ota["months"]["2023-10"]["buy_in"] > 0  # its buy-in is budgeted in October
    for w in data["wards"]:
        for month in w["months"].values():
            assert month["total"] == month["direct"] + sum(month["pools"].values()) + month["buy_in"]
    rows = list(csv.DictReader(io.StringIO(wardctl(tmp_path, *args, "--format", "csv").output)))
    assert len(rows) == 23 * 13 and rows[12]["month"] == "year"
    book = tmp_path / "budget.xlsx"
    assert wardctl(tmp_path, *args, "--format", "xlsx", "--out", str(book)).exit_code == 0
    from openpyxl import load_workbook

    workbook = load_workbook(book)
    assert workbook.sheetnames[0] == "FY2023" and "131016 千代田区" in workbook.sheetnames
    sheet = list(workbook["131016 千代田区"].iter_rows(values_only=True))
    assert sheet[-1][0] == "年度計"
    chiyoda = next(w for w in data["wards"] if w["code"] == "131016")
    assert sheet[-1][-1] == chiyoda["year"]["total"]


def test_budget_from_actuals_without_growth_repeats_the_issued_totals(issued_year: Path) -> None:
    result = wardctl(
        issued_year,
        "cost",
        "budget",
        "--fiscal-year",
        "2024",
        "--rules",
        str(RULES),
        "--from-actuals",
        "2023",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    ledger = Ledger(issued_year)
    issued = [ledger.latest(m).total for m in fiscal_months(2023)]  # type: ignore[union-attr]
    assert list(data["months"].values()) == issued
    grown = json.loads(
        wardctl(
            issued_year,
            "cost",
            "budget",
            "--fiscal-year",
            "2024",
            "--rules",
            str(RULES),
            "--from-actuals",
            "2023",
            "--growth",
            "0.03",
            "--format",
            "json",
        ).output
    )
    # each month's pools and direct charges grow by 3 %, truncated to the yen
    assert all(abs(g - i * 103 // 100) <= 30 for g, i in zip(grown["months"].values(), issued, strict=True))


def test_budget_needs_exactly_one_basis(tmp_path: Path) -> None:
    result = wardctl(tmp_path, "cost", "budget", "--fiscal-year", "2024", "--rules", str(RULES))
    assert result.exit_code == 1
    assert "give exactly one of --usage-plan or --from-actuals" in result.output
