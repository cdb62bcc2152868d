"""Audit-log bench: append 100,000 records and verify them; show verification is linear and streams.

    .venv/bin/python bench/audit.py [--records 100000] [--batch 100] [--single 2000]

Prints records/second for appends (in batches: one lock + write + fsync per batch; and a sample of
single-record appends, the path every command takes: open, lock, read tail, write, fsync, close),
records/second for verification (best of three) at 1/4, 1/2 and all of the log with the time ratio
(linear: ~2x per doubling), and the peak memory verification allocates at each size (streaming: flat).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wardcloud.audit.log import append, verify  # noqa: E402
from wardcloud.audit.record import Entry  # noqa: E402


def entry(n: int) -> Entry:
    """A realistic record: an apply of one ward stack with input hashes and a summary."""
    code = f"1310{n % 23:02d}"
    return Entry(actor="platform-ops", command="apply",
                 argv=("wardctl", "--tenants", "tenants/wards", "apply", "--stack", f"ward-{code}"),
                 inputs={"tenants": {"path": "tenants/wards", "sha256": f"{n:064x}", "files": 23}},
                 outcome="success", exit_code=0,
                 summary={"stack": f"ward-{code}",
                          "changes": {"create": n % 7, "update": n % 3, "delete": 0}},
                 wards=(code,))


def prefix(log: Path, records: int, target: Path) -> Path:
    """The first `records` lines of `log` (a shorter log of the same records)."""
    with log.open("rb") as source, target.open("wb") as out:
        for _ in range(records):
            out.write(source.readline())
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--single", type=int, default=2_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    try:
        log = work / "audit.jsonl"
        start = time.perf_counter()
        for first in range(0, args.records, args.batch):
            append(log, [entry(n) for n in range(first, min(first + args.batch, args.records))])
        batched = time.perf_counter() - start
        print(f"append  {args.records:>9,} records in batches of {args.batch}: {batched:7.2f} s  "
              f"{args.records / batched:>10,.0f} records/s  ({log.stat().st_size / 1e6:.1f} MB)")

        single_log = work / "single.jsonl"
        start = time.perf_counter()
        for n in range(args.single):
            append(single_log, [entry(n)])
        single = time.perf_counter() - start
        print(f"append  {args.single:>9,} records one at a time:   {single:7.2f} s  "
              f"{args.single / single:>10,.0f} records/s  (each: lock, tail read, write, fsync)")

        sizes = [args.records // 4, args.records // 2, args.records]
        timings: list[float] = []
        for size in sizes:
            path = log if size == args.records else prefix(log, size, work / f"prefix-{size}.jsonl")
            elapsed = float("inf")
            for _ in range(3):  # best of three: the machine is shared
                start = time.perf_counter()
                result = verify(path)
                elapsed = min(elapsed, time.perf_counter() - start)
            assert result.valid and result.records == size, result.problem
            timings.append(elapsed)
            ratio = f"x{elapsed / timings[0]:.2f} time for x{size / sizes[0]:.0f} records, " \
                f"{elapsed / size * 1e6:.1f} µs/record"
            print(f"verify  {size:>9,} records:                    {elapsed:7.2f} s  "
                  f"{size / elapsed:>10,.0f} records/s  ({ratio})")

        for size in (sizes[0], sizes[-1]):
            path = log if size == args.records else work / f"prefix-{size}.jsonl"
            tracemalloc.start()
            verify(path)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"memory  {size:>9,} records: verification peak {peak / 1024:8.1f} KiB "
                  f"(log {path.stat().st_size / 1e6:.1f} MB)")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
