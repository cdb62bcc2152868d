"""Problems found in tenant files, located at a file, line and column."""

from __future__ import annotations

from enum import StrEnum

from wardcloud.core.errors import Problem, WardcloudError

__all__ = ["Code", "Problem", "TenantError"]


class Code(StrEnum):
    """Stable problem codes; documented in README, never renumbered."""

    YAML_SYNTAX = "TEN001"
    DUPLICATE_KEY = "TEN002"
    YAML_ALIAS = "TEN003"
    EMPTY_FILE = "TEN004"
    NOT_UTF8 = "TEN005"
    UNREADABLE = "TEN006"
    MULTIPLE_DOCUMENTS = "TEN007"
    TOO_LARGE = "TEN008"  # file, nesting depth or node count above the reader's limits
    YAML_TAG = "TEN009"  # an explicit YAML tag (!!python/object, !custom, !!str …)
    SCHEMA = "TEN010"
    CHECK_DIGIT = "TEN020"
    FILE_NAME = "TEN021"
    DUPLICATE_CODE = "TEN022"
    DUPLICATE_NAME = "TEN023"
    UNKNOWN_WARD = "TEN024"
    CIDR_NOT_NETWORK = "TEN030"
    CIDR_OVERLAP = "TEN031"
    CIDR_RESERVED = "TEN032"
    CIDR_OUTSIDE_PLAN = "TEN033"
    UNKNOWN_SOURCE = "TEN040"
    LEFT_BEFORE_JOINED = "TEN041"
    PORT_RANGE = "TEN042"
    DUPLICATE_GROUP = "TEN043"
    BACKUP_SCHEDULE = "TEN044"  # a backup schedule that is no cron expression, or an unknown time zone
    NO_TENANTS = "TEN050"
    NOT_FOUND = "TEN051"
    NOT_A_DIRECTORY = "TEN052"  # --tenants names something that is not a directory
    OUTSIDE = "TEN053"  # a tenant file that is a symlink leading outside the tenants directory


class TenantError(WardcloudError):
    """Raised when tenant files are invalid; carries every problem found, not just the first."""
