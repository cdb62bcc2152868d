"""Bench: `wardctl audit verify` against `sha256sum` of the same file, at 10 k and 100 k records (target <= 2x).

    .venv/bin/python bench/audit.py [--records 10000 100000] [--repeat 9] [--judge cpu|wall]

Builds a log of realistic records with the library's own `append`, in batches: what fills a real log, one
`backup run` record per volume per night (a backup taken, with its ids and window). They are unsigned, as
`backup run` records are; the signed kinds (apply, approve, ack: one signature check each) are a handful a
week and not in this bench, then times whole processes, interleaved: `wardctl audit verify` (every
record hashed and linked, the first and last parsed in full) and `sha256sum` reading the same bytes once.
The ratio at the largest size is the target; the smaller size shows the fixed cost (start-up, imports).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import REPO, WARDCTL, arguments, describe, header, interleaved, ratio, run, verdict  # noqa: E402

sys.path.insert(0, str(REPO))

from wardcloud.audit.log import append  # noqa: E402
from wardcloud.audit.record import Entry  # noqa: E402


def entry(n: int) -> Entry:
    """A realistic record: `backup run` took a backup of one ward volume in its nightly window."""
    code = f"1310{n % 23:02d}"
    segment = ("mynumber", "lgwan", "internet")[n % 3]
    return Entry(actor="backup-timer", command="backup run",
                 argv=("wardctl", "backup", "run", "--cloud", "wardcloud", "--ward", code),
                 inputs={"tenants": {"path": "tenants/wards", "sha256": f"{n:064x}", "files": 23}},
                 outcome="success", exit_code=None,
                 summary={"at": "2026-12-02T02:00:00+09:00", "ward": code, "action": "take", "segment": segment,
                          "volume": f"{n:08x}-0000-4000-8000-{n:012x}", "backup": f"{n:08x}-1111-4000-8000-{n:012x}",
                          "status": "available", "detail": "incremental" if n % 7 else "full"},
                 wards=(code,))


def main() -> None:
    # 9 rounds: a run takes ~1 s, and on a shared virtual machine one slow burst moves a median of 5
    parser = arguments(__doc__.splitlines()[0], repeat=9)
    parser.add_argument("--records", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    sha256sum = shutil.which("sha256sum")
    if not sha256sum:
        sys.exit("sha256sum (coreutils) is missing")
    header(args)
    work = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    try:
        met = True
        for size in sorted(args.records):
            log = work / f"audit-{size}.jsonl"
            for first in range(0, size, 1000):
                append(log, [entry(n) for n in range(first, min(first + 1000, size))])
            env = {**os.environ, "WARDCTL_STATE": str(work / "state"), "WARDCTL_AUDIT_LOG": str(log)}
            runs = interleaved({
                "sha256sum": lambda log=log: run([sha256sum, str(log)]),
                "wardctl audit verify": lambda env=env: run([WARDCTL, "audit", "verify"], env=env),
            }, args.repeat)
            verified = runs["wardctl audit verify"][0].stdout
            assert f"audit log intact: {size} records" in verified, verified
            print(f"{size:>9,} records, {log.stat().st_size / 1e6:.1f} MB")
            for name, measured in runs.items():
                print(f"  {name:<22} {describe(measured)}")
            low, mid = ratio(runs["wardctl audit verify"], runs["sha256sum"], args.judge)
            print(f"  ratio verify / sha256sum ({args.judge}): min {low:.2f}x, median {mid:.2f}x")
            if size == max(args.records):
                met = verdict(f"audit verify of {size:,} records / sha256sum, median {args.judge}", mid, 2.0)
        sys.exit(0 if met else 1)
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
