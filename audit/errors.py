"""Problems with the audit log, located at the log file and the line (= record number) where they are."""

from __future__ import annotations

from enum import StrEnum

from wardcloud.core.errors import Problem, WardcloudError

__all__ = ["AuditError", "Code", "Problem"]


class Code(StrEnum):
    """Stable problem codes (docs/audit.md), never renumbered."""

    MALFORMED = "AUD001"      # not a JSON object with the record fields
    EDITED = "AUD002"         # bytes differ from what the record's own hash covers
    SEQUENCE = "AUD003"       # a record removed, reordered or inserted
    CHAIN = "AUD004"          # prev does not name the record before
    TORN = "AUD005"           # last line without its newline: a crash mid-write
    ANCHOR = "AUD006"         # the anchored head is gone: truncated or rewritten
    NO_LOG = "AUD007"         # no log file where one was expected
    BAD_ANCHOR = "AUD008"     # the --anchor value itself is malformed
    UNREADABLE = "AUD009"     # the log cannot be opened or written
    NO_CREDENTIALS = "AUD010"  # `audit ship` without OpenStack credentials
    SHIP = "AUD011"           # the object store refused an upload
    BAD_OPTION = "AUD012"     # e.g. an unparsable --since
    BAD_KEY = "AUD013"        # a signing key or public key that cannot be used
    BAD_SIGNERS = "AUD014"    # the allowed_signers file is missing or malformed
    SIGNATURE = "AUD015"      # a signed record's signature is missing, invalid or not an allowed signer's
    CHECKPOINT = "AUD016"     # a checkpoint is malformed, badly signed or inconsistent with the log
    REMOTE = "AUD017"         # the shipped archive lacks or alters what the local log holds


class AuditError(WardcloudError):
    """Raised when the audit log cannot be read, written, trusted or shipped."""
