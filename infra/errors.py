"""Bad input to the infra library: unknown stacks, malformed state files, refused operations."""

from __future__ import annotations

from wardcloud.core.errors import Problem, WardcloudError, single


class InfraError(WardcloudError):
    """A problem the user can fix before plan, import, apply or destroy can go on."""


def infra_error(file: str, code: str, message: str, **where: object) -> InfraError:
    """One-problem InfraError (the common case)."""
    return InfraError([single(file, code, message, **where)])  # type: ignore[arg-type]


__all__ = ["InfraError", "Problem", "infra_error"]
