"""Fixtures for the infra tests: the bundled wards, one ward rendered once per module."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wardcloud.tenants.model import Tenant
from wardcloud.tenants.validate import load_tenants

REPO = Path(__file__).resolve().parents[2]
WARDS = REPO / "tenants" / "wards"
SHIBUYA = "131130-shibuya.yaml"


@pytest.fixture(scope="session")
def bundled_tenants() -> tuple[Tenant, ...]:
    return load_tenants(WARDS)


@pytest.fixture
def two_wards(tmp_path: Path) -> Path:
    """A tenants directory holding Shibuya and Chiyoda only (fast plans)."""
    wards = tmp_path / "wards"
    wards.mkdir()
    for name in (SHIBUYA, "131016-chiyoda.yaml"):
        shutil.copy(WARDS / name, wards / name)
    return wards


def deployment_from_graph(graph, ids=None, outputs=None) -> dict:
    """A `pulumi stack export` (version 3) document holding `graph`, as a real deployment would.

    Adds what real exports carry and plan must ignore: the Stack resource, the default provider,
    provider-filled defaults listed in `__defaults`, and outputs.
    """
    ids = ids or {}
    stack_urn = f"urn:pulumi:{graph.stack}::wardcloud::pulumi:pulumi:Stack::wardcloud-{graph.stack}"
    provider_urn = f"urn:pulumi:{graph.stack}::wardcloud::pulumi:providers:openstack::default_5_5_3"
    resources = [
        {"urn": stack_urn, "custom": False, "type": "pulumi:pulumi:Stack", "outputs": outputs or {}},
        {
            "urn": provider_urn,
            "custom": True,
            "id": "prov-1",
            "type": "pulumi:providers:openstack",
            "inputs": {"version": "5.5.3"},
            "outputs": {"version": "5.5.3"},
        },
    ]
    for r in graph:
        custom = r.type.startswith(("openstack:", "pulumi:providers:", "pulumi-python:dynamic"))
        entry = {
            "urn": r.urn,
            "custom": custom,
            "type": r.type,
            "parent": r.parent or stack_urn,
            "dependencies": list(r.dependencies),
        }
        if custom:
            inputs = {**r.inputs, "region": "RegionOne", "__defaults": ["region"]}
            entry |= {
                "id": ids.get(r.name, f"{r.name}-id"),
                "inputs": inputs,
                "outputs": {**r.inputs, "region": "RegionOne"},
                "provider": f"{r.provider}::{r.provider.rsplit('::', 1)[-1]}-id"
                if r.provider
                else f"{provider_urn}::prov-1",
            }
        resources.append(entry)
    return {
        "version": 3,
        "deployment": {
            "manifest": {"time": "2026-11-28T00:00:00Z", "version": "v3.140.0"},
            "secrets_providers": {"type": "passphrase"},
            "resources": resources,
        },
    }


def approve_plan(tenants: Path, state: Path, *plan_args: str, waivers: tuple[str, ...] = ()) -> list[str]:
    """`plan --out` and approve it as the shipped governance/rules.yaml asks (a security signer, a platform
    signer, each changed ward's own signer), with keys made here; returns `apply`'s arguments. `waivers`
    (CODE6:POLICY) are signed by the security signer first."""
    import json

    from click.testing import CliRunner

    from wardcloud.audit.keys import generate
    from wardcloud.cli.main import cli

    work = state.parent / "governance-fixture"
    gov, keys = work / "governance", work / "keys"
    if not gov.exists():
        gov.mkdir(parents=True)
        keys.mkdir()
        roles = {"sec": "security", "plat": "platform"} | {
            path.name[:6]: f"ward:{path.name[:6]}" for path in tenants.glob("*.yaml")
        }
        lines = [f'{name} wardcloud-roles="{role}" {generate(keys / name).public.openssh()}'
                 for name, role in roles.items()]
        (gov / "signers").write_text("\n".join(lines) + "\n")
        (gov / "rules.yaml").write_text((REPO / "governance" / "rules.yaml").read_text())
    plan = work / f"plan-{len(list(work.glob('plan-*.json')))}.json"
    base = ["--tenants", str(tenants), "--state", str(state)]
    for waiver in waivers:
        signed = CliRunner().invoke(cli, [*base, "approve", "--waiver", waiver, "--governance", str(gov),
                                          "--key", str(keys / "sec")])
        assert signed.exit_code == 0, signed.output
    made = CliRunner().invoke(cli, [*base, "plan", *plan_args, "--out", str(plan), "--governance", str(gov)])
    assert made.exit_code in (0, 2), made.output
    stacks = json.loads(plan.read_text())["plan"]["stacks"]
    wards = [s[5:] for s, body in stacks.items() if s.startswith("ward-") and any(body["changes"].values())]
    for name in ["sec", "plat", *wards]:
        signed = CliRunner().invoke(cli, [*base, "approve", str(plan), "--governance", str(gov),
                                          "--key", str(keys / name)])
        assert signed.exit_code in (0, 2), signed.output
    return [str(plan), "--governance", str(gov), "--key", str(keys / "plat")]
