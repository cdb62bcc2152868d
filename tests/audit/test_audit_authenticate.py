"""`wardctl audit verify` reads only some lines for signatures: a forged record in the middle of a long log,
where the hash chain is checked on bytes alone, is still found, whatever it hides behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.audit.logfile import write_records
from wardcloud.audit.authenticate import SIGNED_COMMANDS, sign_entry
from wardcloud.audit.keys import generate
from wardcloud.audit.log import append
from wardcloud.audit.record import Entry


def _forge_in_the_middle(state: Path, entry: Entry, after: int = 4, then: int = 4) -> int:
    """`after` honest records, `entry` appended with a correct seq, prev and hash, `then` honest ones more."""
    write_records(state, after)
    append(state / "audit.jsonl", [entry])
    write_records(state, then)
    return after + 1


@pytest.mark.parametrize("command", sorted(SIGNED_COMMANDS))
def test_an_unsigned_record_of_a_signed_command_mid_log_is_refused(state: Path, wardctl, command: str) -> None:
    seq = _forge_in_the_middle(state, Entry("SHA256:forged", command, ("wardctl", *command.split()), {},
                                            "success", 0, {"stack": "ward-131130"}))

    result = wardctl("audit", "verify")

    assert result.exit_code == 1
    assert f"AUD015 record {seq}: a `{command}` record must be signed and this one is not" in result.stderr


def test_a_bad_signature_on_a_command_that_needs_none_is_refused(state: Path, wardctl, tmp_path: Path) -> None:
    key = generate(tmp_path / "ops")
    signed = sign_entry(Entry("x", "cost allocate", ("wardctl", "cost"), {}, "success", 0, {"n": 1}), key)
    seq = _forge_in_the_middle(state, Entry(signed.actor, signed.command, signed.argv, signed.inputs,
                                            signed.outcome, signed.exit_code, {"n": 2}, sig=signed.sig))

    result = wardctl("audit", "verify")

    assert result.exit_code == 1 and f"AUD015 record {seq}: the signature of" in result.stderr


def test_a_good_signature_mid_log_is_counted_as_signed(state: Path, wardctl, tmp_path: Path) -> None:
    key = generate(tmp_path / "ops")
    _forge_in_the_middle(state, sign_entry(Entry("x", "apply", ("wardctl", "apply"), {}, "success", 0), key))

    result = wardctl("audit", "verify")

    assert result.exit_code == 0, result.output
    assert "1 signed (signatures verified), 8 unsigned" in result.stdout


def test_a_command_spelled_with_an_escape_mid_log_is_read_and_refused(state: Path, wardctl) -> None:
    # `"\u0061pply"` is `"apply"` to a JSON parser but not in its bytes: a line with any escape is always read
    seq = _forge_in_the_middle(state, Entry("SHA256:forged", "cost allocate", ("wardctl",), {}, "success", 0))
    log = state / "audit.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    lines[seq - 1] = lines[seq - 1].replace(b'"command":"cost allocate"', b'"command":"\\u0061pply"')
    log.write_bytes(b"".join(lines))

    result = wardctl("audit", "verify")

    assert result.exit_code == 1 and f"record {seq}" in result.stderr
