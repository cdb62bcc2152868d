"""Small XLSX workbooks for the fiscal-year outputs (settlement, budget): one sheet per table."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from wardcloud.core.files import write_atomic

Sheet = tuple[str, Sequence[str], Sequence[Sequence[str | int]]]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str | int) -> str | int:
    """Text that a spreadsheet would run as a formula is kept as text (a ward name never computes)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_workbook(path: Path, sheets: Sequence[Sheet]) -> None:
    """One sheet per (title, header, rows); yen columns formatted `#,##0`; written atomically."""
    from openpyxl import Workbook  # late: openpyxl only when a workbook is asked for
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append(list(header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_cell(v) for v in row])
        for column in sheet.iter_cols(min_row=2):
            for cell in column:
                if isinstance(cell.value, int):
                    cell.number_format = "#,##0"
        for index, label in enumerate(header, start=1):
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(12, len(str(label)) + 4)
    buffer = io.BytesIO()
    book.save(buffer)
    write_atomic(path, buffer.getvalue())
