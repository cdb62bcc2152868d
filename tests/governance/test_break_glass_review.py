"""A break-glass apply stays in sight — `policy check` (every format) and `wardctl report` — until a second
signer runs `wardctl audit ack`; an ack that does not count (the applier's own, an outsider's) clears nothing."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import Result

from tests.governance.conftest import key, wardctl
from tests.governance.test_governance_cli import apply, approve, make_plan
from tests.reports.conftest import make_allocation
from wardcloud.audit.keys import SigningKey
from wardcloud.audit.log import read_records
from wardcloud.audit.record import Record
from wardcloud.audit.recorder import AuditContext

REASON = "mynumber outage INC-42"


def fingerprint(gov: Path, who: str) -> str:
    return SigningKey.load(Path(key(gov, who))).fingerprint


def break_glass_apply(two_wards: Path, tmp_path: Path, gov: Path) -> tuple[Path, Record]:
    """Plan Shibuya, one approval (security), apply with --break-glass; the first `started` record."""
    out, state = tmp_path / "plan.json", tmp_path / "state"
    make_plan(two_wards, state, gov, out)
    assert approve(two_wards, state, gov, out, "sec").exit_code == 2
    result = apply(two_wards, state, gov, out, "--break-glass", "--reason", REASON)
    assert result.exit_code == 0, result.output
    started = [r for r in read_records(state / "audit.jsonl") if r.command == "apply" and r.outcome == "started"]
    assert [r.summary["stack"] for r in started] == ["platform", "ward-131130"]
    return state, started[0]


def policy_check(two_wards: Path, state: Path, gov: Path, *extra: str):
    return wardctl(two_wards, state, "policy", "check", "--spec-only", "--governance", str(gov), *extra)


def run_report(two_wards: Path, state: Path, tmp_path: Path, *extra: str) -> tuple[Result, Path]:
    """`wardctl report` for October 2026 on a saved allocation; the result and the HTML file."""
    allocation = tmp_path / "allocation.json"
    allocation.write_text(json.dumps(make_allocation("2026-10", 48_000_000, 6_900_001, {"131130": 120_000})))
    out = tmp_path / "report.html"
    args = ["report", "--period", "2026-10", "--allocation", str(allocation), "--out", str(out), *extra]
    return wardctl(two_wards, state, *args), out


def report(two_wards: Path, state: Path, tmp_path: Path) -> tuple[dict, str]:
    result, out = run_report(two_wards, state, tmp_path, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), out.read_text(encoding="utf-8")


def test_unreviewed_break_glass_fails_policy_check_and_shows_in_the_report_until_acked(
    two_wards, tmp_path, gov, fake_pulumi, monkeypatch
):
    monkeypatch.setenv("WARDCTL_GOVERNANCE", str(gov))  # `report` judges acks against these signers too
    assert policy_check(two_wards, tmp_path / "state", gov).exit_code == 0  # no log yet: nothing unreviewed
    state, started = break_glass_apply(two_wards, tmp_path, gov)
    applier, approver = fingerprint(gov, "plat"), fingerprint(gov, "sec")

    text = policy_check(two_wards, state, gov)
    assert text.exit_code == 1, text.output
    assert (
        f"BREAK-GLASS UNREVIEWED record {started.seq} ({started.hash[:16]}…) {started.time}: "
        f"platform, ward-131130 applied by {applier}, approved by {approver}, because: {REASON}"
    ) in text.output
    assert f"at {state / 'audit.jsonl'}:{started.seq}" in text.output
    assert f"`wardctl audit ack {started.seq} --key KEY`" in text.output
    assert "1 unreviewed break-glass apply(s) — FAILED" in text.output

    as_json = policy_check(two_wards, state, gov, "--format", "json")
    assert as_json.exit_code == 1
    payload = json.loads(as_json.stdout)
    assert payload["summary"]["passed"] is False and payload["summary"]["unreviewed_break_glass"] == 1
    assert payload["summary"]["mandatory"] == 0  # not a violation of any rule: a review owed
    [entry] = payload["unreviewed_break_glass"]
    assert entry["seq"] == started.seq and entry["hash"] == started.hash and entry["reason"] == REASON
    assert entry["stacks"] == ["platform", "ward-131130"] and entry["wards"] == ["131130"]
    assert entry["applied_by"] == [applier] and entry["approved_by"] == [approver]
    assert entry["reviewed"] is False and entry["ack"] is None

    sarif = json.loads(policy_check(two_wards, state, gov, "--format", "sarif").stdout)
    run = sarif["runs"][0]
    [result] = [r for r in run["results"] if r["ruleId"] == "BREAK-GLASS"]
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "BREAK-GLASS"
    assert result["level"] == "error" and result["properties"]["hash"] == started.hash
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == started.seq
    assert REASON in result["message"]["text"]

    junit = ET.fromstring(policy_check(two_wards, state, gov, "--format", "junit").stdout)
    [case] = [c for c in junit.iter("testcase") if c.get("classname") == "governance.BREAK-GLASS"]
    failure = case.find("failure")
    assert failure is not None and REASON in (failure.text or "") and started.hash in (failure.text or "")
    assert int(junit.get("failures") or 0) >= 1

    summary, html = report(two_wards, state, tmp_path)
    assert summary["unreviewed_break_glass"] == [started.seq]
    assert f'<tr data-seq="{started.seq}" data-hash="{started.hash}">' in html
    assert REASON in html and 'id="break-glass-count">1<' in html

    acked = wardctl(
        two_wards, state, "audit", "ack", str(started.seq), "--governance", str(gov), "--key", key(gov, "shibuya")
    )
    assert acked.exit_code == 0, acked.output

    cleared = policy_check(two_wards, state, gov)
    assert cleared.exit_code == 0, cleared.output
    assert "BREAK-GLASS" not in cleared.output
    payload = json.loads(policy_check(two_wards, state, gov, "--format", "json").stdout)
    assert payload["unreviewed_break_glass"] == [] and payload["summary"]["passed"] is True
    sarif = json.loads(policy_check(two_wards, state, gov, "--format", "sarif").stdout)
    assert not [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "BREAK-GLASS"]
    summary, html = report(two_wards, state, tmp_path)
    assert summary["unreviewed_break_glass"] == [] and 'id="break-glass"' not in html


@pytest.mark.parametrize("who", ["plat", "outsider"])
def test_an_ack_by_the_applier_or_an_unlisted_key_clears_nothing(two_wards, tmp_path, gov, fake_pulumi, who):
    """Whoever can write the log and holds a key may append a signed ack without `wardctl audit ack`'s
    checks: `policy check` still counts only a listed second person's."""
    state, started = break_glass_apply(two_wards, tmp_path, gov)
    forger = AuditContext(state, None, ("forged",), key=SigningKey.load(Path(key(gov, who))))
    forger.record(
        "audit ack",
        {},
        "success",
        0,
        {"ack": started.seq, "plan": started.summary["governance"]["plan"], "reviewer": who},
        started.wards,
    )
    result = policy_check(two_wards, state, gov)
    assert result.exit_code == 1
    assert f"BREAK-GLASS UNREVIEWED record {started.seq}" in result.output


def test_a_saved_policy_result_carries_the_break_glass_into_the_report(two_wards, tmp_path, gov, fake_pulumi):
    state, started = break_glass_apply(two_wards, tmp_path, gov)
    saved = tmp_path / "policy.json"
    result = policy_check(two_wards, state, gov, "--format", "json", "--out", str(saved))
    assert result.exit_code == 1 and "1 unreviewed break-glass apply(s) — FAILED" in result.output
    shown, out = run_report(two_wards, state, tmp_path, "--policy", str(saved))
    assert shown.exit_code == 0, shown.output
    assert f"BREAK-GLASS UNREVIEWED record {started.seq}: platform, ward-131130 ({REASON})" in shown.output
    assert f'data-seq="{started.seq}"' in out.read_text(encoding="utf-8")

    document = json.loads(saved.read_text())
    document["unreviewed_break_glass"] = [{"seq": "seven"}]
    saved.write_text(json.dumps(document))
    bad, _ = run_report(two_wards, state, tmp_path, "--policy", str(saved))
    assert bad.exit_code == 1
    assert "R030 a break-glass entry must be an object with 'seq' (a number) and 'hash'" in bad.output


def test_policy_check_that_cannot_read_the_log_fails_instead_of_saying_nothing_is_unreviewed(two_wards, tmp_path, gov):
    state = tmp_path / "state"
    (state / "audit.jsonl").mkdir(parents=True)  # not a file: the log cannot be read
    result = policy_check(two_wards, state, gov)
    assert result.exit_code == 1
    assert "AUD009" in result.output and "Traceback" not in result.output
