"""The API other commands call to write their audit records.

    from audit.recorder import record
    record(state_dir, actor, "cost allocate", argv, {"bill": bill_path, "rules": rules_path},
           "success", 0, {"totals": {"131016": 1234567, ...}}, wards=["131016", ...])

Actor: the given one (`wardctl --actor`), else WARDCTL_ACTOR, else the OS user. Log: the given path
(`wardctl --audit-log`), else WARDCTL_AUDIT_LOG, else `<state_dir>/audit.jsonl`. Arguments and summary
are redacted before they are written; inputs are recorded as paths with their SHA-256.
"""

from __future__ import annotations

import getpass
import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from audit.log import append
from audit.record import Entry, Record
from audit.redact import redact_argv, redact_mapping

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


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes, read in blocks."""
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def input_digest(path: Path) -> dict[str, Any]:
    """`{"path", "sha256"}` for a file; for a directory the hash of its sorted `relpath NUL sha256` lines
    and the file count; `sha256: null` if the input does not exist (a failed run still gets recorded)."""
    if path.is_file():
        return {"path": str(path), "sha256": file_sha256(path)}
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        listing = "".join(f"{p.relative_to(path).as_posix()}\0{file_sha256(p)}\n" for p in files)
        listing_sha = hashlib.sha256(listing.encode()).hexdigest()
        return {"path": str(path), "sha256": listing_sha, "files": len(files)}
    return {"path": str(path), "sha256": None}


def make_entry(actor: str | None, command: str, argv: Sequence[str], inputs: Mapping[str, Path | None],
               outcome: str, exit_code: int | None, summary: Mapping[str, Any],
               wards: Sequence[str] = (), environ: Mapping[str, str] = os.environ) -> Entry:
    """The entry `record` appends: actor resolved, inputs hashed, arguments and summary redacted."""
    return Entry(actor=resolve_actor(actor, environ), command=command,
                 argv=redact_argv([str(a) for a in argv]),
                 inputs={name: input_digest(Path(p)) for name, p in inputs.items() if p is not None},
                 outcome=outcome, exit_code=exit_code, summary=redact_mapping(dict(summary)),
                 wards=tuple(sorted(set(wards))))


def record(state_dir: Path, actor: str | None, command: str, argv: Sequence[str],
           inputs: Mapping[str, Path | None], outcome: str, exit_code: int | None,
           summary: Mapping[str, Any], *, wards: Sequence[str] = (), audit_log: Path | None = None,
           environ: Mapping[str, str] = os.environ) -> Record:
    """Append one record (outcome `started`, `success` or `failure`) and return it as written."""
    entry = make_entry(actor, command, argv, inputs, outcome, exit_code, summary, wards, environ)
    return append(log_path(state_dir, audit_log, environ), [entry])[0]
