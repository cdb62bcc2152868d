"""Largest-remainder rounding of exact amounts to integer yen, ties broken by ward code."""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction


def largest_remainder(
    total: int, exact: Mapping[str, Fraction], limits: Mapping[str, Fraction] | None = None
) -> dict[str, int]:
    """Integer parts of `exact` summing to `total`: floors, then one unit each to the largest remainders.

    Ties go to the smaller key (ward code ascending); a key with nothing exact gets nothing. A key whose part
    + 1 would exceed its entry in `limits` (a cap) never receives a unit; when capped keys leave more units
    than there are keys below their limit, the others take further units in the same order while they have
    room. Units that fit nowhere: ValueError.
    """
    floors = {key: math.floor(value) for key, value in exact.items()}
    left = total - sum(floors.values())
    if left < 0:
        raise ValueError(f"floors sum to {sum(floors.values())}, above the total {total}")
    limits = limits or {}
    order = sorted(
        (key for key, value in exact.items() if value > 0), key=lambda key: (-(exact[key] - floors[key]), key)
    )
    while left:
        takers = [key for key in order if key not in limits or floors[key] + 1 <= limits[key]][:left]
        if not takers:
            raise ValueError(f"{left} yen of rounding remainder but no ward below its cap can take it")
        for key in takers:
            floors[key] += 1
        left -= len(takers)
    return floors


def split_exactly(
    total: int, shares: Mapping[str, Fraction], limits: Mapping[str, Fraction] | None = None
) -> dict[str, int]:
    """`total` yen split by `shares` (summing to 1) into integer parts summing exactly to `total`."""
    return largest_remainder(total, {key: total * share for key, share in shares.items()}, limits)
