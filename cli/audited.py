"""How commands write audit records: `audited(...)` around a command, `audited_stacks` per stack.

The record-keeping itself lives in the library (wardcloud.audit.recorder), so a Python caller leaves the
same records; this module only supplies what the command line knows (global options, the resolved argv)
and holds stdout back until the record is written.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from wardcloud.audit.recorder import AuditContext, AuditNote, StackRun, stack_ward
from wardcloud.audit.recorder import audited as library_audited
from wardcloud.audit.recorder import audited_stacks as library_audited_stacks
from wardcloud.cli.context import Settings

if TYPE_CHECKING:
    from wardcloud.audit.keys import SigningKey
    from wardcloud.audit.record import Record

__all__ = ["AuditNote", "StackRun", "audit_context", "audited", "audited_stacks", "ci_environment",
           "command_argv", "record_command", "stack_ward"]

R = TypeVar("R", bound=StackRun)


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


def audit_context(ctx: click.Context | None = None, key: SigningKey | None = None) -> AuditContext:
    """The library's AuditContext for the running command: global options, resolved argv, digest cache;
    with `key` (`--key` of approve, apply, destroy, audit ack) every record is signed by it."""
    ctx = ctx or click.get_current_context()
    settings = ctx.find_object(Settings)
    assert settings is not None, "audited commands run under the wardctl group"
    return AuditContext(settings.state_dir, settings.actor, tuple(command_argv(ctx)), settings.audit_log,
                        settings.digests, key=key)


def record_command(command: str, inputs: Mapping[str, Path | None], outcome: str, exit_code: int | None,
                   summary: Mapping[str, Any], wards: list[str] | tuple[str, ...] = (),
                   digests: Mapping[str, dict[str, Any]] | None = None) -> Record:
    """Append one record for the running click command (actor and log from the global options)."""
    return audit_context().record(command, inputs, outcome, exit_code, summary, wards, digests)


@contextmanager
def _held_stdout() -> Iterator[Callable[[], None]]:
    """Hold what the block prints on stdout; the yielded `release()` prints it (else it is dropped).

    Spooled to a temporary file past 8 MB, so a big FOCUS export does not sit in memory.
    """
    original = sys.stdout
    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - closed below
    held = io.TextIOWrapper(spool, encoding=getattr(original, "encoding", None) or "utf-8",
                            errors=getattr(original, "errors", None) or "strict", newline="", write_through=True)
    released = False

    def release() -> None:
        nonlocal released
        if released:
            return
        released = True
        held.flush()
        spool.seek(0)
        original.flush()
        target = getattr(original, "buffer", None)
        for chunk in iter(lambda: spool.read(1 << 20), b""):
            if target is not None:
                target.write(chunk)
            else:
                original.write(chunk.decode(held.encoding, held.errors or "strict"))
        (target or original).flush()

    sys.stdout = held
    try:
        yield release
    finally:
        sys.stdout = original
        held.close()


@contextmanager
def audited(command: str, inputs: Mapping[str, Path | None], *, start: bool = False,
            summary: Mapping[str, Any] | None = None,
            wards: tuple[str, ...] | list[str] = ()) -> Iterator[AuditNote]:
    """The library's `audited` for the running command; what it prints on stdout is held back too, and
    printed only once the record is durable (output files are held by the library itself)."""
    with _held_stdout() as release:
        try:
            with library_audited(audit_context(), command, inputs, start=start, summary=summary,
                                 wards=wards) as note:
                yield note
        except BaseException as exc:
            if isinstance(exc, (SystemExit, click.exceptions.Exit)):
                release()  # an intentional exit (e.g. violations found): its record is written
            raise
        release()


def ci_environment(environ: Mapping[str, str] = os.environ) -> bool:
    """True when $CI says we run in CI (GitHub Actions, GitLab, … set CI=true; "0"/"false" do not count)."""
    return environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def audited_stacks(command: str, inputs: Mapping[str, Path | None], stacks: Mapping[str, Mapping[str, Any]],
                   run: Callable[[], Sequence[R]]) -> list[R]:
    """The library's `audited_stacks` for the running command."""
    return library_audited_stacks(audit_context(), command, inputs, stacks, run)
