"""`wardctl guardrails render` and the catalogue's layers, through the CLI on real files."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from wardcloud.cli.main import cli
from wardcloud.policies.guardrails import GUARDRAILS, NAMED_CHECKS, SERVICES, prevented_rules
from wardcloud.policies.registry import catalogue

SYSTEM_PYTHON = Path("/usr/bin/python3")


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def test_render_writes_one_policy_file_per_service_with_every_guardrail(tmp_path: Path) -> None:
    result = run("guardrails", "render", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    for service in SERVICES:
        text = (tmp_path / f"{service}.yaml").read_text(encoding="utf-8")
        rules = yaml.safe_load(text)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in rules.items())
        for guardrail in (g for g in GUARDRAILS if g.service == service):
            assert rules[guardrail.action] == guardrail.check
            # the comment right above the rule names the catalogue rule IDs it enforces
            line = f"{json.dumps(guardrail.action)}: {json.dumps(guardrail.check)}"
            comment = text.split(line)[0].rstrip("\n").splitlines()[-1]
            assert comment.startswith(f"# {', '.join(guardrail.rule_ids)}:")
        for named in (n for n in NAMED_CHECKS if n.service == service):
            assert rules[named.name] == named.check
    neutron = sum(g.service == "neutron" for g in GUARDRAILS)
    assert result.output.splitlines()[1].split()[:2] == ["neutron", str(neutron)]


def test_forbidden_operations_are_admin_only_and_ward_roles_keep_their_own_servers(tmp_path: Path) -> None:
    run("guardrails", "render", "--out", str(tmp_path))
    neutron = yaml.safe_load((tmp_path / "neutron.yaml").read_text(encoding="utf-8"))
    for action in ("create_router", "update_router", "add_router_interface", "create_rbac_policy", "create_subnet"):
        assert neutron[action] == "rule:wardcloud_platform_admin"
    assert "role:ward-mynumber-operator and rule:wardcloud_mynumber_network" in neutron["wardcloud_ward_port"]
    assert "role:ward-admin and not rule:wardcloud_mynumber_network" in neutron["wardcloud_ward_port"]
    nova = yaml.safe_load((tmp_path / "nova.yaml").read_text(encoding="utf-8"))
    assert nova["os_compute_api:servers:create"] == "rule:wardcloud_platform_admin or rule:wardcloud_ward_member"
    assert "project_id:%(project_id)s" in nova["wardcloud_ward_member"]


def test_render_json_and_per_service_layout(tmp_path: Path) -> None:
    result = run("guardrails", "render", "--out", str(tmp_path), "--layout", "per-service", "--format", "json")
    assert result.exit_code == 0
    files = json.loads(result.output)["files"]
    assert [f["service"] for f in files] == list(SERVICES)
    for f in files:
        assert Path(f["path"]) == tmp_path / f["service"] / "policy.yaml" and Path(f["path"]).is_file()
        assert f["guardrails"] == sum(g.service == f["service"] for g in GUARDRAILS)


def test_render_into_a_file_is_a_one_line_error_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.write_text("x", encoding="utf-8")
    result = run("guardrails", "render", "--out", str(target))
    assert result.exit_code == 1
    assert re.fullmatch(rf"{re.escape(str(target))}: POL021 .*\n", result.output)
    assert target.read_text(encoding="utf-8") == "x"


def test_every_guardrail_enforces_catalogue_rules_which_list_prevent() -> None:
    rules = catalogue()
    for guardrail in GUARDRAILS:
        assert guardrail.rule_ids and all(rule_id in rules for rule_id in guardrail.rule_ids)
    for rule in rules:
        assert ("prevent" in rule.layers) == (rule.id in prevented_rules())
        assert rule.layers == tuple(layer for layer in ("prevent", "block", "detect") if layer in rule.layers)


def test_policy_list_shows_the_layers_in_text_and_json() -> None:
    listed = {r["id"]: r for r in json.loads(run("policy", "list", "--format", "json").output)["rules"]}
    assert listed["NET-001"]["layers"] == ["prevent", "block", "detect"]
    assert listed["ISO-010"]["layers"] == ["block"]
    assert listed["NET-004"]["layers"] == ["block"]
    text = run("policy", "list").output.splitlines()
    columns = [line.split()[:5] for line in text]
    assert ["NET-001", "critical", "mandatory", "resource", "prevent,block,detect"] in columns
    assert any(line.split()[:5] == ["ISO-010", "critical", "mandatory", "graph", "block"] for line in text)


def test_docs_table_shows_each_rules_layers() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "policies.md").read_text(encoding="utf-8")
    for rule in catalogue():
        assert re.search(rf"^\| {rule.id} \|.*\| {re.escape(', '.join(rule.layers))} \|", docs, re.M), rule.id


CHECK_WITH_OSLO = textwrap.dedent(
    """
    import json, sys
    import yaml
    from oslo_policy import _parser, _checks, generator
    out = {}
    for service, path in json.loads(sys.argv[1]).items():
        registered = {r.name for rules in generator.get_policies_dict([service]).values() for r in rules}
        rules = yaml.safe_load(open(path))
        bad = [name for name, check in rules.items()
               if isinstance(_parser.parse_rule(check), _checks.FalseCheck)]
        unknown = [name for name in rules if name not in registered and not name.startswith("wardcloud_")]
        out[service] = {"unparsable": bad, "unknown": unknown}
    print(json.dumps(out))
    """
)


@pytest.mark.skipif(
    not SYSTEM_PYTHON.exists() or shutil.which("oslopolicy-checker") is None,
    reason="the OpenStack services' own Python (oslo.policy and the service policies) is not installed",
)
def test_every_guardrail_parses_and_names_a_rule_the_service_registers(tmp_path: Path) -> None:
    run("guardrails", "render", "--out", str(tmp_path))
    files = {service: str(tmp_path / f"{service}.yaml") for service in SERVICES}
    done = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", CHECK_WITH_OSLO, json.dumps(files)],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )
    verdict = json.loads(done.stdout.strip().splitlines()[-1])
    assert verdict == {service: {"unparsable": [], "unknown": []} for service in SERVICES}
