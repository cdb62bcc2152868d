"""Files that are not files are refused; an audited command's output exists only once its record does."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from tests.hardening.helpers import SAMPLE, assert_clean_failure, assert_no_output, wardctl
from wardcloud.audit.log import verify

ALLOCATE = ["cost", "allocate", *SAMPLE]


def _log(tmp_path: Path) -> Path:
    return tmp_path / "audit.jsonl"


def run(tmp_path: Path, *args: str):  # noqa: ANN201 - click Result
    return wardctl("--state", str(tmp_path / "state"), "--audit-log", str(_log(tmp_path)), *args)


# --- outputs -----------------------------------------------------------------------------------------------

def test_out_at_a_symlink_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    link = tmp_path / "out.json"
    link.symlink_to(target)
    result = run(tmp_path, *ALLOCATE, "--format", "json", "--out", str(link))
    assert_clean_failure(result, "FILE002")
    assert link.is_symlink() and target.read_text() == "keep me\n"


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx", "focus"])
def test_out_at_a_fifo_or_device_is_refused(tmp_path: Path, fmt: str) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = run(tmp_path, *ALLOCATE, "--format", fmt, "--out", str(fifo))
    assert_clean_failure(result, "FILE001")
    result = run(tmp_path, *ALLOCATE, "--format", fmt, "--out", "/dev/null")
    assert_clean_failure(result, "FILE001")
    assert Path("/dev/null").is_char_device()


def test_out_in_a_folder_that_is_a_file_is_a_file_line(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    result = run(tmp_path, *ALLOCATE, "--format", "json", "--out", str(tmp_path / "plain" / "out.json"))
    assert_clean_failure(result, "FILE003")


@pytest.mark.parametrize("option", ["--state", "--tenants"])
def test_state_or_tenants_that_is_a_file_is_refused(tmp_path: Path, option: str) -> None:
    plain = tmp_path / "plain"
    plain.write_text("x")
    result = wardctl(option, str(plain), *ALLOCATE)
    assert_clean_failure(result)
    assert "is a file" in result.stderr


def test_tenants_that_is_a_file_is_refused_by_the_library_too(tmp_path: Path) -> None:
    from wardcloud.tenants.validate import load_tenants

    single = tmp_path / "131016-chiyoda.yaml"
    single.write_text((Path(SAMPLE[1]).parents[2] / "tenants" / "wards" / single.name).read_text("utf-8"))
    with pytest.raises(Exception) as caught:
        load_tenants(single)
    assert "TEN052" in str(caught.value)


# --- inputs ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["--bill", "--rules", "--usage"])
def test_an_input_that_is_a_fifo_is_refused_not_waited_on(tmp_path: Path, which: str) -> None:
    fifo = tmp_path / "input.csv"
    os.mkfifo(fifo)
    args = list(ALLOCATE)
    args[args.index(which) + 1] = str(fifo)
    result = run(tmp_path, *args)
    assert_clean_failure(result)
    assert "FIFO" in result.stderr


def test_an_audit_log_that_is_a_fifo_or_links_to_dev_zero_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.jsonl"
    zero.symlink_to("/dev/zero")
    for log in (fifo, zero):
        for args in (["audit", "verify"], ["audit", "log"], ALLOCATE):
            result = wardctl("--audit-log", str(log), *args)
            assert_clean_failure(result, "AUD009")


def test_an_audit_log_that_is_a_symlink_is_not_appended_through(tmp_path: Path) -> None:
    real = tmp_path / "real.jsonl"
    real.write_bytes(b"")
    link = tmp_path / "audit.jsonl"
    link.symlink_to(real)
    assert_clean_failure(run(tmp_path, *ALLOCATE), "AUD009")
    assert real.read_bytes() == b""


# --- fail-closed -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "csv", "text", "xlsx", "focus"])
def test_a_torn_log_leaves_no_output_file_and_no_stdout(tmp_path: Path, fmt: str) -> None:
    assert run(tmp_path, *ALLOCATE).exit_code == 0
    with _log(tmp_path).open("ab") as handle:
        handle.write(b'{"v":1,"seq":2')  # a crash mid-write
    out = tmp_path / f"out.{fmt}"
    result = run(tmp_path, *ALLOCATE, "--format", fmt, "--out", str(out))
    assert_clean_failure(result, "AUD005")
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []  # no temporary left
    result = run(tmp_path, *ALLOCATE, "--format", "json")
    assert_clean_failure(result, "AUD005")
    assert_no_output(result)


def test_an_audit_log_that_cannot_be_written_leaves_no_output(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    log = tmp_path / "plain" / "audit.jsonl"  # its folder is a file: nothing can be appended
    out = tmp_path / "out.json"
    result = wardctl("--audit-log", str(log), *ALLOCATE, "--format", "json", "--out", str(out))
    assert_clean_failure(result, "AUD009")
    assert not out.exists()


def test_output_appears_with_its_record(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    result = run(tmp_path, *ALLOCATE, "--format", "json", "--out", str(out))
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in _log(tmp_path).read_text().splitlines()]
    assert records[-1]["outcome"] == "success" and records[-1]["summary"]["out"] == str(out)
    assert json.loads(out.read_text())["period"] == "2023-07"


@pytest.mark.parametrize("errno_value", [errno.ENOSPC, errno.EIO])
def test_a_short_write_to_the_log_restores_it_and_writes_no_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   errno_value: int) -> None:
    assert run(tmp_path, *ALLOCATE).exit_code == 0
    before = _log(tmp_path).read_bytes()
    real_write = os.write

    def short_then_full(fd: int, data: bytes | memoryview) -> int:
        if os.fstat(fd).st_ino == _log(tmp_path).stat().st_ino:
            real_write(fd, bytes(data)[:17])  # part of the record reached the disk, then it filled up
            raise OSError(errno_value, os.strerror(errno_value))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", short_then_full)
    out = tmp_path / "out.json"
    result = run(tmp_path, *ALLOCATE, "--format", "json", "--out", str(out))
    monkeypatch.undo()
    assert_clean_failure(result, "AUD009")
    assert "nothing appended" in result.stderr + result.stdout  # --format json: the problem is JSON on stdout
    assert _log(tmp_path).read_bytes() == before  # the last good end, not a torn record
    assert not out.exists()
    assert verify(_log(tmp_path)).valid
    assert run(tmp_path, *ALLOCATE).exit_code == 0  # and the next command is not refused


def test_a_full_disk_at_out_is_a_file_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import wardcloud.core.files as files

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "replace", full)
    out = tmp_path / "out.json"
    result = run(tmp_path, *ALLOCATE, "--format", "json", "--out", str(out))
    assert_clean_failure(result, "FILE005")
    assert not out.exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".out.json")] == []


def test_a_python_caller_leaves_the_same_record(tmp_path: Path) -> None:
    from wardcloud.audit.log import read_records
    from wardcloud.audit.recorder import AuditContext, audited
    from wardcloud.core.files import write_atomic

    context = AuditContext(tmp_path / "state", "script", ("myscript",), _log(tmp_path))
    out = tmp_path / "report.txt"
    with audited(context, "cost allocate", {"bill": Path(SAMPLE[1])}) as note:
        write_atomic(out, "hello\n")
        assert not out.exists()  # held back until the record is durable
        note.summary["total"] = 1
        note.wards.append("131016")
    (record,) = list(read_records(_log(tmp_path)))
    assert (record.actor, record.command, record.outcome, record.wards) == ("script", "cost allocate", "success",
                                                                             ("131016",))
    assert record.inputs["bill"]["sha256"] and out.read_text() == "hello\n"

    with pytest.raises(RuntimeError), audited(context, "cost allocate", {}):
        write_atomic(tmp_path / "never.txt", "x")
        raise RuntimeError("boom")
    assert not (tmp_path / "never.txt").exists()
    assert [r.outcome for r in read_records(_log(tmp_path))] == ["success", "failure"]
