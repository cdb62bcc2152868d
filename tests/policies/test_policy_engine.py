"""The library entry points other parts call: evaluate, evaluate_graph, waivers, the report shapes."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from test_policy_rules import RESOURCE_CASES

from wardcloud.infra.graph import Graph
from wardcloud.policies.config import PolicyConfig
from wardcloud.policies.engine import evaluate, evaluate_graph
from wardcloud.policies.errors import PolicyError
from wardcloud.tenants.model import Tenant, Waiver

TODAY = date(2026, 11, 29)
CONFIG = PolicyConfig()


def _graph(*names: str) -> Graph:
    return Graph("ward-131016", tuple(RESOURCE_CASES[n][1] for n in names))


def _with_waivers(tenant: Tenant, *waivers: Waiver) -> Tenant:
    return dataclasses.replace(tenant, waivers=waivers)


def test_bundled_graph_passes_every_mandatory_rule(
    bundled: tuple[Tenant, ...], rendered: dict[str, Graph]
) -> None:
    report = evaluate(bundled, rendered, CONFIG, TODAY)
    assert report.passed and report.violations == ()
    assert report.resources == sum(len(g.resources) for g in rendered.values())
    assert len(report.wards) == 23


def test_evaluate_graph_checks_one_live_graph_without_tenants() -> None:
    report = evaluate_graph(_graph("NET-001", "ISO-001"), CONFIG, TODAY)
    assert {v.policy for v in report.violations} >= {"NET-001", "ISO-001"}
    assert not report.passed


def test_active_waiver_scoped_to_a_resource_waives_only_that_resource(chiyoda: Tenant) -> None:
    _, volume = RESOURCE_CASES["NET-006"]
    other = dataclasses.replace(volume, name="131016-mynumber-other", urn=volume.urn + "-other")
    ward = _with_waivers(
        chiyoda,
        Waiver("NET-006", "legacy volume until migration", "CISO", date(2026, 12, 31), resource=volume.name),
    )
    report = evaluate((ward,), {"ward-131016": Graph("ward-131016", (volume, other))}, CONFIG, TODAY)
    waived = {v.resource: v.waived for v in report.violations if v.policy == "NET-006"}
    assert waived == {volume.name: True, other.name: False}
    assert not report.passed


def test_waiver_expiring_today_still_applies_and_tomorrow_does_not(chiyoda: Tenant) -> None:
    ward = _with_waivers(chiyoda, Waiver("NET-006", "legacy volume until migration", "CISO", TODAY))
    graph = {"ward-131016": _graph("NET-006")}
    assert evaluate((ward,), graph, CONFIG, TODAY).passed
    later = evaluate((ward,), graph, CONFIG, date(2026, 11, 30))
    assert not later.passed and [n.status for n in later.waiver_notes] == ["expired"]


def test_unwaivable_rule_ignores_its_waiver_and_says_so(chiyoda: Tenant) -> None:
    ward = _with_waivers(
        chiyoda, Waiver("NET-001", "we really want a router here", "CISO", date(2026, 12, 31))
    )
    report = evaluate((ward,), {"ward-131016": _graph("NET-001")}, CONFIG, TODAY)
    [violation] = [v for v in report.violations if v.policy == "NET-001"]
    assert not violation.waived and violation.waiver is not None and violation.waiver.status == "not-waivable"
    assert [n.status for n in report.waiver_notes] == ["not-waivable"]
    assert not report.passed


def test_unknown_policy_in_a_waiver_is_an_error_naming_the_line(chiyoda: Tenant) -> None:
    ward = _with_waivers(chiyoda, Waiver("XYZ-001", "no such rule at all", "CISO", date(2026, 12, 31)))
    with pytest.raises(PolicyError) as caught:
        evaluate((ward,), {}, CONFIG, TODAY)
    assert "XYZ-001" in str(caught.value)


def test_disabled_rule_is_not_evaluated() -> None:
    config = PolicyConfig(enforcement={"NET-001": "disabled"})
    report = evaluate((), {"ward-131016": _graph("NET-001")}, config, TODAY)
    assert "NET-001" not in {v.policy for v in report.violations}


def test_json_shape_is_stable(chiyoda: Tenant) -> None:
    report = evaluate((chiyoda,), {"ward-131016": _graph("NET-001")}, CONFIG, TODAY)
    payload = report.to_json()
    assert set(payload) == {"violations", "summary", "waiver_notes", "unreviewed_break_glass"}
    assert payload["unreviewed_break_glass"] == [] and payload["summary"]["unreviewed_break_glass"] == 0
    assert set(payload["violations"][0]) == {
        "policy",
        "severity",
        "enforcement",
        "ward",
        "resource",
        "message",
        "remediation",
        "file",
        "line",
        "path",
        "waived",
        "waiver",
    }
    assert payload["summary"]["mandatory"] == 1 and payload["summary"]["by_severity"] == {"critical": 1}
