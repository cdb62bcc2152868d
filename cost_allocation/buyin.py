"""Buy-in: a newcomer pays its share of the setup cost; incumbents are refunded pro rata."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from wardcloud.cost_allocation.rounding import split_exactly
from wardcloud.cost_allocation.rules import BuyIn
from wardcloud.cost_allocation.shares import Period, Ward, term_shares


@dataclass(frozen=True)
class BuyInFlow:
    """One newcomer's buy-in: its payment and each incumbent's refund (refunds sum to the payment)."""

    newcomer: str
    joined: date
    share: Fraction  # the newcomer's share of setup_cost among everyone then a member
    payment: int
    refund_shares: Mapping[str, Fraction]
    refunds: Mapping[str, int]


def newcomers(wards: Sequence[Ward], period: Period, operation_start: date | None) -> list[Ward]:
    """Wards joining within the period after operation start, in join-date order, ties by code."""
    return sorted(
        (
            w
            for w in wards
            if period.start <= w.joined < period.end
            and (operation_start is None or w.joined > operation_start)
        ),
        key=lambda w: (w.joined, w.code),
    )


def buy_in_flows(
    buy_in: BuyIn, wards: Sequence[Ward], period: Period, operation_start: date | None, rules_file: str
) -> tuple[BuyInFlow, ...]:
    """Every newcomer's payment and refunds in the period; buy-in shares use f = 1 on the join date."""
    joining = newcomers(wards, period, operation_start)
    later = {w.code for w in joining}
    flows = []
    for newcomer in joining:
        later.discard(newcomer.code)
        members = [w for w in wards if w.is_member(newcomer.joined) and w.code not in later]
        everyone = term_shares(
            buy_in.split,
            members,
            {w.code: Fraction(1) for w in members},
            {},
            f"buy_in (newcomer {newcomer.code})",
            rules_file,
        )
        payment = split_exactly(buy_in.setup_cost, {c: s.share for c, s in everyone.items()})[newcomer.code]
        incumbents = [w for w in members if w.code != newcomer.code]
        if not incumbents:
            continue  # nobody to refund: the first member of a consortium pays no buy-in
        without = term_shares(
            buy_in.split,
            incumbents,
            {w.code: Fraction(1) for w in incumbents},
            {},
            f"buy_in (incumbents of {newcomer.code})",
            rules_file,
        )
        refund_shares = {c: s.share for c, s in without.items()}
        flows.append(
            BuyInFlow(
                newcomer.code,
                newcomer.joined,
                everyone[newcomer.code].share,
                payment,
                refund_shares,
                split_exactly(payment, refund_shares),
            )
        )
    return tuple(flows)
