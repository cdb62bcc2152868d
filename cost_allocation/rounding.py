"""Largest-remainder rounding of exact amounts to integer yen, ties broken by ward code."""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction


def largest_remainder(total: int, exact: Mapping[str, Fraction],
                      limits: Mapping[str, Fraction] | None = None) -> dict[str, int]:
    """Integer parts of `exact` summing to `total`: floors, then one unit each to the largest remainders.

    Ties go to the smaller key (ward code ascending). A key whose floor + 1 would exceed its entry in
    `limits` (a cap) never receives a unit; if the units cannot all be placed, ValueError.
    """
    floors = {key: math.floor(value) for key, value in exact.items()}
    left = total - sum(floors.values())
    if left < 0:
        raise ValueError(f"floors sum to {sum(floors.values())}, above the total {total}")
    limits = limits or {}
    eligible = [key for key in exact if key not in limits or floors[key] + 1 <= limits[key]]
    eligible.sort(key=lambda key: (-(exact[key] - floors[key]), key))
    if left > len(eligible):
        raise ValueError(f"{left} yen of rounding remainder but only {len(eligible)} wards below their cap")
    for key in eligible[:left]:
        floors[key] += 1
    return floors


def split_exactly(total: int, shares: Mapping[str, Fraction],
                  limits: Mapping[str, Fraction] | None = None) -> dict[str, int]:
    """`total` yen split by `shares` (summing to 1) into integer parts summing exactly to `total`."""
    return largest_remainder(total, {key: total * share for key, share in shares.items()}, limits)
