"""Per-ward statements as an XLSX workbook (openpyxl): summary, one sheet per ward, inputs."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from wardcloud.core.cells import text_only_workbook
from wardcloud.core.files import write_atomic
from wardcloud.cost_allocation.model import Statement
from wardcloud.reports.lines import basis, describe, kind_label
from wardcloud.reports.model import InputFile, WardInfo
from wardcloud.tenants.model import Tenant

YEN_FORMAT = "#,##0"  # integer yen with thousands separators; the cell value stays an exact int
SUMMARY_SHEET = "集計 Summary"
INPUTS_SHEET = "入力 Inputs"
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
_BOLD = Font(bold=True)


def ward_sheet_name(code: str, info: WardInfo | None) -> str:
    """`131016 千代田区 Chiyoda`, trimmed to Excel's 31 characters and its forbidden characters."""
    name = f"{code} {info.name} {info.name_en}" if info else code
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31]


def _header(sheet: Worksheet, row: int, labels: Sequence[str]) -> None:
    for column, label in enumerate(labels, start=1):
        cell = sheet.cell(row=row, column=column, value=label)
        cell.font, cell.fill = _BOLD, _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _yen(sheet: Worksheet, row: int, column: int, amount: int, bold: bool = False) -> None:
    cell = sheet.cell(row=row, column=column, value=amount)
    cell.number_format = YEN_FORMAT
    if bold:
        cell.font = _BOLD


def _widths(sheet: Worksheet, widths: Sequence[int]) -> None:
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


def build_workbook(
    allocation: Statement, wards: Mapping[str, WardInfo], inputs: Sequence[InputFile], generated_at: str
) -> Workbook:
    """The workbook: summary (ward × pool, totals = bill), one statement sheet per ward, inputs."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = SUMMARY_SHEET
    summary["A1"] = f"月次負担額 集計 / Monthly allocation summary — {allocation.period.label}"
    summary["A1"].font = Font(bold=True, size=13)
    pool_ids = [p.id for p in allocation.pools]
    labels = [
        "コード / Code",
        "区 / Ward (ja)",
        "Ward (en)",
        "直接利用 / Direct",
        *[f"プール / {p}" for p in pool_ids],
        "その他共有 / Other shared",
        "加入負担金 / Buy-in",
        "合計 / Total",
    ]
    _header(summary, 3, labels)
    row = 4
    for ward in allocation.wards:
        info = wards.get(ward.code)
        summary.cell(row=row, column=1, value=ward.code)
        summary.cell(row=row, column=2, value=info.name if info else ward.name)
        summary.cell(row=row, column=3, value=info.name_en if info else "")
        pooled = [pool.amount_for(ward.code) for pool in allocation.pools]
        for column, amount in enumerate(
            [ward.direct, *pooled, ward.shared - sum(pooled), ward.buy_in, ward.total], start=4
        ):
            _yen(summary, row, column, amount)
        row += 1
    summary.cell(row=row, column=1, value="合計 / Total").font = _BOLD
    pool_other = (
        allocation.total - allocation.direct_total - allocation.buy_in_total - sum(p.total for p in allocation.pools)
    )
    for column, amount in enumerate(
        [
            allocation.direct_total,
            *[p.total for p in allocation.pools],
            pool_other,
            allocation.buy_in_total,
            allocation.total,
        ],
        start=4,
    ):
        _yen(summary, row, column, amount, bold=True)
    summary.cell(row=row + 2, column=1, value="請求額 / Bill total").font = _BOLD
    _yen(summary, row + 2, 4, allocation.total, bold=True)
    summary.cell(row=row + 2, column=5, value=allocation.currency)
    summary.freeze_panes = "D4"
    _widths(summary, [10, 12, 14, 16, *[18] * len(pool_ids), 16, 16, 16])

    for ward in allocation.wards:
        info = wards.get(ward.code)
        sheet = book.create_sheet(ward_sheet_name(ward.code, info))
        sheet["A1"] = f"{ward.code} {info.name if info else ward.name} {info.name_en if info else ''}".strip()
        sheet["A1"].font = Font(bold=True, size=13)
        sheet["A2"] = f"負担額明細 / Statement — {allocation.period.label} ({allocation.currency})"
        _header(sheet, 4, ["種別 / Kind", "プール / Pool", "説明 / Description", "根拠 / Basis", "金額 / Amount"])
        row = 5
        for line in ward.lines:
            sheet.cell(row=row, column=1, value=kind_label(line))
            sheet.cell(row=row, column=2, value=line.pool)
            sheet.cell(row=row, column=3, value=describe(line)).alignment = Alignment(wrap_text=True)
            sheet.cell(row=row, column=4, value=basis(line)).alignment = Alignment(wrap_text=True)
            _yen(sheet, row, 5, line.amount)
            row += 1
        row += 1
        for label, amount in (
            ("直接利用 / Direct", ward.direct),
            ("共有費用 / Shared", ward.shared),
            ("加入負担金 / Buy-in", ward.buy_in),
            ("合計 / Total", ward.total),
        ):
            sheet.cell(row=row, column=4, value=label).font = _BOLD
            _yen(sheet, row, 5, amount, bold=True)
            row += 1
        _widths(sheet, [14, 16, 48, 40, 16])
        sheet.freeze_panes = "A5"

    sheet = book.create_sheet(INPUTS_SHEET)
    _header(sheet, 1, ["項目 / Item", "値 / Value", "SHA-256"])
    facts = [
        ("対象期間 / Period", allocation.period.label),
        ("通貨 / Currency", allocation.currency),
        ("作成日時 / Generated at", generated_at),
    ]
    for i, (item, value) in enumerate(facts, start=2):
        sheet.cell(row=i, column=1, value=item)
        sheet.cell(row=i, column=2, value=value)
    row = 2 + len(facts)
    sheet.cell(row=row, column=1, value="請求額 / Bill total")
    _yen(sheet, row, 2, allocation.total)
    row += 1
    for source in inputs:
        sheet.cell(row=row, column=1, value=source.role)
        sheet.cell(row=row, column=2, value=source.path)
        sheet.cell(row=row, column=3, value=source.sha256)
        row += 1
    _widths(sheet, [26, 48, 68])
    return book


def render_xlsx(
    allocation: Statement, wards: Mapping[str, WardInfo], inputs: Sequence[InputFile], generated_at: str
) -> bytes:
    """The workbook as bytes."""
    buffer = io.BytesIO()
    text_only_workbook(build_workbook(allocation, wards, inputs, generated_at)).save(buffer)
    return buffer.getvalue()


def write_xlsx(
    allocation: Statement,
    wards: Mapping[str, WardInfo],
    inputs: Sequence[InputFile],
    generated_at: str,
    path: Path,
) -> None:
    """Write the workbook atomically to `path`."""
    write_atomic(path, render_xlsx(allocation, wards, inputs, generated_at))


def write_statements_xlsx(
    allocation: Statement,
    out: Path,
    *,
    tenants: Sequence[Tenant],
    inputs: Sequence[tuple[str, Path | None]] = (),
    generated_at: datetime | None = None,
) -> None:
    """`wardctl cost allocate --format xlsx`: the cost library's statement as a workbook, with input hashes.

    `tenants` are the ward files the allocation was computed from, as the caller loaded them: their names
    fill the ward sheets and their files' hashes the inputs sheet (nothing is read from a directory here).
    """
    from wardcloud.reports.build import wards_from_tenants
    from wardcloud.reports.inputs import describe_inputs

    wards = wards_from_tenants(tenants)
    stamp = (generated_at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    write_xlsx(allocation, wards, describe_inputs(inputs, tenants), stamp, out)
