"""Witnessed checkpoints: truncation, rewrite and forks are caught by someone who can recompute hashes."""

from __future__ import annotations

from pathlib import Path

from tests.governance.conftest import key, wardctl
from wardcloud.audit.log import append
from wardcloud.audit.record import Entry


def grow(log: Path, count: int, label: str = "real") -> None:
    append(log, [Entry(actor="ops", command="cost allocate", argv=("wardctl",), inputs={}, outcome="success",
                       exit_code=0, summary={"n": i, "label": label}) for i in range(count)])


def run(tmp_path: Path, gov: Path, *args: str):
    return wardctl(tmp_path / "wards", tmp_path / "state", "audit", *args, "--signers", str(gov / "signers"))


def test_checkpoint_witness_and_truncation_caught(tmp_path, gov):
    log = tmp_path / "state" / "audit.jsonl"
    grow(log, 5)
    made = run(tmp_path, gov, "checkpoint", "--key", key(gov, "sec"))
    assert made.exit_code == 0, made.output
    note = (log.parent / "audit.jsonl.checkpoints" / "000000000005.note").read_text()
    lines = note.split("\n")
    assert lines[0] == "wardcloud.audit/audit.jsonl" and lines[1] == "5" and lines[4] == ""
    assert lines[5].startswith("\u2014 sec@test ")
    state = tmp_path / "witness-shibuya.json"
    witnessed = run(tmp_path, gov, "witness", "--key", key(gov, "shibuya"), "--witness-state", str(state))
    assert witnessed.exit_code == 0, witnessed.output
    ok = run(tmp_path, gov, "verify", "--checkpoints", "--min-witnesses", "1")
    assert ok.exit_code == 0, ok.output
    assert "1 checkpoint(s) consistent with the log, 1 witnessed" in ok.output
    # whoever can write the file cuts the last two records: the chain alone is still valid
    log.write_bytes(b"".join(log.read_bytes().splitlines(keepends=True)[:3]))
    assert run(tmp_path, gov, "verify").exit_code == 0
    caught = run(tmp_path, gov, "verify", "--checkpoints")
    assert caught.exit_code == 1
    assert "AUD016 checkpoint 5: the log ends at record 3 but was checkpointed at 5 records: truncated" in caught.output


def test_rewritten_log_caught_and_witness_refuses_a_fork(tmp_path, gov):
    log = tmp_path / "state" / "audit.jsonl"
    grow(log, 3)
    assert run(tmp_path, gov, "checkpoint", "--key", key(gov, "sec")).exit_code == 0
    state = tmp_path / "witness.json"
    assert run(tmp_path, gov, "witness", "--key", key(gov, "chiyoda"), "--witness-state", str(state)).exit_code == 0
    saved_note = (log.parent / "audit.jsonl.checkpoints" / "000000000003.note").read_bytes()
    # the operator rebuilds the whole chain with other content, every hash recomputed
    log.unlink()
    grow(log, 3, label="rewritten")
    assert run(tmp_path, gov, "verify").exit_code == 0
    caught = run(tmp_path, gov, "verify", "--checkpoints")
    assert caught.exit_code == 1 and "record 3 is not the one checkpointed: rewritten" in caught.output
    # ... and signs a fresh checkpoint of the forked log; the witness remembers what it saw
    (log.parent / "audit.jsonl.checkpoints" / "000000000003.note").unlink()
    grow(log, 2, label="rewritten")
    assert run(tmp_path, gov, "checkpoint", "--key", key(gov, "sec")).exit_code == 0
    refused = run(tmp_path, gov, "witness", "--key", key(gov, "chiyoda"), "--witness-state", str(state))
    assert refused.exit_code == 1 and "rewritten (a fork)" in refused.output
    assert saved_note  # the witness's own copy would prove the earlier head


def test_only_a_platform_signer_checkpoints_and_forged_notes_fail(tmp_path, gov):
    log = tmp_path / "state" / "audit.jsonl"
    grow(log, 2)
    refused = run(tmp_path, gov, "checkpoint", "--key", key(gov, "shibuya"))
    assert refused.exit_code == 1 and "AUD016" in refused.output and "not a platform signer" in refused.output
    assert run(tmp_path, gov, "checkpoint", "--key", key(gov, "plat")).exit_code == 0
    note = log.parent / "audit.jsonl.checkpoints" / "000000000002.note"
    text = note.read_text().split("\n")
    text[1] = "1"  # claims a smaller log: the signature no longer covers it
    note.write_text("\n".join(text))
    forged = run(tmp_path, gov, "verify", "--checkpoints")
    assert forged.exit_code == 1 and "no valid platform signature" in forged.output
