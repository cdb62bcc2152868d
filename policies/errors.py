"""Problem codes of the policies package that are not config or waiver problems (those stay inline)."""

from __future__ import annotations

from enum import StrEnum

from wardcloud.core.errors import Problem, WardcloudError

__all__ = ["Code", "PolicyError", "Problem"]


class Code(StrEnum):
    """Stable problem codes (docs/errors.md), never renumbered."""

    GUARDRAILS_OUT = "POL020"  # `guardrails render --out`: not a directory, or not writable


class PolicyError(WardcloudError):
    """Raised when a policies command cannot do what was asked (bad output place, …)."""
