"""Invariants of the allocation (hypothesis): pools sum exactly, caps hold, absent wards pay nothing."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from wardcloud.cost_allocation.focus import Bill
from wardcloud.cost_allocation.rounding import split_exactly
from wardcloud.cost_allocation.rules import BuyIn, Cap, DriverTerm, Pool, Rules
from wardcloud.cost_allocation.shares import Period, Ward
from wardcloud.cost_allocation.statement import Statement, allocate

APRIL = Period.month("2024-04")
CODES = [f"13{n:03d}0" for n in range(1, 24)]
FEW = settings(max_examples=40, deadline=None)


@st.composite
def wards(draw: st.DrawFn) -> list[Ward]:
    count = draw(st.integers(2, 8))
    out = []
    for code in CODES[:count]:
        joined = APRIL.start + timedelta(days=draw(st.integers(-40, 40)))
        left = draw(st.one_of(st.none(), st.integers(1, 60).map(lambda d, j=joined: j + timedelta(days=d))))
        out.append(
            Ward(
                code=code,
                name=code,
                joined=joined,
                left=left,
                drivers={"population": Fraction(draw(st.integers(0, 1_000_000)))},
            )
        )
    # at least one full-month member so every pool has a payer
    out[0] = Ward(
        code=out[0].code,
        name=out[0].name,
        joined=date(2020, 1, 1),
        drivers={"population": Fraction(draw(st.integers(1, 1_000_000)))},
    )
    return out


def rules(cap: Fraction | None, buy_in: int = 0) -> Rules:
    split = (
        DriverTerm("equal", Fraction(1, 10), key="pools[0].split[0]"),
        DriverTerm("population", Fraction(9, 10), key="pools[0].split[1]"),
    )
    return Rules(
        currency="JPY",
        pools=(Pool("platform", (), split, Cap(share=cap) if cap else None, key="pools[0]"),),
        operation_start=date(2021, 4, 1),
        buy_in=BuyIn(buy_in, (DriverTerm("population", Fraction(1), key="buy_in.split[0]"),))
        if buy_in
        else None,
    )


def bill(amount: int) -> Bill:
    return Bill("bill.csv", (), {"platform": Fraction(amount)}, {"platform": 1}, Fraction(amount), 1)


def feasible_cap(ws: list[Ward], share: Fraction) -> Fraction | None:
    payers = sum(1 for w in ws if w.joined < APRIL.end and (w.left is None or w.left > APRIL.start))
    return share if payers * share >= 1 + Fraction(1, 10) else None


def run(ws: list[Ward], amount: int, cap: Fraction | None = None, buy_in: int = 0) -> Statement:
    return allocate(bill(amount), rules(cap, buy_in), ws, APRIL)


@FEW
@given(wards(), st.integers(0, 10**10), st.integers(0, 10**9))
def test_pools_and_statements_sum_exactly(ws: list[Ward], amount: int, setup: int) -> None:
    statement = run(ws, amount, buy_in=setup)
    (pool,) = statement.pools
    assert sum(pool.allocations.values()) == pool.total == amount
    assert sum(w.total for w in statement.wards) == statement.total == amount
    for flow in statement.buy_ins:
        assert sum(flow.refunds.values()) == flow.payment


@FEW
@given(wards(), st.integers(10**4, 10**10), st.fractions(Fraction(1, 8), Fraction(1, 2)))
def test_no_ward_above_the_cap(ws: list[Ward], amount: int, share: Fraction) -> None:
    cap = feasible_cap(ws, share)
    if cap is None:
        return
    statement = run(ws, amount, cap)
    (pool,) = statement.pools
    assert all(part <= cap * amount for part in pool.allocations.values())
    assert sum(pool.allocations.values()) == amount


@FEW
@given(wards(), st.integers(0, 10**10))
def test_a_ward_with_zero_participation_pays_nothing(ws: list[Ward], amount: int) -> None:
    statement = run(ws, amount)
    for ward, line in zip(sorted(ws, key=lambda w: w.code), statement.wards, strict=True):
        absent = ward.joined >= APRIL.end or (ward.left is not None and ward.left <= APRIL.start)
        if absent:
            assert line.shared == 0


@FEW
@given(wards(), st.integers(0, 10**10))
def test_doubling_every_amount_doubles_every_share_up_to_rounding(ws: list[Ward], amount: int) -> None:
    once = {w.code: w.shared for w in run(ws, amount).wards}
    twice = {w.code: w.shared for w in run(ws, 2 * amount).wards}
    assert all(abs(twice[code] - 2 * once[code]) <= 2 for code in once)


@FEW
@given(st.integers(0, 10**12), st.lists(st.integers(0, 1000), min_size=1, max_size=23))
def test_split_exactly_sums_and_stays_within_one_yen(total: int, weights: list[int]) -> None:
    if not any(weights):
        return
    shares = {CODES[i]: Fraction(w, sum(weights)) for i, w in enumerate(weights)}
    parts = split_exactly(total, shares)
    assert sum(parts.values()) == total
    assert all(abs(parts[code] - total * share) < 1 for code, share in shares.items())
