"""The API other commands call to write their audit records.

    from wardcloud.audit.recorder import record
    record(state_dir, actor, "cost allocate", argv, {"bill": bill_path, "rules": rules_path},
           "success", 0, {"totals": {"131016": 1234567, ...}}, wards=["131016", ...])

Actor: the given one (`wardctl --actor`), else WARDCTL_ACTOR, else the OS user. Log: the given path
(`wardctl --audit-log`), else WARDCTL_AUDIT_LOG, else `<state_dir>/audit.jsonl`. Arguments and summary
are redacted before they are written; inputs are recorded as paths with their SHA-256 (audit/digest.py).

Around a whole operation, `audited(AuditContext(...), command, inputs)` records its outcome and holds its
output files back until that record is durable; `audited_stacks` does the same per stack. `wardctl`'s
commands go through these too (cli/audited.py only supplies the context from the command line).
"""

from __future__ import annotations

import getpass
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from wardcloud.audit.digest import DigestCache, digest_inputs
from wardcloud.audit.errors import AuditError
from wardcloud.audit.log import append, log_path
from wardcloud.audit.record import Entry, Record
from wardcloud.audit.redact import redact_argv, redact_mapping, redact_text
from wardcloud.core.errors import WardcloudError
from wardcloud.core.files import staged_outputs

if TYPE_CHECKING:
    from wardcloud.audit.keys import SigningKey

ACTOR_ENV = "WARDCTL_ACTOR"


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
           environ: Mapping[str, str] = os.environ, digests: Mapping[str, dict[str, Any]] | None = None,
           key: SigningKey | None = None) -> Record:
    """Append one record (outcome `started`, `success` or `failure`) and return it as written; signed by
    `key` when given (its fingerprint is then the actor: audit/authenticate.py)."""
    entry = make_entry(actor, command, argv, inputs, outcome, exit_code, summary, wards, environ, digests)
    if key is not None:
        from wardcloud.audit.authenticate import sign_entry  # loads `cryptography` only for signed records

        entry = sign_entry(entry, key)
    return append(log_path(state_dir, audit_log, environ), [entry])[0]


@dataclass(frozen=True)
class AuditContext:
    """Who runs what, and where its records go: what every audited operation needs besides its own facts.

    A Python caller builds one (`AuditContext(state_dir, actor, argv)`) and wraps the operation in
    `audited(context, ...)`: the record it leaves is the one `wardctl` leaves for the same operation.
    With `key`, every record is signed by it and names its fingerprint as the actor (what `approve`,
    `apply` and `audit ack` write: governance.md, Authenticated audit records).
    """

    state_dir: Path
    actor: str | None
    argv: tuple[str, ...] = ()
    audit_log: Path | None = None
    digest_cache: DigestCache | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    key: SigningKey | None = None

    def record(self, command: str, inputs: Mapping[str, Path | None], outcome: str, exit_code: int | None,
               summary: Mapping[str, Any], wards: Sequence[str] = (),
               digests: Mapping[str, dict[str, Any]] | None = None) -> Record:
        """Append one record of `command` (durably: fsynced before this returns)."""
        return record(self.state_dir, self.actor, command, self.argv, inputs, outcome, exit_code, summary,
                      wards=wards, audit_log=self.audit_log, environ=self.environ, digests=digests, key=self.key)


@dataclass
class AuditNote:
    """What an operation learns while it runs and wants in its record (filled in inside `audited`)."""

    summary: dict[str, Any] = field(default_factory=dict)
    wards: list[str] = field(default_factory=list)


class _Hashing:
    """The inputs' digests, computed in a thread from the moment the operation starts.

    The record then names the bytes the operation read, even if a file changes while it runs; and hashing
    a large bill (60 ms per 100 MB) overlaps DuckDB's scan of it instead of following it.
    """

    def __init__(self, inputs: Mapping[str, Path | None], cache: DigestCache | None) -> None:
        self._digests: dict[str, dict[str, Any]] = {}
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(dict(inputs), cache), daemon=True)
        self._thread.start()

    def _run(self, inputs: Mapping[str, Path | None], cache: DigestCache | None) -> None:
        try:
            self._digests = digest_inputs(inputs, cache)
        except BaseException as exc:  # raised again where the record is written
            self._error = exc

    def result(self) -> dict[str, dict[str, Any]]:
        """The digests; an error reading an input is raised here."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._digests


def _exit_code(exc: BaseException) -> int | None:
    """The exit code an intentional exit carries (SystemExit, or a CLI framework's exit with `exit_code`)."""
    if isinstance(exc, SystemExit):
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    if type(exc).__name__ == "Exit" and isinstance(getattr(exc, "exit_code", None), int):
        return int(exc.exit_code)  # type: ignore[attr-defined]  # click.exceptions.Exit, without importing click
    return None


def error_summary(exc: BaseException) -> str:
    """The first line of an error, redacted: what a failure record says went wrong."""
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return redact_text(message)


@contextmanager
def audited(context: AuditContext, command: str, inputs: Mapping[str, Path | None], *, start: bool = False,
            summary: Mapping[str, Any] | None = None,
            wards: Sequence[str] = ()) -> Iterator[AuditNote]:
    """Record `command`'s outcome when the block ends: success, or failure with its exit code and error.

    Fail-closed: every atomic write made inside the block (`wardcloud.core.files`) is held back and appears
    only after the final record is durably written; when that record cannot be written (torn or read-only
    log, full disk) the block's outputs are discarded and the AuditError is raised. An error inside the
    block discards them too. With `start=True` a `started` record (with `summary` and `wards`) is written
    before the block runs, e.g. `apply` per stack, so a run that never ends still left a trace.
    """
    note = AuditNote(dict(summary or {}), list(wards))
    hashing = _Hashing(inputs, context.digest_cache)
    with staged_outputs() as stage:
        if start:
            context.record(command, inputs, "started", None, note.summary, note.wards, digests=hashing.result())
        try:
            yield note
        except BaseException as exc:
            code = _exit_code(exc)
            if code is not None:  # an intentional exit: its outputs stand, once the record does
                context.record(command, inputs, "success" if code == 0 else "failure", code, note.summary,
                               note.wards, digests=hashing.result())
                stage.commit()
                raise
            note.summary.setdefault("error", error_summary(exc))
            code = 130 if isinstance(exc, KeyboardInterrupt) else 1
            try:
                context.record(command, inputs, "failure", code, note.summary, note.wards,
                               digests=hashing.result())
            except AuditError as audit_exc:
                if isinstance(exc, WardcloudError):  # report both: the user's input problem and the log's
                    raise AuditError(audit_exc.problems + exc.problems) from exc
                raise
            raise
        context.record(command, inputs, "success", 0, note.summary, note.wards, digests=hashing.result())
        stage.commit()


class StackRun(Protocol):
    """What a stack operation reports (infra.deploy.StackOutcome has this shape)."""

    @property
    def stack(self) -> str: ...

    @property
    def ok(self) -> bool: ...

    @property
    def message(self) -> str: ...


R = TypeVar("R", bound=StackRun)


def stack_ward(stack: str) -> tuple[str, ...]:
    """The ward a stack belongs to (`ward-131130` → 131130); none for `platform`."""
    return (stack.removeprefix("ward-"),) if stack.startswith("ward-") else ()


def audited_stacks(context: AuditContext, command: str, inputs: Mapping[str, Path | None],
                   stacks: Mapping[str, Mapping[str, Any]], run: Callable[[], Sequence[R]]) -> list[R]:
    """A `started` record per stack, `run()`, then a success/failure record per stack (`stacks` maps each
    stack to its summary, e.g. change counts). A stack `run` did not report (not run, or `run` raised) is
    recorded as failed, so every start has its end unless the process itself died."""
    for stack, summary in stacks.items():
        context.record(command, inputs, "started", None, {"stack": stack, **summary}, stack_ward(stack))
    outcomes: list[R] = []
    error = "not run"
    try:
        outcomes = list(run())
    except BaseException as exc:
        error = error_summary(exc)
        raise
    finally:
        reported = {o.stack: o for o in outcomes}
        for stack, summary in stacks.items():
            outcome = reported.get(stack)
            ok = outcome is not None and outcome.ok
            end = {"stack": stack, **summary}
            if not ok:
                end["error"] = redact_text(outcome.message) if outcome is not None else error
            context.record(command, inputs, "success" if ok else "failure", 0 if ok else 1, end,
                           stack_ward(stack))
    return outcomes
