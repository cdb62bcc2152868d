"""Dated driver series (住民基本台帳人口 as of a date, 印鑑登録数 …) and the reference date a period uses.

A statement must be reproducible: re-running July 2023 after next year's census update has to give July's
charges again. So every driver value carries the date it is "as of", the rules name the convention that
picks a period's reference date, and a period uses, for each ward and driver, the latest value dated on or
before that reference date. A value dated after it cannot change the period (docs/cost.md, "Dated drivers").
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

from wardcloud.cost_allocation.errors import Code, CostError, Problem
from wardcloud.tenants.load import YamlError, load_document

#: the conventions a rules file may name under `driver_data.as_of`
CONVENTIONS = ("january-before-fiscal-year", "fiscal-year-start", "period-start")
FISCAL_YEAR_START_MONTH = 4  # 会計年度: April to March (地方自治法 208条)
_CODE = re.compile(r"^\d{6}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class DatedValue:
    """One value of one ward's driver, as of a date, with where it was written and its source."""

    as_of: date
    value: Fraction
    source: str = ""  # e.g. 住民基本台帳人口（1月1日現在）
    file: str = ""
    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class DriverData:
    """A drivers file: per driver, per ward code, the values sorted by date."""

    file: str
    series: Mapping[str, Mapping[str, tuple[DatedValue, ...]]]
    sources: Mapping[str, str]


def fiscal_year(day: date) -> int:
    """The fiscal year (April–March) a day belongs to: 2024-02-10 → 2023."""
    return day.year if day.month >= FISCAL_YEAR_START_MONTH else day.year - 1


def reference_date(convention: str, period_start: date) -> date:
    """The date whose driver values a period starting on `period_start` uses, by `convention`.

    - `january-before-fiscal-year`: 1 January before the fiscal year starts (FY2023 → 2023-01-01), the usual
      convention of 一部事務組合 負担金 (population "as of 1 January" of the 住民基本台帳).
    - `fiscal-year-start`: 1 April of the period's fiscal year.
    - `period-start`: the first day of the period itself (a census update counts from the next month).
    """
    year = fiscal_year(period_start)
    if convention == "january-before-fiscal-year":
        return date(year, 1, 1)
    if convention == "fiscal-year-start":
        return date(year, FISCAL_YEAR_START_MONTH, 1)
    if convention == "period-start":
        return period_start
    raise ValueError(f"unknown driver reference convention {convention!r}")


def value_at(series: Sequence[DatedValue], day: date) -> DatedValue | None:
    """The latest value dated on or before `day` (None when every value is later, or none exists)."""
    best = None
    for item in series:
        if item.as_of <= day and (best is None or item.as_of >= best.as_of):
            best = item
    return best


def load_driver_data(path: Path, display: str | None = None) -> DriverData:
    """Read and check a drivers file; CostError names every problem at its line.

    Shape::

        population:
          source: 住民基本台帳人口（1月1日現在）
          values:
            "131016": {"2022-01-01": 66680, "2023-01-01": 67216}
    """
    name = display or str(path)
    try:
        document = load_document(path, name)
    except YamlError as exc:
        problem = exc.problem
        raise CostError(
            [Problem(problem.file, problem.line, problem.column, Code.DRIVERS_FILE, problem.message)]
        ) from exc
    problems: list[Problem] = []
    series: dict[str, dict[str, tuple[DatedValue, ...]]] = {}
    sources: dict[str, str] = {}
    root = document.value
    if not isinstance(root, dict) or not root:
        raise CostError([document.problem((), Code.DRIVERS_FILE, "expected a mapping of driver names")])
    for driver, body in root.items():
        at: tuple[Any, ...] = (driver,)
        if not isinstance(driver, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", driver):
            problems.append(
                document.problem(at, Code.DRIVERS_FILE, f"driver name {driver!r} is not [a-z][a-z0-9_]*", at_key=True)
            )
            continue
        if not isinstance(body, dict) or not isinstance(body.get("values"), dict):
            expected = "expected {source: …, values: {CODE6: {DATE: VALUE}}}"
            problems.append(document.problem(at, Code.DRIVERS_FILE, expected))
            continue
        extra = sorted(set(body) - {"source", "values"})
        for key in extra:
            problems.append(document.problem((*at, key), Code.DRIVERS_FILE, f"unknown key {key!r}", at_key=True))
        source = body.get("source", "")
        if not isinstance(source, str):
            problems.append(document.problem((*at, "source"), Code.DRIVERS_FILE, "source must be text"))
            source = ""
        sources[driver] = source
        wards: dict[str, tuple[DatedValue, ...]] = {}
        for code, dated in body["values"].items():
            where = (*at, "values", code)
            code_text = str(code)
            if not _CODE.fullmatch(code_text) or isinstance(code, bool):
                problems.append(
                    document.problem(where, Code.DRIVERS_FILE, f"{code!r} is not a ward code (6 digits)", at_key=True)
                )
                continue
            if not isinstance(dated, dict) or not dated:
                problems.append(document.problem(where, Code.DRIVERS_FILE, "expected {DATE: VALUE, …}"))
                continue
            values = []
            for day_text, raw in dated.items():
                spot = (*where, day_text)
                day = _day(day_text)
                if day is None:
                    problems.append(
                        document.problem(spot, Code.DRIVERS_FILE, f"{day_text!r} is not a date YYYY-MM-DD", at_key=True)
                    )
                    continue
                if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0 or raw != raw:
                    problems.append(document.problem(spot, Code.DRIVERS_FILE, f"{raw!r} is not a number ≥ 0"))
                    continue
                from wardcloud.cost_allocation.rules import exact  # the decimal as written (0.1 → 1/10)

                line, column = document.mark(spot)
                values.append(DatedValue(day, exact(raw), source, name, line, column))
            wards[code_text] = tuple(sorted(values, key=lambda v: v.as_of))
        series[driver] = wards
    if problems:
        raise CostError(problems)
    return DriverData(name, series, sources)


def _day(text: Any) -> date | None:
    if not isinstance(text, str) or not _DAY.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def resolve_drivers(
    wards: Sequence[Any],
    names: Sequence[str],
    data: DriverData | None,
    convention: str,
    period_start: date,
    period_end: date,
) -> list[Any]:
    """The wards with each driver in `names` set to its value at the period's reference date.

    A driver the drivers file lists is taken from there for every ward (one source per driver); otherwise
    the ward's own dated series (a tenant file's population as of `population_as_of`). A ward that takes
    part in the period and has no value dated on or before the reference date is an error naming the
    ward, the driver and the date; nothing is allocated.
    """
    reference = reference_date(convention, period_start)
    problems: list[Problem] = []
    out = []
    for ward in wards:
        member = ward.joined < period_end and (ward.left is None or ward.left > period_start)
        drivers = dict(ward.drivers)
        as_of = dict(ward.as_of)
        sources = dict(ward.sources)
        for name in names:
            if data is not None and name in data.series:
                series = data.series[name].get(ward.code, ())
                where = data.file
            else:
                series = ward.series.get(name, ())
                where = ward.source_file or ward.code
            found = value_at(series, reference)
            if found is None:
                drivers.pop(name, None)
                if member:
                    dates = ", ".join(v.as_of.isoformat() for v in series) or "none"
                    first = series[0] if series else None
                    problems.append(
                        Problem(
                            first.file if first else where,
                            first.line if first else 0,
                            first.column if first else 0,
                            Code.NO_VALUE_AT_DATE,
                            f"ward {ward.code} has no {name!r} value dated on or before {reference} "
                            f"(the {convention} reference date of the period starting {period_start}); "
                            f"dated values: {dates}",
                        )
                    )
                continue
            drivers[name] = found.value
            as_of[name] = found.as_of
            sources[name] = found.source
        out.append(dataclasses.replace(ward, drivers=drivers, as_of=as_of, sources=sources))
    if problems:
        raise CostError(problems)
    return out
