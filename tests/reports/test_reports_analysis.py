"""Share-vs-population explanations, month-over-month drivers and policy status, as specifications."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from wardcloud.cost_allocation.model import Statement
from wardcloud.reports.compare import compare
from wardcloud.reports.model import ReportError, WardInfo
from wardcloud.reports.shares import explain_shares, main_reasons
from wardcloud.reports.status import policy_status


def test_share_drivers_add_up_exactly_to_the_difference_from_population_share(
    allocation_json: dict[str, Any], wards: dict[str, WardInfo]
) -> None:
    allocation = Statement.from_json(allocation_json)
    explanations = {e.code: e for e in explain_shares(allocation, wards)}
    assert len(explanations) == 23
    for e in explanations.values():
        assert sum(d.yen for d in e.drivers) == e.difference
    assert sum(e.share for e in explanations.values()) == 1
    assert sum(e.population_share for e in explanations.values()) == 1
    setagaya = explanations["131121"]
    assert setagaya.difference > 0
    assert main_reasons(setagaya)[0].key == "usage"  # pays more because of its own direct usage
    chiyoda = explanations["131016"]  # the smallest population pays the equal-split pool and a buy-in
    assert chiyoda.difference > 0
    assert {d.key for d in main_reasons(chiyoda)} >= {"buy_in", "pool:bousai-equal"}
    assert chiyoda.population_share == Fraction(wards["131016"].population, sum(w.population for w in wards.values()))


def test_cap_lines_are_reported_as_cap_adjustment(allocation_json: dict[str, Any], wards: dict[str, WardInfo]) -> None:
    setagaya = next(w for w in allocation_json["wards"] if w["code"] == "131121")
    line = next(x for x in setagaya["lines"] if x.get("pool") == "platform-population")
    line.update({"capped": True, "share_before_cap": 0.1, "share": 0.09, "cap_adjustment": -0.01})
    explanation = next(e for e in explain_shares(Statement.from_json(allocation_json), wards) if e.code == "131121")
    assert explanation.cap_adjustment == -480_000  # 1 % of the 48,000,000 pool


def test_month_over_month_drivers_add_up_to_each_wards_change(
    allocation_json: dict[str, Any], previous_json: dict[str, Any]
) -> None:
    comparison = compare(Statement.from_json(allocation_json), Statement.from_json(previous_json))
    assert comparison.change == allocation_json["total"] - previous_json["total"]
    assert sum(c.change for c in comparison.wards) == comparison.change
    for change in comparison.wards:
        assert sum(d.change for d in change.drivers) == change.change
    chiyoda = next(c for c in comparison.wards if c.code == "131016")
    assert chiyoda.previous == 0 and "joined" in chiyoda.note and chiyoda.percent is None
    setagaya = next(c for c in comparison.wards if c.code == "131121")
    assert next(d for d in setagaya.drivers if d.key == "usage").change == 1_450_000


def test_policy_status_violation_beats_advisory_beats_waived_beats_pass(policy_json: dict[str, Any]) -> None:
    policy_json["violations"].append({**policy_json["violations"][1], "ward": "131032"})  # advisory too
    status = policy_status(policy_json, ["131032", "131041", "131121", "131016"])
    assert {c: s.status for c, s in status.items()} == {
        "131032": "violation",
        "131041": "advisory",
        "131121": "waived",
        "131016": "pass",
        "platform": "pass",
    }
    assert status["131032"].count("violation") == 1 and status["131032"].count("advisory") == 1


def test_findings_of_the_platform_stack_have_a_status_of_their_own(policy_json: dict[str, Any]) -> None:
    policy_json["violations"].append({**policy_json["violations"][0], "ward": None, "policy": "PLT-001"})
    status = policy_status(policy_json, ["131032", "131016"])
    assert status["platform"].status == "violation"
    assert [f.policy for f in status["platform"].findings] == ["PLT-001"]
    assert [f.policy for f in status["131032"].findings] == ["NET-001"]  # not counted against a ward


def test_disabled_findings_do_not_count(policy_json: dict[str, Any]) -> None:
    policy_json["violations"][0]["enforcement"] = "disabled"
    assert policy_status(policy_json, ["131032"])["131032"].status == "pass"


def test_malformed_policy_json_names_the_entry() -> None:
    with pytest.raises(ReportError) as error:
        policy_status({"violations": [{"policy": "X"}]}, ["131016"], "policy.json")
    assert "policy.json" in str(error.value) and "violations[0]" in str(error.value)


def test_population_share_counts_only_the_days_a_ward_was_a_member(
    allocation_json: dict[str, Any], wards: dict[str, WardInfo]
) -> None:
    chiyoda = next(w for w in allocation_json["wards"] if w["code"] == "131016")
    for line in chiyoda["lines"]:
        if line["kind"] == "shared":
            line["participation"] = {"days": 0, "of": 31, "fraction": 0.0}
    explanations = {e.code: e for e in explain_shares(Statement.from_json(allocation_json), wards)}
    assert explanations["131016"].participation == 0
    assert explanations["131016"].population_share == 0
    others = sum(w.population for code, w in wards.items() if code != "131016")
    assert explanations["131121"].population_share == Fraction(wards["131121"].population, others)
    assert sum(e.population_share for e in explanations.values()) == 1
