"""Month over month: each ward's change against the previous allocation, and what drove it."""

from __future__ import annotations

from dataclasses import dataclass

from wardcloud.cost_allocation.model import Statement


@dataclass(frozen=True)
class ChangeDriver:
    """One component of a ward's change (direct usage, a pool, buy-in), in yen."""

    key: str
    label: str
    previous: int
    current: int

    @property
    def change(self) -> int:
        """current − previous."""
        return self.current - self.previous


@dataclass(frozen=True)
class WardChange:
    """A ward's total this month against last month, with the drivers that sum to the change."""

    code: str
    previous: int
    current: int
    drivers: tuple[ChangeDriver, ...]
    note: str

    @property
    def change(self) -> int:
        """current − previous (the drivers sum to it exactly)."""
        return self.current - self.previous

    @property
    def percent(self) -> float | None:
        """Change in percent of last month; None when the ward paid nothing last month."""
        return None if self.previous == 0 else 100.0 * self.change / self.previous


@dataclass(frozen=True)
class Comparison:
    """The consortium's change and every ward's (wards in either month)."""

    previous_period: str
    current_period: str
    previous_total: int
    current_total: int
    wards: tuple[WardChange, ...]
    pools: tuple[ChangeDriver, ...]

    @property
    def change(self) -> int:
        """Change of the consortium total."""
        return self.current_total - self.previous_total


def compare(current: Statement, previous: Statement) -> Comparison:
    """Per-ward and per-pool changes from `previous` to `current`; a ward's drivers sum to its change."""
    pool_ids = list(dict.fromkeys([p.id for p in previous.pools] + [p.id for p in current.pools]))
    cur_pools = {p.id: p for p in current.pools}
    prev_pools = {p.id: p for p in previous.pools}
    codes = list(dict.fromkeys([w.code for w in current.wards] + [w.code for w in previous.wards]))
    wards = []
    for code in codes:
        cur, prev = current.ward(code), previous.ward(code)
        drivers = [
            ChangeDriver("usage", "直接利用 / direct usage", prev.direct if prev else 0, cur.direct if cur else 0)
        ]
        for pool_id in pool_ids:
            before = prev_pools[pool_id].amount_for(code) if pool_id in prev_pools else 0
            after = cur_pools[pool_id].amount_for(code) if pool_id in cur_pools else 0
            drivers.append(ChangeDriver(f"pool:{pool_id}", f"プール / pool {pool_id}", before, after))
        pooled_prev = sum(d.previous for d in drivers[1:])
        pooled_cur = sum(d.current for d in drivers[1:])
        other_prev = (prev.shared if prev else 0) - pooled_prev
        other_cur = (cur.shared if cur else 0) - pooled_cur
        if other_prev or other_cur:
            drivers.append(ChangeDriver("other", "その他共有 / other shared", other_prev, other_cur))
        drivers.append(
            ChangeDriver("buy_in", "加入負担金 / buy-in", prev.buy_in if prev else 0, cur.buy_in if cur else 0)
        )
        note = "新規加入 / joined" if prev is None else "脱退 / left" if cur is None else ""
        wards.append(
            WardChange(
                code,
                prev.total if prev else 0,
                cur.total if cur else 0,
                tuple(d for d in drivers if d.previous or d.current),
                note,
            )
        )
    pools = tuple(
        ChangeDriver(
            f"pool:{i}",
            f"プール / pool {i}",
            prev_pools[i].total if i in prev_pools else 0,
            cur_pools[i].total if i in cur_pools else 0,
        )
        for i in pool_ids
    )
    return Comparison(previous.period.label, current.period.label, previous.total, current.total, tuple(wards), pools)
