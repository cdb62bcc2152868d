"""How other commands write audit records: `audited(...)` around a command, `audited_stacks` per stack."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import click

from wardcloud.audit.digest import DigestCache, digest_inputs
from wardcloud.audit.errors import AuditError
from wardcloud.audit.recorder import record
from wardcloud.audit.redact import redact_text
from wardcloud.cli.context import Settings
from wardcloud.core.errors import WardcloudError

if TYPE_CHECKING:
    from wardcloud.audit.record import Record

R = TypeVar("R", bound="StackRun")



def command_argv(ctx: click.Context) -> list[str]:
    """The command line as click resolved it (`wardctl --state S cost allocate --bill B …`), defaults
    included, so the record shows what actually ran; secrets are masked later by the recorder."""
    chain: list[click.Context] = []
    current: click.Context | None = ctx
    while current is not None:
        chain.append(current)
        current = current.parent
    argv: list[str] = []
    for level in reversed(chain):
        argv.append("wardctl" if level.parent is None else (level.info_name or level.command.name or ""))
        for param in level.command.params:
            value = level.params.get(param.name or "")
            if value is None or value is False or value == () or param.expose_value is False:
                continue
            many = isinstance(value, (list, tuple)) and (param.multiple or param.nargs != 1)
            values = value if many else [value]
            for item in values:
                if isinstance(param, click.Option):
                    if param.is_flag:
                        argv.append(param.opts[0] if item else (param.secondary_opts or param.opts)[0])
                    else:
                        argv.extend([param.opts[0], str(item)])
                else:
                    argv.append(str(item))
    return argv


@dataclass
class AuditNote:
    """What a command learns while it runs and wants in its record (filled in inside `audited`)."""

    summary: dict[str, Any] = field(default_factory=dict)
    wards: list[str] = field(default_factory=list)


def record_command(command: str, inputs: Mapping[str, Path | None], outcome: str, exit_code: int | None,
                   summary: Mapping[str, Any], wards: list[str] | tuple[str, ...] = (),
                   digests: Mapping[str, dict[str, Any]] | None = None) -> Record:
    """Append one record for the running click command (actor and log from the global options)."""
    ctx = click.get_current_context()
    settings = ctx.find_object(Settings)
    assert settings is not None, "audited commands run under the wardctl group"
    return record(settings.state_dir, settings.actor, command, command_argv(ctx), inputs, outcome, exit_code,
                  summary, wards=wards, audit_log=settings.audit_log, digests=digests)


class _Hashing:
    """The inputs' digests, computed in a thread from the moment the command starts.

    The record then names the bytes the command read, even if a file changes while it runs; and hashing a
    large bill (60 ms per 100 MB) overlaps DuckDB's scan of it instead of following it.
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


@contextmanager
def audited(command: str, inputs: Mapping[str, Path | None], *, start: bool = False,
            summary: Mapping[str, Any] | None = None,
            wards: tuple[str, ...] | list[str] = ()) -> Iterator[AuditNote]:
    """Record `command`'s outcome when the block ends: success, or failure with its exit code and error.

    With `start=True` a `started` record (with `summary` and `wards`) is written before the block runs,
    e.g. `apply` per stack, so a run that never ends (killed, machine lost) still left a trace.
    """
    note = AuditNote(dict(summary or {}), list(wards))
    settings = click.get_current_context().find_object(Settings)
    hashing = _Hashing(inputs, settings.digests if settings else None)
    if start:
        record_command(command, inputs, "started", None, note.summary, note.wards,
                       digests=hashing.result())
    try:
        yield note
    except (SystemExit, click.exceptions.Exit) as exc:
        code = exc.exit_code if isinstance(exc, click.exceptions.Exit) else exc.code
        code = code if isinstance(code, int) else (0 if code is None else 1)
        outcome = "success" if code == 0 else "failure"
        record_command(command, inputs, outcome, code, note.summary, note.wards, digests=hashing.result())
        raise
    except BaseException as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        note.summary.setdefault("error", redact_text(message))
        code = 130 if isinstance(exc, KeyboardInterrupt) else 1
        try:
            record_command(command, inputs, "failure", code, note.summary, note.wards,
                           digests=hashing.result())
        except AuditError as audit_exc:
            if isinstance(exc, WardcloudError):  # report both: the user's input problem and the log's
                raise AuditError(audit_exc.problems + exc.problems) from exc
            raise
        raise
    record_command(command, inputs, "success", 0, note.summary, note.wards, digests=hashing.result())


def ci_environment(environ: Mapping[str, str] = os.environ) -> bool:
    """True when $CI says we run in CI (GitHub Actions, GitLab, … set CI=true; "0"/"false" do not count)."""
    return environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def waivers_used(violations: Sequence[Any]) -> list[dict[str, Any]]:
    """The active waivers that excused violations, once each: ward, policy, resource, approver, expiry."""
    used = {(w.ward, w.policy, w.resource or ""): {"ward": w.ward, "policy": w.policy, "resource": w.resource,
                                                   "approver": w.approver, "expires": w.expires.isoformat()}
            for w in (v.waiver for v in violations if v.waived)}
    return [used[key] for key in sorted(used)]


class StackRun(Protocol):
    """What a stack operation reports (infra.deploy.StackOutcome has this shape)."""

    @property
    def stack(self) -> str: ...

    @property
    def ok(self) -> bool: ...

    @property
    def message(self) -> str: ...


def stack_ward(stack: str) -> tuple[str, ...]:
    """The ward a stack belongs to (`ward-131130` → 131130); none for `platform`."""
    return (stack.removeprefix("ward-"),) if stack.startswith("ward-") else ()


def audited_stacks(command: str, inputs: Mapping[str, Path | None], stacks: Mapping[str, Mapping[str, Any]],
                   run: Callable[[], Sequence[R]]) -> list[R]:
    """A `started` record per stack, `run()`, then a success/failure record per stack (`stacks` maps each
    stack to its summary, e.g. change counts). A stack `run` did not report (not run, or `run` raised) is
    recorded as failed, so every start has its end unless the process itself died."""
    for stack, summary in stacks.items():
        record_command(command, inputs, "started", None, {"stack": stack, **summary}, stack_ward(stack))
    outcomes: list[R] = []
    error = "not run"
    try:
        outcomes = list(run())
    except BaseException as exc:
        error = redact_text(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        raise
    finally:
        reported = {o.stack: o for o in outcomes}
        for stack, summary in stacks.items():
            outcome = reported.get(stack)
            ok = outcome is not None and outcome.ok
            end = {"stack": stack, **summary}
            if not ok:
                end["error"] = redact_text(outcome.message) if outcome is not None else error
            record_command(command, inputs, "success" if ok else "failure", 0 if ok else 1, end,
                           stack_ward(stack))
    return outcomes
