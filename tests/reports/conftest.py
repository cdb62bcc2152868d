"""Allocation and policy JSON fixtures in the shapes the cost library and policy engine emit."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from wardcloud.reports.model import WardInfo
from wardcloud.tenants.reference import reference_wards


def split(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Largest-remainder split of `total` by integer weights, ties by code (as the cost library does)."""
    whole = sum(weights.values())
    exact = {code: Fraction(total * w, whole) for code, w in weights.items()}
    parts = {code: int(v) for code, v in exact.items()}
    left = total - sum(parts.values())
    for code in sorted(exact, key=lambda c: (-(exact[c] - parts[c]), c))[:left]:
        parts[code] += 1
    return parts


def make_allocation(
    period: str,
    platform: int,
    bousai: int,
    direct: dict[str, int],
    buy_in: dict[str, int] | None = None,
    leave_out: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A consistent allocation: a population pool, an equal-split pool, direct rows and a buy-in."""
    wards = [w for w in reference_wards() if w.code6 not in leave_out]
    population = {w.code6: w.population for w in wards}
    pools = [
        {"id": "platform-population", "total": platform, "allocations": split(platform, population)},
        {"id": "bousai-equal", "total": bousai, "allocations": split(bousai, {c: 1 for c in population})},
    ]
    buy_in = buy_in or {}
    statements = []
    days = 31
    for w in wards:
        lines: list[dict[str, Any]] = []
        if direct.get(w.code6):  # the cost library's line shapes (cost_allocation/statement.py)
            lines.append(
                {
                    "kind": "direct",
                    "service": "Compute",
                    "category": "Compute",
                    "rows": 3,
                    "amount": direct[w.code6],
                }
            )
        for pool in pools:
            equal = "equal" in pool["id"]
            share = (
                Fraction(1, len(wards)) if equal else Fraction(population[w.code6], sum(population.values()))
            )
            lines.append(
                {
                    "kind": "shared",
                    "pool": pool["id"],
                    "pool_total": pool["total"],
                    "rows": 4,
                    "participation": {"days": days, "of": days, "fraction": 1.0},
                    "drivers": [
                        {
                            "driver": "equal" if equal else "population",
                            "weight": 1.0,
                            "value": 1.0 if equal else float(population[w.code6]),
                            "transformed": 1.0,
                            "share": float(share),
                        }
                    ],
                    "share_before_cap": float(share),
                    "cap_adjustment": 0.0,
                    "capped": False,
                    "share": float(share),
                    "exact": float(share * pool["total"]),
                    "rounding": float(pool["allocations"][w.code6] - share * pool["total"]),
                    "amount": pool["allocations"][w.code6],
                }
            )
        amount = buy_in.get(w.code6, 0)
        if amount > 0:
            lines.append(
                {
                    "kind": "buy_in",
                    "newcomer": w.code6,
                    "joined": "2026-10-01",
                    "share": 0.0042,
                    "amount": amount,
                }
            )
        elif amount < 0:
            lines.append(
                {
                    "kind": "buy_in_refund",
                    "newcomer": "131016",
                    "joined": "2026-10-01",
                    "share": 0.5,
                    "amount": amount,
                }
            )
        shared = sum(p["allocations"][w.code6] for p in pools)
        total = direct.get(w.code6, 0) + shared + buy_in.get(w.code6, 0)
        statements.append(
            {
                "code": w.code6,
                "name": w.name,
                "direct": direct.get(w.code6, 0),
                "shared": shared,
                "buy_in": buy_in.get(w.code6, 0),
                "total": total,
                "lines": lines,
            }
        )
    return {
        "period": period,
        "currency": "JPY",
        "total": sum(s["total"] for s in statements),
        "pools": pools,
        "wards": statements,
    }


@pytest.fixture
def allocation_json() -> dict[str, Any]:
    """October 2026: Setagaya heavy direct usage, Chiyoda a newcomer paying a buy-in refunded to two wards."""
    return make_allocation(
        "2026-10",
        platform=48_000_000,
        bousai=6_900_001,
        direct={"131121": 3_450_000, "131016": 120_000, "131032": 987_654},
        buy_in={"131016": 500_000, "131024": -250_001, "131041": -249_999},
    )


@pytest.fixture
def previous_json() -> dict[str, Any]:
    """September 2026: before Chiyoda joined, a smaller platform pool."""
    return make_allocation(
        "2026-09",
        platform=45_000_000,
        bousai=6_900_001,
        direct={"131121": 2_000_000, "131032": 987_654},
        leave_out=("131016",),
    )


@pytest.fixture
def policy_json() -> dict[str, Any]:
    """Policy engine output: one mandatory violation, one advisory, one waived finding."""

    def finding(policy: str, ward: str, enforcement: str, waived: bool) -> dict[str, Any]:
        return {
            "policy": policy,
            "severity": "high",
            "enforcement": enforcement,
            "ward": ward,
            "resource": f"ward-{ward}/internet",
            "message": f"{policy} failed",
            "remediation": "fix it",
            "waived": waived,
            "waiver": {"approver": "CISO"} if waived else None,
        }

    return {
        "violations": [
            finding("NET-001", "131032", "mandatory", False),
            finding("BAK-002", "131041", "advisory", False),
            finding("AUD-003", "131121", "mandatory", True),
        ],
        "summary": {"violations": 1, "advisories": 1, "waived": 1},
    }


@pytest.fixture
def wards() -> dict[str, WardInfo]:
    """The 23 wards' names and population from the bundled reference data."""
    return {w.code6: WardInfo(w.code6, w.name, w.name_en, w.population) for w in reference_wards()}
