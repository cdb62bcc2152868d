"""Problem codes of the policy engine: its configuration, waivers, ward selection, and crashed rules."""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """Stable problem codes of `wardcloud.policies`; documented in docs/policies.md, never renumbered."""

    CONFIG_NOT_FOUND = "POL001"
    CONFIG_SCHEMA = "POL002"
    CONFIG_UNKNOWN_RULE = "POL003"
    WAIVER_UNKNOWN_RULE = "POL010"
    UNKNOWN_WARD = "POL011"
    RULE_CRASHED = "POL020"  # a rule's check raised: a bug in the rule, named with the input it failed on
