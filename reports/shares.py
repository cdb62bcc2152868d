"""Who pays more than their population share, and why: an exact decomposition of the difference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from reports.lines import cap_yen
from reports.model import Allocation, WardInfo


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

    @property
    def difference(self) -> int:
        """Yen paid above (+) or below (−) the population-proportional amount."""
        return self.total - self.population_yen


def _round(value: Fraction) -> int:
    """Half away from zero: display rounding only, never used to split money."""
    sign = -1 if value < 0 else 1
    return sign * int(abs(value) + Fraction(1, 2))


def explain_shares(allocation: Allocation, wards: dict[str, WardInfo]) -> tuple[ShareExplanation, ...]:
    """Each ward's charge vs. population share, split into usage, each pool and buy-in (sums exactly)."""
    population = sum(wards[w.code].population for w in allocation.wards if w.code in wards)
    pool_sum = sum(p.total for p in allocation.pools)
    result = []
    for ward in allocation.wards:
        info = wards.get(ward.code)
        p = Fraction(info.population, population) if info and population else Fraction(0)
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
            )
        )
    return tuple(result)


def main_reasons(explanation: ShareExplanation, limit: int = 3) -> Sequence[Driver]:
    """The largest drivers pushing in the direction of the difference (what a reader should look at)."""
    sign = 1 if explanation.difference >= 0 else -1
    pushing = [d for d in explanation.drivers if d.yen * sign > 0]
    return sorted(pushing, key=lambda d: -abs(d.yen))[:limit]
