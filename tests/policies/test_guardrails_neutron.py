"""The rendered neutron.yaml under Neutron's own policy engine (the system's Neutron, a stub core plugin
answering for the port's network): who may put a port where, who may route. Skipped without Neutron."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from wardcloud.cli.main import cli

SYSTEM_PYTHON = Path("/usr/bin/python3")

ENGINE = textwrap.dedent(
    """
    import json, sys
    from oslo_config import cfg
    from neutron_lib.plugins import directory
    from neutron_lib import context
    from neutron import policy

    NETWORKS = {
        "mynumber": {"name": "131130-mynumber", "tenant_id": "p1"},
        "internet": {"name": "131130-internet", "tenant_id": "p1"},
        "lgwan": {"name": "131130-lgwan", "tenant_id": "p1"},
        "egress": {"name": "platform-egress-network", "tenant_id": "p1"},
        "other-ward": {"name": "131016-internet", "tenant_id": "p2"},
    }

    class CorePlugin:  # what OwnerCheck asks: one field of the port's network
        def get_network(self, ctx, network_id, fields=None):
            return {f: NETWORKS[network_id][f] for f in fields}

    directory.add_plugin("CORE", CorePlugin())
    cfg.CONF([], project="neutron")
    cfg.CONF.set_override("policy_file", sys.argv[1], group="oslo_policy")
    policy.reset()
    policy.init()
    verdicts = []
    for roles, action, network in json.loads(sys.argv[2]):
        ctx = context.Context(user_id="u", project_id="p1", roles=roles, is_admin="admin" in roles)
        target = {"project_id": "p1", "tenant_id": "p1"}
        if network:
            target["network_id"] = network
        verdicts.append(policy.check(ctx, action, target, pluralized="ports" if "port" in action else None))
    print(json.dumps(verdicts))
    """
)

WARD_ADMIN, OPERATOR, ADMIN = ["ward-admin"], ["ward-mynumber-operator"], ["admin"]
CASES = [  # (roles, action, network of the port, allowed?)
    (WARD_ADMIN, "create_port", "internet", True),
    (WARD_ADMIN, "create_port", "lgwan", True),
    (WARD_ADMIN, "update_port", "internet", True),
    (WARD_ADMIN, "create_port", "mynumber", False),
    (WARD_ADMIN, "update_port", "mynumber", False),
    (WARD_ADMIN, "delete_port", "mynumber", False),
    (WARD_ADMIN, "create_port", "egress", False),
    (WARD_ADMIN, "create_port", "other-ward", False),
    (OPERATOR, "create_port", "mynumber", True),
    (OPERATOR, "delete_port", "mynumber", True),
    (OPERATOR, "create_port", "internet", False),
    (OPERATOR, "create_floatingip", None, False),
    (WARD_ADMIN, "create_floatingip", None, True),
    (["ward-admin", "ward-mynumber-operator"], "create_port", "mynumber", True),
    (WARD_ADMIN, "create_router", None, False),
    (WARD_ADMIN, "add_router_interface", None, False),
    (WARD_ADMIN, "update_router", None, False),
    (WARD_ADMIN, "create_rbac_policy", None, False),
    (WARD_ADMIN, "create_network", None, False),
    (WARD_ADMIN, "update_subnet", None, False),
    (OPERATOR, "create_router", None, False),
    (ADMIN, "create_port", "mynumber", True),
    (ADMIN, "create_router", None, True),
    (ADMIN, "add_router_interface", None, True),
    (ADMIN, "create_rbac_policy", None, True),
]


def _neutron_available() -> bool:
    if not SYSTEM_PYTHON.exists():
        return False
    probe = subprocess.run([str(SYSTEM_PYTHON), "-c", "import neutron.policy"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _neutron_available(), reason="Neutron is not installed in the system Python")
def test_neutron_enforces_the_guardrails_as_rendered(tmp_path: Path) -> None:
    assert CliRunner().invoke(cli, ["guardrails", "render", "--out", str(tmp_path)]).exit_code == 0
    cases = [[roles, action, network] for roles, action, network, _ in CASES]
    done = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", ENGINE, str(tmp_path / "neutron.yaml"), json.dumps(cases)],
        capture_output=True, text=True, cwd=tmp_path, check=True,
    )
    verdicts = json.loads(done.stdout.strip().splitlines()[-1])
    expected = [allowed for *_, allowed in CASES]
    wrong = [(case[:3], got) for case, got in zip(CASES, verdicts, strict=True) if got != case[3]]
    assert verdicts == expected, wrong
