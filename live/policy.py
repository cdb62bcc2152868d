"""The bridge to the resource policies: the same rule functions `plan` runs, here on live graphs."""

from __future__ import annotations

from live.drift import PolicyCheck


def resource_policy_check() -> PolicyCheck | None:
    """A function running every resource policy on one graph, or None while no policy engine exists."""
    return None
