"""Problem codes of the policy engine: its configuration, waivers, ward selection, crashed rules, guardrails."""

from __future__ import annotations

from enum import StrEnum

from wardcloud.core.errors import Problem, WardcloudError

__all__ = ["Code", "PolicyError", "Problem"]


class Code(StrEnum):
    """Stable problem codes of `wardcloud.policies`; documented in docs/errors.md, never renumbered."""

    CONFIG_NOT_FOUND = "POL001"
    CONFIG_SCHEMA = "POL002"
    CONFIG_UNKNOWN_RULE = "POL003"
    WAIVER_UNKNOWN_RULE = "POL010"
    UNKNOWN_WARD = "POL011"
    RULE_CRASHED = "POL020"  # a rule's check raised: a bug in the rule, named with the input it failed on
    GUARDRAILS_OUT = "POL021"  # `guardrails render --out`: not a directory, or not writable


class PolicyError(WardcloudError):
    """Bad policy input outside the config file: a waiver naming an unknown rule, an unknown ward, an unusable
    `--out`; also a rule that crashed, named with what it was reading."""
