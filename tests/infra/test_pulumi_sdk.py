"""The Pulumi SDK below its public surface is reached from infra/pulumi_sdk.py only, and still as tested."""

from __future__ import annotations

import ast
from pathlib import Path

import pulumi
import pulumi_openstack as openstack
from pulumi.runtime import resource as pulumi_resource

from wardcloud.infra import pulumi_sdk
from wardcloud.infra.render import render_program

INFRA = Path(__file__).resolve().parents[2] / "infra"
PYPROJECT = INFRA.parent / "pyproject.toml"


def test_the_sdk_internals_the_adapter_uses_are_as_tested() -> None:
    # An SDK upgrade that moves any of them fails here, naming each, before a render records less.
    assert pulumi_sdk.sdk_problems() == []


def test_pyproject_pins_the_minor_version_the_adapter_was_tested_with() -> None:
    assert f'"pulumi>={pulumi_sdk.TESTED_MINOR},' in PYPROJECT.read_text(encoding="utf-8")


def test_only_the_adapter_imports_pulumi_runtime_internals() -> None:
    offenders = []
    for path in sorted(INFRA.glob("*.py")):
        if path.name == "pulumi_sdk.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("pulumi.runtime")]
    assert offenders == []


def test_a_render_records_tree_dependencies_and_inputs_without_stack_traces(monkeypatch) -> None:
    calls = []
    original = pulumi_resource._get_stack_trace

    def counting():  # type: ignore[no-untyped-def]
        calls.append(1)
        return original()

    monkeypatch.setattr(pulumi_resource, "_get_stack_trace", counting)

    def program() -> dict[str, object]:
        parent = pulumi.ComponentResource("wardcloud:test:Box", "box")
        network = openstack.networking.Network(
            "net", name="n", tags=["ward:131130"], opts=pulumi.ResourceOptions(parent=parent))
        subnet = openstack.networking.Subnet(
            "sub", network_id=network.id, cidr="10.0.0.0/24", opts=pulumi.ResourceOptions(
                parent=parent, retain_on_delete=True))
        return {"subnet": subnet.cidr}

    rendered = render_program("ward-131130", program)
    by_name = {r.name: r for r in rendered.graph}
    assert list(by_name) == ["box", "net", "sub"]  # parents first, siblings by name
    assert by_name["net"].parent == by_name["box"].urn
    assert by_name["net"].inputs["tags"] == ["ward:131130"]
    assert by_name["sub"].inputs["networkId"] == "net-id"
    assert by_name["net"].urn in by_name["sub"].dependencies
    assert rendered.retained == frozenset({by_name["sub"].urn})
    assert rendered.outputs == {"subnet": "10.0.0.0/24"}
    assert calls == []  # no per-resource stack trace during the render ...
    assert pulumi_resource._get_stack_trace is counting  # ... and the SDK's function is back afterwards
