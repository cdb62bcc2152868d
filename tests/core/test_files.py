"""Atomic writes: whole files only, with the permissions a user expects of a file they wrote."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from wardcloud.core.files import current_umask, write_atomic

EXAMPLES = ROOT / "cost_allocation" / "examples"


@pytest.fixture
def umask() -> Iterator[None]:
    previous = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_umask_is_read_without_being_changed(umask: None) -> None:
    assert current_umask() == 0o027
    assert current_umask() == 0o027


def test_a_new_file_gets_what_open_would_give(tmp_path: Path, umask: None) -> None:
    write_atomic(tmp_path / "report.txt", "x")
    assert mode(tmp_path / "report.txt") == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]  # no temporary left behind


def test_a_replaced_file_keeps_its_mode_and_an_explicit_mode_wins(tmp_path: Path, umask: None) -> None:
    target = tmp_path / "shared.csv"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o664)
    write_atomic(target, "new")
    assert (target.read_text(encoding="utf-8"), mode(target)) == ("new", 0o664)
    write_atomic(target, "private", mode=0o600)
    assert mode(target) == 0o600


def test_an_allocation_written_with_out_is_readable_by_the_group(wardctl, tmp_path: Path, umask: None) -> None:
    out = tmp_path / "statement.csv"
    result = wardctl("cost", "allocate", "--bill", str(EXAMPLES / "bill-2023-07.csv"), "--rules",
                     str(EXAMPLES / "rules.yaml"), "--usage", str(EXAMPLES / "usage-2023-07.csv"),
                     "--period", "2023-07", "--format", "csv", "--out", str(out))
    assert result.exit_code == 0 and out.read_text(encoding="utf-8").startswith("code,")
    assert mode(out) == 0o640
