"""Strict reading: tags refused, bounds checked before work, symlinks kept inside, records byte-exact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hardening.helpers import (
    BILL,
    RULES,
    SAMPLE,
    USAGE,
    assert_clean_failure,
    bill_rows,
    edited_bill,
    wardctl,
    write_csv,
)

TENANT = "131130-shibuya.yaml"


def _edit_tenant(wards: Path, old: str, new: str) -> Path:
    path = wards / TENANT
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("tagged", ["ward: !!python/object:builtins.dict\n", "ward: !custom\n",
                                    "ward: !!map\n"])
def test_a_tag_on_a_mapping_is_refused(wards_dir: Path, tagged: str) -> None:
    _edit_tenant(wards_dir, "ward:\n", tagged)
    result = wardctl("validate", tenants=wards_dir)
    assert_clean_failure(result, "TEN009")
    assert f"{TENANT}:4:" in result.stderr


@pytest.mark.parametrize("tagged", ['code: !!str "131130"', 'name_en: !custom Shibuya', "population: !!int 229671"])
def test_a_tag_on_a_scalar_is_refused(wards_dir: Path, tagged: str) -> None:
    key = tagged.split(":")[0]
    text = (wards_dir / TENANT).read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.strip().startswith(f"{key}:"))
    _edit_tenant(wards_dir, line, "  " + tagged)
    assert_clean_failure(wardctl("validate", tenants=wards_dir), "TEN009")


def test_a_tag_in_the_rules_or_policy_config_is_refused(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.read_text(encoding="utf-8").replace("currency: JPY", "currency: !!str JPY"))
    result = wardctl("cost", "allocate", "--bill", str(BILL), "--rules", str(rules), "--period", "2023-07")
    assert_clean_failure(result, "TEN009")
    config = tmp_path / "policy.yaml"
    config.write_text("rules: !custom {}\n")
    assert_clean_failure(wardctl("policy", "check", "--config", str(config)), "TEN009")


def test_a_tenant_symlink_leading_outside_is_refused(wards_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (wards_dir / TENANT).rename(outside / TENANT)
    (wards_dir / TENANT).symlink_to(outside / TENANT)
    result = wardctl("validate", tenants=wards_dir)
    assert_clean_failure(result, "TEN053")
    assert_clean_failure(wardctl("plan", tenants=wards_dir), "TEN053")


def test_a_tenant_symlink_inside_is_fine(wards_dir: Path) -> None:
    (wards_dir / "sub").mkdir()
    (wards_dir / TENANT).rename(wards_dir / "sub" / TENANT)
    (wards_dir / TENANT).symlink_to(wards_dir / "sub" / TENANT)
    assert wardctl("validate", tenants=wards_dir).exit_code == 0


def test_a_tenant_fifo_is_reported_not_skipped_or_waited_on(wards_dir: Path) -> None:
    import os

    os.mkfifo(wards_dir / "131999-fifo.yaml")
    result = wardctl("validate", tenants=wards_dir)
    assert_clean_failure(result, "TEN006")
    assert "FIFO" in result.stderr


# --- bounds ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [40, 600, 5000])
def test_deep_nesting_is_a_located_error(wards_dir: Path, depth: int) -> None:
    _edit_tenant(wards_dir, "  drivers:\n", "  deep: " + "[" * depth + "]" * depth + "\n  drivers:\n")
    result = wardctl("validate", tenants=wards_dir)
    assert_clean_failure(result)
    assert "TEN008" in result.stderr or "TEN001" in result.stderr


def test_deep_nesting_in_rules_is_a_located_error(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.read_text(encoding="utf-8") + "x: " + "{a: " * 600 + "1" + "}" * 600 + "\n")
    result = wardctl("cost", "allocate", "--bill", str(BILL), "--rules", str(rules), "--period", "2023-07")
    assert_clean_failure(result, "TEN008")


def test_a_huge_tenant_file_is_refused_before_parsing(wards_dir: Path) -> None:
    path = wards_dir / TENANT
    with path.open("a", encoding="utf-8") as handle:
        for n in range(60_000):
            handle.write(f"junk{n}: {n}\n")
    result = wardctl("validate", tenants=wards_dir)
    assert_clean_failure(result, "TEN008")
    assert TENANT in result.stderr


def test_many_keys_under_the_size_cap_are_refused(wards_dir: Path) -> None:
    junk = "".join(f"k{n}: 1, " for n in range(30_000))
    _edit_tenant(wards_dir, "  drivers:\n", "  drivers: {" + junk + "z: 1}\n  drivers_:\n")
    result = wardctl("validate", tenants=wards_dir)
    assert_clean_failure(result)


@pytest.mark.parametrize("field,value", [("population", "10000000000000"), ("name", '"' + "区" * 5000 + '"')])
def test_schema_bounds(wards_dir: Path, field: str, value: str) -> None:
    text = (wards_dir / TENANT).read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith(f"  {field}:"))
    _edit_tenant(wards_dir, line, f"  {field}: {value}")
    assert_clean_failure(wardctl("validate", tenants=wards_dir), "TEN010")


@pytest.mark.parametrize("exponent", ["100", "100000", "5"])
def test_a_driver_exponent_is_bounded(tmp_path: Path, exponent: str) -> None:
    rules = tmp_path / "rules.yaml"
    text = RULES.read_text(encoding="utf-8").replace("{driver: population, weight: 0.9}",
                                                     f"{{driver: population, weight: 0.9, exponent: {exponent}}}", 1)
    rules.write_text(text, encoding="utf-8")
    result = wardctl("cost", "allocate", "--bill", str(BILL), "--rules", str(rules), "--usage", str(USAGE),
                     "--period", "2023-07")
    assert_clean_failure(result, "COST020")
    assert "exponent" in result.stderr


def test_an_allowed_exponent_allocates(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    text = RULES.read_text(encoding="utf-8").replace("{driver: population, weight: 0.9}",
                                                     "{driver: population, weight: 0.9, exponent: 4}", 1)
    rules.write_text(text, encoding="utf-8")
    result = wardctl("cost", "allocate", "--bill", str(BILL), "--rules", str(rules), "--usage", str(USAGE),
                     "--period", "2023-07", "--format", "json")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("cost", ["9" * 29, "1" + "0" * 18, "99999999999999999999999999999.5", "9" * 40])
def test_a_cost_too_large_is_a_located_error(tmp_path: Path, cost: str) -> None:
    bill = edited_bill(tmp_path / "bill.csv", {"BilledCost": cost}, rows=(0, 1))
    result = wardctl("cost", "allocate", "--bill", str(bill), "--rules", str(RULES), "--usage", str(USAGE),
                     "--period", "2023-07")
    assert_clean_failure(result)
    assert "bill.csv:2:" in result.stderr and ("COST044" in result.stderr or "COST004" in result.stderr)


def test_a_huge_cost_in_parquet_is_a_located_error(tmp_path: Path) -> None:
    import duckdb

    bill = edited_bill(tmp_path / "bill.csv", {"BilledCost": "9" * 25}, rows=(0, 1))
    parquet = tmp_path / "bill.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT * REPLACE (CAST(BilledCost AS DECIMAL(38,9)) AS BilledCost, "
        f"CAST(ChargePeriodStart AS TIMESTAMPTZ) AS ChargePeriodStart, "
        f"CAST(ChargePeriodEnd AS TIMESTAMPTZ) AS ChargePeriodEnd) "
        f"FROM read_csv('{bill}', all_varchar=true)) TO '{parquet}' (FORMAT PARQUET)")
    result = wardctl("cost", "allocate", "--bill", str(parquet), "--rules", str(RULES), "--usage", str(USAGE),
                     "--period", "2023-07")
    assert_clean_failure(result, "COST044")


# --- charge periods ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("start,end,code", [
    ("2023-07-05T00:00:00Z", "2023-07-04T00:00:00Z", "COST043"),   # start after end
    ("2023-07-05T00:00:00Z", "2023-07-05T00:00:00Z", "COST043"),   # empty
    ("2023-08-02T00:00:00Z", "2023-07-04T00:00:00Z", "COST007"),   # starts after the period
    ("2023-06-30T00:00:00Z", "2023-07-02T00:00:00Z", "COST007"),   # starts before it
])
def test_a_charge_period_not_inside_the_billing_period_is_located(tmp_path: Path, start: str, end: str,
                                                                    code: str) -> None:
    bill = edited_bill(tmp_path / "bill.csv", {"ChargePeriodStart": start, "ChargePeriodEnd": end}, rows=(4,))
    result = wardctl("cost", "allocate", "--bill", str(bill), "--rules", str(RULES), "--usage", str(USAGE),
                     "--period", "2023-07")
    assert_clean_failure(result, code)
    assert "bill.csv:6:" in result.stderr


# --- a bill fed twice --------------------------------------------------------------------------------------

def test_a_bill_fed_twice_is_refused_naming_both_rows(tmp_path: Path) -> None:
    header, rows = bill_rows()
    bill = write_csv(tmp_path / "twice.csv", header, rows + rows)
    result = wardctl("cost", "allocate", "--bill", str(bill), "--rules", str(RULES), "--usage", str(USAGE),
                     "--period", "2023-07")
    assert_clean_failure(result, "COST045")
    n = len(rows)
    assert f"twice.csv:{n + 2}:1: COST045 row {n + 1} equals row 1 (line 2)" in result.stderr


def test_one_repeated_row_is_refused_and_allowed_on_request(tmp_path: Path) -> None:
    header, rows = bill_rows()
    bill = write_csv(tmp_path / "bill.csv", header, [*rows[:10], rows[3], *rows[10:]])
    base = ["cost", "allocate", "--bill", str(bill), "--rules", str(RULES), "--usage", str(USAGE),
            "--period", "2023-07", "--format", "json"]
    result = wardctl(*base)
    assert_clean_failure(result, "COST045")
    assert "COST045" in result.stdout and "row 11 equals row 4 (line 5)" in result.stdout  # JSON errors
    allowed = wardctl(*base, "--allow-duplicate-rows")
    assert allowed.exit_code == 0, allowed.output
    once = json.loads(wardctl("cost", "allocate", *SAMPLE, "--format", "json").stdout)
    assert json.loads(allowed.stdout)["total"] == once["total"] + int(float(rows[3][header.index("BilledCost")]))


def test_rows_differing_in_any_column_are_not_duplicates(tmp_path: Path) -> None:
    header, rows = bill_rows()
    again = [list(r) for r in rows[:5]]
    for r in again:
        r[header.index("ResourceId")] += "-b"
    bill = write_csv(tmp_path / "bill.csv", header, rows + again)
    result = wardctl("cost", "allocate", "--bill", str(bill), "--rules", str(RULES), "--usage", str(USAGE),
                     "--period", "2023-07")
    assert result.exit_code == 0, result.output


@pytest.fixture(params=["hash table", "sorted hashes"])
def duplicate_screen(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways of screening a bill for repeated rows: DuckDB's distinct count, numpy's sort (big bills)."""
    monkeypatch.setattr("wardcloud.cost_allocation.focus.SORTED_SCREEN_ROWS", 10**12 if request.param == "hash table"
                        else 0)
    return str(request.param)


def test_either_screen_finds_a_repeated_row_in_csv_and_typed_parquet(tmp_path: Path, duplicate_screen: str) -> None:
    from tests.cost_allocation.test_cli_cost import typed_parquet

    header, rows = bill_rows()
    repeated = write_csv(tmp_path / "bill.csv", header, [*rows[:10], rows[3], *rows[10:]])
    base = ["--rules", str(RULES), "--usage", str(USAGE), "--period", "2023-07"]
    for bill in (repeated, typed_parquet(repeated, tmp_path / "bill.parquet")):
        result = wardctl("cost", "allocate", "--bill", str(bill), *base)
        assert_clean_failure(result, "COST045")
        assert "row 11 equals row 4" in result.stderr, (duplicate_screen, bill.name)
    distinct = [list(r) for r in rows[:5]]
    for r in distinct:
        r[header.index("ResourceId")] += "-b"
    for bill in (write_csv(tmp_path / "distinct.csv", header, rows + distinct),
                 typed_parquet(tmp_path / "distinct.csv", tmp_path / "distinct.parquet")):
        assert wardctl("cost", "allocate", "--bill", str(bill), *base).exit_code == 0, (duplicate_screen, bill.name)


@pytest.mark.parametrize(("extra", "repeats"), [
    ("", False),
    ("UNION ALL SELECT 'res-777', CAST(777 AS DECIMAL(18, 2))", True),  # row 777 again
    ("UNION ALL SELECT 'res-777', CAST(778 AS DECIMAL(18, 2))", False),  # row 777 with another cost
])
def test_a_big_bill_is_screened_by_sorted_hashes(tmp_path: Path, extra: str, repeats: bool) -> None:
    import duckdb

    from wardcloud.cost_allocation.focus import SORTED_SCREEN_ROWS, may_repeat_rows

    rows = SORTED_SCREEN_ROWS + 1000  # big enough for the numpy path without changing the threshold
    bill = tmp_path / "big.parquet"
    with duckdb.connect() as conn:
        conn.execute(f"COPY (SELECT 'res-' || i AS ResourceId, CAST(i AS DECIMAL(18, 2)) AS BilledCost "
                     f"FROM range({rows}) t(i) {extra}) TO '{bill}' (FORMAT PARQUET)")
        assert may_repeat_rows(conn, bill, rows + bool(extra)) is repeats


# --- audit records byte-exact ------------------------------------------------------------------------------

def _log_with_records(tmp_path: Path) -> Path:
    log = tmp_path / "audit.jsonl"
    for _ in range(2):
        assert wardctl("--audit-log", str(log), "cost", "allocate", *SAMPLE).exit_code == 0
    return log


def _hash_last(raw: bytes) -> bytes:
    """The record with its `hash` member cut out and appended last (the other members keep their order)."""
    data = json.loads(raw)
    body = json.dumps({k: v for k, v in data.items() if k != "hash"}, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))
    return (body[:-1] + ',"hash":"' + data["hash"] + '"}\n').encode()


def _rewrite(log: Path, line: int, edit) -> None:  # noqa: ANN001
    lines = log.read_bytes().splitlines(keepends=True)
    lines[line] = edit(lines[line])
    log.write_bytes(b"".join(lines))


@pytest.mark.parametrize("edit", [
    # members of a nested object reordered: same JSON meaning, same hash input after re-sorting
    lambda raw: (json.dumps({**json.loads(raw), "summary": dict(reversed(json.loads(raw)["summary"].items()))},
                            ensure_ascii=False, separators=(",", ":")) + "\n").encode(),
    # top-level members reordered
    lambda raw: (json.dumps(dict(reversed(json.loads(raw).items())), ensure_ascii=False,
                            separators=(",", ":")) + "\n").encode(),
    lambda raw: raw.replace(b'":', b'": ', 1),  # whitespace
    # the hash member moved to the end: the bytes it covers are unchanged, only the order is not
    lambda raw: _hash_last(raw),
    lambda raw: raw.replace(b"e", b"\\u0065", 1),  # an escaped letter
])
def test_any_byte_change_fails_verify(tmp_path: Path, edit) -> None:  # noqa: ANN001
    log = _log_with_records(tmp_path)
    _rewrite(log, 0, edit)
    result = wardctl("--audit-log", str(log), "audit", "verify")
    assert_clean_failure(result)
    assert "AUD002" in result.stderr or "AUD001" in result.stderr
