"""`wardctl cost allocate|simulate` end to end on the bundled wards, and every bad input the issue lists."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner, Result

from tests.cost_allocation.helpers import EXAMPLES, HEADER, WARDS_DIR, row, write_bill, write_rules
from wardcloud.cli.main import cli
from wardcloud.core.errors import Problem

BILL, RULES, USAGE = EXAMPLES / "bill-2023-07.csv", EXAMPLES / "rules.yaml", EXAMPLES / "usage-2023-07.csv"
SAMPLE = ["--bill", str(BILL), "--rules", str(RULES), "--usage", str(USAGE), "--period", "2023-07"]
APRIL = ["--period", "2024-04"]
FY2023 = [f"{2023 + (i + 3) // 12}-{(i + 3) % 12 + 1:02d}" for i in range(12)]


def wardctl(*args: str) -> Result:
    return CliRunner().invoke(cli, ["--tenants", str(WARDS_DIR), *args])


def bill_total(path: Path) -> Decimal:
    (total,) = (
        duckdb.connect()
        .execute(f"SELECT sum(BilledCost::DECIMAL(38,9)) FROM read_csv('{path}', all_varchar=true)")
        .fetchone()
    )
    return total


def test_allocate_sample_json_shape_and_sums() -> None:
    result = wardctl("cost", "allocate", *SAMPLE, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["period", "currency", "total", "drivers_as_of", "pools", "wards"]
    assert data["drivers_as_of"] == {"convention": "january-before-fiscal-year", "date": "2023-01-01"}
    assert (data["period"], data["currency"]) == ("2023-07", "JPY")
    assert data["total"] == bill_total(BILL)
    assert [w["code"] for w in data["wards"]] == sorted(w["code"] for w in data["wards"])
    assert len(data["wards"]) == 23
    assert sum(w["total"] for w in data["wards"]) == data["total"]
    for pool in data["pools"]:
        assert list(pool) == ["id", "total", "allocations", "cap_reallocation"]
        assert sum(pool["allocations"].values()) == pool["total"]
    for ward in data["wards"]:
        assert list(ward) == ["code", "name", "direct", "shared", "operating", "buy_in", "total", "drivers", "lines"]
        assert ward["operating"] == ward["direct"] + ward["shared"]
        assert ward["direct"] + ward["shared"] + ward["buy_in"] == ward["total"]
        assert sum(line["amount"] for line in ward["lines"]) == ward["total"]
    ota = next(w for w in data["wards"] if w["code"] == "131113")  # joins 2023-10: not yet a member
    assert ota["total"] == 0
    platform = next(p for p in data["pools"] if p["id"] == "platform")
    assert max(platform["allocations"].values()) <= Decimal("0.09") * platform["total"]
    meguro = next(w for w in data["wards"] if w["code"] == "131105")  # joins 2023-07-20: buys in
    assert any(line["kind"] == "buy_in" for line in meguro["lines"])
    assert sum(w["buy_in"] for w in data["wards"]) == 0


def test_allocate_text_has_a_total_row_equal_to_the_bill() -> None:
    result = wardctl("cost", "allocate", *SAMPLE)
    assert result.exit_code == 0, result.output
    total_row = next(line for line in result.output.splitlines() if line.startswith("TOTAL"))
    assert total_row.split()[-1] == f"{int(bill_total(BILL)):,}"
    codes = [line.split()[0] for line in result.output.splitlines() if line[:6].isdigit()]
    assert codes == sorted(codes) and len(codes) == 23


def test_allocate_csv_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "alloc.csv"
    result = wardctl("cost", "allocate", *SAMPLE, "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 23
    assert sum(int(r["total"]) for r in rows) == bill_total(BILL)
    assert all(int(r["shared"]) == sum(int(v) for k, v in r.items() if k.startswith("pool:")) for r in rows)


def test_focus_output_splits_each_shared_row_exactly(tmp_path: Path) -> None:
    out = tmp_path / "allocated.csv"
    result = wardctl("cost", "allocate", *SAMPLE, "--format", "focus", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert bill_total(out) == bill_total(BILL)
    con = duckdb.connect()
    src = f"read_csv('{out}', all_varchar=true)"
    # every shared source row (a pool's row) split into parts whose costs and ratios sum to it
    bad = con.execute(f"""
        SELECT ResourceId, ChargePeriodStart, count(*) AS n,
               sum(BilledCost::DECIMAL(38,9)) AS cost, sum(CAST(json_extract(AllocatedMethodDetails,
               '$.Elements[0].AllocatedRatio') AS DECIMAL(38,12))) AS ratio
        FROM {src} WHERE AllocatedMethodId IS NOT NULL
        GROUP BY ResourceId, ChargePeriodStart, AllocatedMethodId HAVING ratio <> 1""").fetchall()
    assert bad == []
    per_row = con.execute(f"""
        SELECT s.cost, o.cost FROM (
            SELECT ResourceId, ChargePeriodStart, sum(BilledCost::DECIMAL(38,9)) AS cost FROM {src}
            GROUP BY ALL) s
        JOIN (SELECT ResourceId, ChargePeriodStart, sum(BilledCost::DECIMAL(38,9)) AS cost
              FROM read_csv('{BILL}', all_varchar=true) GROUP BY ALL) o USING (ResourceId, ChargePeriodStart)
        WHERE s.cost <> o.cost""").fetchall()
    assert per_row == []
    methods = {r[0] for r in con.execute(f"SELECT DISTINCT AllocatedMethodId FROM {src}").fetchall()}
    assert methods == {None, "platform@2023.1", "bousai@2023.1", "renkei@2023.1", "procurement@2023.1", "buy_in@2023.1"}
    wards = con.execute(
        f"SELECT count(DISTINCT x_WardCode) FROM {src} WHERE x_WardCode IS NOT NULL"
    ).fetchone()
    assert wards == (22,)  # every member; Ota (joins in October) gets no row


def test_focus_output_from_parquet(tmp_path: Path) -> None:
    parquet = tmp_path / "bill.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT * REPLACE (BilledCost::DOUBLE AS BilledCost) FROM read_csv('{BILL}', "
        f"all_varchar=true)) TO '{parquet}' (FORMAT PARQUET)"
    )
    out = tmp_path / "allocated.parquet"
    args = ["--bill", str(parquet), "--rules", str(RULES), "--usage", str(USAGE), "--period", "2023-07"]
    result = wardctl("cost", "allocate", *args, "--format", "focus", "--out", str(out))
    assert result.exit_code == 0, result.output
    (total,) = duckdb.connect().execute(f"SELECT sum(BilledCost) FROM '{out}'").fetchone()
    assert total == bill_total(BILL)
    as_json = json.loads(wardctl("cost", "allocate", *args, "--format", "json").output)
    assert as_json["total"] == bill_total(BILL)


def test_simulate_join_shows_before_after_and_buy_in() -> None:
    result = wardctl(
        "cost",
        "simulate",
        "--join",
        "131113",
        "--date",
        "2023-07-10",
        "--bill",
        str(BILL),
        "--rules",
        str(RULES),
        "--usage",
        str(USAGE),
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["change"] == {"action": "join", "ward": "131113", "date": "2023-07-10"}
    ota = next(w for w in data["wards"] if w["code"] == "131113")
    assert ota["before"] == 0 and ota["after"] > 0
    assert data["total"]["before"] == data["total"]["after"]
    assert sum(w["delta"] for w in data["wards"]) == 0
    flow = next(f for f in data["buy_in"] if f["newcomer"] == "131113")
    assert sum(flow["refunds"].values()) == flow["payment"] > 0
    text = wardctl(
        "cost",
        "simulate",
        "--join",
        "131113",
        "--date",
        "2023-07-10",
        "--bill",
        str(BILL),
        "--rules",
        str(RULES),
        "--usage",
        str(USAGE),
    )
    assert text.exit_code == 0 and "buy-in: 131113" in text.output


def test_simulate_leave() -> None:
    result = wardctl(
        "cost",
        "simulate",
        "--leave",
        "131016",
        "--date",
        "2023-07-16",
        "--bill",
        str(BILL),
        "--rules",
        str(RULES),
        "--usage",
        str(USAGE),
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    chiyoda = next(w for w in json.loads(result.output)["wards"] if w["code"] == "131016")
    assert chiyoda["shared_after"] < chiyoda["shared_before"]  # 15 of 31 days
    assert chiyoda["buy_in"] == 0  # gone before the newcomers of 2023-07-20 join: no refund


# --- bad input: one line naming file and row or key, exit 1, no output file --------------------------------

POOLS = "  - id: platform\n    match: {}\n    split: [{driver: population, weight: 1.0}]\n"


def rejects(
    tmp_path: Path,
    rows: list[list[str]] | None = None,
    pools: str = POOLS,
    *,
    header: list[str] = HEADER,
    period: list[str] = APRIL,
) -> tuple[str, Path]:
    bill = write_bill(tmp_path / "bill.csv", rows if rows is not None else [row(100)], header)
    rules = write_rules(tmp_path / "rules.yaml", pools)
    out = tmp_path / "out.json"
    result = wardctl(
        "cost",
        "allocate",
        "--bill",
        str(bill),
        "--rules",
        str(rules),
        *period,
        "--format",
        "json",
        "--out",
        str(out),
    )
    assert result.exit_code == 1, result.output
    assert not out.exists()
    assert "Traceback" not in result.output
    # under --format json the problems are JSON on stdout; the one problem, rendered as its text line
    errors = json.loads(result.stdout)["errors"]
    assert len(errors) == 1, result.output
    return Problem(**errors[0]).render(), tmp_path


def test_missing_column(tmp_path: Path) -> None:
    line, _ = rejects(tmp_path, [row(1)[1:]], header=HEADER[1:])
    assert "bill.csv" in line and "COST002" in line and "missing column BilledCost" in line


def test_negative_cost(tmp_path: Path) -> None:
    line, _ = rejects(tmp_path, [row(5), row(-3)])
    assert "bill.csv:3:" in line and "row 2" in line and "negative" in line


def test_non_numeric_cost(tmp_path: Path) -> None:
    line, _ = rejects(tmp_path, [row("12 yen")])
    assert "bill.csv:2:" in line and "row 1" in line and "'12 yen' is not a number" in line


def test_currency_other_than_the_rules(tmp_path: Path) -> None:
    line, _ = rejects(tmp_path, [row(5), row(6), row(5, currency="USD")])  # distinct: equal rows are COST045
    assert "bill.csv:4:" in line and "row 3" in line and "USD" in line and "JPY" in line


def test_charge_period_outside_period(tmp_path: Path) -> None:
    line, _ = rejects(tmp_path, [row(5, start="2024-05-01T00:00:00Z", end="2024-05-02T00:00:00Z")])
    assert "bill.csv:2:" in line and "outside --period 2024-04" in line


def test_unknown_driver(tmp_path: Path) -> None:
    line, _ = rejects(tmp_path, pools=POOLS.replace("population", "households"))
    assert (
        "rules.yaml:6:" in line
        and "unknown driver 'households'" in line
        and "pools[0].split[0].driver" in line
    )


def test_weights_not_summing_to_one(tmp_path: Path) -> None:
    pools = POOLS.replace(
        "[{driver: population, weight: 1.0}]",
        "[{driver: equal, weight: 0.2}, {driver: population, weight: 0.7}]",
    )
    line, _ = rejects(tmp_path, pools=pools)
    assert "rules.yaml:6:" in line and "weights sum to 0.9, not 1" in line and "pools[0].split" in line


def test_unknown_ward_in_sub_account(tmp_path: Path) -> None:
    line, _ = rejects(tmp_path, [row(5), row(5, account="131997-nowhere")])
    assert "bill.csv:3:" in line and "'131997-nowhere' names no ward" in line


def test_infeasible_cap(tmp_path: Path) -> None:
    line, _ = rejects(tmp_path, pools=POOLS + "    cap: {share: 0.04}\n")
    assert "rules.yaml:" in line and "infeasible cap" in line and "pools[0].cap" in line


def test_empty_bill(tmp_path: Path) -> None:
    line, _ = rejects(tmp_path, [])
    assert "bill.csv" in line and "no rows" in line


def test_shared_row_no_pool_selects(tmp_path: Path) -> None:
    pools = POOLS.replace("match: {}", "match: {ServiceName: [Nova]}")
    line, _ = rejects(tmp_path, [row(5), row(7, service="Swift", category="Storage")], pools)
    assert "bill.csv:3:" in line and "selected by no pool" in line and "Swift" in line


def test_rules_schema_error_names_key(tmp_path: Path) -> None:
    line, _ = rejects(tmp_path, pools=POOLS.replace("weight: 1.0", "weight: lots"))
    assert "rules.yaml:" in line and "COST020" in line and "pools[0].split[0].weight" in line


def test_bad_period_option(tmp_path: Path) -> None:
    line, _ = rejects(tmp_path, period=["--period", "April"])
    assert "--period" in line and "YYYY-MM" in line


@pytest.mark.parametrize("name", ["bill.parquet", "missing.csv"])
def test_unreadable_bill(tmp_path: Path, name: str) -> None:
    bill = tmp_path / name
    if name.endswith(".parquet"):
        bill.write_text("not parquet")
    rules = write_rules(tmp_path / "rules.yaml", POOLS)
    result = wardctl("cost", "allocate", "--bill", str(bill), "--rules", str(rules), *APRIL)
    assert result.exit_code == 1
    assert name in result.output and "COST001" in result.output and "Traceback" not in result.output


def test_focus_output_keeps_fractional_rows_exact(tmp_path: Path) -> None:
    rows = [row("1000.123456789"), row("0.5"), row("7", account="131016")]
    bill = write_bill(tmp_path / "bill.csv", rows)
    rules = write_rules(tmp_path / "rules.yaml", POOLS)
    out = tmp_path / "focus.csv"
    result = wardctl(
        "cost",
        "allocate",
        "--bill",
        str(bill),
        "--rules",
        str(rules),
        *APRIL,
        "--format",
        "focus",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    con = duckdb.connect()
    sums = con.execute(
        f"SELECT sum(BilledCost::DECIMAL(38,9)), count(*) FILTER (WHERE AllocatedMethodId "
        f"IS NOT NULL) FROM read_csv('{out}', all_varchar=true)"
    ).fetchone()
    assert sums == (Decimal("1007.623456789"), 46)  # 2 shared rows × 23 members in April 2024
    stdout = wardctl(
        "cost", "allocate", "--bill", str(bill), "--rules", str(rules), *APRIL, "--format", "focus"
    )
    assert stdout.exit_code == 0 and stdout.output == out.read_text(encoding="utf-8")


def test_published_rules_schema_is_the_one_the_loader_uses() -> None:
    from wardcloud.cost_allocation.rules import RULES_SCHEMA

    published = json.loads((EXAMPLES.parent / "rules.schema.json").read_text(encoding="utf-8"))
    assert published == RULES_SCHEMA, "regenerate: python -m cost_allocation.examples.generate"


def test_sample_files_are_what_the_generator_writes(tmp_path: Path) -> None:
    from wardcloud.cost_allocation.examples.generate import generate

    generate(WARDS_DIR, tmp_path)
    names = ["bill-2023-07.csv", "usage-2023-07.csv", "drivers.yaml", "usage-plan.csv", "fy2023/estimates.csv"]
    names += [f"fy2023/{kind}-{month}.csv" for kind in ("bill", "usage") for month in FY2023]
    for name in names:
        assert (tmp_path / name).read_bytes() == (EXAMPLES / name).read_bytes(), name


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--join", "131997"], "131997 is not a ward"),
        (["--join", "131016", "--leave", "131024"], "exactly one"),
        (["--leave", "131105"], "cannot leave"),
    ],
)
def test_simulate_rejects_bad_changes(tmp_path: Path, args: list[str], expected: str) -> None:
    out = tmp_path / "sim.json"
    result = wardctl(
        "cost",
        "simulate",
        *args,
        "--date",
        "2023-07-10",
        "--bill",
        str(BILL),
        "--rules",
        str(RULES),
        "--usage",
        str(USAGE),
        "--out",
        str(out),
    )
    assert result.exit_code == 1 and expected in result.output and not out.exists()
    assert len(result.output.strip().splitlines()) == 1


def test_empty_rules_file(tmp_path: Path) -> None:
    bill = write_bill(tmp_path / "bill.csv", [row(1)])
    rules = tmp_path / "rules.yaml"
    rules.write_text("# nothing yet\n", encoding="utf-8")
    result = wardctl("cost", "allocate", "--bill", str(bill), "--rules", str(rules), *APRIL)
    assert result.exit_code == 1 and "rules.yaml" in result.output
    assert "expected a rules mapping" in result.output


def test_rules_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    bill = write_bill(tmp_path / "bill.csv", [row(1)])
    rules = tmp_path / "rules.yaml"
    rules.write_text("currency: JPY\npools: [\n", encoding="utf-8")
    result = wardctl("cost", "allocate", "--bill", str(bill), "--rules", str(rules), *APRIL)
    assert result.exit_code == 1 and "rules.yaml:" in result.output and "internal error" not in result.output


def test_the_commands_in_docs_cost_md_run() -> None:
    import re
    import shlex

    text = (EXAMPLES.parents[1] / "docs" / "cost.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block
    script = block.group(1).replace("\\\n", " ")
    commands = [line.split("#")[0].strip() for line in script.splitlines() if line.startswith("wardctl")]
    assert len(commands) == 2
    for command in commands:
        args = shlex.split(command.replace("$E", str(EXAMPLES)))[1:]
        result = wardctl(*args)
        assert result.exit_code == 0, (command, result.output)
        assert "TOTAL" in result.output


def typed_parquet(
    source: Path, target: Path, where: str = "TRUE", cost: str = "BilledCost", cost_type: str = "DECIMAL(18,2)"
) -> Path:
    """The sample bill as typed Parquet (decimal cost, timestamp periods), as exporters write it."""
    duckdb.connect().execute(
        f"COPY (SELECT * REPLACE (CAST({cost} AS {cost_type}) AS BilledCost, "
        f"CAST(ChargePeriodStart AS TIMESTAMP) AS ChargePeriodStart, "
        f"CAST(ChargePeriodEnd AS TIMESTAMP) AS ChargePeriodEnd) "
        f"FROM read_csv('{source}', all_varchar=true) WHERE {where}) TO '{target}' (FORMAT PARQUET)"
    )
    return target


@pytest.mark.parametrize("cost_type", ["DECIMAL(18,2)", "DECIMAL(38,9)", "DOUBLE"])
def test_typed_parquet_gives_the_same_allocation_as_csv(tmp_path: Path, cost_type: str) -> None:
    # typed files take the statistics-proven path, which sums decimals as they are and floats as decimals
    parquet = typed_parquet(BILL, tmp_path / "bill.parquet", cost_type=cost_type)
    args = ["--rules", str(RULES), "--usage", str(USAGE), "--period", "2023-07", "--format", "json"]
    from_parquet = wardctl("cost", "allocate", "--bill", str(parquet), *args)
    from_csv = wardctl("cost", "allocate", "--bill", str(BILL), *args)
    assert from_parquet.exit_code == 0, from_parquet.output
    assert json.loads(from_parquet.output) == json.loads(from_csv.output)


@pytest.mark.parametrize(
    ("cost", "period", "expected"),
    [
        ("CASE WHEN ServiceName = 'renkei' THEN '-1' ELSE BilledCost END", "2023-07", "is negative"),
        ("BilledCost", "2023-06", "outside --period 2023-06"),
    ],
)
def test_typed_parquet_bad_rows_are_still_found(
    tmp_path: Path, cost: str, period: str, expected: str
) -> None:
    parquet = typed_parquet(BILL, tmp_path / "bill.parquet", cost=cost)
    out = tmp_path / "out.json"
    result = wardctl(
        "cost",
        "allocate",
        "--bill",
        str(parquet),
        "--rules",
        str(RULES),
        "--usage",
        str(USAGE),
        "--period",
        period,
        "--out",
        str(out),
    )
    assert result.exit_code == 1 and expected in result.output and "bill.parquet" in result.output
    assert "row " in result.output and not out.exists()
