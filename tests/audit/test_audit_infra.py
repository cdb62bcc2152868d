"""`apply` and `destroy` write a started and an ended record per stack (FAKE pulumi of the infra tests)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.audit.logfile import log_lines
from tests.infra.conftest import approve_plan, two_wards  # noqa: F401 - fixtures
from tests.infra.test_infra_apply_cli import fake_pulumi, no_cloud_env, set_left  # noqa: F401 - fixtures
from tests.infra.test_infra_apply_cli import wardctl as infra_wardctl


def records(state: Path) -> list[dict]:
    """The records of stack operations (the approvals before them are governance's)."""
    every = [json.loads(line) for line in log_lines(state)] if (state / "audit.jsonl").exists() else []
    return [r for r in every if r["command"] in ("apply", "destroy")]


def runs(state: Path) -> list[tuple[str, str, str]]:
    return [(r["command"], r["summary"]["stack"], r["outcome"]) for r in records(state)]


def test_apply_records_start_and_end_per_stack_and_the_chain_verifies(
        fake_pulumi: Path, two_wards: Path, state: Path, wardctl) -> None:  # noqa: F811
    result = infra_wardctl(two_wards, state, "--actor", "ops-lead", "apply", *approve_plan(two_wards, state),
                           "--yes")

    written = records(state)
    starts, ends = written[:3], written[3:]
    assert result.exit_code == 0, result.output
    assert [(r["summary"]["stack"], r["outcome"]) for r in starts] == [
        ("platform", "started"), ("ward-131016", "started"), ("ward-131130", "started")]
    assert sorted((r["summary"]["stack"], r["outcome"], r["exit_code"]) for r in ends) == [
        ("platform", "success", 0), ("ward-131016", "success", 0), ("ward-131130", "success", 0)]
    shibuya = next(r for r in ends if r["summary"]["stack"] == "ward-131130")
    # the actor is the applier's key, not what --actor claims
    assert shibuya["wards"] == ["131130"] and shibuya["actor"].startswith("SHA256:") and shibuya["sig"]
    assert shibuya["summary"]["create"] > 0 and shibuya["summary"]["delete"] == 0
    assert shibuya["inputs"]["tenants"]["files"] == 2
    assert wardctl("audit", "verify").exit_code == 0


def test_a_failed_platform_stack_ends_every_started_ward_as_failed(
        fake_pulumi: Path, two_wards: Path, state: Path) -> None:  # noqa: F811
    (fake_pulumi.parent / "exports" / "platform.json").unlink()  # `stack export` fails after `up`

    result = infra_wardctl(two_wards, state, "apply", *approve_plan(two_wards, state), "--yes")

    ends = [r for r in records(state) if r["outcome"] != "started"]
    assert result.exit_code == 1
    assert sorted((r["summary"]["stack"], r["outcome"]) for r in ends) == [
        ("platform", "failure"), ("ward-131016", "failure"), ("ward-131130", "failure")]
    assert {r["summary"]["error"] for r in ends if r["summary"]["stack"] != "platform"} == {"not run"}


def test_declined_or_blocked_apply_writes_nothing(fake_pulumi: Path, two_wards: Path, state: Path) -> None:  # noqa: F811
    result = infra_wardctl(two_wards, state, "apply", *approve_plan(two_wards, state), input="n\n")
    assert result.exit_code == 1 and records(state) == []


def test_destroy_records_start_and_end_with_what_it_deletes_and_retains(
        fake_pulumi: Path, two_wards: Path, state: Path, wardctl) -> None:  # noqa: F811
    assert infra_wardctl(two_wards, state, "apply", *approve_plan(two_wards, state, "--ward", "131130"),
                         "--yes").exit_code == 0
    set_left(two_wards, "2024-03-31")

    result = infra_wardctl(two_wards, state, "destroy", "--ward", "131130", "--yes")

    assert result.exit_code == 0, result.output
    shibuya = [run for run in runs(state) if run[1] == "ward-131130"]
    assert shibuya == [("apply", "ward-131130", "started"), ("apply", "ward-131130", "success"),
                       ("destroy", "ward-131130", "started"), ("destroy", "ward-131130", "success")]
    assert runs(state)[-2:] == shibuya[-2:]
    destroyed = records(state)[-1]["summary"]
    assert destroyed["delete"] > 0 and destroyed["retained"] == 1 and destroyed["create"] == 0
    shown = json.loads(wardctl("audit", "log", "--ward", "131130", "--format", "json").stdout)
    assert len([r for r in shown["records"] if r["command"] != "approve"]) == 4
    assert wardctl("audit", "verify").exit_code == 0


def test_destroy_dry_run_writes_nothing(two_wards: Path, state: Path) -> None:  # noqa: F811
    set_left(two_wards, "2024-03-31")
    assert infra_wardctl(two_wards, state, "destroy", "--ward", "131130", "--dry-run").exit_code == 2
    assert records(state) == []


def test_apply_records_the_waivers_its_wards_used(
        fake_pulumi: Path, two_wards: Path, state: Path) -> None:  # noqa: F811
    shibuya = two_wards / "131130-shibuya.yaml"
    document = yaml.safe_load(shibuya.read_text(encoding="utf-8"))
    internet = document["security_groups"][2]["ingress"]
    internet.append({"protocol": "tcp", "ports": 8080, "source": "0.0.0.0/0"})  # NET-010, waived below
    document["waivers"] = [{"policy": "NET-010", "justification": "legacy kiosk endpoint until migration",
                            "approver": "CISO Tanaka", "expires": "2099-12-31"}]
    shibuya.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")

    signed = approve_plan(two_wards, state, waivers=("131130:NET-010",))
    result = infra_wardctl(two_wards, state, "apply", *signed, "--yes")

    by_stack = {(r["summary"]["stack"], r["outcome"]): r["summary"] for r in records(state)}
    assert result.exit_code == 0, result.output
    for outcome in ("started", "success"):
        used = by_stack[("ward-131130", outcome)]["waivers_used"]
        assert {(w["policy"], w["approver"], w["expires"]) for w in used} == {
            ("NET-010", "CISO Tanaka", "2099-12-31")}
        assert "waivers_used" not in by_stack[("ward-131016", outcome)]
