"""Hand-computed cases for each burden-sharing rule (report lines 2946–2955 and 4027)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

from tests.cost_allocation.helpers import EQUAL_POOL, POPULATION_POOL, row, ward, write_bill, write_rules
from wardcloud.cost_allocation.errors import CostError
from wardcloud.cost_allocation.focus import read_bill
from wardcloud.cost_allocation.rounding import largest_remainder, split_exactly
from wardcloud.cost_allocation.rules import load_rules
from wardcloud.cost_allocation.shares import Period, Ward, participation
from wardcloud.cost_allocation.statement import Statement, allocate

APRIL = Period.month("2024-04")


def run(tmp_path: Path, pools: str, wards: list[Ward], rows: list[list[str]], extra: str = "") -> Statement:
    """Write bill and rules, read them back through the library, allocate April 2024."""
    rules = load_rules(write_rules(tmp_path / "rules.yaml", pools, extra))
    bill = read_bill(
        write_bill(tmp_path / "bill.csv", rows), rules.currency, APRIL, rules.pools, wards, rules.source_file
    )
    return allocate(bill, rules, wards, APRIL)


def shared(statement: Statement) -> dict[str, int]:
    return {w.code: w.shared for w in statement.wards}


def test_equal_split_gives_the_leftover_yen_to_the_lowest_ward_code(tmp_path: Path) -> None:
    # 100 / 3 = 33.33…: three equal remainders, the tie goes to the smallest code
    statement = run(tmp_path, EQUAL_POOL, [ward("131032"), ward("131016"), ward("131024")], [row(100)])
    assert shared(statement) == {"131016": 34, "131024": 33, "131032": 33}
    assert statement.pools[0].allocations == {"131016": 34, "131024": 33, "131032": 33}


def test_population_split_follows_population(tmp_path: Path) -> None:
    wards = [ward("131016", 100), ward("131024", 200), ward("131032", 700)]
    statement = run(tmp_path, POPULATION_POOL, wards, [row(600), row(400)])
    assert shared(statement) == {"131016": 100, "131024": 200, "131032": 700}


def test_mixed_equal_10_population_90(tmp_path: Path) -> None:
    # shares: 0.1/3 + 0.9 × (0.1, 0.3, 0.6) = 0.12333…, 0.30333…, 0.57333…; × 1000 → floors 123+303+573 = 999,
    # the last yen goes to the lowest code (all remainders are 1/3)
    pools = (
        "  - id: platform\n    match: {}\n"
        "    split: [{driver: equal, weight: 0.1}, {driver: population, weight: 0.9}]\n"
    )
    statement = run(tmp_path, pools, [ward("131016", 100), ward("131024", 300), ward("131032", 600)], [row(1000)])
    assert shared(statement) == {"131016": 124, "131024": 303, "131032": 573}
    line = next(x for x in statement.wards[0].lines if x.kind == "shared")
    assert [d["driver"] for d in line.field("drivers")] == ["equal", "population"]
    assert line.field("drivers")[1]["share"] == pytest.approx(0.1)


def test_cap_reallocates_the_excess_in_two_rounds(tmp_path: Path) -> None:
    # shares 0.5 0.3 0.1 0.1, cap 0.35. Round 1: A → 0.35, its 0.15 goes to B, C, D pro rata (0.3:0.1:0.1),
    # B = 0.39, C = D = 0.13. Round 2: B → 0.35, its 0.04 goes to C, D: 0.15 each.
    pools = POPULATION_POOL + "    cap: {share: 0.35}\n"
    wards = [ward("131016", 50), ward("131024", 30), ward("131032", 10), ward("131041", 10)]
    statement = run(tmp_path, pools, wards, [row(1000)])
    assert shared(statement) == {"131016": 350, "131024": 350, "131032": 150, "131041": 150}
    pool = statement.pools[0]
    assert pool.shares.cap_rounds == 2
    assert {c for c, s in pool.shares.shares.items() if s.capped} == {"131016", "131024"}
    first = next(x for x in statement.wards[0].lines if x.kind == "shared")
    assert first.field("cap_adjustment") == pytest.approx(-0.15)


def test_cap_as_an_amount(tmp_path: Path) -> None:
    pools = POPULATION_POOL + "    cap: {amount: 400}\n"
    wards = [ward("131016", 60), ward("131024", 20), ward("131032", 20)]
    statement = run(tmp_path, pools, wards, [row(1000)])
    assert shared(statement) == {"131016": 400, "131024": 300, "131032": 300}


def test_rounding_never_lifts_a_ward_above_its_cap(tmp_path: Path) -> None:
    # cap 0.3 of 23 yen = 6.9 yen. A is capped at 6.9; B, C, D get 0.7/3 × 23 = 5.3667 each.
    # Floors 6+5+5+5 = 21;
    # by remainder A (0.9) would take a yen, but 7 > 6.9, so the two yen go to B and C (ties by code).
    pools = POPULATION_POOL + "    cap: {share: 0.3}\n"
    wards = [ward("131016", 70), ward("131024", 10), ward("131032", 10), ward("131041", 10)]
    statement = run(tmp_path, pools, wards, [row(23)])
    assert shared(statement) == {"131016": 6, "131024": 6, "131032": 6, "131041": 5}


def test_a_cap_no_integer_split_can_honour_is_an_error(tmp_path: Path) -> None:
    # 13 yen, cap 3.9 yen: four wards can take at most 3 whole yen each = 12 < 13
    pools = POPULATION_POOL + "    cap: {share: 0.3}\n"
    wards = [ward("131016", 70), ward("131024", 10), ward("131032", 10), ward("131041", 10)]
    with pytest.raises(CostError, match="infeasible cap"):
        run(tmp_path, pools, wards, [row(13)])


def test_mid_month_join_and_leave_are_prorated_by_days(tmp_path: Path) -> None:
    # April: 30 days. A all month (f = 1), B joins the 11th (20 days, f = 2/3), C leaves the 16th (15 days,
    # f = 1/2). Equal weights 1 : 2/3 : 1/2 = 6 : 4 : 3 of 1300 yen.
    wards = [ward("131016"), ward("131024", joined=date(2024, 4, 11)), ward("131032", left=date(2024, 4, 16))]
    assert [participation(w, APRIL) for w in wards] == [1, Fraction(2, 3), Fraction(1, 2)]
    statement = run(tmp_path, EQUAL_POOL, wards, [row(1300)])
    assert shared(statement) == {"131016": 600, "131024": 400, "131032": 300}
    line = next(x for x in statement.wards[1].lines if x.kind == "shared")
    assert line.field("participation") == {"days": 20, "of": 30, "fraction": pytest.approx(2 / 3)}


def test_a_ward_outside_the_period_pays_no_shared_cost(tmp_path: Path) -> None:
    wards = [ward("131016"), ward("131024", joined=date(2024, 5, 1)), ward("131032", left=date(2024, 4, 1))]
    statement = run(tmp_path, EQUAL_POOL, wards, [row(999)])
    assert shared(statement) == {"131016": 999, "131024": 0, "131032": 0}


def test_buy_in_refunds_sum_exactly_to_the_payment(tmp_path: Path) -> None:
    # setup 1,000,000 by population over A 200, B 100 and newcomer C 100: C pays 1/4 = 250,000. Refunds by
    # shares without C: A 2/3 → 166,666.67, B 1/3 → 83,333.33; floors 249,999, the last yen to A.
    wards = [ward("131016", 200), ward("131024", 100), ward("131032", 100, joined=date(2024, 4, 11))]
    extra = "buy_in:\n  setup_cost: 1000000\n  split: [{driver: population, weight: 1.0}]\n"
    statement = run(tmp_path, EQUAL_POOL, wards, [row(0)], extra)
    assert {w.code: w.buy_in for w in statement.wards} == {
        "131016": -166_667,
        "131024": -83_333,
        "131032": 250_000,
    }
    (flow,) = statement.buy_ins
    assert flow.payment == sum(flow.refunds.values()) == 250_000
    assert sum(w.total for w in statement.wards) == statement.total == 0


def test_buy_in_newcomers_in_join_order_ties_by_code(tmp_path: Path) -> None:
    # two newcomers the same day: 131032 (lower code) buys in first among A, B; then 131041 among A, B, 131032
    wards = [
        ward("131016", 100),
        ward("131024", 100),
        ward("131041", 100, joined=date(2024, 4, 11)),
        ward("131032", 100, joined=date(2024, 4, 11)),
    ]
    extra = "buy_in:\n  setup_cost: 1200\n  split: [{driver: population, weight: 1.0}]\n"
    statement = run(tmp_path, EQUAL_POOL, wards, [row(0)], extra)
    first, second = statement.buy_ins
    assert (first.newcomer, first.payment, dict(first.refunds)) == (
        "131032",
        400,
        {"131016": 200, "131024": 200},
    )
    assert (second.newcomer, second.payment) == ("131041", 300)
    assert dict(second.refunds) == {"131016": 100, "131024": 100, "131032": 100}


def test_a_join_before_operation_start_buys_nothing(tmp_path: Path) -> None:
    wards = [ward("131016"), ward("131024", joined=date(2024, 4, 11))]
    extra = "buy_in:\n  setup_cost: 1000\n  split: [{driver: population, weight: 1.0}]\n"
    rules = tmp_path / "r.yaml"
    write_rules(rules, EQUAL_POOL, extra)
    rules.write_text(rules.read_text().replace("2021-04-01", "2024-04-30"))
    loaded = load_rules(rules)
    bill = read_bill(write_bill(tmp_path / "bill.csv", [row(10)]), "JPY", APRIL, loaded.pools, wards)
    assert allocate(bill, loaded, wards, APRIL).buy_ins == ()


def test_driver_transforms_exponent_floor_ceiling(tmp_path: Path) -> None:
    # population^0.5 with floor 400 and ceiling 10000: 100 → 400 → 20; 2500 → 50; 40000 → 10000 → 100
    pools = (
        "  - id: platform\n    match: {}\n"
        "    split: [{driver: population, weight: 1.0, exponent: 0.5, floor: 400, ceiling: 10000}]\n"
    )
    wards = [ward("131016", 100), ward("131024", 2500), ward("131032", 40000)]
    statement = run(tmp_path, pools, wards, [row(1700)])
    assert shared(statement) == {"131016": 200, "131024": 500, "131032": 1000}


def test_hokkaido_rule_doubling_population_multiplies_the_charge_by_1_5(tmp_path: Path) -> None:
    pools = "  - id: platform\n    match: {}\n    split: [{driver: population, weight: 1.0, exponent: 0.585}]\n"
    statement = run(tmp_path, pools, [ward("131016", 50_000), ward("131024", 100_000)], [row(2_500_000)])
    small, large = shared(statement).values()
    assert large / small == pytest.approx(1.5, rel=1e-3)


def test_any_declared_driver_is_a_coefficient_like_seal_registrations(tmp_path: Path) -> None:
    pools = "  - id: renkei\n    match: {}\n    split: [{driver: inkan_registrations, weight: 1.0}]\n"
    wards = [ward("131016", inkan_registrations=1), ward("131024", inkan_registrations=3)]
    assert shared(run(tmp_path, pools, wards, [row(400)])) == {"131016": 100, "131024": 300}


def test_usage_driver_reads_consumed_quantity_of_the_wards_rows(tmp_path: Path) -> None:
    pools = (
        "  - id: bousai\n    match: {ServiceName: [bousai]}\n"
        "    split: [{driver: usage, unit: vCPU-Hours, weight: 1.0}]\n"
    )
    wards = [ward("131016"), ward("131024")]
    rows = [
        row(900, service="bousai"),
        row(0, account="131016-test", quantity="10", unit="vCPU-Hours"),
        row(0, account="131024", quantity="20", unit="vCPU-Hours"),
        row(0, account="131024", quantity="5", unit="GB-Months"),
    ]
    from wardcloud.cost_allocation.statement import allocate_files

    statement = allocate_files(
        write_bill(tmp_path / "bill.csv", rows), write_rules(tmp_path / "rules.yaml", pools), wards, APRIL
    )
    assert shared(statement) == {"131016": 300, "131024": 600}


def test_direct_rows_go_to_their_ward_by_project_stack_or_code(tmp_path: Path) -> None:
    rows = [
        row(10, account="131016-test"),
        row(20, account="ward-131016", service="Cinder", category="Storage"),
        row(5, account="131024"),
        row(3),
    ]
    statement = run(tmp_path, EQUAL_POOL, [ward("131016"), ward("131024")], rows)
    assert {w.code: (w.direct, w.shared) for w in statement.wards} == {"131016": (30, 2), "131024": (5, 1)}
    assert sum(w.total for w in statement.wards) == statement.total == 38


def test_fractional_yen_bill_is_truncated_and_still_sums(tmp_path: Path) -> None:
    rows = [row("10.4", account="131016"), row("10.4", account="131024"), row("0.5")]
    statement = run(tmp_path, EQUAL_POOL, [ward("131016"), ward("131024")], rows)
    assert statement.total == 21  # 21.3 → 21 (amounts under ¥1 truncated)
    assert sum(w.total for w in statement.wards) == 21


def test_largest_remainder_rejects_a_remainder_no_ward_can_take() -> None:
    with pytest.raises(ValueError):
        largest_remainder(2, {"a": Fraction(1, 2), "b": Fraction(3, 2)}, {"a": Fraction(1, 2), "b": Fraction(3, 2)})
    assert split_exactly(10, {"b": Fraction(1, 2), "a": Fraction(1, 2)}) == {"a": 5, "b": 5}


def test_infeasible_cap_is_an_error(tmp_path: Path) -> None:
    pools = EQUAL_POOL + "    cap: {share: 0.3}\n"
    with pytest.raises(CostError, match="infeasible cap"):
        run(tmp_path, pools, [ward("131016"), ward("131024"), ward("131032")], [row(10)])
