"""The report's inputs as frozen values: an allocation (the cost library's JSON), wards, policy status."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wardcloud.core.errors import Problem, WardcloudError, single
from wardcloud.core.files import FileError, read_input
from wardcloud.core.jsontext import loads
from wardcloud.reports.errors import Code


class ReportError(WardcloudError):
    """An input to a report (allocation JSON, policy JSON, previous month) is malformed."""


# Keys a statement line may carry its amount, kind and text under (the cost library's line shape
# is read tolerantly: unknown keys are kept as detail so no part of the explanation is lost).
_AMOUNT_KEYS = ("amount", "yen", "amount_yen")
_KIND_KEYS = ("kind", "type", "category")
_TEXT_KEYS = ("explanation", "description", "text", "label", "note")


@dataclass(frozen=True)
class StatementLine:
    """One line of a ward's statement: what it is, which pool, the why, and the yen."""

    kind: str
    pool: str
    description: str
    amount: int
    fields: tuple[tuple[str, Any], ...] = ()  # the rest of the line as given: drivers, shares, cap, proration

    def field(self, key: str, default: Any = None) -> Any:
        """One of the line's remaining fields (e.g. `share`, `cap_adjustment`, `participation`)."""
        return dict(self.fields).get(key, default)


@dataclass(frozen=True)
class WardStatement:
    """One ward's charge for the period: direct usage, shared pools, buy-in and every line."""

    code: str
    name: str
    direct: int
    shared: int
    buy_in: int
    total: int
    lines: tuple[StatementLine, ...]


@dataclass(frozen=True)
class Pool:
    """A shared cost pool and the yen each ward (code6) bears of it."""

    id: str
    total: int
    allocations: tuple[tuple[str, int], ...]

    def amount_for(self, code: str) -> int:
        """The ward's part of the pool (0 when the ward bears none)."""
        return dict(self.allocations).get(code, 0)


@dataclass(frozen=True)
class Allocation:
    """A month's allocation: the bill total, the pools and the ward statements."""

    period: str
    currency: str
    total: int
    pools: tuple[Pool, ...]
    wards: tuple[WardStatement, ...]
    source: str = ""

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


@dataclass(frozen=True)
class WardInfo:
    """Reference facts about a ward the allocation JSON does not carry: English name and population."""

    code: str
    name: str
    name_en: str
    population: int


@dataclass(frozen=True)
class InputFile:
    """One input the allocation was computed from, with its SHA-256 (shown in the report)."""

    role: str
    path: str
    sha256: str


def _int(value: Any, where: str, source: str, problems: list[Problem]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(single(source, Code.NOT_INTEGER_YEN, f"expected integer yen, got {value!r}", path=where))
        return 0
    return value


def _line(raw: Any, where: str, source: str, problems: list[Problem]) -> StatementLine:
    if not isinstance(raw, Mapping):
        problems.append(single(source, Code.LINE_NOT_OBJECT, "statement line must be an object", path=where))
        return StatementLine("", "", "", 0)
    amount_key = next((k for k in _AMOUNT_KEYS if k in raw), None)
    if amount_key is None:
        problems.append(
            single(
                source,
                Code.LINE_WITHOUT_AMOUNT,
                f"statement line has no amount (one of {', '.join(_AMOUNT_KEYS)})",
                path=where,
            )
        )
        amount = 0
    else:
        amount = _int(raw[amount_key], f"{where}.{amount_key}", source, problems)
    kind_key = next((k for k in _KIND_KEYS if k in raw), None)
    text_key = next((k for k in _TEXT_KEYS if k in raw), None)
    used = {amount_key, kind_key, text_key, "pool"}
    fields = tuple((str(k), v) for k, v in raw.items() if k not in used)
    return StatementLine(
        kind=str(raw.get(kind_key, "")) if kind_key else "",
        pool=str(raw.get("pool") or ""),
        description=str(raw.get(text_key, "")) if text_key else "",
        amount=amount,
        fields=fields,
    )


def allocation_from_json(document: Any, source: str = "<allocation>") -> Allocation:
    """Check and convert the cost library's allocation JSON; ReportError lists every problem found."""
    problems: list[Problem] = []
    if not isinstance(document, Mapping):
        raise ReportError([single(source, Code.NOT_AN_OBJECT, "allocation JSON must be an object")])
    for key in ("period", "currency", "total", "pools", "wards"):
        if key not in document:
            problems.append(single(source, Code.MISSING_KEY, f"missing key {key!r}", path=key))
    if problems:
        raise ReportError(problems)
    total = _int(document["total"], "total", source, problems)
    pools: list[Pool] = []
    for i, raw in enumerate(_list(document["pools"], "pools", source, problems)):
        where = f"pools[{i}]"
        if not isinstance(raw, Mapping) or not isinstance(raw.get("allocations"), Mapping):
            problems.append(
                single(source, Code.BAD_POOL, "pool must be an object with 'id', 'total', 'allocations'", path=where)
            )
            continue
        allocations = tuple(
            (str(code), _int(yen, f"{where}.allocations.{code}", source, problems))
            for code, yen in raw["allocations"].items()
        )
        pool_total = _int(raw.get("total"), f"{where}.total", source, problems)
        if not problems and sum(y for _, y in allocations) != pool_total:
            problems.append(
                single(
                    source,
                    Code.POOL_SUM,
                    f"pool {raw.get('id')!r} allocations sum to "
                    f"{sum(y for _, y in allocations)}, not its total {pool_total}",
                    path=where,
                )
            )
        pools.append(Pool(str(raw.get("id", f"pool{i}")), pool_total, allocations))
    wards: list[WardStatement] = []
    for i, raw in enumerate(_list(document["wards"], "wards", source, problems)):
        where = f"wards[{i}]"
        if not isinstance(raw, Mapping) or "code" not in raw:
            problems.append(single(source, Code.BAD_WARD, "ward must be an object with a 'code'", path=where))
            continue
        amounts = {
            k: _int(raw.get(k, 0), f"{where}.{k}", source, problems)
            for k in ("direct", "shared", "buy_in", "total")
        }
        lines = tuple(
            _line(line, f"{where}.lines[{j}]", source, problems)
            for j, line in enumerate(_list(raw.get("lines", []), f"{where}.lines", source, problems))
        )
        if amounts["direct"] + amounts["shared"] + amounts["buy_in"] != amounts["total"]:
            problems.append(
                single(
                    source,
                    Code.WARD_SUM,
                    f"ward {raw['code']}: direct + shared + buy_in "
                    f"= {amounts['direct'] + amounts['shared'] + amounts['buy_in']}, "
                    f"not its total {amounts['total']}",
                    path=where,
                )
            )
        wards.append(WardStatement(str(raw["code"]), str(raw.get("name", "")), lines=lines, **amounts))
    if not problems and sum(w.total for w in wards) != total:
        problems.append(
            single(
                source,
                Code.TOTAL_SUM,
                f"ward totals sum to {sum(w.total for w in wards)}, not the bill total {total}",
                path="wards",
            )
        )
    codes = [w.code for w in wards]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        problems.append(single(source, Code.DUPLICATE_WARD, f"ward {code} appears more than once", path="wards"))
    if problems:
        raise ReportError(problems)
    return Allocation(
        str(document["period"]), str(document["currency"]), total, tuple(pools), tuple(wards), source
    )


def _list(value: Any, where: str, source: str, problems: list[Problem]) -> list[Any]:
    if not isinstance(value, list):
        problems.append(single(source, Code.NOT_A_LIST, "expected a list", path=where))
        return []
    return value


def load_allocation(path: Path) -> Allocation:
    """Read an allocation JSON file (e.g. last month's `wardctl cost allocate --format json`)."""
    return allocation_from_json(_read_json(path), str(path))


def _read_json(path: Path) -> Any:
    try:
        text = read_input(path).decode("utf-8")  # a FIFO or a device is refused, not read forever
    except FileError as exc:
        raise ReportError([single(str(path), Code.UNREADABLE, f"cannot read: {exc.problems[0].message}")]) from None
    except UnicodeDecodeError as exc:
        raise ReportError([single(str(path), Code.NOT_JSON, f"not JSON: not UTF-8 ({exc.reason})")]) from None
    try:
        return loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(
            [Problem(str(path), exc.lineno, exc.colno, Code.NOT_JSON, f"not JSON: {exc.msg}")]
        ) from exc


def ward_directory(wards: Iterable[WardInfo]) -> dict[str, WardInfo]:
    """Wards by code, for looking up names and population."""
    return {w.code: w for w in wards}


def check_wards_known(allocation: Allocation, wards: Sequence[WardInfo]) -> None:
    """ReportError when the allocation names a ward the tenant files do not declare."""
    known = {w.code for w in wards}
    unknown = [w.code for w in allocation.wards if w.code not in known]
    if unknown:
        raise ReportError(
            [
                single(
                    allocation.source or "<allocation>",
                    Code.UNKNOWN_WARD,
                    f"ward {code} is not declared by any tenant file",
                    path="wards",
                )
                for code in unknown
            ]
        )
