"""docs/audit.md cannot rot: its command examples run, and its problem-code table is the enum."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tests.audit.logfile import ALLOCATE
from wardcloud.audit.errors import Code

DOC = (Path(__file__).resolve().parents[2] / "docs" / "audit.md").read_text(encoding="utf-8")


def test_problem_code_table_lists_every_code_once() -> None:
    documented = re.findall(r"^\| (AUD\d{3}) \|", DOC, flags=re.MULTILINE)
    assert documented == [code.value for code in Code]


def test_the_first_example_block_runs_as_documented(state: Path, wardctl) -> None:
    assert wardctl("--actor", "finance-lead", *ALLOCATE).exit_code == 0
    block = re.search(r"```sh\n(.*?)```", DOC, flags=re.DOTALL)
    assert block is not None
    saved = ""
    ran = []
    for line in block.group(1).splitlines():
        command = line.split("  #")[0].strip()
        if not command.startswith("wardctl audit") or command.startswith("wardctl audit ship"):
            continue  # ship needs a cloud: tests/audit/test_audit_ship.py covers its error path
        command = command.replace('"$(cat head.txt)"', saved)
        args = shlex.split(command.split(">")[0])[1:]
        result = wardctl(*args, input="y\n")
        assert result.exit_code == 0, (command, result.output)
        if "> head.txt" in command:
            saved = result.stdout.strip()
        ran.append(args[1])
    assert ran == ["verify", "anchor", "verify", "log", "repair"] and saved.startswith("1:")
