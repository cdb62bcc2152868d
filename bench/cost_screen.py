"""Experiment: the screen for repeated rows (COST045) in one pass, as shipped, against a two-stage screen.

    .venv/bin/python bench/cost_screen.py [--rows 10000000] [--repeat 5] [--keep DIR]

Two rows equal in every column are equal in the columns the allocation's scan reads (account, service,
category, cost, charge period). The two-stage screen hashes only those (stage 1); only rows whose stage-1
hash is shared get a hash of the whole row (stage 2). DuckDB's GROUP BY hands out groups, not rows, so
stage 1 cannot ride on the scan: it is a pass of its own. Each variant runs in fresh processes, interleaved,
on bench/cost.py's bill; shown are the min/median CPU seconds (user + system, every thread) of the screen
alone, after imports, and how many rows stage 2 had to look at. No verdict: this records why the shipped
screen is the one-pass one.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cost import bill_for, one_bill_arguments  # noqa: E402
from harness import REPO, compile_project  # noqa: E402

CHILD = """
import json, os, resource, sys
os.environ["OPENBLAS_NUM_THREADS"] = "1"  # as focus._numpy
import duckdb, numpy

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

conn = duckdb.connect()
conn.execute("SET enable_progress_bar=false")  # a slow query on a busy machine would print one
source = "read_parquet('" + sys.argv[1].replace("'", "''") + "')"
scanned = "SubAccountId, ServiceName, ServiceCategory, BilledCost, ChargePeriodStart, ChargePeriodEnd"
started = cpu()
if sys.argv[2] == "one pass":  # as focus.may_repeat_rows: every whole row hashed, the hashes sorted
    hashes = conn.execute(f"SELECT hash(b) AS h FROM {source} AS b").fetchnumpy()["h"]
    hashes.sort()
    found, touched = bool(numpy.any(hashes[1:] == hashes[:-1])), len(hashes)
    stage1 = cpu() - started
else:
    cheap = conn.execute(f"SELECT hash({scanned}) AS h FROM {source}").fetchnumpy()["h"]
    cheap.sort()
    shared = numpy.unique(cheap[1:][cheap[1:] == cheap[:-1]])
    stage1 = cpu() - started
    conn.execute("CREATE TEMP TABLE shared AS SELECT unnest(?::UBIGINT[]) AS h", [shared.tolist()])
    hashes = conn.execute(f"SELECT hash(b) AS h FROM {source} AS b SEMI JOIN shared "
                          f"ON hash({scanned}) = shared.h").fetchnumpy()["h"]
    hashes.sort()
    found, touched = bool(numpy.any(hashes[1:] == hashes[:-1])), len(hashes)
print(json.dumps({"stage1": stage1, "total": cpu() - started, "touched": touched, "found": found}))
"""

VARIANTS = ("one pass", "two stages")


def main() -> None:
    args = one_bill_arguments(__doc__.splitlines()[0])
    compile_project()
    with tempfile.TemporaryDirectory() as scratch:
        bill = bill_for(args.keep or Path(scratch), args.rows)
        runs: dict[str, list[dict[str, float]]] = {variant: [] for variant in VARIANTS}
        for _ in range(args.repeat):
            for variant in VARIANTS:
                done = subprocess.run(
                    [sys.executable, "-c", CHILD, str(bill), variant],
                    cwd=REPO,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                runs[variant].append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"{args.rows:,} rows, {args.repeat} fresh processes each; CPU seconds of the screen, min/median")
    for variant, measured in runs.items():
        stage1 = [m["stage1"] for m in measured]
        total = [m["total"] for m in measured]
        touched, found = measured[0]["touched"], measured[0]["found"]
        first = f"stage 1 {min(stage1):.3f} / {statistics.median(stage1):.3f} s, " if variant != "one pass" else ""
        print(
            f"  {variant:<10} {first}total {min(total):.3f} / {statistics.median(total):.3f} s; "
            f"rows hashed whole {touched:,} ({touched / args.rows:.1%}); repeated rows found: {found}"
        )


if __name__ == "__main__":
    main()
