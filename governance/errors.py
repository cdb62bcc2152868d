"""Governance problem codes (docs/governance.md, docs/errors.md), never renumbered."""

from __future__ import annotations

from enum import StrEnum

from wardcloud.core.errors import Problem, WardcloudError

__all__ = ["Code", "GovernanceError", "Problem", "problem"]


class Code(StrEnum):
    PLAN_FILE = "GOV001"      # the plan file is unreadable or not a saved plan
    PLAN_EDITED = "GOV002"    # the plan's content no longer matches its digest
    EXPIRED = "GOV003"        # the plan is past its expiry
    INPUT_CHANGED = "GOV004"  # a tenant file, rule, state or config changed since the plan
    RERENDERED = "GOV005"     # the same inputs render (or judge) differently now: tool changed
    UNAPPROVED = "GOV006"     # the approvals do not meet governance/rules.yaml
    BAD_APPROVAL = "GOV007"   # a signature that does not count (invalid, unknown key, wrong namespace)
    BAD_RULES = "GOV008"      # governance/rules.yaml is malformed
    BREAK_GLASS = "GOV009"    # break-glass misuse (no reason)
    ACK = "GOV010"            # `audit ack` refused (not a break-glass record, same signer, already acked)
    WAIVER = "GOV011"         # a waiver signature file that cannot be written or read


class GovernanceError(WardcloudError):
    """A plan, approval or rule that governance refuses."""


def problem(where: str, code: Code, message: str, line: int = 0, column: int = 0, path: str = "") -> Problem:
    return Problem(where, line, column, code, message, path)
