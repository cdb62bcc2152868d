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
