"""The hook where policies block `apply`: checks run on the tenants and the plan before anything else.

A check returns the problems that must stop the apply (mandatory policy violations, without an
active waiver); an empty list lets it go on. `apply_checks()` is what `wardctl apply` runs; the
policies package registers its mandatory-rule check here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from wardcloud.core.errors import Problem
from wardcloud.tenants.model import Tenant

if TYPE_CHECKING:
    from wardcloud.infra.plan import Plan

ApplyCheck = Callable[[Sequence[Tenant], "Plan"], list[Problem]]


def apply_checks() -> list[ApplyCheck]:
    """The checks `wardctl apply` runs before it touches anything: the policies' mandatory-rule gate."""
    from wardcloud.policies.engine import apply_check  # imported late: policies imports infra.graph

    return [apply_check]
