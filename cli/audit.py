"""`wardctl audit verify|log|anchor|repair|ship`, and `audited(...)`: how other commands write records."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import click

from audit import log as audit_log
from audit.errors import AuditError, Code, Problem
from audit.log import Anchor, find_torn, format_time, read_records, verify
from audit.record import Record
from audit.recorder import log_path, record
from audit.redact import redact_text
from audit.ship import CENTRAL_CONTAINER, connect_swift, ship, ward_container
from cli.context import Settings
from cli.output import echo_json
from wardcloud_core.errors import WardcloudError

R = TypeVar("R", bound="StackRun")

_FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                       show_default=True)


def _log(settings: Settings) -> Path:
    return log_path(settings.state_dir, settings.audit_log)


# ---------------------------------------------------------------------------------------------------------
# Writing records from other commands


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
                   summary: Mapping[str, Any], wards: list[str] | tuple[str, ...] = ()) -> Record:
    """Append one record for the running click command (actor and log from the global options)."""
    ctx = click.get_current_context()
    settings = ctx.find_object(Settings)
    assert settings is not None, "audited commands run under the wardctl group"
    return record(settings.state_dir, settings.actor, command, command_argv(ctx), inputs, outcome, exit_code,
                  summary, wards=wards, audit_log=settings.audit_log)


@contextmanager
def audited(command: str, inputs: Mapping[str, Path | None], *, start: bool = False,
            summary: Mapping[str, Any] | None = None,
            wards: tuple[str, ...] | list[str] = ()) -> Iterator[AuditNote]:
    """Record `command`'s outcome when the block ends: success, or failure with its exit code and error.

    With `start=True` a `started` record (with `summary` and `wards`) is written before the block runs,
    e.g. `apply` per stack, so a run that never ends (killed, machine lost) still left a trace.
    """
    note = AuditNote(dict(summary or {}), list(wards))
    if start:
        record_command(command, inputs, "started", None, note.summary, note.wards)
    try:
        yield note
    except (SystemExit, click.exceptions.Exit) as exc:
        code = exc.exit_code if isinstance(exc, click.exceptions.Exit) else exc.code
        code = code if isinstance(code, int) else (0 if code is None else 1)
        record_command(command, inputs, "success" if code == 0 else "failure", code, note.summary, note.wards)
        raise
    except BaseException as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        note.summary.setdefault("error", redact_text(message))
        code = 130 if isinstance(exc, KeyboardInterrupt) else 1
        try:
            record_command(command, inputs, "failure", code, note.summary, note.wards)
        except AuditError as audit_exc:
            if isinstance(exc, WardcloudError):  # report both: the user's input problem and the log's
                raise AuditError(audit_exc.problems + exc.problems) from exc
            raise
        raise
    record_command(command, inputs, "success", 0, note.summary, note.wards)


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


# ---------------------------------------------------------------------------------------------------------
# wardctl audit …


@click.group("audit")
def audit() -> None:
    """Tamper-evident audit log: verify the chain, list records, anchor the head, repair, ship."""


@audit.command("verify")
@click.option("--anchor", "anchor_text", metavar="SEQ:HASH",
              help="A head printed earlier by `audit anchor`: the log must still contain it.")
@_FORMAT
@click.pass_obj
def verify_command(settings: Settings, anchor_text: str | None, fmt: str) -> None:
    """Recompute the hash chain; exit 1 naming the first bad record."""
    anchor = Anchor.parse(anchor_text) if anchor_text else None
    result = verify(_log(settings), anchor)
    if fmt == "json":
        echo_json(result.to_json())
    elif result.valid:
        span = f", {result.first_time} .. {result.last_time}" if result.records else ""
        anchored = f", anchor {anchor.token()} found" if anchor else ""
        click.echo(f"audit log intact: {_count(result.records)}{span}, head {result.head_seq}:"
                   f"{result.head_hash}{anchored}")
    else:
        assert result.problem is not None
        click.echo(result.problem.render(), err=True)
        click.echo(f"audit log NOT intact: {_count(result.records)} verified before the first bad record, "
                   f"record {result.problem.line}", err=True)
    if not result.valid:
        raise SystemExit(1)


def _count(records: int) -> str:
    return f"{records} record" + ("" if records == 1 else "s")


def _since(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return format_time(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise AuditError([Problem("--since", 0, 0, Code.BAD_OPTION,
                                  f"{text!r} is not a date (YYYY-MM-DD) or ISO time")]) from None


def _brief(record: Record) -> str:
    summary = json.dumps(record.summary, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    if len(summary) > 120:
        summary = summary[:119] + "…"
    exit_code = "" if record.exit_code is None else f"({record.exit_code})"
    return (f"{record.seq:>6} {record.time} {record.actor:<12} {record.outcome + exit_code:<11} "
            f"{record.command:<16} {_wards(record.wards)} {summary}")


def _wards(codes: tuple[str, ...]) -> str:
    return ",".join(codes) if 0 < len(codes) <= 3 else f"{len(codes)}-wards" if codes else "-"


@audit.command("log")
@click.option("--ward", metavar="CODE6", default=None, help="Only records concerning this ward.")
@click.option("--since", metavar="DATE", default=None, help="Only records at or after DATE (UTC, ISO 8601).")
@_FORMAT
@click.pass_obj
def log_command(settings: Settings, ward: str | None, since: str | None, fmt: str) -> None:
    """List records (does not verify the chain: use `audit verify`)."""
    if ward is not None and not (len(ward) == 6 and ward.isdigit()):
        raise click.BadParameter(f"{ward!r} is not a 6-digit ward code", param_hint="--ward")
    start = _since(since)
    selected = (r for r in read_records(_log(settings))
                if (ward is None or ward in r.wards) and (start is None or r.time >= start))
    if fmt == "json":
        echo_json({"log": str(_log(settings)), "records": [r.to_json() for r in selected]})
        return
    count = 0
    for rec in selected:
        click.echo(_brief(rec))
        count += 1
    click.echo(f"{count} record(s)", err=True)


@audit.command("anchor")
@_FORMAT
@click.pass_obj
def anchor_command(settings: Settings, fmt: str) -> None:
    """Print the verified head as SEQ:HASH, to publish or store away from this machine."""
    result = verify(_log(settings))
    if result.problem is not None:
        raise AuditError([result.problem])
    if result.records == 0:
        raise AuditError([Problem(str(result.path), 0, 0, Code.NO_LOG,
                                  "the log is empty: nothing to anchor")])
    token = Anchor(result.head_seq, result.head_hash).token()
    if fmt == "json":
        echo_json({"anchor": token, "seq": result.head_seq, "hash": result.head_hash,
                   "time": result.last_time})
    else:
        click.echo(token)


@audit.command("repair")
@click.option("--truncate-torn", is_flag=True, required=True,
              help="Remove a torn last line (the only repair there is; required, to say so).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@_FORMAT
@click.pass_obj
def repair_command(settings: Settings, truncate_torn: bool, yes: bool, fmt: str) -> None:
    """Remove the torn last line a crash mid-write left, after confirmation; nothing else is ever changed."""
    if not truncate_torn:
        raise click.UsageError("say --truncate-torn: it is the only repair")
    path = _log(settings)
    torn = find_torn(path)
    if torn is None:
        if fmt == "json":
            echo_json({"log": str(path), "torn": None, "removed": False})
        else:
            click.echo("no torn line: nothing to repair")
        return
    if fmt == "text":
        click.echo(f"{path}: record {torn.line} is torn: {torn.length} bytes at offset {torn.offset}: "
                   f"{torn.preview}")
    if not yes:
        click.confirm(f"Remove the torn record {torn.line} ({torn.length} bytes)?", abort=True, err=True)
    audit_log.truncate_torn(path, torn)
    if fmt == "json":
        echo_json({"log": str(path), "torn": torn.to_json(), "removed": True})
    else:
        click.echo(f"removed torn record {torn.line} ({torn.length} bytes); run `wardctl audit verify`")


@audit.command("ship")
@click.option("--container", default=None, help=f"Swift container (default: {CENTRAL_CONTAINER}, or the "
              "ward's CODE6-audit-log with --ward).")
@click.option("--ward", metavar="CODE6", default=None,
              help="Ship only this ward's records, to its container.")
@click.option("--cloud", envvar="OS_CLOUD", default=None, help="clouds.yaml entry (default: OS_* variables).")
@_FORMAT
@click.pass_obj
def ship_command(settings: Settings, container: str | None, ward: str | None, cloud: str | None,
                 fmt: str) -> None:
    """Copy records not shipped yet to Swift (one object per run); needs OpenStack credentials."""
    if ward is not None and not (len(ward) == 6 and ward.isdigit()):
        raise click.BadParameter(f"{ward!r} is not a 6-digit ward code", param_hint="--ward")
    target = container or (ward_container(ward) if ward else CENTRAL_CONTAINER)
    path = _log(settings)
    verify(path)  # a missing log is reported before any credential question
    result = ship(path, connect_swift(cloud), target, ward)
    if fmt == "json":
        echo_json(result.to_json())
    elif result.records:
        click.echo(f"shipped records {result.first_seq}..{result.last_seq} ({result.records}) to "
                   f"{target}/{result.object_name}")
    else:
        click.echo(f"nothing new to ship to {target} (head {result.head_seq})")
