"""The XLSX workbook read back with openpyxl: every sheet adds up to the bill, to the yen."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from wardcloud.cost_allocation.errors import CostError
from wardcloud.cost_allocation.model import Statement
from wardcloud.reports.inputs import describe_inputs
from wardcloud.reports.model import WardInfo
from wardcloud.reports.xlsx import INPUTS_SHEET, SUMMARY_SHEET, YEN_FORMAT, ward_sheet_name, write_xlsx
from wardcloud.tenants.validate import load_tenants


def _table(sheet: Any, header_row: int) -> tuple[list[str], list[list[Any]]]:
    rows = list(sheet.iter_rows(min_row=header_row, values_only=True))
    return [str(h) for h in rows[0]], [list(r) for r in rows[1:]]


def test_summary_sheet_ward_by_pool_matrix_sums_to_the_bill(
    tmp_path: Path, allocation_json: dict[str, Any], wards: dict[str, WardInfo]
) -> None:
    allocation = Statement.from_json(allocation_json)
    out = tmp_path / "statements.xlsx"
    write_xlsx(allocation, wards, (), "2026-11-01T00:00:00Z", out)

    sheet = load_workbook(out)[SUMMARY_SHEET]
    header, rows = _table(sheet, 3)
    ward_rows = [r for r in rows if r[0] and str(r[0]).isdigit()]
    total_row = next(r for r in rows if r[0] == "合計 / Total")
    assert len(ward_rows) == 23
    for column in range(3, len(header)):
        assert sum(r[column] for r in ward_rows) == total_row[column], header[column]
    assert total_row[-1] == allocation_json["total"] == sum(r[-1] for r in ward_rows)
    for pool in allocation_json["pools"]:
        column = header.index(f"プール / {pool['id']}")
        assert total_row[column] == pool["total"]
        assert {r[0]: r[column] for r in ward_rows} == pool["allocations"]
    # every ward row: its components add up to its total
    for r in ward_rows:
        assert sum(r[3:-1]) == r[-1]
    assert {r[2] for r in ward_rows} >= {"Chiyoda", "Setagaya", "Edogawa"}
    assert {r[1] for r in ward_rows} >= {"千代田区", "世田谷区", "江戸川区"}


def test_one_statement_sheet_per_ward_with_every_line_in_integer_yen(
    tmp_path: Path, allocation_json: dict[str, Any], wards: dict[str, WardInfo]
) -> None:
    allocation = Statement.from_json(allocation_json)
    out = tmp_path / "statements.xlsx"
    write_xlsx(allocation, wards, (), "2026-11-01T00:00:00Z", out)

    book = load_workbook(out)
    assert book.sheetnames[0] == SUMMARY_SHEET and book.sheetnames[-1] == INPUTS_SHEET
    grand_total = 0
    for ward in allocation_json["wards"]:
        sheet = book[ward_sheet_name(ward["code"], wards[ward["code"]])]
        assert wards[ward["code"]].name in sheet["A1"].value and wards[ward["code"]].name_en in sheet["A1"].value
        _, rows = _table(sheet, 4)
        lines = rows[: len(ward["lines"])]
        assert [r[4] for r in lines] == [line["amount"] for line in ward["lines"]]
        assert all(type(r[4]) is int for r in lines)
        totals = {r[3]: r[4] for r in rows[len(ward["lines"]) :] if r[3]}
        assert totals["合計 / Total"] == ward["total"] == sum(r[4] for r in lines)
        assert totals["直接利用 / Direct"] == ward["direct"]
        assert totals["加入負担金 / Buy-in"] == ward["buy_in"]
        for row in sheet.iter_rows(min_row=5, min_col=5, max_col=5):
            if isinstance(row[0].value, int):
                assert row[0].number_format == YEN_FORMAT
        grand_total += totals["合計 / Total"]
    assert grand_total == allocation_json["total"]


def test_inputs_sheet_names_period_generation_time_and_file_hashes(
    tmp_path: Path, allocation_json: dict[str, Any], wards: dict[str, WardInfo]
) -> None:
    bill, rules = tmp_path / "bill.csv", tmp_path / "rules.yaml"
    bill.write_text("BilledCost\n1\n")
    rules.write_text("pools: []\n")
    tenants = load_tenants(Path("tenants/wards"))
    inputs = describe_inputs([("bill", bill), ("rules", rules), ("usage", None)], tenants)
    out = tmp_path / "statements.xlsx"
    write_xlsx(Statement.from_json(allocation_json), wards, inputs, "2026-11-01T09:00:00Z", out)

    rows = [list(r) for r in load_workbook(out)[INPUTS_SHEET].iter_rows(min_row=2, values_only=True)]
    by_item = {r[0]: r for r in rows}
    assert by_item["対象期間 / Period"][1] == "2026-10"
    assert by_item["作成日時 / Generated at"][1] == "2026-11-01T09:00:00Z"
    assert by_item["請求額 / Bill total"][1] == allocation_json["total"]
    assert by_item["bill"][2] == hashlib.sha256(bill.read_bytes()).hexdigest()
    assert by_item["rules"][2] == hashlib.sha256(rules.read_bytes()).hexdigest()
    tenant_rows = [r for r in rows if r[0] == "tenant"]
    assert len(tenant_rows) == 23
    assert all(len(r[2]) == 64 for r in tenant_rows)


def test_inconsistent_allocation_is_refused_and_nothing_is_written(
    tmp_path: Path, allocation_json: dict[str, Any]
) -> None:
    allocation_json["wards"][0]["total"] += 1
    allocation_json["wards"][0]["direct"] += 1
    with pytest.raises(CostError) as error:
        Statement.from_json(allocation_json, "alloc.json")
    assert "R009" in str(error.value) and "alloc.json" in str(error.value)
    assert not list(tmp_path.iterdir())


def test_fractional_yen_is_refused_with_its_path(allocation_json: dict[str, Any]) -> None:
    allocation_json["wards"][2]["lines"][0]["amount"] = 10.5
    allocation_json["pools"][0]["allocations"]["131016"] = "12"
    with pytest.raises(CostError) as error:
        Statement.from_json(json.loads(json.dumps(allocation_json)), "alloc.json")
    rendered = [p.render() for p in error.value.problems]
    assert any("wards[2].lines[0].amount" in r and "R001" in r for r in rendered)
    assert any("pools[0].allocations.131016" in r for r in rendered)


def test_statements_workbook_is_written_from_the_tenants_given_not_reloaded(
    tmp_path: Path, allocation_json: dict[str, Any], monkeypatch
) -> None:
    """Writers take models: the caller loaded the tenants once; the writer reads no tenants directory."""
    from wardcloud.reports.xlsx import write_statements_xlsx

    tenants = load_tenants(Path("tenants/wards"))
    shibuya = next(t for t in tenants if t.code == "131130")
    renamed = [replace(t, name_en="Shibuya-as-loaded") if t is shibuya else t for t in tenants]

    def no_reload(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the writer reloaded the tenant files")

    monkeypatch.setattr("wardcloud.tenants.validate.load_tenants", no_reload)
    monkeypatch.setattr("wardcloud.tenants.validate.validate_paths", no_reload)
    out = tmp_path / "statements.xlsx"
    write_statements_xlsx(Statement.from_json(allocation_json), out, tenants=renamed, inputs=[])
    book = load_workbook(out)
    assert any("Shibuya-as-loaded" in str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row)
    tenant_rows = [r for r in book[INPUTS_SHEET].iter_rows(min_row=2, values_only=True) if r[0] == "tenant"]
    assert [r[1] for r in tenant_rows] == sorted(t.source_file for t in tenants)
