"""Writing records: concurrency, torn lines and repair, redaction, actor and log location, `audit log`."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from pathlib import Path

import pytest

from tests.audit.logfile import log_lines, write_records
from wardcloud.audit.errors import AuditError
from wardcloud.audit.recorder import record, resolve_actor

PROCESSES, PER_PROCESS = 3, 40


def _append_many(state: str, worker: int) -> None:
    for n in range(PER_PROCESS):
        record(Path(state), f"worker{worker}", "policy check", [], {}, "success", 0,
               {"worker": worker, "n": n})


def test_concurrent_processes_build_one_chain_with_every_record(state: Path, wardctl) -> None:
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(str(state), w)) for w in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert all(w.exitcode == 0 for w in workers)

    result = wardctl("audit", "verify")
    written = {(r["summary"]["worker"], r["summary"]["n"]) for r in map(json.loads, log_lines(state))}

    assert result.exit_code == 0, result.stderr
    assert f"{PROCESSES * PER_PROCESS} records" in result.stdout
    assert written == {(w, n) for w in range(PROCESSES) for n in range(PER_PROCESS)}


def test_torn_last_line_is_reported_refused_and_repaired_after_confirmation(state: Path, wardctl) -> None:
    write_records(state, 3)
    intact = (state / "audit.jsonl").read_bytes()
    with (state / "audit.jsonl").open("ab") as log:
        log.write(log_lines(state)[0][:57])  # a crash mid-write: part of a line, no newline

    reported = wardctl("audit", "verify")
    with pytest.raises(AuditError, match="torn"):
        write_records(state, 1)  # never extend a torn log
    declined = wardctl("audit", "repair", "--truncate-torn", input="n\n")
    unchanged = (state / "audit.jsonl").read_bytes()
    repaired = wardctl("audit", "repair", "--truncate-torn", input="y\n")

    assert reported.exit_code == 1 and "AUD005" in reported.stderr and ":4:" in reported.stderr
    assert "record 4 is torn: the last line has 57 bytes" in reported.stderr
    assert declined.exit_code == 1 and unchanged == intact + log_lines(state)[0][:57]
    assert repaired.exit_code == 0 and "removed torn record 4 (57 bytes)" in repaired.stdout
    assert (state / "audit.jsonl").read_bytes() == intact
    assert wardctl("audit", "verify").exit_code == 0
    write_records(state, 1)
    assert "4 records" in wardctl("audit", "verify").stdout


def test_repair_without_a_torn_line_changes_nothing(state: Path, wardctl) -> None:
    write_records(state, 2)
    before = (state / "audit.jsonl").read_bytes()

    result = wardctl("audit", "repair", "--truncate-torn", "--yes", "--format", "json")

    assert result.exit_code == 0 and json.loads(result.stdout)["removed"] is False
    assert (state / "audit.jsonl").read_bytes() == before


def test_repair_never_touches_an_edited_record(state: Path, wardctl) -> None:
    write_records(state, 2)
    lines = log_lines(state)
    (state / "audit.jsonl").write_bytes(lines[0] + lines[1].replace(b"alice", b"alicf"))

    result = wardctl("audit", "repair", "--truncate-torn", "--yes")

    assert "nothing to repair" in result.stdout
    assert wardctl("audit", "verify").exit_code == 1


def test_appending_after_an_edited_last_record_is_refused(state: Path) -> None:
    write_records(state, 2)
    path = state / "audit.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"n":1', b'"n":7'))

    with pytest.raises(AuditError, match="last record is damaged"):
        write_records(state, 1)


def test_secrets_in_arguments_and_summary_never_reach_the_log(state: Path) -> None:
    record(state, "alice", "apply", ["wardctl", "apply", "--os-password", "hunter2", "--token=s3cr3t",
                                     "--backend", "s3://key:pa55@rgw.example/state", "OS_PASSWORD=p4ss"],
           {}, "started", None, {"api_key": "k3y", "stacks": ["ward-131016"]})

    text = (state / "audit.jsonl").read_text()
    argv = json.loads(text)["argv"]

    for secret in ("hunter2", "s3cr3t", "pa55", "p4ss", "k3y"):
        assert secret not in text
    assert argv[3:5] == ["***", "--token=***"] and "s3://key:***@rgw.example/state" in argv


def test_inputs_are_recorded_with_their_sha256(state: Path, tmp_path: Path) -> None:
    bill = tmp_path / "bill.csv"
    bill.write_text("BilledCost\n100\n")
    wards = tmp_path / "wards"
    wards.mkdir()
    (wards / "a.yaml").write_text("a: 1\n")

    written = record(state, "alice", "cost allocate", [], {"bill": bill, "tenants": wards,
                                                           "missing": tmp_path / "nope"}, "success", 0, {})

    assert written.inputs["bill"]["sha256"] == hashlib.sha256(bill.read_bytes()).hexdigest()
    assert written.inputs["tenants"]["files"] == 1 and written.inputs["missing"]["sha256"] is None


def test_actor_is_the_option_else_the_environment_else_the_os_user() -> None:
    assert resolve_actor("ops-lead", {"WARDCTL_ACTOR": "env-user"}) == "ops-lead"
    assert resolve_actor(None, {"WARDCTL_ACTOR": "env-user"}) == "env-user"
    assert resolve_actor(None, {}) not in ("", "ops-lead", "env-user")


def test_audit_log_location_follows_option_then_environment(state: Path, tmp_path: Path, wardctl,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere" / "log.jsonl"
    monkeypatch.setenv("WARDCTL_AUDIT_LOG", str(elsewhere))
    write_records(state, 2)

    from_env = wardctl("audit", "verify")
    from_option = wardctl("--audit-log", str(state / "audit.jsonl"), "audit", "verify")

    assert elsewhere.exists() and not (state / "audit.jsonl").exists()
    assert from_env.exit_code == 0 and "2 records" in from_env.stdout
    assert from_option.exit_code == 1 and "AUD007" in from_option.stderr


def test_log_filters_by_ward_and_since_in_text_and_json(state: Path, wardctl) -> None:
    write_records(state, 2, ward="131016")
    write_records(state, 3, ward="131130")
    lines = log_lines(state)
    fourth_time = json.loads(lines[3])["time"]

    shibuya = json.loads(wardctl("audit", "log", "--ward", "131130", "--format", "json").stdout)
    since = wardctl("audit", "log", "--since", fourth_time)
    everything = wardctl("audit", "log")

    assert [r["seq"] for r in shibuya["records"]] == [3, 4, 5]
    assert shibuya["records"][0] == json.loads(lines[2])
    assert [line.split()[0] for line in since.stdout.splitlines()] == ["4", "5"]
    assert len(everything.stdout.splitlines()) == 5 and "131016" in everything.stdout


def test_log_rejects_bad_ward_and_date(state: Path, wardctl) -> None:
    write_records(state, 1)
    assert wardctl("audit", "log", "--ward", "shibuya").exit_code == 1
    bad_date = wardctl("audit", "log", "--since", "last tuesday")
    assert bad_date.exit_code == 1 and "AUD012" in bad_date.stderr


def test_new_log_is_private_to_the_group(state: Path) -> None:
    old = os.umask(0)
    try:
        write_records(state, 1)
    finally:
        os.umask(old)
    assert (state / "audit.jsonl").stat().st_mode & 0o777 == 0o640
