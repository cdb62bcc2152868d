"""Who pays more than their population share, and why: an exact decomposition of the difference."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from wardcloud.cost_allocation.model import Statement, WardStatement
from wardcloud.reports.lines import cap_yen
from wardcloud.reports.model import WardInfo


@dataclass(frozen=True)
class Driver:
    """One reason a ward's charge differs from its population share, in yen (+ pays more)."""

    key: str
    label: str
    yen: int


@dataclass(frozen=True)
class ShareExplanation:
    """A ward's share of the bill against its share of the consortium's population."""

    code: str
    total: int
    share: Fraction
    population_share: Fraction
    population_yen: int
    drivers: tuple[Driver, ...]
    cap_adjustment: int
    participation: Fraction = Fraction(1)

    @property
    def difference(self) -> int:
        """Yen paid above (+) or below (−) the population-proportional amount."""
        return self.total - self.population_yen


def _round(value: Fraction) -> int:
    """Half away from zero: display rounding only, never used to split money."""
    sign = -1 if value < 0 else 1
    return sign * int(abs(value) + Fraction(1, 2))


def participation(ward: WardStatement) -> Fraction:
    """Fraction of the period the ward was a member: from its statement lines, else 1 if it was charged."""
    for line in ward.lines:
        days = line.field("participation")
        if isinstance(days, Mapping) and isinstance(days.get("of"), int) and days["of"] > 0:
            return Fraction(int(days.get("days", 0)), days["of"])
    return Fraction(1) if ward.total or ward.lines else Fraction(0)


def explain_shares(allocation: Statement, wards: dict[str, WardInfo]) -> tuple[ShareExplanation, ...]:
    """Each ward's charge vs. population share, split into usage, each pool and buy-in (sums exactly)."""
    # Population weighted by the days each ward took part, so a ward that joined mid-month (or not yet)
    # is compared with the part of the month it was a member, as the proration rule charges it.
    weight = {
        w.code: wards[w.code].population * participation(w) if w.code in wards else Fraction(0)
        for w in allocation.wards
    }
    population = sum(weight.values())
    pool_sum = sum(p.total for p in allocation.pools)
    result = []
    for ward in allocation.wards:
        p = weight[ward.code] / population if population else Fraction(0)
        parts: list[tuple[str, str, Fraction]] = [
            ("usage", "直接利用 / direct usage", ward.direct - p * allocation.direct_total)
        ]
        for pool in allocation.pools:
            parts.append(
                (
                    f"pool:{pool.id}",
                    f"共有プール / pool {pool.id}",
                    pool.amount_for(ward.code) - p * pool.total,
                )
            )
        parts.append(("buy_in", "加入負担金 / buy-in", ward.buy_in - p * allocation.buy_in_total))
        # Whatever the pools do not cover of `shared` (if the cost library reports shared costs outside
        # pools) is kept visible rather than silently folded into another driver.
        other_shared = ward.shared - sum(pool.amount_for(ward.code) for pool in allocation.pools)
        other_total = allocation.total - allocation.direct_total - pool_sum - allocation.buy_in_total
        if other_shared or other_total:
            parts.append(("other", "その他共有 / other shared", other_shared - p * other_total))
        expected = p * allocation.total
        # Round each part for display, then give the rounding residue to the largest part so the
        # displayed drivers add up to the displayed difference exactly.
        rounded = [_round(v) for _, _, v in parts]
        difference = ward.total - _round(expected)
        if parts:
            residue = difference - sum(rounded)
            biggest = max(range(len(parts)), key=lambda i: abs(parts[i][2]))
            rounded[biggest] += residue
        drivers = tuple(Driver(k, label, yen) for (k, label, _), yen in zip(parts, rounded, strict=True))
        cap = sum(cap_yen(line) for line in ward.lines)
        result.append(
            ShareExplanation(
                code=ward.code,
                total=ward.total,
                share=Fraction(ward.total, allocation.total) if allocation.total else Fraction(0),
                population_share=p,
                population_yen=_round(expected),
                drivers=drivers,
                cap_adjustment=cap,
                participation=participation(ward),
            )
        )
    return tuple(result)


def main_reasons(explanation: ShareExplanation, limit: int = 3) -> Sequence[Driver]:
    """The largest drivers pushing in the direction of the difference (what a reader should look at)."""
    sign = 1 if explanation.difference >= 0 else -1
    pushing = [d for d in explanation.drivers if d.yen * sign > 0]
    return sorted(pushing, key=lambda d: -abs(d.yen))[:limit]
