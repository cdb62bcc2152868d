"""SARIF output: a golden file, valid against the SARIF 2.1.0 JSON schema shipped beside this test."""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import date
from pathlib import Path

from jsonschema import Draft4Validator

from wardcloud.infra.graph import Graph, Resource
from wardcloud.policies.config import PolicyConfig
from wardcloud.policies.engine import PolicyReport, evaluate
from wardcloud.policies.registry import catalogue
from wardcloud.policies.report import sarif
from wardcloud.tenants.model import AuditPolicy, SecurityGroup, SecurityRule, Tenant, Waiver

HERE = Path(__file__).parent
SCHEMA = HERE / "schemas" / "sarif-schema-2.1.0.json"
GOLDEN = HERE / "golden" / "check.sarif"


def _report(chiyoda: Tenant) -> PolicyReport:
    """Chiyoda with an admin port open to the world (waived), no central audit log, a routed mynumber."""
    ward = dataclasses.replace(
        chiyoda,
        source_file="tenants/wards/131016-chiyoda.yaml",
        security_groups=(
            *chiyoda.security_groups,
            SecurityGroup("kiosk", "internet", (SecurityRule("tcp", "0.0.0.0/0", 8443, 8443),)),
        ),
        audit=AuditPolicy(7, ship_to_central=False),
        waivers=(
            Waiver(
                "NET-010", "kiosk vendor endpoint until the 2027 migration", "CISO Tanaka", date(2026, 12, 31)
            ),
        ),
    )
    router = Resource(
        "urn:pulumi:ward-131016::wardcloud::openstack:networking/router:Router::131016-mynumber-router",
        "openstack:networking/router:Router",
        "131016-mynumber-router",
        inputs={"tags": ["ward:131016", "segment:mynumber"]},
    )
    return evaluate(
        (ward,), {"ward-131016": Graph("ward-131016", (router,))}, PolicyConfig(), date(2026, 11, 29)
    )


def test_golden_sarif_matches_and_is_valid_sarif_2_1_0(chiyoda: Tenant) -> None:
    produced = sarif.render(_report(chiyoda))
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(produced, encoding="utf-8")
    assert produced == GOLDEN.read_text(encoding="utf-8"), (
        "regenerate with UPDATE_GOLDEN=1 and review the diff"
    )
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    errors = sorted(Draft4Validator(schema).iter_errors(json.loads(produced)), key=str)
    assert errors == []


def test_sarif_has_every_rule_with_help_and_results_at_the_tenant_line(chiyoda: Tenant) -> None:
    log = json.loads(sarif.render(_report(chiyoda)))
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [r.id for r in catalogue()]
    assert all(
        r["help"]["text"] and r["properties"]["security-severity"] for r in run["tool"]["driver"]["rules"]
    )
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert set(by_rule) == {"NET-001", "NET-010", "AUD-006"}
    kiosk = by_rule["NET-010"]
    assert (
        kiosk["suppressions"][0]["status"] == "accepted"
        and "CISO Tanaka" in kiosk["suppressions"][0]["justification"]
    )
    region = kiosk["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == chiyoda.location("security_groups")[0]  # the group added has no own line
    assert by_rule["AUD-006"]["level"] == "warning" and by_rule["NET-001"]["level"] == "error"
    assert run["tool"]["driver"]["rules"][by_rule["NET-001"]["ruleIndex"]]["id"] == "NET-001"


def test_a_broken_sarif_fails_the_schema() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert list(Draft4Validator(schema).iter_errors({"version": "2.1.0", "runs": [{"results": []}]}))
