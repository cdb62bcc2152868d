"""Bench: start-up — `wardctl --help` (target <= 80 ms) and `wardctl validate` of one file (<= 200 ms).

    .venv/bin/python bench/startup.py [--repeat 10] [--judge cpu|wall]

Each is a whole `wardctl` process, interleaved with `python -c pass` (the interpreter's own start-up, shown
for scale). The state directory is fresh for every run: validate always checks in full anyway.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import REPO, WARDCTL, arguments, describe, header, interleaved, pick, run, verdict  # noqa: E402

ONE_FILE = REPO / "tenants" / "wards" / "131130-shibuya.yaml"


def main() -> None:
    args = arguments(__doc__.splitlines()[0], repeat=10).parse_args()
    header(args)
    with tempfile.TemporaryDirectory() as scratch:
        counter = iter(range(10**6))

        def fresh() -> dict[str, str]:
            state = Path(scratch) / f"state-{next(counter)}"
            return {**os.environ, "WARDCTL_STATE": str(state), "WARDCTL_AUDIT_LOG": str(state / "audit.jsonl")}

        runs = interleaved({
            "python -c pass": lambda: run([sys.executable, "-c", "pass"]),
            "wardctl --help": lambda: run([WARDCTL, "--help"], env=fresh()),
            "wardctl validate FILE": lambda: run([WARDCTL, "validate", str(ONE_FILE)], env=fresh()),
        }, args.repeat)
    for name, measured in runs.items():
        print(f"{name:<24} {describe(measured)}")
    help_ms = statistics.median(pick(runs["wardctl --help"], args.judge)) * 1000
    validate_ms = statistics.median(pick(runs["wardctl validate FILE"], args.judge)) * 1000
    met = [verdict(f"wardctl --help, median {args.judge}", help_ms, 80, " ms"),
           verdict(f"wardctl validate one file, median {args.judge}", validate_ms, 200, " ms")]
    sys.exit(0 if all(met) else 1)


if __name__ == "__main__":
    main()
