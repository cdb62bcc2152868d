"""The allocation rules file: its JSON Schema, its frozen model, and the strict loader."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import wardcloud.tenants.load
from wardcloud.core.quick_schema import SchemaCheck
from wardcloud.core.verdicts import Verdicts, source_digest
from wardcloud.cost_allocation.drivers import DriverData, load_driver_data
from wardcloud.cost_allocation.errors import Code, CostError, Problem
from wardcloud.tenants.load import Document, YamlError, decode, load_document, parse, read_bytes
from wardcloud.tenants.problems import Code as TenantCode

_NUMBER = {"type": "number"}
MAX_EXPONENT = 4
MAX_DRIVER_VALUE = 10**15
_DRIVER_TERM = {
    "type": "object",
    "additionalProperties": False,
    "required": ["driver", "weight"],
    "properties": {
        "driver": {
            "type": "string",
            "minLength": 1,
            "description": "equal, population, usage, or any numeric driver declared in tenant files",
        },
        "weight": {"type": "number", "minimum": 0, "maximum": 1},
        "unit": {"type": "string", "minLength": 1, "description": "ConsumedUnit a usage driver sums"},
        # bounded: x**100 overflows a float and x**100000 takes minutes; no burden-sharing rule needs more
        "exponent": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_EXPONENT},
        "floor": {"type": "number", "minimum": 0, "maximum": MAX_DRIVER_VALUE},
        "ceiling": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_DRIVER_VALUE},
    },
    "if": {"properties": {"driver": {"const": "usage"}}},
    "then": {"required": ["unit"]},
}
_SPLIT = {"type": "array", "minItems": 1, "items": _DRIVER_TERM}

RULES_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://wardcloud.example/schema/cost-rules.schema.json",
    "title": "wardcloud cost allocation rules",
    "type": "object",
    "additionalProperties": False,
    "required": ["currency", "pools"],
    "dependentRequired": {"buy_in": ["operation_start"], "leaving": ["buy_in"]},
    "properties": {
        "version": {"type": "string", "minLength": 1},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "operation_start": {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
        "pools": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "match", "split"],
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z][a-z0-9_-]*$"},
                    "description": {"type": "string"},
                    "match": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                    },
                    "split": _SPLIT,
                    "cap": {
                        "type": "object",
                        "additionalProperties": False,
                        "minProperties": 1,
                        "maxProperties": 1,
                        "properties": {
                            "share": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                            "amount": {"type": "number", "exclusiveMinimum": 0},
                        },
                    },
                },
            },
        },
        "agreements": {
            "description": "協議: an agreed table replacing a cap's automatic re-allocation for one period",
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["period", "pool", "agreed_by", "agreed_on", "excess_to"],
                "properties": {
                    "period": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}$"},
                    "pool": {"type": "string"},
                    "agreed_by": {"type": "string", "minLength": 1},
                    "agreed_on": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
                    "note": {"type": "string"},
                    "excess_to": {
                        "type": "object",
                        "minProperties": 1,
                        "propertyNames": {"pattern": r"^[0-9]{6}$"},
                        "additionalProperties": {"type": "number", "minimum": 0},
                    },
                },
            },
        },
        "driver_data": {
            "description": "dated drivers: which reference date a period uses, and an optional drivers file",
            "type": "object",
            "additionalProperties": False,
            "required": ["as_of"],
            "properties": {
                "as_of": {"enum": ["january-before-fiscal-year", "fiscal-year-start", "period-start"]},
                "file": {"type": "string", "minLength": 1, "description": "drivers YAML, relative to this file"},
            },
        },
        "buy_in": {
            "description": "needs operation_start: only wards joining after it buy in",
            "type": "object",
            "additionalProperties": False,
            "required": ["setup_cost", "split"],
            "properties": {
                "setup_cost": {"type": "integer", "minimum": 0},
                "split": _SPLIT,
                "life_years": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "straight-line depreciation of setup_cost by whole months over this life",
                },
                "paid": {
                    "type": "object",
                    "description": "what each founder actually paid toward setup_cost (yen); sums to it",
                    "propertyNames": {"pattern": r"^[0-9]{6}$"},
                    "additionalProperties": {"type": "integer", "minimum": 0},
                },
            },
        },
        "leaving": {
            "description": "a ward leaving settles its undepreciated capital and its part of commitments",
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "refund_undepreciated": {"type": "boolean"},
                "commitments": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["id", "amount", "from", "until"],
                        "properties": {
                            "id": {"type": "string", "pattern": "^[a-z][a-z0-9_-]*$"},
                            "amount": {"type": "integer", "minimum": 0},
                            "from": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
                            "until": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
                        },
                    },
                },
            },
        },
    },
}


@dataclass(frozen=True)
class DriverTerm:
    """One driver of a split with its weight; value = clamp(raw, floor, ceiling) ** exponent."""

    driver: str
    weight: Fraction
    unit: str | None = None
    exponent: Fraction | None = None
    floor: Fraction | None = None
    ceiling: Fraction | None = None
    key: str = ""  # where it sits in the rules file, e.g. pools[0].split[1]

    @property
    def label(self) -> str:
        """`population^0.585`, `usage(vCPU-Hours)` — how statements name the driver."""
        name = f"usage({self.unit})" if self.driver == "usage" else self.driver
        return name + (f"^{_decimal_text(self.exponent)}" if self.exponent is not None else "")


@dataclass(frozen=True)
class Cap:
    """No ward's share above `share`, or its amount above `amount` yen (exactly one is set)."""

    share: Fraction | None = None
    amount: Fraction | None = None


@dataclass(frozen=True)
class Pool:
    """Shared rows selected by `match` (column → allowed values), split among wards by `split`."""

    id: str
    match: tuple[tuple[str, tuple[str, ...]], ...]
    split: tuple[DriverTerm, ...]
    cap: Cap | None = None
    key: str = ""

    def selects(self, row: dict[str, Any]) -> bool:
        """True when every match column's value is one of the allowed values."""
        return all(row.get(column) in values for column, values in self.match)


@dataclass(frozen=True)
class BuyIn:
    """Setup cost (pre-study to operation start) a newcomer buys into, split by `split`."""

    setup_cost: int
    split: tuple[DriverTerm, ...]
    life_years: int | None = None  # straight-line depreciation by whole months; None: no depreciation
    paid: Mapping[str, int] = field(default_factory=dict)  # founders' actual contributions


@dataclass(frozen=True)
class Commitment:
    """A commitment the consortium made (a lease, a contract): `amount` yen running [start, until)."""

    id: str
    amount: int
    start: date
    until: date

    def remaining(self, day: date) -> int:
        """The part not yet run on `day`, straight-line by days, in whole yen (fractions dropped)."""
        total = (self.until - self.start).days
        left = min(max((self.until - max(day, self.start)).days, 0), total)
        return math.floor(Fraction(self.amount * left, total)) if total > 0 else 0


@dataclass(frozen=True)
class Agreement:
    """協議: for one period and pool, the excess over the cap goes to `excess_to` by these weights."""

    period: str
    pool: str
    agreed_by: str
    agreed_on: date
    excess_to: Mapping[str, Fraction]
    note: str = ""
    key: str = field(default="", compare=False)  # where the rules file says it; not part of what was agreed


@dataclass(frozen=True)
class Leaving:
    """What a leaving ward settles."""

    refund_undepreciated: bool = True
    commitments: tuple[Commitment, ...] = ()


@dataclass(frozen=True)
class Rules:
    """A whole rules file."""

    currency: str
    pools: tuple[Pool, ...]
    operation_start: date | None = None
    buy_in: BuyIn | None = None
    version: str = "1"
    source_file: str = ""
    driver_as_of: str | None = None  # the reference-date convention (drivers.CONVENTIONS); None: undated
    driver_data: DriverData | None = None
    leaving: Leaving | None = None
    agreements: tuple[Agreement, ...] = ()

    def agreement(self, period: str, pool: str) -> Agreement | None:
        """The agreed override of `pool`'s cap re-allocation in `period`, if one was agreed."""
        return next((a for a in self.agreements if a.period == period and a.pool == pool), None)

    @property
    def drivers(self) -> tuple[DriverTerm, ...]:
        """Every driver term of every split, pools first, then the buy-in."""
        terms = [t for p in self.pools for t in p.split]
        return tuple(terms + list(self.buy_in.split if self.buy_in else ()))

    @property
    def match_columns(self) -> tuple[str, ...]:
        """Bill columns the pools' matches read, in first-use order."""
        seen: dict[str, None] = {}
        for pool in self.pools:
            for column, _ in pool.match:
                seen.setdefault(column, None)
        return tuple(seen)


def exact(number: float | int) -> Fraction:
    """The decimal the YAML author wrote (0.1 → 1/10), not the binary float nearest it."""
    return Fraction(Decimal(repr(number))) if isinstance(number, float) else Fraction(number)


def _decimal_text(value: Fraction) -> str:
    return (
        str(value.numerator)
        if value.denominator == 1
        else format(Decimal(value.numerator) / Decimal(value.denominator), "f").rstrip("0")
    )


def _terms(
    raw: list[dict[str, Any]], at: tuple[Any, ...], document: Document, problems: list[Problem]
) -> tuple[DriverTerm, ...]:
    terms = tuple(
        DriverTerm(
            driver=item["driver"],
            weight=exact(item["weight"]),
            unit=item.get("unit"),
            exponent=exact(item["exponent"]) if "exponent" in item else None,
            floor=exact(item["floor"]) if "floor" in item else None,
            ceiling=exact(item["ceiling"]) if "ceiling" in item else None,
            key=_dotted(at + (index,)),
        )
        for index, item in enumerate(raw)
    )
    total = sum((t.weight for t in terms), Fraction(0))
    if total != 1:
        problems.append(document.problem(at, Code.WEIGHTS_SUM, f"split weights sum to {_decimal_text(total)}, not 1"))
    for index, term in enumerate(terms):
        if term.floor is not None and term.ceiling is not None and term.floor > term.ceiling:
            problems.append(document.problem(at + (index, "floor"), Code.RULES_SCHEMA, "floor is above ceiling"))
    return terms


def _dotted(pointer: tuple[Any, ...]) -> str:
    out = ""
    for part in pointer:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_rules(path: Path, verdicts: Verdicts | None = None) -> Rules:
    """Read, schema-validate and model a rules YAML file; CostError names file, line and key.

    With `verdicts`, a file whose exact bytes passed before skips the schema (the model's own checks,
    which are cheap, still run).
    """
    try:
        raw = read_bytes(path, str(path))
        key = verdicts.key("rules", _checker(), [(path.name, raw)]) if verdicts else ""
        passed = verdicts is not None and verdicts.passed(key)
        document = parse(decode(raw, str(path)), str(path), passed_before=passed)
    except YamlError as exc:
        problem = exc.problem
        if problem.code == TenantCode.EMPTY_FILE:  # the shared YAML reader words emptiness for tenant files
            problem = Problem(
                problem.file,
                problem.line,
                problem.column,
                Code.RULES_SCHEMA,
                "file is empty: expected a rules mapping (currency, pools, …)",
            )
        raise CostError([problem]) from exc
    if passed:
        return _model(document, [])
    rules = _model(document, schema_problems(document))
    if verdicts is not None:
        verdicts.remember_pass(key)
    return rules


@cache
def _checker() -> bytes:
    """Fingerprint of what decides a rules file's validity: this module (schema and model) and the parser."""
    return source_digest([Path(__file__), Path(wardcloud.tenants.load.__file__)])


@cache
def _check() -> SchemaCheck:
    return SchemaCheck(RULES_SCHEMA, formats=False)  # jsonschema never asserted formats in rules files


def schema_problems(document: Document) -> list[Problem]:
    """Every schema violation in a rules document, each at its line and key."""
    return [
        document.problem(tuple(error.absolute_path), Code.RULES_SCHEMA, error.message.replace("\n", " "))
        for error in sorted(_check().errors(document.value), key=lambda e: list(map(str, e.absolute_path)))
    ]


def _model(document: Document, problems: list[Problem]) -> Rules:
    """The Rules model of a schema-valid document, or CostError with the schema's and the model's problems."""
    if problems:
        raise CostError(problems)
    path = document.file
    value = document.value
    pools = []
    seen: set[str] = set()
    for index, raw in enumerate(value["pools"]):
        at = ("pools", index)
        if raw["id"] in seen:
            problems.append(document.problem(at + ("id",), Code.DUPLICATE_POOL, f"pool id {raw['id']!r} repeats"))
        seen.add(raw["id"])
        cap = None
        if "cap" in raw:
            share, amount = raw["cap"].get("share"), raw["cap"].get("amount")
            cap = Cap(
                share=exact(share) if share is not None else None,
                amount=exact(amount) if amount is not None else None,
            )
        pools.append(
            Pool(
                id=raw["id"],
                match=tuple((k, tuple(v)) for k, v in raw["match"].items()),
                split=_terms(raw["split"], at + ("split",), document, problems),
                cap=cap,
                key=_dotted(at),
            )
        )
    buy_in = None
    if "buy_in" in value:
        paid = {str(k): v for k, v in value["buy_in"].get("paid", {}).items()}
        if paid and sum(paid.values()) != value["buy_in"]["setup_cost"]:
            problems.append(
                document.problem(
                    ("buy_in", "paid"),
                    Code.RULES_SCHEMA,
                    f"founders' payments sum to {sum(paid.values())}, not setup_cost {value['buy_in']['setup_cost']}",
                )
            )
        buy_in = BuyIn(
            setup_cost=value["buy_in"]["setup_cost"],
            split=_terms(value["buy_in"]["split"], ("buy_in", "split"), document, problems),
            life_years=value["buy_in"].get("life_years"),
            paid=paid,
        )
    leaving = None
    if "leaving" in value:
        commitments = []
        for index, raw in enumerate(value["leaving"].get("commitments", [])):
            start, until = _date(raw["from"]), _date(raw["until"])
            if start is None or until is None or until <= start:
                problems.append(
                    document.problem(
                        ("leaving", "commitments", index),
                        Code.RULES_SCHEMA,
                        "a commitment runs from a date to a later one",
                    )
                )
                continue
            commitments.append(Commitment(raw["id"], raw["amount"], start, until))
        leaving = Leaving(value["leaving"].get("refund_undepreciated", True), tuple(commitments))
    operation_start = None
    if "operation_start" in value:
        try:
            operation_start = date.fromisoformat(value["operation_start"])
        except ValueError:
            problems.append(
                document.problem(
                    ("operation_start",),
                    Code.RULES_SCHEMA,
                    f"{value['operation_start']!r} is not a date YYYY-MM-DD",
                )
            )
    agreements: list[Agreement] = []
    pool_ids = {p["id"] for p in value["pools"]}
    for index, raw in enumerate(value.get("agreements", [])):
        at = ("agreements", index)
        agreed_on = _date(raw["agreed_on"])
        weights = {str(k): exact(v) for k, v in raw["excess_to"].items()}
        if raw["pool"] not in pool_ids:
            problems.append(document.problem((*at, "pool"), Code.AGREEMENT, f"no pool {raw['pool']!r}"))
        elif agreed_on is None:
            problems.append(document.problem((*at, "agreed_on"), Code.AGREEMENT, "not a date YYYY-MM-DD"))
        elif not sum(weights.values()):
            problems.append(document.problem((*at, "excess_to"), Code.AGREEMENT, "weights sum to 0"))
        elif any((a.period, a.pool) == (raw["period"], raw["pool"]) for a in agreements):
            problems.append(document.problem(at, Code.AGREEMENT, "a second agreement for the same period and pool"))
        else:
            agreements.append(
                Agreement(
                    raw["period"],
                    raw["pool"],
                    raw["agreed_by"],
                    agreed_on,
                    weights,
                    raw.get("note", ""),
                    _dotted(at),
                )
            )
    driver_as_of = None
    driver_data = None
    if "driver_data" in value:
        driver_as_of = value["driver_data"]["as_of"]
        if "file" in value["driver_data"]:
            drivers_path = Path(path).parent / value["driver_data"]["file"]
            if not drivers_path.is_file():
                problems.append(
                    document.problem(
                        ("driver_data", "file"), Code.DRIVERS_FILE, f"drivers file {str(drivers_path)!r} not found"
                    )
                )
            elif not problems:
                driver_data = load_driver_data(drivers_path)
    if problems:
        raise CostError(problems)
    return Rules(
        currency=value["currency"],
        driver_as_of=driver_as_of,
        driver_data=driver_data,
        leaving=leaving,
        agreements=tuple(agreements),
        pools=tuple(pools),
        operation_start=operation_start,
        buy_in=buy_in,
        version=str(value.get("version", "1")),
        source_file=str(path),
    )


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def locate(path: Path, key: str, code: str, message: str) -> Problem:
    """A problem at dotted `key` of the rules file, with its line and column."""
    try:
        document = load_document(path)
    except (YamlError, OSError):
        return Problem(str(path), 0, 0, code, message, key)
    pointer: list[Any] = []
    for part in key.replace("[", ".[").split("."):
        if not part:
            continue
        pointer.append(int(part[1:-1]) if part.startswith("[") else part)
    return document.problem(tuple(pointer), code, message)
