"""Where the audit archive lives in Swift: the platform's container, and each ward's."""

from __future__ import annotations

CENTRAL_CONTAINER = "platform-audit-archive"  # infra/platform.py creates it under this name (AUDIT_ARCHIVE)


def ward_container(code6: str) -> str:
    """A ward's audit container (infra/ward.py creates it under this name)."""
    return f"{code6}-audit-log"


def archive_container(container: str | None, ward: str | None) -> str:
    """The container a command works on: the one given, else the ward's (with --ward), else the platform's."""
    return container or (ward_container(ward) if ward else CENTRAL_CONTAINER)
