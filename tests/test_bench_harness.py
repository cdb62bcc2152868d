"""bench/harness.py measures the child process alone and prints verdicts a reader can grep (no timings asserted)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import harness  # noqa: E402

from tests.conftest import ROOT  # noqa: E402


def test_peak_memory_is_the_childs_own_not_the_benchs() -> None:
    ballast = bytearray(200 * 2**20)  # the bench process itself is big; a small child must not inherit that
    ballast[::4096] = b"x" * len(ballast[::4096])
    small = harness.run([sys.executable, "-c", "print('hi')"])
    big = harness.run([sys.executable, "-c", "b = bytearray(120 * 2**20); b[::4096] = b'x' * len(b[::4096])"])
    assert small.stdout == "hi\n"
    assert small.rss_mb < 100 <= big.rss_mb
    assert small.cpu >= 0 and small.wall > 0
    del ballast


def test_verdicts_say_ok_or_missed_with_the_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert harness.verdict("x", 1.4, 1.5) is True
    assert harness.verdict("y", 2.1, 2.0) is False
    assert harness.verdict("z", 2048, 2048, " MB", below=True) is False
    assert capsys.readouterr().out.splitlines() == [
        "TARGET x: 1.40x <= 1.5x  OK", "TARGET y: 2.10x <= 2x  MISSED", "TARGET z: 2048.00 MB < 2048 MB  MISSED"]


def test_a_failing_command_stops_the_bench() -> None:
    with pytest.raises(SystemExit, match="failed"):
        harness.run([sys.executable, "-c", "raise SystemExit(3)"])


BENCH_SMOKE = {  # each bench at a toy size: it must still run end to end and print its verdicts
    "plan": ["--wards", "2", "--repeat", "1"],
    "cost": ["--rows", "2000", "--repeat", "1"],
    "audit": ["--records", "200", "--repeat", "1"],
    "startup": ["--repeat", "1"],
    "validate": ["--tenants", "3", "30", "--repeat", "1"],
    "policy": ["--wards", "2"],
    "cost_stages": ["--rows", "2000", "--repeat", "1"],
    "cost_screen": ["--rows", "2000", "--repeat", "1"],
}


@pytest.mark.parametrize("bench", sorted(BENCH_SMOKE))
def test_every_bench_runs_at_a_toy_size(bench: str) -> None:
    assert {p.stem for p in (ROOT / "bench").glob("*.py")} - {"harness"} == set(BENCH_SMOKE)
    done = subprocess.run([sys.executable, str(ROOT / "bench" / f"{bench}.py"), *BENCH_SMOKE[bench]], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)
    # exit 1 is a MISSED target at this toy size; a crash or a failed command must not hide behind it
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr and "failed (" not in done.stderr, done.stderr
    assert done.stdout.strip() and (done.returncode == 0 or "MISSED" in done.stdout), done.stdout[-2000:]


def test_compile_project_follows_linked_packages(tmp_path: Path) -> None:
    # src/wardcloud links to the top-level packages; a module left uncompiled is compiled again in every timed run
    (tmp_path / "audit").mkdir()
    (tmp_path / "audit" / "log.py").write_text("X = 1\n")
    package = tmp_path / "src" / "wardcloud"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "audit").symlink_to("../../audit")
    assert harness.compile_project(package) == 2
    assert Path(importlib.util.cache_from_source(str(tmp_path / "audit" / "log.py"))).is_file()
