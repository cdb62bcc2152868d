"""Where a cold `wardctl cost allocate` spends its CPU: each stage of it, one after another, in fresh processes.

    .venv/bin/python bench/cost_stages.py [--rows 10000000] [--repeat 5] [--keep DIR]

bench/cost.py times the whole command against the floor; this splits the command into its stages and runs
them in turn in one process (the command overlaps some of them in threads, which changes wall time, not
CPU), so that each stage's CPU time (user + system, every thread) can be read apart. Each of `--repeat`
fresh processes prints its stages; shown are the min/median of each. Last comes the floor's own query,
`SELECT SubAccountId, ServiceCategory, sum(BilledCost) … GROUP BY`, run in the same process for scale.
No verdict: bench/cost.py owns the target.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cost import EXAMPLES, bill_for, one_bill_arguments  # noqa: E402
from harness import REPO, compile_project  # noqa: E402

# One cold allocation, stage by stage; `mark` notes the process's CPU seconds so far after each stage.
CHILD = """
import resource, sys
from pathlib import Path

stages = []
def mark(name):
    usage = resource.getrusage(resource.RUSAGE_SELF)
    stages.append((name, usage.ru_utime + usage.ru_stime))

mark("interpreter start-up")
import click, yaml
mark("import click, yaml (the CLI)")
import duckdb
from wardcloud.cost_allocation.database import open_database
database = open_database()
mark("import duckdb, open a database (the floor pays this too)")
import wardcloud.cli.main, wardcloud.cli.cost, wardcloud.cli.audited
from wardcloud.cost_allocation import focus, statement
from wardcloud.cost_allocation.shares import Period, Ward
mark("import wardctl and the allocation code")
from wardcloud.core.files import file_sha256
bill, rules_file, usage_file = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
file_sha256(bill)
mark("cold: SHA-256 of the bill (audit record)")
import jsonschema_rs
mark("cold: import jsonschema-rs (valid files never load jsonschema)")
from wardcloud.tenants.validate import load_tenants
from wardcloud.cost_allocation.rules import load_rules
tenants = load_tenants(Path(sys.argv[4]), None)
rules = load_rules(rules_file, None)
mark("cold: schema and cross-ward checks of 23 tenant files and the rules")
month = Period.month("2023-07")
scan = focus.scan_bill(bill, rules.currency, month, rules.pools, rules.source_file, database.cursor(), True)
mark("scan: the GROUP BY with its checks (account, service, category; reversed periods)")
rows = sum(group[len(scan.keys) + 1] for group in scan.groups)
focus.may_repeat_rows(database.cursor(), bill, rows)
mark("screen for repeated rows: hash every whole row, sort the hashes (numpy)")
usage = focus.scan_usage(usage_file, database.cursor())
wards = [Ward.from_tenant(t) for t in tenants]
result = statement.allocate(focus.classify_bill(scan, rules.pools, wards), rules, wards, month,
                            focus.classify_usage(usage, wards))
import json
json.dumps(result.to_json(), ensure_ascii=False, indent=2)
mark("usage file, allocation, JSON")
database.execute(
    "SELECT SubAccountId, ServiceCategory, sum(BilledCost) FROM read_parquet(?) GROUP BY SubAccountId, "
    "ServiceCategory", [str(bill)]).fetchall()
mark("for scale: the floor's GROUP BY query")
print(json.dumps(stages))
"""


def main() -> None:
    args = one_bill_arguments(__doc__.splitlines()[0])
    compile_project()
    with tempfile.TemporaryDirectory() as scratch:
        bill = bill_for(args.keep or Path(scratch), args.rows)
        command = [
            sys.executable,
            "-c",
            CHILD,
            str(bill),
            str(EXAMPLES / "rules.yaml"),
            str(EXAMPLES / "usage-2023-07.csv"),
            str(REPO / "tenants" / "wards"),
        ]
        runs = []
        for _ in range(args.repeat):
            done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True)
            marks = json.loads(done.stdout.strip().splitlines()[-1])
            runs.append([(name, now - (marks[i - 1][1] if i else 0.0)) for i, (name, now) in enumerate(marks)])
    print(f"{args.rows:,} rows, {args.repeat} fresh processes; CPU seconds (user + system) of each stage, min/median")
    names = [name for name, _ in runs[0]]
    for index, name in enumerate(names):
        spent = [run[index][1] for run in runs]
        print(f"  {min(spent):6.3f} / {statistics.median(spent):6.3f} s  {name}")
    totals = [sum(spent for name, spent in run if not name.startswith("for scale")) for run in runs]
    print(f"  {min(totals):6.3f} / {statistics.median(totals):6.3f} s  total of the stages (without the floor's query)")


if __name__ == "__main__":
    main()
