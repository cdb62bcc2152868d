"""The hook where checks block `apply`: they run on the tenants and the plan before anything else.

A check returns the problems that must stop the apply (e.g. mandatory policy violations without an active
waiver); an empty list lets it go on. infra knows nothing of policies: the caller (wardcloud.governance)
passes the checks in, so the dependency runs one way (policies → infra) and the policies are evaluated once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from wardcloud.core.errors import Problem
from wardcloud.tenants.model import Tenant

if TYPE_CHECKING:
    from wardcloud.infra.plan import Plan

ApplyCheck = Callable[[Sequence[Tenant], "Plan"], list[Problem]]


def run_checks(tenants: Sequence[Tenant], plan: Plan, checks: Sequence[ApplyCheck]) -> list[Problem]:
    """Every problem the checks raise against this plan; apply stops on any."""
    return [problem for check in checks for problem in check(tenants, plan)]
