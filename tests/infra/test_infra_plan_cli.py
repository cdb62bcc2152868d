"""`wardctl plan` and `wardctl state import` through the CLI, on real tenant files and state files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.infra.conftest import SHIBUYA, deployment_from_graph
from wardcloud.cli.main import cli
from wardcloud.infra.render import Known, render_stacks
from wardcloud.tenants.validate import load_tenants

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def wardctl(tenants: Path, state: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--tenants", str(tenants), "--state", str(state), *args])


def record(tenants: Path, state: Path, tmp_path: Path, ids: dict[str, dict[str, str]] | None = None) -> None:
    """Record the current render of every stack as applied, through `wardctl state import`."""
    ids = ids or {}
    known = {stack: Known(stack_ids) for stack, stack_ids in ids.items()}
    for stack, graph in render_stacks(load_tenants(tenants), known=known).items():
        export = tmp_path / f"{stack}.export.json"
        export.write_text(json.dumps(deployment_from_graph(graph, ids.get(stack))))
        result = wardctl(tenants, state, "state", "import", "--stack", stack, str(export))
        assert result.exit_code == 0, result.output


def test_first_plan_is_all_creates_and_exits_2(two_wards: Path, tmp_path: Path) -> None:
    result = wardctl(two_wards, tmp_path / "state", "plan")
    assert result.exit_code == 2
    assert "Plan: 104 to create, 0 to update, 0 to delete." in result.output
    assert "~ update" not in result.output and "- delete" not in result.output
    assert [line.split(":")[0] for line in result.output.splitlines() if line and not line.startswith(" ")][
        :3
    ] == ["platform", "ward-131016", "ward-131130"]


@pytest.mark.parametrize(
    ("flags", "golden_name"),
    [(["--verbose"], "plan-ward-131130-create.txt"), ([], "plan-ward-131130-summary.txt")],
)
def test_first_plan_text_matches_golden(two_wards: Path, tmp_path: Path, flags: list[str], golden_name: str) -> None:
    result = wardctl(two_wards, tmp_path / "state", "plan", "--ward", "131130", *flags)
    golden = GOLDEN / golden_name
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(result.output, encoding="utf-8")
    assert result.output == golden.read_text(encoding="utf-8")


def test_plan_after_recording_state_exits_0(two_wards: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    record(two_wards, state, tmp_path)
    result = wardctl(two_wards, state, "plan")
    assert result.exit_code == 0, result.output
    assert result.output.endswith("Plan: 0 to create, 0 to update, 0 to delete.\n")


def test_recorded_ids_flow_into_the_render(two_wards: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    real = {
        "ward-131130": {"131130-project": "8a1c0de5", "131130-mynumber-network": "f00dfeed"},
        "platform": {"consortium-domain": "d0ma1n"},
    }
    record(two_wards, state, tmp_path, ids=real)
    result = wardctl(two_wards, state, "plan", "--format", "json", "--ward", "131130")
    assert result.exit_code == 0, result.output
    inputs = {r["name"]: r["inputs"] for r in json.loads(result.output)["stacks"]["ward-131130"]["resources"]}
    assert inputs["131130-mynumber-subnet"]["networkId"] == "f00dfeed"
    assert inputs["131130-compute-quota"]["projectId"] == "8a1c0de5"


def test_quota_change_is_one_update_in_that_ward_only(two_wards: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    record(two_wards, state, tmp_path)
    shibuya = two_wards / SHIBUYA
    shibuya.write_text(
        shibuya.read_text(encoding="utf-8").replace("cores: 80", "cores: 96"), encoding="utf-8"
    )
    result = wardctl(two_wards, state, "plan", "--format", "json")
    assert result.exit_code == 2
    changes = {stack: s["changes"] for stack, s in json.loads(result.output)["stacks"].items()}
    urn = (
        "urn:pulumi:ward-131130::wardcloud::wardcloud:tenant:Ward$openstack:compute/quotaSetV2:QuotaSetV2"
        "::131130-compute-quota"
    )
    assert changes["ward-131130"] == {"create": [], "update": [{"urn": urn, "keys": ["cores"]}], "delete": []}
    assert all(
        c == {"create": [], "update": [], "delete": []} for s, c in changes.items() if s != "ward-131130"
    )
    text = wardctl(two_wards, state, "plan").output
    assert "  ~ update 131130-compute-quota (openstack:compute/quotaSetV2:QuotaSetV2)  changed: cores" in text
    assert "Plan: 0 to create, 1 to update, 0 to delete." in text


def test_removing_a_security_rule_shows_a_delete(two_wards: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    record(two_wards, state, tmp_path)
    shibuya = two_wards / SHIBUYA
    rule = "      - {protocol: tcp, ports: 80, source: 0.0.0.0/0, description: HTTP redirect to HTTPS}\n"
    text = shibuya.read_text(encoding="utf-8")
    assert rule in text
    shibuya.write_text(text.replace(rule, ""), encoding="utf-8")
    result = wardctl(two_wards, state, "plan")
    assert result.exit_code == 2
    assert (
        "  - delete 131130-internet-sg-internet-web-in-tcp-80-0.0.0.0_0 "
        "(openstack:networking/secGroupRule:SecGroupRule)" in result.output
    )
    assert "Plan: 0 to create, 0 to update, 1 to delete." in result.output


def test_ward_gone_from_the_files_is_deleted_but_its_audit_log_retained(
    two_wards: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    record(two_wards, state, tmp_path)
    (two_wards / SHIBUYA).unlink()
    result = wardctl(two_wards, state, "plan", "--format", "json")
    assert result.exit_code == 2
    shibuya = json.loads(result.output)["stacks"]["ward-131130"]
    assert shibuya["resources"] == [] and len(shibuya["changes"]["delete"]) == 43
    assert [u.rsplit("::", 1)[1] for u in shibuya["retained"]] == ["131130-audit-log"]
    text = wardctl(two_wards, state, "plan", "--ward", "131130").output
    assert (
        "- delete 131130-audit-log (openstack:objectstorage/container:Container)  (retained: the audit log"
        in text
    )


def test_json_plan_shape_and_out_file(two_wards: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = wardctl(
        two_wards, tmp_path / "state", "plan", "--ward", "131016", "--format", "json", "--out", str(out)
    )
    assert result.exit_code == 2
    payload = json.loads(result.output)
    saved = json.loads(out.read_text(encoding="utf-8"))  # the saved plan holds what was printed
    assert saved["plan"] == {"stacks": payload["stacks"], "summary": payload["summary"]}
    assert saved["policy"]["report"]["violations"] == payload["policy"]["violations"]
    stack = payload["stacks"]["ward-131016"]
    assert set(stack) == {"resources", "changes", "retained"}
    assert set(stack["resources"][0]) == {"urn", "type", "name", "parent", "dependencies", "inputs"}
    assert stack["changes"]["create"] == [r["urn"] for r in stack["resources"]]
    # --out includes the never-applied platform: apply needs it first
    platform = payload["stacks"]["platform"]
    assert payload["summary"] == {"create": len(stack["resources"]) + len(platform["resources"]), "update": 0,
                                  "delete": 0}


def test_unknown_ward_is_an_error(two_wards: Path, tmp_path: Path) -> None:
    result = wardctl(two_wards, tmp_path / "state", "plan", "--ward", "131041")  # a ward, but not in these files
    assert result.exit_code == 1
    assert (
        result.output.strip() == "131041: INFRA002 unknown ward: no tenant file and no recorded state "
        "(--ward takes a 6-digit code)"
    )


def test_a_code_that_is_no_ward_is_the_same_problem_as_everywhere(two_wards: Path, tmp_path: Path) -> None:
    result = wardctl(two_wards, tmp_path / "state", "plan", "--ward", "131999")
    assert result.exit_code == 1
    assert result.output == "--ward: TEN020 code 131999 has a wrong check digit: expected 131997\n"


def test_malformed_state_file_is_a_one_line_error(two_wards: Path, tmp_path: Path) -> None:
    stacks = tmp_path / "state" / "stacks"
    stacks.mkdir(parents=True)
    (stacks / "ward-131130.json").write_text("{not json")
    result = wardctl(two_wards, tmp_path / "state", "plan", "--ward", "131130")
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1 and "INFRA011 malformed state file" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{\n  "version": 3,\n  oops\n}', ":3:3: INFRA020 invalid JSON"),
        ('{"version": 2, "deployment": {}}', "INFRA020 not a `pulumi stack export` deployment"),
        (
            '{"version": 3, "deployment": {"resources": [{"type": "x"}]}}',
            "INFRA021 resource without urn or type",
        ),
        (
            '{"version": 3, "deployment": {"resources": [{"urn": "urn:pulumi:ward-131016::wardcloud::t::n", '
            '"type": "t"}]}}',
            "INFRA022 resource belongs to stack 'ward-131016', not 'ward-131130'",
        ),
        (
            '{"version": 3, "deployment": {"resources": [{"urn": "urn:pulumi:ward-131130::other::t::n", '
            '"type": "t"}]}}',
            "INFRA024 resource of project 'other', not 'wardcloud'",
        ),
    ],
)
def test_state_import_of_a_malformed_export_writes_nothing(
    two_wards: Path, tmp_path: Path, content: str, message: str
) -> None:
    export = tmp_path / "export.json"
    export.write_text(content)
    result = wardctl(two_wards, tmp_path / "state", "state", "import", "--stack", "ward-131130", str(export))
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1 and message in result.output
    assert not (tmp_path / "state").exists()


def test_state_import_rejects_a_bad_stack_name(two_wards: Path, tmp_path: Path) -> None:
    export = tmp_path / "export.json"
    export.write_text('{"version": 3, "deployment": {"resources": []}}')
    result = wardctl(two_wards, tmp_path / "state", "state", "import", "--stack", "prod", str(export))
    assert result.exit_code == 1 and "INFRA010 invalid stack name 'prod'" in result.output


def test_plan_of_all_23_wards_uses_the_bundled_files(tmp_path: Path) -> None:
    from tests.infra.conftest import WARDS

    result = wardctl(WARDS, tmp_path / "state", "plan", "--format", "json")  # 24 stacks: 2 processes
    assert result.exit_code == 2
    stacks = json.loads(result.output)["stacks"]
    assert len(stacks) == 24 and list(stacks)[0] == "platform"
    owners = {
        stack: {r["inputs"].get("name", r["name"])[:6] for r in s["resources"]}
        for stack, s in stacks.items()
        if stack != "platform"
    }
    assert all(names == {stack.removeprefix("ward-")} for stack, names in owners.items())


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from wardcloud.cli.infra import rendering_progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stderr", io.StringIO())
    with rendering_progress() as on_rendered:
        assert on_rendered is None
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    with rendering_progress() as on_rendered:
        assert on_rendered is not None
        on_rendered("ward-131130")
