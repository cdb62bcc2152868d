"""A fiscal year worked by hand: a join in October, a leave in February; buy-in and leaving as own lines.

Founders A (131016, population 300) and B (131024, 100) are members before operation start (2021-04-01);
setup cost ¥1,200,000 split by population. Founders' capital accounts: A 900,000, B 300,000.

- 2023-10-01 C (131032, 200) joins: its share 200/600 of 1,200,000 = 400,000; incumbents are refunded in
  proportion to what each paid (900k : 300k): A 300,000, B 100,000. Capital: A 600k, B 200k, C 400k.
- 2024-02-01 B leaves: refunded its capital 200,000 by A and C in proportion to theirs (600k : 400k):
  A 120,000, C 80,000. Commitment `lease` ¥731,000 over [2023-02-01, 2025-02-01) (731 days) has 366 days
  left = 366,000; B's share by population among A, B, C is 1/6 = 61,000, credited 300 : 200 to A 36,600 and
  C 24,400.
"""

from __future__ import annotations

import json
from datetime import date
from fractions import Fraction
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cost_allocation.helpers import EQUAL_POOL, EXAMPLES, WARDS_DIR, row, ward, write_bill, write_rules
from wardcloud.cli.main import cli
from wardcloud.cost_allocation.buyin import months_between
from wardcloud.cost_allocation.focus import Bill, read_bill
from wardcloud.cost_allocation.rules import load_rules
from wardcloud.cost_allocation.shares import Period, Ward
from wardcloud.cost_allocation.statement import Statement, allocate, render_text

WARDS = [
    ward("131016", 300),
    ward("131024", 100, left=date(2024, 2, 1)),
    ward("131032", 200, joined=date(2023, 10, 1)),
]
BUY_IN = "buy_in:\n  setup_cost: 1200000\n  split: [{driver: population, weight: 1.0}]\n"
LEAVING = (
    "leaving:\n  refund_undepreciated: true\n"
    "  commitments: [{id: lease, amount: 731000, from: 2023-02-01, until: 2025-02-01}]\n"
)


def month(
    tmp_path: Path, label: str, extra: str = BUY_IN + LEAVING, wards: list[Ward] = WARDS, *, read: bool = True
) -> Statement:
    rules = load_rules(write_rules(tmp_path / "rules.yaml", EQUAL_POOL, extra))
    period = Period.month(label)
    if not read:  # the property below: the same 6,000 yen bill, built without a DuckDB scan
        cost = Fraction(6000)
        return allocate(Bill("bill.csv", (), {"platform": cost}, {"platform": 1}, cost, 1), rules, wards, period)
    start, end = period.start.isoformat() + "T00:00:00Z", period.end.isoformat() + "T00:00:00Z"
    bill = read_bill(
        write_bill(tmp_path / "bill.csv", [row(6000, start=start, end=end)]),
        "JPY",
        period,
        rules.pools,
        wards,
        rules.source_file,
    )
    return allocate(bill, rules, wards, period)


def capital(statement: Statement) -> dict[str, int]:
    return {w.code: w.buy_in for w in statement.wards}


def kinds(statement: Statement, code: str) -> list[tuple[str, int]]:
    ward_ = next(w for w in statement.wards if w.code == code)
    return [(line.kind, line.amount) for line in ward_.lines if line.kind not in ("shared", "direct")]


def test_october_join_pays_in_and_refunds_by_what_each_paid(tmp_path: Path) -> None:
    october = month(tmp_path, "2023-10")
    assert capital(october) == {"131016": -300_000, "131024": -100_000, "131032": 400_000}
    assert kinds(october, "131032") == [("buy_in", 400_000)]
    assert kinds(october, "131016") == [("buy_in_refund", -300_000)]
    # the operating charge is not netted with the buy-in: 6,000 yen equally, 2,000 each
    assert {w.code: w.operating for w in october.wards} == {"131016": 2000, "131024": 2000, "131032": 2000}


def test_months_without_a_change_carry_no_capital_lines(tmp_path: Path) -> None:
    for label in ("2023-09", "2023-11", "2024-01", "2024-03"):
        statement = month(tmp_path, label)
        assert all(v == 0 for v in capital(statement).values()), label


def test_february_leave_settles_capital_and_commitments(tmp_path: Path) -> None:
    february = month(tmp_path, "2024-02")
    assert kinds(february, "131024") == [("leave_refund", -200_000), ("leave_commitment", 61_000)]
    assert kinds(february, "131016") == [("leave_buyout", 120_000), ("leave_commitment_credit", -36_600)]
    assert kinds(february, "131032") == [("leave_buyout", 80_000), ("leave_commitment_credit", -24_400)]
    assert capital(february) == {"131016": 83_400, "131024": -139_000, "131032": 55_600}
    assert february.wards[1].operating == 0  # B is no member in February: no operating charge
    text = render_text(february)
    assert "leaving: 131024 left 2024-02-01 is refunded 200,000 of its capital 200,000" in text
    assert "commitment lease: 366,000 remaining, 131024 pays 61,000" in text


def test_depreciation_over_five_years(tmp_path: Path) -> None:
    extra = BUY_IN.replace("  split:", "  life_years: 5\n  split:") + LEAVING
    # October 2023: 30 months of 60 used → 600,000 undepreciated; C pays 1/3 = 200,000, refunded 3:1.
    october = month(tmp_path, "2023-10", extra)
    assert capital(october) == {"131016": -150_000, "131024": -50_000, "131032": 200_000}
    # February 2024: 34 months used → 520,000; B's capital 250,000 × 520/1200 = 108,333.33 → 108,333,
    # bought out 750k : 200k → 85,526.05 / 22,806.95: floors 108,332, the yen to C (.95).
    february = month(tmp_path, "2024-02", extra)
    assert kinds(february, "131024")[0] == ("leave_refund", -108_333)
    assert kinds(february, "131016")[0] == ("leave_buyout", 85_526)
    assert kinds(february, "131032")[0] == ("leave_buyout", 22_807)


def test_a_ward_joining_in_year_4_of_5_pays_the_undepreciated_share(tmp_path: Path) -> None:
    assert months_between(date(2021, 4, 1), date(2024, 4, 1)) == 36
    wards = [ward("131016", 100), ward("131024", 100, joined=date(2024, 4, 1))]
    extra = BUY_IN.replace("  split:", "  life_years: 5\n  split:")
    # 36 of 60 months used: 2/5 of 1,200,000 = 480,000 undepreciated, half of it 240,000
    assert capital(month(tmp_path, "2024-04", extra, wards)) == {"131016": -240_000, "131024": 240_000}


def test_founders_actual_payments_drive_the_refunds(tmp_path: Path) -> None:
    # founders paid 1,000,000 and 200,000 (not the population split): refunds 5 : 1 of C's 400,000
    extra = BUY_IN.replace("  split:", "  paid: {'131016': 1000000, '131024': 200000}\n  split:")
    october = month(tmp_path, "2023-10", extra)
    assert capital(october) == {"131016": -333_333, "131024": -66_667, "131032": 400_000}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    populations=st.lists(st.integers(1, 10**6), min_size=4, max_size=4),
    joins=st.lists(st.integers(0, 400), min_size=2, max_size=2),
    stay=st.integers(1, 400),
    setup=st.integers(0, 10**10),
    life=st.one_of(st.none(), st.integers(1, 6)),
)
def test_capital_flows_sum_to_zero_every_month(
    tmp_path: Path, populations: list[int], joins: list[int], stay: int, setup: int, life: int | None
) -> None:
    base = date(2023, 4, 1)
    wards = [
        ward("131016", populations[0]),
        ward("131024", populations[1], left=date.fromordinal(base.toordinal() + stay)),
        ward("131032", populations[2], joined=date.fromordinal(base.toordinal() + joins[0])),
        ward("131041", populations[3], joined=date.fromordinal(base.toordinal() + joins[1])),
    ]
    lifeline = f"  life_years: {life}\n" if life else ""
    extra = f"buy_in:\n  setup_cost: {setup}\n{lifeline}  split: [{{driver: population, weight: 1.0}}]\n" + LEAVING
    for label in ("2023-06", "2023-10", "2024-02"):
        statement = month(tmp_path, label, extra, wards, read=False)
        assert sum(capital(statement).values()) == 0
        assert sum(w.total for w in statement.wards) == statement.total == 6000
        for w in statement.wards:
            assert w.buy_in == sum(line.amount for line in w.lines if line.kind not in ("shared", "direct"))


def test_simulate_leave_shows_the_settlement(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text((EXAMPLES / "rules.yaml").read_text(encoding="utf-8") + LEAVING, encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "--tenants",
            str(WARDS_DIR),
            "cost",
            "simulate",
            "--leave",
            "131016",
            "--date",
            "2023-07-10",
            "--bill",
            str(EXAMPLES / "bill-2023-07.csv"),
            "--rules",
            str(rules),
            "--usage",
            str(EXAMPLES / "usage-2023-07.csv"),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    (leave,) = data["leave"]
    assert leave["ward"] == "131016" and leave["left"] == "2023-07-10"
    assert leave["refund"] == leave["capital"] > 0  # no depreciation: the whole capital comes back
    assert sum(leave["buyout"].values()) == leave["refund"]
    (lease,) = leave["commitments"]
    assert lease["id"] == "lease" and sum(lease["credits"].values()) == lease["payment"] > 0
    text = CliRunner().invoke(
        cli,
        [
            "--tenants",
            str(WARDS_DIR),
            "cost",
            "simulate",
            "--leave",
            "131016",
            "--date",
            "2023-07-10",
            "--bill",
            str(EXAMPLES / "bill-2023-07.csv"),
            "--rules",
            str(rules),
            "--usage",
            str(EXAMPLES / "usage-2023-07.csv"),
        ],
    )
    assert f"leaving: 131016 (left 2023-07-10) is refunded {leave['refund']:,}" in text.output


def test_focus_output_carries_capital_flows_as_rows_of_their_own(tmp_path: Path) -> None:
    sample = [
        "--tenants",
        str(WARDS_DIR),
        "cost",
        "allocate",
        "--period",
        "2023-07",
        "--bill",
        str(EXAMPLES / "bill-2023-07.csv"),
        "--rules",
        str(EXAMPLES / "rules.yaml"),
        "--usage",
        str(EXAMPLES / "usage-2023-07.csv"),
    ]
    data = json.loads(CliRunner().invoke(cli, [*sample, "--format", "json"]).output)
    out = tmp_path / "focus.csv"
    result = CliRunner().invoke(cli, [*sample, "--format", "focus", "--out", str(out)])
    assert result.exit_code == 0, result.output
    import csv

    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    flows = [r for r in rows if r["x_CapitalFlow"]]
    operating = [r for r in rows if not r["x_CapitalFlow"]]
    assert sum(int(r["BilledCost"]) for r in flows) == 0
    assert sum(float(r["BilledCost"]) for r in operating) == data["total"]
    by_ward: dict[str, int] = {}
    for r in flows:
        by_ward[r["x_WardCode"]] = by_ward.get(r["x_WardCode"], 0) + int(r["BilledCost"])
        assert r["ChargeCategory"] == ("Purchase" if int(r["BilledCost"]) >= 0 else "Credit")
        assert r["ChargeFrequency"] == "One-Time" and r["ServiceName"] == "buy-in"
    assert by_ward == {w["code"]: w["buy_in"] for w in data["wards"] if w["buy_in"]}
