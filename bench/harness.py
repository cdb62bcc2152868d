"""What every bench shares: run whole processes, interleaved, and report min and median against a target.

Each measured run is one child process. `os.wait4` gives its CPU time (user + system, with any workers
it forked and reaped), not the bench's; GNU time's `%M` gives its peak RSS (`ru_maxrss` of a child
forked from Python keeps the bench's own high-water mark across `exec`). Cases run interleaved
(A B A B ...) so that a burst of load on a shared machine hits both sides alike. Verdicts are on CPU
time by default (`--judge wall` on a quiet machine): on a busy machine wall time mostly measures the
other processes.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WARDCTL = str(BIN / "wardctl")
GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None


@dataclass(frozen=True)
class Run:
    """One child process: wall and CPU seconds, peak RSS in MB, its stdout."""

    wall: float
    cpu: float
    rss_mb: float
    stdout: str


def run(command: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path = REPO,
        ok: Sequence[int] = (0,)) -> Run:
    """Run `command` to completion and measure it alone (a failure stops the bench: a race needs a finish)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as peak:
        wrapper = [GNU_TIME, "-f", "%M", "-o", peak.name] if GNU_TIME else []
        started = time.perf_counter()
        child = subprocess.Popen([*wrapper, *command], stdout=out, stderr=err, cwd=cwd, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode not in ok:
            sys.exit(f"failed ({child.returncode}): {' '.join(command)}\n{err.read().decode()[-3000:]}")
        peak_kb = int(peak.read().split()[-1]) if GNU_TIME else usage.ru_maxrss
        return Run(wall, usage.ru_utime + usage.ru_stime, peak_kb / 1024, out.read().decode())


def interleaved(cases: dict[str, Callable[[], Run]], repeat: int) -> dict[str, list[Run]]:
    """`repeat` rounds, each running every case once in turn."""
    runs: dict[str, list[Run]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, case in cases.items():
            runs[name].append(case())
    return runs


def pick(runs: Sequence[Run], judge: str) -> list[float]:
    return [r.cpu if judge == "cpu" else r.wall for r in runs]


def describe(runs: Sequence[Run]) -> str:
    """`cpu min/median  wall min/median  peak RSS max` of several runs."""
    cpu = [r.cpu for r in runs]
    wall = [r.wall for r in runs]
    return (f"cpu {min(cpu):6.3f}/{statistics.median(cpu):6.3f} s  wall {min(wall):6.3f}/"
            f"{statistics.median(wall):6.3f} s  peak {max(r.rss_mb for r in runs):6.0f} MB")


def ratio(ours: Sequence[Run], floor: Sequence[Run], judge: str) -> tuple[float, float]:
    """(min ratio, median ratio) of ours to the floor on the judged measure."""
    a, b = pick(ours, judge), pick(floor, judge)
    return min(a) / min(b), statistics.median(a) / statistics.median(b)


def verdict(label: str, value: float, target: float, unit: str = "x", *, below: bool = False) -> bool:
    """Print `TARGET label: value (<=|<) target  OK|MISSED` and say whether it was met."""
    met = value < target if below else value <= target
    sign = "<" if below else "<="
    print(f"TARGET {label}: {value:.2f}{unit} {sign} {target:g}{unit}  {'OK' if met else 'MISSED'}")
    return met


def arguments(description: str, repeat: int) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--repeat", type=int, default=repeat, help="interleaved runs of each case")
    parser.add_argument("--judge", choices=["cpu", "wall"], default="cpu",
                        help="measure the targets on CPU time (busy machine) or wall time (quiet machine)")
    return parser


def compile_project(root: Path = REPO / "src" / "wardcloud") -> int:
    """Byte-compile every module of the installed package, as `pip install` does for a wheel; return the count.

    An editable checkout compiles a module when it is first imported and caches it, unless
    PYTHONDONTWRITEBYTECODE is set (it is on CI machines and on this one): then every run of a changed module
    pays its compilation, which an installed wardctl never does. The walk follows src/wardcloud's links to the
    top-level packages: `compileall.compile_dir` skips a linked folder, which left every module but core's to
    be compiled again in each timed process.
    """
    compiled = 0
    for folder, _, names in os.walk(root, followlinks=True):
        for name in names:
            if name.endswith(".py"):
                if not compileall.compile_file(Path(folder) / name, quiet=1):
                    sys.exit(f"cannot compile {Path(folder) / name}")
                compiled += 1
    return compiled


def header(args: argparse.Namespace) -> None:
    """Print the machine's state and how the runs are judged; compile the project first."""
    compile_project()
    load = os.getloadavg()[0]
    print(f"cores {os.cpu_count()}, load {load:.1f}, {args.repeat} interleaved runs of each, "
          f"judged on {args.judge} time (min/median of the runs; ratios use the medians)")
