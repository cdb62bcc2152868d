"""Commands write their records: a sequence of real commands leaves a chain `audit verify` accepts."""

from __future__ import annotations

import json
from pathlib import Path

from tests.audit.logfile import ALLOCATE, EXAMPLES, WARDS, log_lines, write_lines
from wardcloud.core.files import file_sha256


def test_cost_allocate_records_per_ward_totals_and_the_chain_verifies(state: Path, wardctl) -> None:
    allocation = wardctl("--actor", "finance-lead", *ALLOCATE)
    validated = wardctl("--tenants", str(WARDS), "validate")  # validate does not write
    failed = wardctl("--actor", "finance-lead", *ALLOCATE[:-4], "--period", "1999-01")
    verified = wardctl("audit", "verify")

    statement = json.loads(allocation.stdout)
    records = [json.loads(line) for line in log_lines(state)]
    success, failure = records
    assert allocation.exit_code == 0 and validated.exit_code == 0 and failed.exit_code == 1
    assert verified.exit_code == 0 and "audit log intact: 2 records" in verified.stdout
    assert success["actor"] == "finance-lead" and success["command"] == "cost allocate"
    assert (success["outcome"], success["exit_code"]) == ("success", 0)
    assert success["summary"]["totals"] == {w["code"]: w["total"] for w in statement["wards"]}
    assert success["summary"]["total"] == statement["total"] == sum(success["summary"]["totals"].values())
    assert success["inputs"]["bill"]["sha256"] == file_sha256(EXAMPLES / "bill-2023-07.csv")
    assert success["inputs"]["tenants"]["files"] == 23 and len(success["wards"]) == 23
    assert success["argv"][:3] == ["wardctl", "--tenants", str(WARDS)] and "--period" in success["argv"]
    assert (failure["outcome"], failure["exit_code"], failure["prev"]) == ("failure", 1, success["hash"])
    assert "1999-01" in failure["argv"]


def test_allocation_totals_cannot_be_edited_unnoticed(state: Path, wardctl) -> None:
    wardctl("--actor", "finance-lead", *ALLOCATE)
    wardctl("--actor", "finance-lead", *ALLOCATE)
    lines = log_lines(state)
    ward, total = next(iter(json.loads(lines[0])["summary"]["totals"].items()))
    lines[0] = lines[0].replace(f'"{ward}":{total}'.encode(), f'"{ward}":{total - 1}'.encode(), 1)
    write_lines(state, lines)

    result = wardctl("audit", "verify")

    assert result.exit_code == 1 and ":1: AUD002 record 1 was edited" in result.stderr


def test_actor_comes_from_the_environment_without_the_option(state: Path, wardctl, monkeypatch) -> None:
    monkeypatch.setenv("WARDCTL_ACTOR", "ci-bot")
    wardctl(*ALLOCATE)

    shown = json.loads(wardctl("audit", "log", "--ward", "131130", "--format", "json").stdout)

    assert [r["actor"] for r in shown["records"]] == ["ci-bot"]


def _stack_command():
    """A click command shaped like `apply` per stack, to exercise `audited(start=True)` end to end."""
    import click

    from wardcloud.cli.audited import audited

    @click.command("apply")
    @click.option("--stack", required=True)
    @click.option("--fail", is_flag=True)
    def apply(stack: str, fail: bool) -> None:
        with audited("apply", {}, start=True, summary={"stack": stack}, wards=[stack[-6:]]) as note:
            if fail:
                raise click.ClickException("pulumi up failed")
            note.summary["changes"] = {"create": 3}
    return apply


def test_audited_start_writes_started_then_outcome_records(state: Path) -> None:
    from click.testing import CliRunner

    from wardcloud.cli.context import Settings

    settings = Settings(tenants_dir=WARDS, state_dir=state, actor="ops")
    ok = CliRunner().invoke(_stack_command(), ["--stack", "ward-131016"], obj=settings)
    failed = CliRunner().invoke(_stack_command(), ["--stack", "ward-131130", "--fail"], obj=settings)

    records = [json.loads(line) for line in log_lines(state)]
    assert ok.exit_code == 0 and failed.exit_code == 1
    assert [(r["outcome"], r["exit_code"], r["wards"]) for r in records] == [
        ("started", None, ["131016"]), ("success", 0, ["131016"]),
        ("started", None, ["131130"]), ("failure", 1, ["131130"])]
    assert records[1]["summary"] == {"stack": "ward-131016", "changes": {"create": 3}}
    assert records[3]["summary"]["error"] == "pulumi up failed"
    assert records[0]["argv"][1:] == ["--stack", "ward-131016"]


def test_a_failed_command_with_a_torn_log_reports_both_problems(state: Path, wardctl) -> None:
    wardctl(*ALLOCATE)
    with (state / "audit.jsonl").open("ab") as log:
        log.write(b'{"v":1')

    result = wardctl(*ALLOCATE[:-4], "--period", "1999-01")

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "AUD005" in result.stderr and "COST" in result.stderr.upper()
    assert len(log_lines(state)) == 2  # nothing appended to the torn log
