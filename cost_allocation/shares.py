"""Participation, driver weights, pool shares and caps — exact fractions, no money yet."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal
from fractions import Fraction

from wardcloud.cost_allocation.drivers import DatedValue
from wardcloud.cost_allocation.errors import Code, CostError, Problem
from wardcloud.cost_allocation.rules import Cap, DriverTerm
from wardcloud.tenants.model import Tenant

# A SubAccountId that looks like a ward's (code6, its project `131016-chiyoda`, its stack `ward-131016`)
WARD_LIKE = re.compile(r"^(ward-)?[0-9]{6}(-[a-z0-9-]+)?$")
_PRECISION = Context(prec=40)  # non-integer exponents: 40 significant digits, then exact from there


@dataclass(frozen=True)
class Ward:
    """What allocation needs of a ward: identity, membership, driver values."""

    code: str
    name: str
    joined: date
    left: date | None = None
    drivers: Mapping[str, Fraction] = field(default_factory=dict)
    accounts: tuple[str, ...] = ()
    source_file: str = ""
    # the date each driver value is as of, and its source (住民基本台帳 …), where known
    as_of: Mapping[str, date] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)
    # dated values the ward's own file gives (a tenant file: population as of `population_as_of`)
    series: Mapping[str, tuple[DatedValue, ...]] = field(default_factory=dict)

    def is_member(self, day: date) -> bool:
        """Member on `day` when joined <= day < left."""
        return self.joined <= day and (self.left is None or day < self.left)

    @property
    def identifiers(self) -> tuple[str, ...]:
        """Every SubAccountId that names this ward."""
        return (self.code, f"ward-{self.code}", *self.accounts)

    @classmethod
    def from_tenant(cls, tenant: Tenant) -> Ward:
        """The allocation view of a tenant file."""
        drivers = {"population": Fraction(tenant.population)}
        drivers.update({name: Fraction(value) for name, value in tenant.drivers})
        # a tenant file is one dated snapshot: its values are as of its `population_as_of`
        source = "tenant file"
        series = {
            name: (
                DatedValue(
                    tenant.population_as_of,
                    value,
                    source,
                    tenant.source_file,
                    *tenant.locations.get(
                        "ward.population" if name == "population" else f"ward.drivers.{name}", (0, 0)
                    ),
                ),
            )
            for name, value in drivers.items()
        }
        return cls(
            code=tenant.code,
            name=tenant.name,
            joined=tenant.membership.joined,
            left=tenant.membership.left,
            drivers=drivers,
            accounts=(f"{tenant.code}-{tenant.name_en.lower()}",),
            source_file=tenant.source_file,
            as_of={name: tenant.population_as_of for name in drivers},
            sources={name: source for name in drivers},
            series=series,
        )


@dataclass(frozen=True)
class Period:
    """A billing period [start, end): a calendar month for `--period YYYY-MM`."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def label(self) -> str:
        return self.start.strftime("%Y-%m")

    @classmethod
    def month(cls, text: str) -> Period:
        """`2024-05` → [2024-05-01, 2024-06-01); ValueError otherwise."""
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}", text):
            raise ValueError(f"{text!r} is not a month YYYY-MM")
        year, month = int(text[:4]), int(text[5:])
        start = date(year, month, 1)
        return cls(start, date(year + month // 12, month % 12 + 1, 1))


def participation(ward: Ward, period: Period) -> Fraction:
    """Days the ward was a member within the period / days in the period."""
    first = max(ward.joined, period.start)
    last = min(ward.left, period.end) if ward.left else period.end
    return Fraction(max((last - first).days, 0), period.days)


def transformed(term: DriverTerm, raw: Fraction) -> Fraction:
    """clamp(raw, floor, ceiling) ** exponent; non-integer exponents to 40 significant digits."""
    value = raw
    if term.floor is not None:
        value = max(value, term.floor)
    if term.ceiling is not None:
        value = min(value, term.ceiling)
    if term.exponent is None or value == 0:
        return value
    if term.exponent.denominator == 1:
        return value**term.exponent.numerator
    base = _PRECISION.divide(Decimal(value.numerator), Decimal(value.denominator))
    power = _PRECISION.power(
        base, _PRECISION.divide(Decimal(term.exponent.numerator), Decimal(term.exponent.denominator))
    )
    return Fraction(power)


@dataclass(frozen=True)
class TermShare:
    """One ward under one driver term: raw value, transformed value, weight f × value, share."""

    driver: str
    raw: Fraction
    value: Fraction
    weight: Fraction
    share: Fraction


@dataclass(frozen=True)
class WardShare:
    """One ward's share of a pool, before and after the cap."""

    code: str
    participation: Fraction
    terms: tuple[TermShare, ...]
    before_cap: Fraction
    share: Fraction
    capped: bool = False


@dataclass(frozen=True)
class PoolShares:
    """Every ward's share of one pool; shares sum to 1."""

    shares: Mapping[str, WardShare]
    cap_rounds: int = 0
    cap_share: Fraction | None = None

    def share(self, code: str) -> Fraction:
        return self.shares[code].share


def raw_value(term: DriverTerm, ward: Ward, usage: Mapping[tuple[str, str], Fraction]) -> Fraction | None:
    """The ward's value under a driver before transforms; None when the ward does not declare it."""
    if term.driver == "equal":
        return Fraction(1)
    if term.driver == "usage":
        return usage.get((ward.code, term.unit or ""), Fraction(0))
    return ward.drivers.get(term.driver)


def check_drivers(
    terms: Sequence[DriverTerm], wards: Sequence[Ward], rules_file: str, declared: Sequence[str] = ()
) -> list[Problem]:
    """Unknown drivers (declared by no ward, not in `declared` (a drivers file), not built in), at their key."""
    known = {"equal", "usage", *declared} | {name for ward in wards for name in ward.drivers}
    return [
        Problem(
            rules_file,
            0,
            0,
            Code.UNKNOWN_DRIVER,
            f"unknown driver {t.driver!r}; known: {', '.join(sorted(known))}",
            f"{t.key}.driver",
        )
        for t in terms
        if t.driver not in known
    ]


def term_shares(
    terms: Sequence[DriverTerm],
    wards: Sequence[Ward],
    fractions: Mapping[str, Fraction],
    usage: Mapping[tuple[str, str], Fraction],
    where: str,
    rules_file: str,
) -> dict[str, WardShare]:
    """Each ward's pool share: Σ weight_k × (f × value_k) / Σ_wards (f × value_k)."""
    problems: list[Problem] = []
    per_term: list[dict[str, TermShare]] = []
    for term in terms:
        weights: dict[str, tuple[Fraction, Fraction, Fraction]] = {}
        for ward in wards:
            f = fractions[ward.code]
            raw = raw_value(term, ward, usage)
            if raw is None:
                if f:
                    problems.append(
                        Problem(
                            ward.source_file or ward.code,
                            0,
                            0,
                            Code.MISSING_DRIVER_VALUE,
                            f"ward {ward.code} declares no driver {term.driver!r} that {where} uses",
                            f"ward.drivers.{term.driver}",
                        )
                    )
                raw = Fraction(0)
            value = transformed(term, raw)
            weights[ward.code] = (raw, value, f * value)
        total = sum((w for _, _, w in weights.values()), Fraction(0))
        if total == 0 and term.weight:
            problems.append(
                Problem(
                    rules_file,
                    0,
                    0,
                    Code.ZERO_DRIVER_TOTAL,
                    f"driver {term.label} weighs 0 for every participating ward in {where}",
                    term.key,
                )
            )
            total = Fraction(1)
        per_term.append(
            {
                code: TermShare(term.label, raw, value, w, w / total if total else Fraction(0))
                for code, (raw, value, w) in weights.items()
            }
        )
    if problems:
        raise CostError(problems)
    result = {}
    for ward in wards:
        terms_of_ward = tuple(shares[ward.code] for shares in per_term)
        share = sum((t.weight * s.share for t, s in zip(terms, terms_of_ward, strict=True)), Fraction(0))
        result[ward.code] = WardShare(ward.code, fractions[ward.code], terms_of_ward, share, share)
    return result


def apply_cap(
    shares: dict[str, WardShare], cap_share: Fraction, where: str, rules_file: str, key: str
) -> PoolShares:
    """Fix shares above the cap at the cap; re-allocate the excess pro rata to the rest; repeat."""
    current = {code: s.before_cap for code, s in shares.items()}
    payers = [code for code, share in current.items() if share > 0]
    if len(payers) * cap_share < 1:
        raise CostError(
            [
                Problem(
                    rules_file,
                    0,
                    0,
                    Code.INFEASIBLE_CAP,
                    f"infeasible cap in {where}: {len(payers)} paying wards × cap {float(cap_share):.6g} < 1",
                    f"{key}.cap",
                )
            ]
        )
    fixed: set[str] = set()
    rounds = 0
    while True:
        over = [code for code in payers if code not in fixed and current[code] > cap_share]
        if not over:
            break
        rounds += 1
        excess = sum((current[code] - cap_share for code in over), Fraction(0))
        for code in over:
            current[code] = cap_share
            fixed.add(code)
        free = [code for code in payers if code not in fixed]
        base = sum((current[code] for code in free), Fraction(0))
        if base == 0:  # pragma: no cover - excluded by the n × cap check above
            raise CostError(
                [Problem(rules_file, 0, 0, Code.INFEASIBLE_CAP, f"infeasible cap in {where}", f"{key}.cap")]
            )
        for code in free:
            current[code] += excess * current[code] / base
    out = {
        code: WardShare(s.code, s.participation, s.terms, s.before_cap, current[code], code in fixed)
        for code, s in shares.items()
    }
    return PoolShares(out, rounds, cap_share)


def pool_shares(
    terms: Sequence[DriverTerm],
    cap: Cap | None,
    total: int,
    wards: Sequence[Ward],
    fractions: Mapping[str, Fraction],
    usage: Mapping[tuple[str, str], Fraction],
    where: str,
    key: str,
    rules_file: str,
) -> PoolShares:
    """Shares of one pool of `total` yen: driver shares, then the cap (a share, or an amount / total)."""
    shares = term_shares(terms, wards, fractions, usage, where, rules_file)
    if cap is None or total == 0:
        return PoolShares(shares)
    cap_share = cap.share if cap.share is not None else min(Fraction(1), (cap.amount or 0) / Fraction(total))
    return apply_cap(shares, cap_share, where, rules_file, key)
