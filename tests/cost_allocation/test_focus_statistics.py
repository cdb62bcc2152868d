"""A typed Parquet bill whose own statistics prove every row valid is summed without row checks.

The fast path must never accept a file the row checks would reject: each case below breaks one thing the
statistics have to prove, and the proof must fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cost_allocation.test_cli_cost import BILL, typed_parquet
from wardcloud.cost_allocation.database import open_database
from wardcloud.cost_allocation.focus import columns, statistics_prove_valid
from wardcloud.cost_allocation.shares import Period


def proven(path: Path, currency: str = "JPY", month: str = "2023-07") -> bool:
    database = open_database()
    try:
        return statistics_prove_valid(database, path, columns(database, path), currency, Period.month(month))
    finally:
        database.close()


def test_a_typed_bill_inside_its_month_is_proven(tmp_path: Path) -> None:
    assert proven(typed_parquet(BILL, tmp_path / "bill.parquet"))


@pytest.mark.parametrize(
    ("cost", "cost_type", "currency", "month"),
    [
        ("CASE WHEN ServiceName = 'renkei' THEN '-1' ELSE BilledCost END", "DECIMAL(18,2)", "JPY", "2023-07"),
        ("CASE WHEN ServiceName = 'renkei' THEN NULL ELSE BilledCost END", "DECIMAL(18,2)", "JPY", "2023-07"),
        ("CASE WHEN ServiceName = 'renkei' THEN 'NaN' ELSE BilledCost END", "DOUBLE", "JPY", "2023-07"),
        ("BilledCost", "VARCHAR", "JPY", "2023-07"),
        ("BilledCost", "DECIMAL(18,2)", "USD", "2023-07"),
        ("BilledCost", "DECIMAL(18,2)", "JPY", "2023-06"),
        ("BilledCost", "DECIMAL(18,2)", "JPY", "2023-08"),
    ],
    ids=["negative", "null", "nan", "untyped", "other-currency", "before-period", "after-period"],
)
def test_anything_the_rows_would_fail_is_not_proven(
    tmp_path: Path, cost: str, cost_type: str, currency: str, month: str
) -> None:
    bill = typed_parquet(BILL, tmp_path / "bill.parquet", cost=cost, cost_type=cost_type)
    assert not proven(bill, currency, month)


def test_a_csv_bill_is_never_proven() -> None:
    assert not proven(BILL)
