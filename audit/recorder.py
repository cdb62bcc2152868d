"""The API other commands call to write their audit records.

    from wardcloud.audit.recorder import record
    record(state_dir, actor, "cost allocate", argv, {"bill": bill_path, "rules": rules_path},
           "success", 0, {"totals": {"131016": 1234567, ...}}, wards=["131016", ...])

Actor: the given one (`wardctl --actor`), else WARDCTL_ACTOR, else the OS user. Log: the given path
(`wardctl --audit-log`), else WARDCTL_AUDIT_LOG, else `<state_dir>/audit.jsonl`. Arguments and summary
are redacted before they are written; inputs are recorded as paths with their SHA-256 (audit/digest.py).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from wardcloud.audit.digest import digest_inputs
from wardcloud.audit.log import append
from wardcloud.audit.record import Entry, Record
from wardcloud.audit.redact import redact_argv, redact_mapping

DEFAULT_LOG_NAME = "audit.jsonl"
ACTOR_ENV = "WARDCTL_ACTOR"
LOG_ENV = "WARDCTL_AUDIT_LOG"


def resolve_actor(actor: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """Who is acting: `actor`, else $WARDCTL_ACTOR, else the OS user (else the numeric uid)."""
    if actor:
        return actor
    if environ.get(ACTOR_ENV):
        return environ[ACTOR_ENV]
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers): the uid still names someone
        return f"uid:{os.getuid()}"


def log_path(state_dir: Path, audit_log: Path | None = None, environ: Mapping[str, str] = os.environ) -> Path:
    """Where the log lives: `audit_log`, else $WARDCTL_AUDIT_LOG, else `<state_dir>/audit.jsonl`."""
    if audit_log is not None:
        return audit_log
    if environ.get(LOG_ENV):
        return Path(environ[LOG_ENV])
    return state_dir / DEFAULT_LOG_NAME


def make_entry(actor: str | None, command: str, argv: Sequence[str], inputs: Mapping[str, Path | None],
               outcome: str, exit_code: int | None, summary: Mapping[str, Any],
               wards: Sequence[str] = (), environ: Mapping[str, str] = os.environ,
               digests: Mapping[str, dict[str, Any]] | None = None) -> Entry:
    """The entry `record` appends: actor resolved, inputs hashed (unless `digests` already holds their
    `digest_inputs`), arguments and summary redacted."""
    return Entry(actor=resolve_actor(actor, environ), command=command,
                 argv=redact_argv([str(a) for a in argv]),
                 inputs=dict(digests) if digests is not None else digest_inputs(inputs),
                 outcome=outcome, exit_code=exit_code, summary=redact_mapping(dict(summary)),
                 wards=tuple(sorted(set(wards))))


def record(state_dir: Path, actor: str | None, command: str, argv: Sequence[str],
           inputs: Mapping[str, Path | None], outcome: str, exit_code: int | None,
           summary: Mapping[str, Any], *, wards: Sequence[str] = (), audit_log: Path | None = None,
           environ: Mapping[str, str] = os.environ, digests: Mapping[str, dict[str, Any]] | None = None) -> Record:
    """Append one record (outcome `started`, `success` or `failure`) and return it as written."""
    entry = make_entry(actor, command, argv, inputs, outcome, exit_code, summary, wards, environ, digests)
    return append(log_path(state_dir, audit_log, environ), [entry])[0]
