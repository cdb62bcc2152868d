"""Waivers from tenant files: which apply to a finding, which expired, which name unknown rules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from wardcloud.core.errors import Problem
from wardcloud.policies.config import PolicyError
from wardcloud.policies.errors import Code
from wardcloud.policies.registry import Registry
from wardcloud.tenants.model import Tenant, Waiver

WaiverStatus = Literal["active", "expired", "not-waivable"]


@dataclass(frozen=True)
class AppliedWaiver:
    """A waiver as it bears on one violation (or, in the notes, on the ward)."""

    ward: str
    policy: str
    justification: str
    approver: str
    expires: date
    resource: str | None
    status: WaiverStatus
    file: str = ""
    line: int = 0
    column: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "ward": self.ward,
            "policy": self.policy,
            "justification": self.justification,
            "approver": self.approver,
            "expires": self.expires.isoformat(),
            "resource": self.resource,
            "status": self.status,
            "file": self.file,
            "line": self.line,
        }


def check_waivers(tenants: Iterable[Tenant], registry: Registry) -> None:
    """PolicyError naming file and line for every waiver whose policy ID is not a rule."""
    problems = []
    for tenant in tenants:
        for i, waiver in enumerate(tenant.waivers):
            if waiver.policy not in registry:
                path = f"waivers[{i}].policy"
                line, column = tenant.location(path)
                problems.append(
                    Problem(
                        tenant.source_file,
                        line,
                        column,
                        Code.WAIVER_UNKNOWN_RULE,
                        f"waiver for unknown policy {waiver.policy} (see `wardctl policy list`)",
                        path,
                    )
                )
    if problems:
        raise PolicyError(problems)


def _applied(tenant: Tenant, index: int, waiver: Waiver, status: WaiverStatus) -> AppliedWaiver:
    line, column = tenant.location(f"waivers[{index}]")
    return AppliedWaiver(
        tenant.code,
        waiver.policy,
        waiver.justification,
        waiver.approver,
        waiver.expires,
        waiver.resource,
        status,
        tenant.source_file,
        line,
        column,
    )


def match(
    tenant: Tenant | None, policy: str, resource: str | None, waivable: bool, today: date
) -> AppliedWaiver | None:
    """The waiver bearing on a violation: an active one first, else an expired or ignored one."""
    if tenant is None:
        return None
    candidates = [
        (i, w)
        for i, w in enumerate(tenant.waivers)
        if w.policy == policy and (w.resource is None or w.resource == resource)
    ]
    if not candidates:
        return None
    if not waivable:
        i, waiver = candidates[0]
        return _applied(tenant, i, waiver, "not-waivable")
    for i, waiver in candidates:
        if waiver.active_on(today):
            return _applied(tenant, i, waiver, "active")
    i, waiver = max(candidates, key=lambda c: c[1].expires)
    return _applied(tenant, i, waiver, "expired")


def expired(tenants: Sequence[Tenant], today: date) -> list[AppliedWaiver]:
    """Every waiver past its expiry date: reported whether or not it still matches a violation."""
    return [
        _applied(t, i, w, "expired")
        for t in tenants
        for i, w in enumerate(t.waivers)
        if not w.active_on(today)
    ]
