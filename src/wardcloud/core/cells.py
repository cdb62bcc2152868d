"""Spreadsheet cells that come from input are text, never formulas (CSV/formula injection, OWASP).

A bill's service name, a tag or a ward's name that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return (or their full-width forms, which Japanese Excel also turns into formulas) would run as a formula
when finance opens the file. Every CSV writer uses `csv_writer` (such a cell gets OWASP's leading
apostrophe, so it shows as the text it was); every XLSX writer passes its workbook through
`text_only_workbook` before saving (such a cell is stored as a string, which Excel never evaluates).
A plain number written as text (`-1200`) is left as it is: it is not a formula.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?", re.ASCII)


def formula_like(value: object) -> bool:
    """True for text a spreadsheet would read as a formula (or a DDE call)."""
    return (isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)
            and not _PLAIN_NUMBER.fullmatch(value))


def csv_text(value: Any) -> Any:
    """`value` as a CSV cell: formula-like text gets a leading apostrophe, anything else is unchanged."""
    return "'" + value if formula_like(value) else value


class _Writer(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


class SafeCsvWriter:
    """A `csv.writer` whose every cell goes through `csv_text`."""

    def __init__(self, writer: _Writer) -> None:
        self._writer = writer

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([csv_text(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: Any, **options: Any) -> SafeCsvWriter:
    """`csv.writer(stream, **options)` that never writes a live formula."""
    return SafeCsvWriter(csv.writer(stream, **options))


def text_only_workbook(workbook: Any) -> Any:
    """`workbook` (openpyxl) with every formula-like cell stored as a string; returns the workbook.

    openpyxl makes any string starting with `=` a formula cell; wardcloud writes no formulas of its own,
    so every such cell came from input and is turned back into text.
    """
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" or formula_like(cell.value):
                    cell.data_type = "s"
    return workbook
