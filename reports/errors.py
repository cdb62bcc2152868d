"""Problem codes of the finance reports; documented in docs/reports.md, never renumbered."""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """Stable problem codes of `wardcloud.reports` (a bad --period is cost allocation's COST030)."""

    NOT_AN_OBJECT = "R000"  # the allocation JSON is not an object
    NOT_INTEGER_YEN = "R001"
    LINE_NOT_OBJECT = "R002"
    LINE_WITHOUT_AMOUNT = "R003"
    MISSING_KEY = "R004"
    BAD_POOL = "R005"
    POOL_SUM = "R006"
    BAD_WARD = "R007"
    WARD_SUM = "R008"
    TOTAL_SUM = "R009"
    DUPLICATE_WARD = "R010"
    NOT_A_LIST = "R011"
    UNKNOWN_WARD = "R012"
    UNREADABLE = "R020"
    NOT_JSON = "R021"
    BAD_POLICY_JSON = "R030"
    BAD_VIOLATION = "R031"
    UNREADABLE_INPUT = "R040"
    # R050 (bad --period) retired: the same mistake is COST030 on every command
    PERIOD_MISMATCH = "R051"
    PREVIOUS_NOT_EARLIER = "R052"
