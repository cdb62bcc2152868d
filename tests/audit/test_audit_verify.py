"""`wardctl audit verify/anchor`: an intact chain passes; any tampering names the first bad record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.audit.logfile import log_lines, write_lines, write_records
from wardcloud.audit.record import Entry, seal

N = 5


def bad_record(result: object) -> int:
    """The record number the error line names (`FILE:LINE:0: AUDnnn …`)."""
    first = result.stderr.splitlines()[0]  # type: ignore[attr-defined]
    return int(first.split(":")[1])


def test_intact_chain_verifies_with_a_one_line_summary(state: Path, wardctl) -> None:
    write_records(state, N)
    head = json.loads(log_lines(state)[-1])

    result = wardctl("audit", "verify")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"audit log intact: {N} records, ")
    assert f"head {N}:{head['hash']}" in result.stdout
    assert len(result.stdout.splitlines()) == 1


def test_verify_json_has_a_stable_shape(state: Path, wardctl) -> None:
    write_records(state, 2)

    data = json.loads(wardctl("audit", "verify", "--format", "json").stdout)

    assert set(data) == {"valid", "log", "records", "first_time", "last_time", "head", "anchor", "problems",
                         "torn", "signed", "unsigned"}
    assert data["signed"] == 0 and data["unsigned"] == 2
    assert data["valid"] is True and data["records"] == 2 and data["head"]["seq"] == 2


def test_missing_log_is_an_error_not_an_empty_success(wardctl) -> None:
    result = wardctl("audit", "verify")

    assert result.exit_code == 1
    assert "AUD007" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("target", range(1, N + 1))
def test_editing_any_byte_of_a_record_names_that_record(state: Path, wardctl, target: int) -> None:
    write_records(state, N)
    original = log_lines(state)
    line = original[target - 1]
    for position in range(0, len(line), 3 if target != 3 else 1):  # all bytes of one, a third of others
        lines = list(original)
        edited = bytearray(line)
        edited[position] ^= 0x01
        lines[target - 1] = bytes(edited)
        write_lines(state, lines)

        result = wardctl("audit", "verify")

        assert result.exit_code == 1, f"byte {position} of record {target} edited undetected"
        assert bad_record(result) == target, (position, result.stderr)
        assert f"record {target}" in result.stderr


@pytest.mark.parametrize("target", range(1, N))
def test_deleting_a_record_names_it(state: Path, wardctl, target: int) -> None:
    write_records(state, N)
    lines = log_lines(state)
    del lines[target - 1]
    write_lines(state, lines)

    result = wardctl("audit", "verify")

    assert result.exit_code == 1
    assert "AUD003" in result.stderr and bad_record(result) == target
    assert f"found record {target + 1} where record {target} belongs" in result.stderr


@pytest.mark.parametrize("target", range(1, N))
def test_swapping_two_records_names_the_first(state: Path, wardctl, target: int) -> None:
    write_records(state, N)
    lines = log_lines(state)
    lines[target - 1], lines[target] = lines[target], lines[target - 1]
    write_lines(state, lines)

    result = wardctl("audit", "verify")

    assert result.exit_code == 1 and bad_record(result) == target


def test_inserting_a_copy_of_an_earlier_record_names_the_insertion(state: Path, wardctl) -> None:
    write_records(state, N)
    lines = log_lines(state)
    lines.insert(3, lines[1])  # record 2 again, at line 4
    write_lines(state, lines)

    result = wardctl("audit", "verify")

    assert result.exit_code == 1 and bad_record(result) == 4
    assert "found record 2 where record 4 belongs" in result.stderr


def test_inserting_a_forged_record_with_a_valid_hash_breaks_the_chain_there(state: Path, wardctl) -> None:
    write_records(state, N)
    lines = log_lines(state)
    forged = seal(Entry("mallory", "cost allocate", (), {}, "success", 0), seq=3,
                  time="2026-01-01T00:00:00.000000Z", prev="f" * 64)
    lines.insert(2, forged.line())
    write_lines(state, lines)

    result = wardctl("audit", "verify")

    assert result.exit_code == 1 and bad_record(result) == 3 and "AUD004" in result.stderr


def test_rewriting_a_record_and_its_hash_breaks_the_next_link(state: Path, wardctl) -> None:
    write_records(state, N)
    lines = log_lines(state)
    data = json.loads(lines[1])
    rewritten = seal(Entry("mallory", data["command"], tuple(data["argv"]), data["inputs"], data["outcome"],
                           data["exit_code"], data["summary"], tuple(data["wards"])),
                     seq=2, time=data["time"], prev=data["prev"])
    lines[1] = rewritten.line()
    write_lines(state, lines)

    result = wardctl("audit", "verify")

    assert result.exit_code == 1 and bad_record(result) == 3 and "AUD004" in result.stderr


def test_truncated_tail_is_detected_with_an_anchor(state: Path, wardctl) -> None:
    write_records(state, N)
    anchor = wardctl("audit", "anchor").stdout.strip()
    assert anchor.startswith(f"{N}:")
    write_lines(state, log_lines(state)[:N - 2])

    plain = wardctl("audit", "verify")
    anchored = wardctl("audit", "verify", "--anchor", anchor)

    assert plain.exit_code == 0  # a chain cut short is still a chain: that is what anchors are for
    assert anchored.exit_code == 1 and "AUD006" in anchored.stderr
    assert bad_record(anchored) == N - 1
    assert f"records {N - 1}..{N} missing" in anchored.stderr


def test_bare_hash_anchor_passes_when_present_and_fails_when_gone(state: Path, wardctl) -> None:
    write_records(state, N)
    head_hash = wardctl("audit", "anchor").stdout.strip().split(":")[1]
    write_records(state, 2)  # the log grows past the anchor: still fine

    assert wardctl("audit", "verify", "--anchor", head_hash).exit_code == 0
    write_lines(state, log_lines(state)[:N - 1])
    gone = wardctl("audit", "verify", "--anchor", head_hash)
    assert gone.exit_code == 1 and "is not in the log" in gone.stderr


def test_anchor_of_a_rewritten_log_names_the_rewritten_record(state: Path, wardctl) -> None:
    write_records(state, 3)
    anchor = wardctl("audit", "anchor").stdout.strip()
    (state / "audit.jsonl").unlink()
    write_records(state, 4, actor="mallory")  # a fresh, internally valid chain

    result = wardctl("audit", "verify", "--anchor", anchor)

    assert result.exit_code == 1 and bad_record(result) == 3 and "rewritten" in result.stderr


def test_malformed_anchor_is_bad_input(state: Path, wardctl) -> None:
    write_records(state, 1)
    result = wardctl("audit", "verify", "--anchor", "12:nothex")
    assert result.exit_code == 1 and "AUD008" in result.stderr


def test_anchor_refuses_a_broken_log_and_an_empty_one(state: Path, wardctl) -> None:
    (state / "audit.jsonl").write_bytes(b"")
    empty = wardctl("audit", "anchor")
    write_records(state, 2)
    write_lines(state, log_lines(state)[::-1])
    broken = wardctl("audit", "anchor", "--format", "json")

    assert empty.exit_code == 1 and "empty" in empty.stderr
    assert broken.exit_code == 1 and broken.stderr == ""  # asked for JSON: the problem is JSON on stdout
    assert [e["code"] for e in json.loads(broken.stdout)["errors"]] == ["AUD003"]


def _resealed(line: bytes, edit) -> bytes:  # type: ignore[no-untyped-def]
    """`line` changed by `edit(dict) -> bytes body` with its hash recomputed over the new bytes, as a forger would."""
    import hashlib

    data = json.loads(line)
    body = edit({k: v for k, v in data.items() if k != "hash"})
    at = body.index(b',"inputs":')
    return body[:at] + b',"hash":"' + hashlib.sha256(body).hexdigest().encode() + b'"' + body[at:] + b"\n"


def _with_extra_field(data: dict) -> bytes:  # type: ignore[type-arg]
    return json.dumps({**data, "zz": 1}, sort_keys=True, separators=(",", ":")).encode()


def test_a_resealed_malformed_last_record_is_named_and_the_intact_prefix_reported(state: Path, wardctl) -> None:
    # The last record has no successor to vouch for it: verify parses it in full even when its bytes hash right.
    write_records(state, N)
    lines = log_lines(state)
    before = json.loads(lines[-2])
    lines[-1] = _resealed(lines[-1], _with_extra_field)
    write_lines(state, lines)

    result = wardctl("audit", "verify", "--format", "json")

    report = json.loads(result.stdout)
    assert result.exit_code == 1 and report["problems"][0]["code"] == "AUD001"
    assert report["problems"][0]["line"] == N
    assert report["records"] == N - 1 and report["head"] == {"seq": N - 1, "hash": before["hash"]}
    assert report["last_time"] == before["time"]


def test_a_resealed_malformed_middle_record_is_named_before_the_broken_link_after_it(state: Path, wardctl) -> None:
    write_records(state, N)
    lines = log_lines(state)
    lines[2] = _resealed(lines[2], _with_extra_field)
    write_lines(state, lines)

    result = wardctl("audit", "verify")

    assert result.exit_code == 1 and bad_record(result) == 3 and "AUD001" in result.stderr


@pytest.mark.parametrize("target", [2, 3, N])
def test_a_seq_spelled_otherwise_is_not_taken_on_its_bytes(state: Path, wardctl, target: int) -> None:
    write_records(state, N)
    lines = log_lines(state)
    data = json.loads(lines[target - 1])
    lines[target - 1] = lines[target - 1].replace(f',"seq":{target},'.encode(), f',"seq":0{target},'.encode())
    write_lines(state, lines)

    result = wardctl("audit", "verify")

    assert result.exit_code == 1 and bad_record(result) == target, (result.stderr, data["seq"])
