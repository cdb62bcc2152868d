"""Which stack builds what: `platform` builds the Platform, `ward-<code6>` builds one WardTenant."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from wardcloud.infra.errors import Code, infra_error
from wardcloud.infra.offsite import OffsiteTarget
from wardcloud.infra.platform import PLATFORM_STACK, Platform, PlatformRefs
from wardcloud.infra.ward import WardTenant
from wardcloud.tenants.model import Tenant
from wardcloud.tenants.reference import AddressPlan

PROJECT = "wardcloud"
WARD_STACK_PREFIX = "ward-"


def stack_names(tenants: Sequence[Tenant]) -> list[str]:
    """Every stack of the cloud: the platform first, then the wards in code order."""
    return [PLATFORM_STACK, *sorted(t.stack for t in tenants)]


def ward_for_stack(stack: str, tenants: Sequence[Tenant]) -> Tenant:
    """The tenant a `ward-<code6>` stack builds; InfraError when there is none."""
    for tenant in tenants:
        if tenant.stack == stack:
            return tenant
    known = ", ".join(stack_names(tenants)[:4])
    raise infra_error(stack, Code.NO_TENANT_FILE, f"no tenant file defines stack {stack!r} (stacks: {known}, …)")


def platform_reference() -> PlatformRefs:
    """The platform's outputs, read through a StackReference in the same organization and project."""
    org = pulumi.get_organization() or "organization"
    ref = pulumi.StackReference(f"{org}/{pulumi.get_project()}/{PLATFORM_STACK}")
    return PlatformRefs.from_stack_reference(ref)


def build_stack(
    stack: str, tenants: Sequence[Tenant], plan: AddressPlan, offsite: OffsiteTarget | None = None
) -> dict[str, Any]:
    """Register the resources of `stack`; returns the stack's outputs. `offsite`: where backups are copied."""
    if stack == PLATFORM_STACK:
        return Platform(PLATFORM_STACK, plan).outputs
    ward = WardTenant(ward_for_stack(stack, tenants), platform_reference(), offsite=offsite)
    return {
        "ward": ward.ward.code,
        "project_id": ward.project.id,
        "network_ids": {name: net.id for name, net in ward.networks.items()},
    }
