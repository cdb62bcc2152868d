"""The report's inputs besides the statement (cost_allocation.model): ward facts, input files, and reading a
saved allocation into the statement model."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wardcloud.core.errors import Problem, WardcloudError, single
from wardcloud.core.files import FileError, read_input
from wardcloud.core.jsontext import loads
from wardcloud.cost_allocation.errors import CostError
from wardcloud.cost_allocation.model import Statement
from wardcloud.reports.errors import Code


class ReportError(WardcloudError):
    """An input to a report (allocation JSON, policy JSON, previous month) is malformed."""


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


def load_allocation(path: Path) -> Statement:
    """Read an allocation JSON file (e.g. last month's `wardctl cost allocate --format json`) into the statement
    model, every problem named (R000–R013 from `Statement.from_json`, R020/R021 for the file itself)."""
    try:
        return Statement.from_json(read_json(path), str(path))
    except CostError as exc:
        raise ReportError(list(exc.problems)) from None


def read_json(path: Path) -> Any:
    """A JSON input file's document; R020 when it cannot be read, R021 (with line and column) when not JSON."""
    try:
        text = read_input(path).decode("utf-8")  # a FIFO or a device is refused, not read forever
    except FileError as exc:
        raise ReportError([single(str(path), Code.UNREADABLE, f"cannot read: {exc.problems[0].message}")]) from None
    except UnicodeDecodeError as exc:
        raise ReportError([single(str(path), Code.NOT_JSON, f"not JSON: not UTF-8 ({exc.reason})")]) from None
    try:
        return loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError([Problem(str(path), exc.lineno, exc.colno, Code.NOT_JSON, f"not JSON: {exc.msg}")]) from exc


def ward_directory(wards: Iterable[WardInfo]) -> dict[str, WardInfo]:
    """Wards by code, for looking up names and population."""
    return {w.code: w for w in wards}


def check_wards_known(allocation: Statement, wards: Sequence[WardInfo]) -> None:
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
