"""Buy-in and leaving: capital accounts of the pre-operation cost, replayed from operation start.

The report (lines 2952–2954): when a ward joins or leaves after operation starts, rules set beforehand keep
the burden fair between the first wards and those joining or leaving; concretely, a newcomer's joining
re-allocates the cost from the pre-study to operation start. Each ward's **capital account** is what it has
actually paid toward that cost: the founders' contributions (the rules' `buy_in.paid`, or the setup cost
split among the members on the operation start date), plus buy-in payments, less refunds received.

- A newcomer pays its share (the buy-in split over everyone then a member, itself included) of the
  undepreciated cost; incumbents are refunded that payment **in proportion to their capital accounts**.
- A ward leaving (with `leaving` in the rules) is refunded the undepreciated part of its capital account by
  the remaining members, in proportion to theirs, and pays its share of each named commitment's remaining
  amount, credited to the remaining members by the split.

Every flow is integer yen split by largest remainder (ties by ward code) and sums to zero across wards.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from wardcloud.cost_allocation.rounding import split_exactly
from wardcloud.cost_allocation.rules import Rules
from wardcloud.cost_allocation.shares import Period, Ward, term_shares

# wards as they are (driver values resolved) on a date: lets historic events use the drivers of their time
WardsAt = Callable[[date], Sequence[Ward]]


@dataclass(frozen=True)
class BuyInFlow:
    """One newcomer's buy-in: its payment and each incumbent's refund (refunds sum to the payment)."""

    newcomer: str
    joined: date
    share: Fraction  # the newcomer's share of the undepreciated cost among everyone then a member
    payment: int
    refund_shares: Mapping[str, Fraction]  # each incumbent's capital account / all incumbents' accounts
    refunds: Mapping[str, int]
    undepreciated: int = 0  # the cost the share applies to (setup_cost without depreciation)


@dataclass(frozen=True)
class CommitmentFlow:
    """A leaver's part of one commitment's remaining amount, credited to the remaining members."""

    id: str
    remaining: int
    share: Fraction
    payment: int
    credits: Mapping[str, int]


@dataclass(frozen=True)
class LeaveFlow:
    """A ward leaving: the undepreciated capital refunded to it (paid by the rest) and its commitments."""

    ward: str
    left: date
    capital: int  # its capital account before leaving
    refund: int  # undepreciated part of it, refunded to the leaver
    buyout: Mapping[str, int]  # what each remaining member pays toward the refund (sums to it)
    commitments: tuple[CommitmentFlow, ...] = ()


def months_between(start: date, day: date) -> int:
    """Whole months from `start` to `day` (月割: a month counts once its day is reached)."""
    return (day.year - start.year) * 12 + day.month - start.month - (1 if day.day < start.day else 0)


def undepreciated(rules: Rules, day: date) -> int:
    """The setup cost less straight-line depreciation by whole months over `life_years`, in whole yen."""
    assert rules.buy_in is not None and rules.operation_start is not None
    cost = rules.buy_in.setup_cost
    if rules.buy_in.life_years is None:
        return cost
    life = rules.buy_in.life_years * 12
    used = min(max(months_between(rules.operation_start, day), 0), life)
    return math.floor(Fraction(cost * (life - used), life))  # fractions of a yen dropped, as the bill's


def _split(rules: Rules, members: Sequence[Ward], where: str) -> dict[str, Fraction]:
    assert rules.buy_in is not None
    shares = term_shares(
        rules.buy_in.split, members, {w.code: Fraction(1) for w in members}, {}, where, rules.source_file
    )
    return {code: s.share for code, s in shares.items()}


def _pro_rata(
    capital: Mapping[str, int], codes: Sequence[str], fallback: Mapping[str, Fraction]
) -> dict[str, Fraction]:
    """Shares in proportion to capital accounts; by `fallback` (the split) when nobody has paid anything."""
    total = sum(max(capital.get(c, 0), 0) for c in codes)
    if total == 0:
        base = sum((fallback[c] for c in codes), Fraction(0))
        return {c: fallback[c] / base if base else Fraction(1, len(codes)) for c in codes}
    return {c: Fraction(max(capital.get(c, 0), 0), total) for c in codes}


@dataclass(frozen=True)
class CapitalHistory:
    """The replay up to a period's end: its flows in the period and the capital accounts after it."""

    buy_ins: tuple[BuyInFlow, ...]
    leaves: tuple[LeaveFlow, ...]
    capital: Mapping[str, int]


def capital_history(
    rules: Rules, wards: Sequence[Ward], period: Period, wards_at: WardsAt | None = None
) -> CapitalHistory:
    """Replay every join and leave from operation start to the period's end; return the period's flows."""
    if rules.buy_in is None or rules.operation_start is None:
        return CapitalHistory((), (), {})
    start = rules.operation_start
    if not any(
        (start < w.joined and period.start <= w.joined < period.end)
        or (rules.leaving is not None and w.left is not None and start < w.left and period.start <= w.left < period.end)
        for w in wards
    ):
        return CapitalHistory((), (), {})  # no join or leave this period: nothing to replay (the common month)
    at: WardsAt = wards_at or (lambda _day: wards)
    by_code = {w.code: w for w in wards}
    founders = sorted(c for c, w in by_code.items() if w.is_member(start))
    events: list[tuple[date, int, str]] = []
    for w in wards:
        if w.joined > start and w.joined < period.end:
            events.append((w.joined, 1, w.code))
        if rules.leaving is not None and w.left is not None and start < w.left < period.end and w.left > w.joined:
            events.append((w.left, 0, w.code))
    events.sort()
    active: set[str] = set(founders)
    capital: dict[str, int] = {}
    if rules.buy_in.paid:
        capital.update(rules.buy_in.paid)
    elif founders:
        now = {w.code: w for w in at(start)}
        shares = _split(rules, [now[c] for c in founders], "buy_in (founders at operation_start)")
        capital.update(split_exactly(rules.buy_in.setup_cost, shares))
    buy_ins: list[BuyInFlow] = []
    leaves: list[LeaveFlow] = []
    for day, kind, code in events:
        in_period = period.start <= day < period.end
        now = {w.code: w for w in at(day)}
        if kind == 1:
            if not active:  # the first member of a consortium with no founders pays no buy-in
                active.add(code)
                capital[code] = rules.buy_in.setup_cost
                continue
            incumbents = sorted(c for c in active if now[c].is_member(day))
            if not incumbents:  # everyone before it has left: nobody to refund, nothing to buy into
                active.add(code)
                continue
            members = [now[c] for c in incumbents] + [now[code]]
            shares = _split(rules, members, f"buy_in (newcomer {code})")
            value = undepreciated(rules, day)
            payment = split_exactly(value, shares)[code]
            refund_shares = _pro_rata(capital, incumbents, shares)
            refunds = split_exactly(payment, refund_shares)
            for c, yen in refunds.items():
                capital[c] = capital.get(c, 0) - yen
            capital[code] = capital.get(code, 0) + payment
            active.add(code)
            if in_period:
                buy_ins.append(BuyInFlow(code, day, shares[code], payment, refund_shares, refunds, value))
        else:
            assert rules.leaving is not None
            active.discard(code)
            remaining = sorted(c for c in active if now[c].is_member(day))
            if not remaining:
                continue
            held = capital.get(code, 0)
            refund = 0
            if rules.leaving.refund_undepreciated and held > 0:
                refund = math.floor(Fraction(held * undepreciated(rules, day), rules.buy_in.setup_cost or 1))
            split_before = _split(rules, [now[c] for c in remaining] + [now[code]], f"leaving ({code})")
            buyout = split_exactly(refund, _pro_rata(capital, remaining, split_before))
            for c, yen in buyout.items():
                capital[c] = capital.get(c, 0) + yen
            capital[code] = 0
            commitments = []
            others = sum((split_before[c] for c in remaining), Fraction(0))
            for commitment in rules.leaving.commitments:
                left_over = commitment.remaining(day)
                payment = split_exactly(left_over, split_before)[code]
                credits = split_exactly(payment, {c: split_before[c] / others for c in remaining})
                commitments.append(CommitmentFlow(commitment.id, left_over, split_before[code], payment, credits))
            if in_period:
                leaves.append(LeaveFlow(code, day, held, refund, buyout, tuple(commitments)))
    return CapitalHistory(tuple(buy_ins), tuple(leaves), dict(sorted(capital.items())))


def buy_in_flows(
    rules: Rules, wards: Sequence[Ward], period: Period, wards_at: WardsAt | None = None
) -> tuple[BuyInFlow, ...]:
    """Every newcomer's payment and refunds in the period (see `capital_history`)."""
    return capital_history(rules, wards, period, wards_at).buy_ins
