"""Bench: `wardctl cost allocate` on FOCUS bills of 1 M and 10 M rows vs bare DuckDB on the same file.

    .venv/bin/python bench/cost.py [--rows 1000000 10000000] [--repeat 5] [--keep DIR] [--judge cpu|wall]

The floor does the work the command must do, in a fresh Python + DuckDB process and nothing else:
`SELECT SubAccountId, ServiceCategory, sum(BilledCost) … GROUP BY` over the same Parquet file, and the
screen for rows repeated in every column (COST045, a check every allocation makes: a bill fed twice is not
charged twice) done the same way as ours (a 64-bit hash of every whole row, the hashes sorted in numpy).
Beside it, not the target, the bare GROUP BY alone, so a reader sees what the screen costs by itself and
our ratio to a floor that checks nothing. Ours is the whole `wardctl cost allocate --format json`
process, measured two ways, interleaved with the floors:
- cold: a fresh state directory every run (tenant and rules files validated, the bill hashed for the audit
  record), as in CI or the first allocation of a month. The target is on this one: <= 1.5x the floor at
  10 M rows, and under 2 GB peak RSS of the wardctl process;
- warm: one state directory for all runs, so validation verdicts and the bill's digest are remembered
  (STATE/cache; docs/cost.md says when an entry counts), as every later allocation of the month.
The project's modules are byte-compiled first, as `pip install` does (harness.compile_project).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import REPO, WARDCTL, arguments, describe, header, interleaved, ratio, run, verdict  # noqa: E402

EXAMPLES = REPO / "cost_allocation" / "examples"
BARE = """
import duckdb, sys
rows = duckdb.connect().execute(
    "SELECT SubAccountId, ServiceCategory, sum(BilledCost) FROM read_parquet(?) GROUP BY SubAccountId, "
    "ServiceCategory", [sys.argv[1]]).fetchall()
print(len(rows))
"""
# The target's floor: the GROUP BY and the repeat screen, as bare as they come (one connection, no checks
# of the values, no names for a repeated row: a bill with none is what is timed).
FLOOR = """
import os
os.environ["OPENBLAS_NUM_THREADS"] = "1"  # as ours: no BLAS thread pool started for a sort
import duckdb, numpy, sys
conn = duckdb.connect()
rows = conn.execute(
    "SELECT SubAccountId, ServiceCategory, sum(BilledCost) FROM read_parquet(?) GROUP BY SubAccountId, "
    "ServiceCategory", [sys.argv[1]]).fetchall()
hashes = conn.execute("SELECT hash(b) AS h FROM read_parquet(?) AS b", [sys.argv[1]]).fetchnumpy()["h"]
hashes.sort()
print(len(rows), bool(numpy.any(hashes[1:] == hashes[:-1])))
"""


def generate(path: Path, rows: int) -> None:
    """10 M rows like a month of the consortium's bill: 80 % the wards' own projects, 20 % shared accounts."""
    projects = [
        f"{p.stem}"
        for p in sorted((REPO / "tenants" / "wards").glob("*.yaml"))
        if p.stem.split("-")[0] != "131113"
    ]  # Ota joins in October: no rows in July
    shared = [
        ("platform", "Nova", "Compute"),
        ("platform", "Swift", "Storage"),
        ("platform", "Neutron", "Networking"),
        ("shared-bousai", "bousai", "Business Applications"),
        ("shared-renkei", "renkei", "Integration"),
        ("shared-procurement", "procurement", "Business Applications"),
    ]
    own = [
        ("Nova", "Compute", "vCPU-Hours"),
        ("Cinder", "Storage", "GB-Months"),
        ("Neutron", "Networking", "Hours"),
    ]
    projects_sql = "[" + ", ".join(f"'{p}'" for p in projects) + "]"
    shared_sql = "[" + ", ".join(f"['{a}', '{s}', '{c}']" for a, s, c in shared) + "]"
    own_sql = "[" + ", ".join(f"['{s}', '{c}', '{u}']" for s, c, u in own) + "]"
    duckdb.connect().execute(f"""
        COPY (
          WITH r AS (SELECT i, hash(i) AS h FROM range({rows}) t(i)),
               k AS (SELECT i, h, (h % 10) < 2 AS is_shared,
                            {shared_sql}[CAST(1 + (h // 10) % {len(shared)} AS BIGINT)]
                                AS sh,
                            {own_sql}[CAST(1 + (h // 10) % {len(own)} AS BIGINT)] AS ow,
                            {projects_sql}[CAST(1 + (h // 100) % {len(projects)} AS BIGINT)] AS project
                     FROM r)
          SELECT CAST(1 + (h // 1000) % 5000 AS DECIMAL(18, 2)) AS BilledCost,
                 'JPY' AS BillingCurrency,
                 TIMESTAMP '2023-07-01' + INTERVAL (CAST((h // 7) % 744 AS INTEGER)) HOUR
                     AS ChargePeriodStart,
                 TIMESTAMP '2023-07-01' + INTERVAL (CAST((h // 7) % 744 + 1 AS INTEGER)) HOUR
                     AS ChargePeriodEnd,
                 CASE WHEN is_shared THEN sh[2] ELSE ow[1] END AS ServiceName,
                 CASE WHEN is_shared THEN sh[3] ELSE ow[2] END AS ServiceCategory,
                 CASE WHEN is_shared THEN sh[1] ELSE project END AS SubAccountId,
                 CAST((h // 13) % 100 AS DECIMAL(18, 2)) AS ConsumedQuantity,
                 CASE WHEN is_shared THEN 'Requests' ELSE ow[3] END AS ConsumedUnit,
                 'res-' || (i % 100000) AS ResourceId
          FROM k) TO '{path}' (FORMAT PARQUET, ROW_GROUP_SIZE 1000000)""")


def bill_for(directory: Path, rows: int) -> Path:
    """The bench's Parquet bill of `rows` rows in `directory`, generated unless it is already there (--keep)."""
    directory.mkdir(parents=True, exist_ok=True)
    bill = directory / f"bill-{rows}.parquet"
    if not bill.exists():
        started = time.perf_counter()
        generate(bill, rows)
        print(f"generated {rows:,} rows, {bill.stat().st_size / 2**20:.0f} MB Parquet "
              f"in {time.perf_counter() - started:.1f} s")
    return bill


def one_bill_arguments(description: str) -> argparse.Namespace:
    """--rows (one size) and --keep, beside the harness's options: the stage benches' command line."""
    parser = arguments(description, repeat=5)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="directory to keep the generated Parquet in")
    return parser.parse_args()


def main() -> None:
    parser = arguments(__doc__.splitlines()[0], repeat=5)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--keep", type=Path, default=None, help="directory to keep the generated Parquet in")
    args = parser.parse_args()
    header(args)
    met = True
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.keep or Path(scratch)
        counter = iter(range(10**6))
        for rows in sorted(args.rows):
            bill = bill_for(directory, rows)
            wardctl = [WARDCTL, "cost", "allocate", "--bill", str(bill), "--rules", str(EXAMPLES / "rules.yaml"),
                       "--usage", str(EXAMPLES / "usage-2023-07.csv"), "--period", "2023-07", "--format", "json"]

            def state_env(state: Path) -> dict[str, str]:
                return {**os.environ, "WARDCTL_STATE": str(state), "WARDCTL_AUDIT_LOG": str(state / "audit.jsonl")}

            warm_env = state_env(Path(scratch) / f"warm-{rows}")
            run(wardctl, env=warm_env)  # primes the warm state's caches
            runs = interleaved({
                "floor (GROUP BY + screen)": lambda bill=bill: run([sys.executable, "-c", FLOOR, str(bill)]),
                "bare GROUP BY": lambda bill=bill: run([sys.executable, "-c", BARE, str(bill)]),
                "wardctl, cold state": lambda wardctl=wardctl: run(
                    wardctl, env=state_env(Path(scratch) / f"cold-{next(counter)}")),
                "wardctl, warm state": lambda wardctl=wardctl, env=warm_env: run(wardctl, env=env),
            }, args.repeat)
            total = json.loads(runs["wardctl, cold state"][0].stdout)["total"]
            print(f"{rows:>11,} rows, 23 wards, bill total {total:,} JPY")
            for name, measured in runs.items():
                print(f"  {name:<26} {describe(measured)}")
            floor = runs["floor (GROUP BY + screen)"]
            for name in ("wardctl, cold state", "wardctl, warm state"):
                low, mid = ratio(runs[name], floor, args.judge)
                print(f"  ratio {name} / floor ({args.judge}): min {low:.2f}x, median {mid:.2f}x")
            for name in ("floor (GROUP BY + screen)", "wardctl, cold state"):
                low, mid = ratio(runs[name], runs["bare GROUP BY"], args.judge)
                print(f"  (not the target) ratio {name} / bare GROUP BY ({args.judge}): "
                      f"min {low:.2f}x, median {mid:.2f}x")
            if rows == max(args.rows):
                cold = runs["wardctl, cold state"]
                met = verdict(f"cost allocate cold, {rows:,} rows / floor, median {args.judge}",
                              ratio(cold, floor, args.judge)[1], 1.5) & met
                met = verdict(f"cost allocate cold, {rows:,} rows, peak RSS", max(r.rss_mb for r in cold), 2048,
                              " MB", below=True) & met
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
