"""Plan → approve → apply through `wardctl`, with real keys: who may apply what, and what is refused."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.governance.conftest import key, wardctl
from tests.infra.test_infra_apply_cli import calls
from wardcloud.audit.log import read_records
from wardcloud.core.errors import WardcloudError
from wardcloud.governance.apply import check_saved_plan


def make_plan(two_wards: Path, state: Path, gov: Path, out: Path, *extra: str) -> dict:
    result = wardctl(two_wards, state, "plan", "--ward", "131130", "--out", str(out), "--governance", str(gov),
                     "--key", key(gov, "author"), *extra)
    assert result.exit_code == 2, result.output
    return json.loads(out.read_text())


def approve(two_wards: Path, state: Path, gov: Path, out: Path, who: str):
    return wardctl(two_wards, state, "approve", str(out), "--governance", str(gov), "--key", key(gov, who))


def apply(two_wards: Path, state: Path, gov: Path, out: Path, *extra: str):
    return wardctl(two_wards, state, "apply", str(out), "--yes", "--governance", str(gov),
                   "--key", key(gov, "plat"), *extra)


def test_saved_plan_names_its_inputs_by_sha256(two_wards, tmp_path, gov):
    saved = make_plan(two_wards, tmp_path / "state", gov, tmp_path / "plan.json")
    assert saved["format"] == "wardcloud-plan/1"
    assert set(saved["inputs"]) >= {"tenants", "policy_config", "governance_rules", "state:ward-131130",
                                    "state:platform"}
    assert len(saved["inputs"]["tenants"]["sha256"]) == 64
    assert set(saved["rendered"]) == {"platform", "ward-131130"}
    assert saved["approvals"] == [] and len(saved["digest"]) == 64
    assert saved["author"]["key"].startswith("SHA256:") and saved["expires"] > saved["created"]


def test_one_signature_is_refused_and_nothing_runs(two_wards, tmp_path, gov, fake_pulumi):
    out, state = tmp_path / "plan.json", tmp_path / "state"
    make_plan(two_wards, state, gov, out)
    assert approve(two_wards, state, gov, out, "sec").exit_code == 2
    result = apply(two_wards, state, gov, out)
    assert result.exit_code == 1
    assert "GOV006 not approved: needs 2 distinct signer(s), have 1" in result.output
    assert calls(fake_pulumi) == []
    assert [r.command for r in read_records(state / "audit.jsonl")] == ["approve"]


def test_author_alone_never_suffices(two_wards, tmp_path, gov):
    (gov / "rules.yaml").write_text("signers: 1\nrequire: []\n")
    out, state = tmp_path / "plan.json", tmp_path / "state"
    make_plan(two_wards, state, gov, out)
    assert approve(two_wards, state, gov, out, "author").exit_code == 2
    result = apply(two_wards, state, gov, out)
    assert result.exit_code == 1
    assert "needs a signer other than the plan's author" in result.output


def test_wrong_role_is_refused(two_wards, tmp_path, gov):
    out, state = tmp_path / "plan.json", tmp_path / "state"
    make_plan(two_wards, state, gov, out)
    for who in ("plat", "chiyoda", "author"):  # three signers, none security, none of Shibuya
        approve(two_wards, state, gov, out, who)
    result = apply(two_wards, state, gov, out)
    assert result.exit_code == 1
    assert "needs a security signer (mynumber changes)" in result.output
    assert "needs a signer of ward 131130 (role ward:131130)" in result.output


def test_unknown_key_cannot_approve(two_wards, tmp_path, gov):
    out, state = tmp_path / "plan.json", tmp_path / "state"
    make_plan(two_wards, state, gov, out)
    result = approve(two_wards, state, gov, out, "outsider")
    assert result.exit_code == 1 and "GOV007" in result.output and "not an allowed signer" in result.output


def test_two_right_signers_reach_the_automation_api_and_records_are_signed(two_wards, tmp_path, gov,
                                                                            fake_pulumi):
    out, state = tmp_path / "plan.json", tmp_path / "state"
    make_plan(two_wards, state, gov, out)
    assert approve(two_wards, state, gov, out, "sec").exit_code == 2
    assert approve(two_wards, state, gov, out, "shibuya").exit_code == 0
    result = apply(two_wards, state, gov, out)
    assert result.exit_code == 0, result.output
    assert "ward-131130: applied" in result.output
    assert [c["args"][-1] for c in calls(fake_pulumi) if c["args"][0] == "up"] == ["platform", "ward-131130"]
    records = list(read_records(state / "audit.jsonl"))
    applies = [r for r in records if r.command == "apply"]
    assert {r.outcome for r in applies} == {"started", "success"}
    plat = json.loads((tmp_path / "plan.json").read_text())
    for record in applies:
        assert record.actor.startswith("SHA256:") and record.sig is not None
        assert record.summary["governance"]["plan"] == plat["digest"]
        assert len(record.summary["governance"]["approvals"]) == 2
    verify = wardctl(two_wards, state, "audit", "verify", "--signers", str(gov / "signers"))
    assert verify.exit_code == 0, verify.output
    assert f"{len(records)} signed (signatures verified), 0 unsigned" in verify.output


def test_changed_tenant_after_approval_is_refused_and_nothing_touched(two_wards, tmp_path, gov, fake_pulumi):
    out, state = tmp_path / "plan.json", tmp_path / "state"
    make_plan(two_wards, state, gov, out)
    approve(two_wards, state, gov, out, "sec")
    approve(two_wards, state, gov, out, "shibuya")
    shibuya = two_wards / "131130-shibuya.yaml"
    shibuya.write_text(shibuya.read_text().replace("instances: ", "instances: 1", 1))
    result = apply(two_wards, state, gov, out)
    assert result.exit_code == 1
    assert "GOV004 input tenants changed since the plan was made" in result.output
    assert calls(fake_pulumi) == []
    assert "apply" not in [r.command for r in read_records(state / "audit.jsonl")]


def test_edited_plan_is_refused(two_wards, tmp_path, gov):
    out, state = tmp_path / "plan.json", tmp_path / "state"
    saved = make_plan(two_wards, state, gov, out)
    saved["plan"]["stacks"]["ward-131130"]["changes"]["create"].pop()
    out.write_text(json.dumps(saved))
    result = approve(two_wards, state, gov, out, "sec")
    assert result.exit_code == 1 and "GOV002 the plan was edited after it was made" in result.output


def test_expired_plan_is_refused(two_wards, tmp_path, gov):
    out, state = tmp_path / "plan.json", tmp_path / "state"
    make_plan(two_wards, state, gov, out)
    approve(two_wards, state, gov, out, "sec")
    approve(two_wards, state, gov, out, "shibuya")
    later = datetime.now(UTC) + timedelta(hours=25)
    with pytest.raises(WardcloudError) as caught:
        check_saved_plan(out, two_wards, state, gov, now=later)
    assert [p.code for p in caught.value.problems] == ["GOV003"]


def test_break_glass_with_one_signature_is_recorded_and_acked(two_wards, tmp_path, gov, fake_pulumi):
    out, state = tmp_path / "plan.json", tmp_path / "state"
    make_plan(two_wards, state, gov, out)
    approve(two_wards, state, gov, out, "sec")
    no_reason = apply(two_wards, state, gov, out, "--break-glass")
    assert no_reason.exit_code == 1 and "--reason: GOV009 break-glass needs a reason" in no_reason.output
    result = apply(two_wards, state, gov, out, "--break-glass", "--reason", "mynumber outage INC-42")
    assert result.exit_code == 0, result.output
    log = wardctl(two_wards, state, "audit", "log")
    assert "BREAK-GLASS UNREVIEWED" in log.output
    started = next(r for r in read_records(state / "audit.jsonl") if r.command == "apply" and r.outcome == "started")
    assert started.summary["governance"]["break_glass"]["reason"] == "mynumber outage INC-42"
    same = wardctl(two_wards, state, "audit", "ack", str(started.seq), "--governance", str(gov),
                   "--key", key(gov, "sec"))
    assert same.exit_code == 1 and "GOV010" in same.output  # the approver cannot review herself
    acked = wardctl(two_wards, state, "audit", "ack", str(started.seq), "--governance", str(gov),
                    "--key", key(gov, "shibuya"))
    assert acked.exit_code == 0, acked.output
    assert "BREAK-GLASS UNREVIEWED" not in wardctl(two_wards, state, "audit", "log").output


def test_forged_appended_record_fails_verify(two_wards, tmp_path, gov, fake_pulumi):
    from wardcloud.audit.log import append
    from wardcloud.audit.record import Entry

    out, state = tmp_path / "plan.json", tmp_path / "state"
    make_plan(two_wards, state, gov, out)
    approve(two_wards, state, gov, out, "sec")
    log = state / "audit.jsonl"
    assert wardctl(two_wards, state, "audit", "verify").exit_code == 0
    # a forger who can write the file appends an `apply` record with a correct seq, prev and hash
    append(log, [Entry(actor="SHA256:forged", command="apply", argv=("wardctl", "apply"), inputs={},
                       outcome="success", exit_code=0, summary={"stack": "ward-131130"})])
    result = wardctl(two_wards, state, "audit", "verify")
    assert result.exit_code == 1
    assert "AUD015 record 2: a `apply` record must be signed and this one is not" in result.output


def test_record_signed_by_a_key_outside_the_signers_fails_verify(two_wards, tmp_path, gov):
    from wardcloud.audit.authenticate import sign_entry
    from wardcloud.audit.keys import SigningKey
    from wardcloud.audit.log import append
    from wardcloud.audit.record import Entry

    state = tmp_path / "state"
    entry = Entry(actor="x", command="apply", argv=("wardctl",), inputs={}, outcome="success", exit_code=0)
    append(state / "audit.jsonl", [sign_entry(entry, SigningKey.load(Path(key(gov, "outsider"))))])
    assert wardctl(two_wards, state, "audit", "verify").exit_code == 0  # the signature itself verifies
    result = wardctl(two_wards, state, "audit", "verify", "--signers", str(gov / "signers"))
    assert result.exit_code == 1 and "is not in" in result.output


def test_keys_made_by_ssh_keygen_sign_too(two_wards, tmp_path, gov):
    ssh_keygen = subprocess.run(["which", "ssh-keygen"], capture_output=True, text=True).stdout.strip()
    if not ssh_keygen:
        pytest.skip("ssh-keygen (openssh-client) not installed")
    made = tmp_path / "keys" / "ops"
    subprocess.run([ssh_keygen, "-q", "-t", "ed25519", "-N", "", "-C", "ops", "-f", str(made)], check=True)
    public = made.with_name("ops.pub").read_text().split()
    with (gov / "signers").open("a") as handle:
        handle.write(f'ops wardcloud-roles="security" {public[0]} {public[1]}\n')
    fingerprint = subprocess.run([ssh_keygen, "-lf", str(made) + ".pub"], capture_output=True, text=True,
                                 check=True).stdout.split()[1]
    out, state = tmp_path / "plan.json", tmp_path / "state"
    make_plan(two_wards, state, gov, out)
    result = approve(two_wards, state, gov, out, "ops")
    assert result.exit_code == 2 and fingerprint in result.output


def test_bad_inputs_are_one_line_errors(two_wards, tmp_path, gov):
    out, state = tmp_path / "plan.json", tmp_path / "state"
    make_plan(two_wards, state, gov, out)
    signers = (gov / "signers").read_text()
    (gov / "signers").write_text(signers + 'x wardcloud-roles="root" ' + signers.split()[-2:][0] + " AAAA\n")
    broken = approve(two_wards, state, gov, out, "sec")
    line = len(signers.splitlines()) + 1
    assert broken.exit_code == 1 and f"signers:{line}:1: AUD014 the public key's base64 is damaged" in broken.output
    (gov / "signers").write_text(signers)
    not_a_key = tmp_path / "not-a-key"
    not_a_key.write_text("hello")
    result = wardctl(two_wards, state, "approve", str(out), "--governance", str(gov), "--key", str(not_a_key))
    assert result.exit_code == 1 and "AUD013 not an OpenSSH private key" in result.output
    assert "Traceback" not in result.output
    (gov / "rules.yaml").write_text("signers: 0\n")
    rules = apply(two_wards, state, gov, out)
    assert rules.exit_code == 1 and "GOV008 signers must be a whole number, 1 or more" in rules.output
    no_key = wardctl(two_wards, state, "apply", str(out), "--governance", str(gov))
    assert no_key.exit_code == 1 and "--key KEY is required" in no_key.output


def test_an_applier_outside_the_signers_is_refused(two_wards, tmp_path, gov, fake_pulumi):
    out, state = tmp_path / "plan.json", tmp_path / "state"
    make_plan(two_wards, state, gov, out)
    approve(two_wards, state, gov, out, "sec")
    approve(two_wards, state, gov, out, "shibuya")
    result = wardctl(two_wards, state, "apply", str(out), "--yes", "--governance", str(gov),
                     "--key", key(gov, "outsider"))
    assert result.exit_code == 1 and "GOV007" in result.output and calls(fake_pulumi) == []


def test_a_file_that_is_not_a_saved_plan_is_gov001(two_wards, tmp_path, gov):
    state, bogus = tmp_path / "state", tmp_path / "plan.json"
    bogus.write_text('{"format": "something else"}')
    result = approve(two_wards, state, gov, bogus, "sec")
    assert result.exit_code == 1 and f"{bogus}: GOV001" in result.output and "Traceback" not in result.output


def test_a_plan_made_by_another_wardcloud_version_is_gov005(two_wards, tmp_path, gov, fake_pulumi, monkeypatch):
    out, state = tmp_path / "plan.json", tmp_path / "state"
    make_plan(two_wards, state, gov, out)
    approve(two_wards, state, gov, out, "sec")
    approve(two_wards, state, gov, out, "shibuya")
    monkeypatch.setattr("wardcloud.governance.plans.tool_version", lambda: "0.0.0+other")
    result = apply(two_wards, state, gov, out)
    assert result.exit_code == 1 and "GOV005 made by wardcloud" in result.output and "plan again" in result.output
    assert calls(fake_pulumi) == []


def test_a_waiver_approved_by_a_non_security_signer_is_gov011(two_wards, tmp_path, gov):
    result = wardctl(two_wards, tmp_path / "state", "approve", "--waiver", "131130:NET-003", "--governance", str(gov),
                     "--key", key(gov, "shibuya"))
    assert result.exit_code == 1 and "131130:NET-003: GOV011" in result.output
    malformed = wardctl(two_wards, tmp_path / "state", "approve", "--waiver", "shibuya", "--governance", str(gov),
                        "--key", key(gov, "sec"))
    assert malformed.exit_code == 1 and "GOV011 expected CODE6:POLICY" in malformed.output
