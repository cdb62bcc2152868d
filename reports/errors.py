"""Problem codes of the finance reports; documented in docs/reports.md, never renumbered."""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """Stable problem codes of `wardcloud.reports` (a bad --period is cost allocation's COST030).

    R000–R011 and R013, a malformed allocation JSON, are found where the statement model reads it:
    `wardcloud.cost_allocation.errors.StatementCode`.
    """

    UNKNOWN_WARD = "R012"
    UNREADABLE = "R020"
    NOT_JSON = "R021"
    BAD_POLICY_JSON = "R030"
    BAD_VIOLATION = "R031"
    UNREADABLE_INPUT = "R040"
    # R050 (bad --period) retired: the same mistake is COST030 on every command
    PERIOD_MISMATCH = "R051"
    PREVIOUS_NOT_EARLIER = "R052"
