"""The statement model: what one allocation of one bill states, and its one JSON form.

The cost library produces it (`statement.allocate`); the reports and the budget read it as it is. A saved
`wardctl cost allocate --format json` reads back into the same model with `Statement.from_json`, which
names every problem it finds (R000–R013, COST030). `to_json` is the stable shape docs/cost.md documents:
reading JSON that `to_json` wrote and writing it again gives the same bytes, and
`Statement.from_json(s.to_json()) == s`.

The JSON gives shares, agreed weights and non-integer driver values to 12 significant digits; a statement
read back holds those decimals. What `allocate` worked out on the way (pool shares, ratio units, bill rows,
the buy-in and leaving flows, the rules version) serves the text, CSV and FOCUS outputs; it is not in the
JSON, so a statement read back has none of it and equality ignores it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from wardcloud.core.errors import Problem, single
from wardcloud.cost_allocation.buyin import BuyInFlow, LeaveFlow
from wardcloud.cost_allocation.errors import Code, CostError, StatementCode
from wardcloud.cost_allocation.rules import Agreement
from wardcloud.cost_allocation.shares import Period, PoolShares

__all__ = [
    "CapReallocation",
    "DriverValue",
    "PoolAllocation",
    "Statement",
    "StatementLine",
    "WardStatement",
    "number",
]


def number(value: Fraction) -> float:
    """A share for people and charts: 12 significant digits (the exact value drives the yen)."""
    return float(f"{float(value):.12g}")


@dataclass(frozen=True)
class StatementLine:
    """One line of a ward's statement: its kind, the pool of a shared line, the yen, and the rest of its why.

    `detail` keeps the line's other fields in their order (service, rows, participation, drivers, shares,
    newcomer, leaver …; docs/cost.md lists them per kind) as JSON values.
    """

    kind: str
    amount: int
    pool: str = ""
    detail: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, kind: str, amount: int, pool: str = "", **detail: Any) -> StatementLine:
        """A line from its fields, in the order the JSON shows them."""
        return cls(kind, amount, pool, tuple(detail.items()))

    def field(self, key: str, default: Any = None) -> Any:
        """One of the line's other fields (e.g. `share`, `cap_adjustment`, `participation`)."""
        return next((value for name, value in self.detail if name == key), default)

    def to_json(self) -> dict[str, Any]:
        """`kind` first, then `pool` (shared lines), the detail, and `amount` last."""
        return {
            "kind": self.kind,
            **({"pool": self.pool} if self.pool else {}),
            **dict(self.detail),
            "amount": self.amount,
        }


@dataclass(frozen=True)
class DriverValue:
    """A driver value a statement used, with the date it is as of and its source."""

    driver: str
    value: Fraction
    as_of: date | None = None
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "driver": self.driver,
            "value": int(self.value) if self.value.denominator == 1 else number(self.value),
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "source": self.source,
        }


@dataclass(frozen=True)
class CapReallocation:
    """協議 (report line 2951): what a pool's cap moved and on whose authority.

    `moved` is the yen each ward gained (+) or shed (−) against the uncapped split, non-zero entries only;
    without an `agreement` the consortium still has to agree on it (consultation required).
    """

    capped: tuple[str, ...]
    moved: Mapping[str, int]
    agreement: Agreement | None = None

    @property
    def consultation(self) -> str:
        return "agreed" if self.agreement else "required"

    def to_json(self) -> dict[str, Any]:
        return {
            "capped": list(self.capped),
            "moved": dict(self.moved),
            "agreement": {
                "agreed_by": self.agreement.agreed_by,
                "agreed_on": self.agreement.agreed_on.isoformat(),
                "note": self.agreement.note,
                "excess_to": {c: number(w) for c, w in self.agreement.excess_to.items()},
            }
            if self.agreement
            else None,
            "consultation": self.consultation,
        }


@dataclass(frozen=True)
class PoolAllocation:
    """One pool: its integer total, each ward's yen, and what its cap moved (None when it moved nothing)."""

    id: str
    total: int
    allocations: Mapping[str, int]
    reallocation: CapReallocation | None = None
    # allocate()'s workings, not in the JSON (module docstring): bill rows, exact shares, and each share
    # rounded to 1e-12 summing to statement.RATIO_UNITS (the FOCUS split)
    rows: int = field(default=0, compare=False)
    shares: PoolShares = field(default_factory=lambda: PoolShares({}), compare=False)
    ratio_units: Mapping[str, int] = field(default_factory=dict, compare=False)

    def amount_for(self, code: str) -> int:
        """The ward's part of the pool (0 when the ward bears none)."""
        return self.allocations.get(code, 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "total": self.total,
            "allocations": dict(self.allocations),
            "cap_reallocation": self.reallocation.to_json() if self.reallocation else None,
        }


@dataclass(frozen=True)
class WardStatement:
    """One ward's charges: direct, shared, buy-in, the lines that explain them and the drivers used."""

    code: str
    name: str
    direct: int
    shared: int
    buy_in: int
    lines: tuple[StatementLine, ...] = ()
    drivers: tuple[DriverValue, ...] = ()

    @property
    def operating(self) -> int:
        """The month's operating charge (direct + shared), never netted with buy-in or leaving flows."""
        return self.direct + self.shared

    @property
    def total(self) -> int:
        return self.direct + self.shared + self.buy_in

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "direct": self.direct,
            "shared": self.shared,
            "operating": self.operating,
            "buy_in": self.buy_in,
            "total": self.total,
            "drivers": [d.to_json() for d in self.drivers],
            "lines": [line.to_json() for line in self.lines],
        }


@dataclass(frozen=True)
class Statement:
    """The whole allocation of one bill for one period."""

    period: Period
    currency: str
    total: int
    pools: tuple[PoolAllocation, ...]
    wards: tuple[WardStatement, ...]
    driver_as_of: str | None = None  # the rules' reference-date convention, when drivers are dated
    driver_reference: date | None = None  # the date this period's driver values are as of
    # allocate()'s workings, not in the JSON (module docstring)
    buy_ins: tuple[BuyInFlow, ...] = field(default=(), compare=False)
    leaves: tuple[LeaveFlow, ...] = field(default=(), compare=False)
    rules_version: str = field(default="", compare=False)
    source: str = field(default="", compare=False)  # the file it was read or computed from, for messages

    def ward(self, code: str) -> WardStatement | None:
        """The statement of ward `code`, or None when the ward is not in this allocation."""
        return next((w for w in self.wards if w.code == code), None)

    @property
    def direct_total(self) -> int:
        """Yen charged directly to wards (their own usage)."""
        return sum(w.direct for w in self.wards)

    @property
    def buy_in_total(self) -> int:
        """Net buy-in across wards (0 when newcomers' payments are fully refunded to incumbents)."""
        return sum(w.buy_in for w in self.wards)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape (docs/cost.md documents it)."""
        return {
            "period": self.period.label,
            "currency": self.currency,
            "total": self.total,
            "drivers_as_of": {"convention": self.driver_as_of, "date": self.driver_reference.isoformat()}
            if self.driver_reference is not None and self.driver_as_of is not None
            else None,
            "pools": [p.to_json() for p in self.pools],
            "wards": [w.to_json() for w in self.wards],
        }

    @classmethod
    def from_json(cls, document: Any, source: str = "<allocation>") -> Statement:
        """Check and read a statement's JSON; CostError names every problem, with its path in the document."""
        return _Reader(source).statement(document)


# A line's amount and kind are read under these keys, the first present winning (hand-written or older
# files); `to_json` writes `amount` and `kind`.
_AMOUNT_KEYS = ("amount", "yen", "amount_yen")
_KIND_KEYS = ("kind", "type", "category")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class _Reader:
    """Reads one statement JSON document, collecting every problem before it raises."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def problem(self, code: str, message: str, where: str = "") -> None:
        self.problems.append(single(self.source, code, message, path=where))

    def stop(self) -> None:
        if self.problems:
            raise CostError(self.problems)

    def statement(self, document: Any) -> Statement:
        if not isinstance(document, Mapping):
            raise CostError([single(self.source, StatementCode.NOT_AN_OBJECT, "allocation JSON must be an object")])
        for key in ("period", "currency", "total", "pools", "wards"):
            if key not in document:
                self.problem(StatementCode.MISSING_KEY, f"missing key {key!r}", key)
        self.stop()
        total = self.yen(document["total"], "total")
        period = self.period(document["period"])
        convention, reference = self.drivers_as_of(document.get("drivers_as_of"))
        pools = [
            pool
            for i, raw in enumerate(self.items(document["pools"], "pools"))
            if (pool := self.pool(raw, i, str(document["period"]))) is not None
        ]
        wards = [
            ward
            for i, raw in enumerate(self.items(document["wards"], "wards"))
            if (ward := self.ward_statement(raw, f"wards[{i}]")) is not None
        ]
        if not self.problems and sum(w.total for w in wards) != total:
            self.problem(
                StatementCode.TOTAL_SUM,
                f"ward totals sum to {sum(w.total for w in wards)}, not the bill total {total}",
                "wards",
            )
        codes = [w.code for w in wards]
        for code in sorted({c for c in codes if codes.count(c) > 1}):
            self.problem(StatementCode.DUPLICATE_WARD, f"ward {code} appears more than once", "wards")
        self.stop()
        assert period is not None
        return Statement(
            period,
            str(document["currency"]),
            total,
            tuple(pools),
            tuple(wards),
            convention,
            reference,
            source=self.source,
        )

    def period(self, value: Any) -> Period | None:
        try:
            if isinstance(value, str):
                return Period.month(value)
        except ValueError:
            pass
        self.problem(Code.BAD_PERIOD, f"period {value!r} is not a month YYYY-MM", "period")
        return None

    def drivers_as_of(self, value: Any) -> tuple[str | None, date | None]:
        if value is None:
            return None, None
        if not isinstance(value, Mapping):
            self.problem(StatementCode.BAD_FIELD, "drivers_as_of must be null or {convention, date}", "drivers_as_of")
            return None, None
        return self.text(value.get("convention"), "drivers_as_of.convention"), self.day(
            value.get("date"), "drivers_as_of.date", required=True
        )

    def pool(self, raw: Any, index: int, period: str) -> PoolAllocation | None:
        where = f"pools[{index}]"
        if not isinstance(raw, Mapping) or not isinstance(raw.get("allocations"), Mapping):
            self.problem(StatementCode.BAD_POOL, "pool must be an object with 'id', 'total', 'allocations'", where)
            return None
        allocations = {
            str(code): self.yen(yen, f"{where}.allocations.{code}") for code, yen in raw["allocations"].items()
        }
        total = self.yen(raw.get("total"), f"{where}.total")
        if not self.problems and sum(allocations.values()) != total:
            self.problem(
                StatementCode.POOL_SUM,
                f"pool {raw.get('id')!r} allocations sum to {sum(allocations.values())}, not its total {total}",
                where,
            )
        pool_id = str(raw.get("id", f"pool{index}"))
        reallocation = self.reallocation(raw.get("cap_reallocation"), f"{where}.cap_reallocation", period, pool_id)
        return PoolAllocation(pool_id, total, allocations, reallocation)

    def reallocation(self, raw: Any, where: str, period: str, pool: str) -> CapReallocation | None:
        if raw is None:
            return None
        if not isinstance(raw, Mapping) or not isinstance(raw.get("moved", {}), Mapping):
            self.problem(StatementCode.BAD_FIELD, "cap_reallocation must be null or {capped, moved, agreement}", where)
            return None
        capped = tuple(
            self.text(code, f"{where}.capped[{i}]")
            for i, code in enumerate(self.items(raw.get("capped", []), f"{where}.capped"))
        )
        moved = {str(code): self.yen(yen, f"{where}.moved.{code}") for code, yen in raw.get("moved", {}).items()}
        agreement = self.agreement(raw.get("agreement"), f"{where}.agreement", period, pool)
        expected = "agreed" if agreement else "required"
        if raw.get("consultation", expected) != expected:
            self.problem(
                StatementCode.BAD_FIELD,
                f"consultation must be {expected!r} with this agreement",
                f"{where}.consultation",
            )
        return CapReallocation(capped, moved, agreement)

    def agreement(self, raw: Any, where: str, period: str, pool: str) -> Agreement | None:
        if raw is None:
            return None
        if not isinstance(raw, Mapping) or not isinstance(raw.get("excess_to"), Mapping):
            self.problem(
                StatementCode.BAD_FIELD, "agreement must be null or {agreed_by, agreed_on, note, excess_to}", where
            )
            return None
        agreed_on = self.day(raw.get("agreed_on"), f"{where}.agreed_on", required=True)
        return Agreement(
            period,
            pool,
            self.text(raw.get("agreed_by"), f"{where}.agreed_by"),
            agreed_on or date.min,
            {str(c): self.fraction(w, f"{where}.excess_to.{c}") for c, w in raw["excess_to"].items()},
            self.text(raw.get("note", ""), f"{where}.note"),
        )

    def ward_statement(self, raw: Any, where: str) -> WardStatement | None:
        if not isinstance(raw, Mapping) or "code" not in raw:
            self.problem(StatementCode.BAD_WARD, "ward must be an object with a 'code'", where)
            return None
        direct, shared, buy_in, total = (
            self.yen(raw.get(k, 0), f"{where}.{k}") for k in ("direct", "shared", "buy_in", "total")
        )
        lines = tuple(
            self.line(line, f"{where}.lines[{j}]")
            for j, line in enumerate(self.items(raw.get("lines", []), f"{where}.lines"))
        )
        drivers = tuple(
            value
            for j, item in enumerate(self.items(raw.get("drivers", []), f"{where}.drivers"))
            if (value := self.driver(item, f"{where}.drivers[{j}]")) is not None
        )
        if direct + shared + buy_in != total:
            self.problem(
                StatementCode.WARD_SUM,
                f"ward {raw['code']}: direct + shared + buy_in = {direct + shared + buy_in}, not its total {total}",
                where,
            )
        if "operating" in raw:
            operating = self.yen(raw["operating"], f"{where}.operating")
            if operating != direct + shared:
                self.problem(
                    StatementCode.WARD_SUM,
                    f"ward {raw['code']}: direct + shared = {direct + shared}, not its operating {operating}",
                    where,
                )
        return WardStatement(str(raw["code"]), str(raw.get("name", "")), direct, shared, buy_in, lines, drivers)

    def line(self, raw: Any, where: str) -> StatementLine:
        if not isinstance(raw, Mapping):
            self.problem(StatementCode.LINE_NOT_OBJECT, "statement line must be an object", where)
            return StatementLine("", 0)
        amount_key = next((k for k in _AMOUNT_KEYS if k in raw), None)
        if amount_key is None:
            self.problem(
                StatementCode.LINE_WITHOUT_AMOUNT,
                f"statement line has no amount (one of {', '.join(_AMOUNT_KEYS)})",
                where,
            )
            amount = 0
        else:
            amount = self.yen(raw[amount_key], f"{where}.{amount_key}")
        kind_key = next((k for k in _KIND_KEYS if k in raw), None)
        used = {amount_key, kind_key, "pool"}
        return StatementLine(
            kind=str(raw[kind_key]) if kind_key else "",
            amount=amount,
            pool=str(raw.get("pool") or ""),
            detail=tuple((str(k), v) for k, v in raw.items() if k not in used),
        )

    def driver(self, raw: Any, where: str) -> DriverValue | None:
        if not isinstance(raw, Mapping) or "driver" not in raw or "value" not in raw:
            self.problem(StatementCode.BAD_FIELD, "driver value must be an object with 'driver' and 'value'", where)
            return None
        return DriverValue(
            self.text(raw["driver"], f"{where}.driver"),
            self.fraction(raw["value"], f"{where}.value"),
            self.day(raw.get("as_of"), f"{where}.as_of"),
            self.text(raw.get("source", ""), f"{where}.source"),
        )

    def yen(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(StatementCode.NOT_INTEGER_YEN, f"expected integer yen, got {value!r}", where)
            return 0
        return value

    def items(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            self.problem(StatementCode.NOT_A_LIST, "expected a list", where)
            return []
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            self.problem(StatementCode.BAD_FIELD, f"expected a string, got {value!r}", where)
            return ""
        return value

    def fraction(self, value: Any, where: str) -> Fraction:
        """A JSON number as the decimal it reads as (0.1 is 1/10, not the nearest binary float)."""
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.problem(StatementCode.BAD_FIELD, f"expected a number, got {value!r}", where)
            return Fraction(0)
        return Fraction(value) if isinstance(value, int) else Fraction(repr(value))

    def day(self, value: Any, where: str, required: bool = False) -> date | None:
        if value is None and not required:
            return None
        if isinstance(value, str) and _DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(StatementCode.BAD_FIELD, f"expected a date YYYY-MM-DD, got {value!r}", where)
        return None
