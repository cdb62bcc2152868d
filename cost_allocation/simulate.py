"""What-if: each ward's charge before and after a ward joins or leaves on a date, and the buy-in flows."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from wardcloud.cost_allocation.errors import Code, CostError, Problem
from wardcloud.cost_allocation.model import Statement
from wardcloud.cost_allocation.shares import Period, Ward
from wardcloud.cost_allocation.statement import allocate, read_inputs


@dataclass(frozen=True)
class Change:
    """A ward joining (membership from `day`) or leaving (membership ends before `day`)."""

    action: Literal["join", "leave"]
    ward: str
    day: date


@dataclass(frozen=True)
class Simulation:
    """The same bill allocated with today's memberships and with the change."""

    change: Change
    before: Statement
    after: Statement

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape docs/cost.md documents."""
        before = {w.code: w for w in self.before.wards}
        wards = []
        for ward in self.after.wards:
            old = before[ward.code]
            wards.append(
                {
                    "code": ward.code,
                    "name": ward.name,
                    "before": old.total,
                    "after": ward.total,
                    "delta": ward.total - old.total,
                    "shared_before": old.shared,
                    "shared_after": ward.shared,
                    "buy_in": ward.buy_in,
                }
            )
        return {
            "change": {
                "action": self.change.action,
                "ward": self.change.ward,
                "date": self.change.day.isoformat(),
            },
            "period": self.after.period.label,
            "currency": self.after.currency,
            "total": {"before": self.before.total, "after": self.after.total},
            "wards": wards,
            "buy_in": [
                {
                    "newcomer": f.newcomer,
                    "joined": f.joined.isoformat(),
                    "payment": f.payment,
                    "refunds": {c: v for c, v in f.refunds.items() if v},
                }
                for f in self.after.buy_ins
            ],
            "leave": [
                {
                    "ward": leave.ward,
                    "left": leave.left.isoformat(),
                    "capital": leave.capital,
                    "refund": leave.refund,
                    "buyout": {c: v for c, v in leave.buyout.items() if v},
                    "commitments": [
                        {
                            "id": c.id,
                            "remaining": c.remaining,
                            "payment": c.payment,
                            "credits": {k: v for k, v in c.credits.items() if v},
                        }
                        for c in leave.commitments
                    ],
                }
                for leave in self.after.leaves
            ],
        }


def changed(wards: Sequence[Ward], change: Change, candidates: Sequence[Ward] = ()) -> list[Ward]:
    """The wards with the change applied; a joining ward absent from `wards` comes from `candidates`."""
    known = {w.code: w for w in wards}
    if change.ward not in known:
        extra = next((w for w in candidates if w.code == change.ward), None)
        if extra is None or change.action == "leave":
            raise CostError(
                [
                    Problem(
                        "--" + change.action,
                        0,
                        0,
                        Code.UNKNOWN_WARD,
                        f"{change.ward} is not a ward of the 23 (or not in the tenant files)",
                    )
                ]
            )
        known[change.ward] = extra
    ward = known[change.ward]
    if change.action == "join":
        ward = dataclasses.replace(ward, joined=change.day, left=None)
    else:
        if change.day <= ward.joined:
            raise CostError(
                [
                    Problem(
                        "--date",
                        0,
                        0,
                        Code.BAD_CHANGE,
                        f"{change.ward} joined {ward.joined}; it cannot leave on {change.day}",
                    )
                ]
            )
        ward = dataclasses.replace(ward, left=change.day)
    known[change.ward] = ward
    return sorted(known.values(), key=lambda w: w.code)


def simulate(
    bill_path: Path,
    rules_path: Path,
    wards: Sequence[Ward],
    period: Period,
    change: Change,
    usage_path: Path | None = None,
    candidates: Sequence[Ward] = (),
) -> Simulation:
    """Allocate the bill before and after `change` (same bill, rules and usage, same set of wards)."""
    after_wards = changed(wards, change, candidates)
    codes = {w.code for w in wards}
    # a ward without a tenant file is in the before picture too, as never a member, so both have 23 rows
    before_wards = list(wards) + [
        dataclasses.replace(w, joined=date.max, left=None) for w in after_wards if w.code not in codes
    ]
    rules, bill, usage, _ = read_inputs(bill_path, rules_path, after_wards, period, usage_path)
    return Simulation(
        change,
        allocate(bill, rules, before_wards, period, usage),
        allocate(bill, rules, after_wards, period, usage),
    )


def reference_candidates() -> list[Ward]:
    """The 23 wards from the reference data, for simulating a ward that has no tenant file yet."""
    from wardcloud.tenants.reference import reference_wards

    return [
        Ward(
            code=w.code6,
            name=w.name,
            joined=date.max,
            drivers={"population": Fraction(w.population)},
            accounts=(f"{w.code6}-{w.name_en.lower()}",),
        )
        for w in reference_wards()
    ]
