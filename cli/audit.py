"""`wardctl audit verify|log|anchor|repair|ship` (other commands write records through cli/audited.py)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from wardcloud.audit import log as audit_log
from wardcloud.audit.containers import CENTRAL_CONTAINER, archive_container
from wardcloud.audit.errors import AuditError, Code, Problem
from wardcloud.audit.log import Anchor, find_torn, format_time, log_path, read_records, verify
from wardcloud.audit.record import Record
from wardcloud.cli.context import Settings
from wardcloud.cli.options import check_ward_codes, governance_option, yes_option
from wardcloud.cli.output import echo_json

if TYPE_CHECKING:
    from wardcloud.audit.signers import Signers

_FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                       show_default=True)


def _log(settings: Settings) -> Path:
    return log_path(settings.state_dir, settings.audit_log)


@click.group("audit")
def audit() -> None:
    """Tamper-evident audit log: verify the chain, list records, anchor the head, repair, ship."""


@audit.command("verify")
@click.option("--anchor", "anchor_text", metavar="SEQ:HASH",
              help="A head printed earlier by `audit anchor`: the log must still contain it.")
@click.option("--signers", "signers_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="allowed_signers file (e.g. governance/signers): every signed record's key must be in it.")
@click.option("--checkpoints", is_flag=True,
              help="Also check every saved checkpoint (signatures, and that the log still holds its head).")
@click.option("--min-witnesses", type=click.IntRange(0), default=0, show_default=True,
              help="With --checkpoints: co-signatures each checkpoint needs besides the platform's.")
@click.option("--remote", is_flag=True,
              help="Also compare the shipped Swift archive with the log and checkpoints (needs credentials).")
@click.option("--cloud", envvar="OS_CLOUD", default=None, help="With --remote: clouds.yaml entry.")
@click.option("--container", default=None, help="With --remote: the archive container (default: "
              f"{CENTRAL_CONTAINER}, or the ward's with --ward).")
@click.option("--ward", metavar="CODE6", default=None, callback=check_ward_codes,
              help="With --remote: that ward's archive.")
@_FORMAT
@click.pass_obj
def verify_command(settings: Settings, anchor_text: str | None, signers_file: Path | None, checkpoints: bool,
                   min_witnesses: int, remote: bool, cloud: str | None, container: str | None,
                   ward: str | None, fmt: str) -> None:
    """Recompute the hash chain and check every record's signature; exit 1 naming the first bad record."""
    from dataclasses import replace

    from wardcloud.audit.authenticate import authenticate_log

    anchor = Anchor.parse(anchor_text) if anchor_text else None
    signers = _signers(signers_file) if signers_file is not None else None
    result = verify(_log(settings), anchor)
    signed = unsigned = 0
    if result.valid and result.records:
        auth, problem = authenticate_log(_log(settings), result.records, signers)
        signed, unsigned = auth.signed, auth.unsigned
        if problem is not None:
            result = replace(result, problem=problem)
    checked: list[dict[str, object]] = []
    if checkpoints and result.path.exists():
        from wardcloud.audit.checkpoint import verify_checkpoints

        report = verify_checkpoints(_log(settings), signers or _signers(Path("governance/signers")),
                                    min_witnesses)
        checked = list(report.checked)
        if report.problem is not None and result.problem is None:
            result = replace(result, problem=report.problem)
    archive = None
    if remote and result.valid:
        from wardcloud.audit.remote import verify_remote
        from wardcloud.audit.ship import connect_swift

        target = archive_container(container, ward)
        archive = verify_remote(_log(settings), connect_swift(cloud), target, ward)
        if archive.problems and result.problem is None:
            result = replace(result, problem=archive.problems[0])
    if fmt == "json":
        echo_json(result.to_json() | {"signed": signed, "unsigned": unsigned}
                  | ({"checkpoints": checked} if checkpoints else {})
                  | ({"remote": archive.to_json() if archive else None} if remote else {}))
    elif result.valid:
        span = f", {result.first_time} .. {result.last_time}" if result.records else ""
        anchored = f", anchor {anchor.token()} found" if anchor else ""
        click.echo(f"audit log intact: {_count(result.records)}{span}, head {result.head_seq}:"
                   f"{result.head_hash}{anchored}; {signed} signed (signatures verified), {unsigned} unsigned")
        if checkpoints:
            click.echo(f"{len(checked)} checkpoint(s) consistent with the log, "
                       f"{sum(1 for c in checked if c['witnesses'])} witnessed")
        if archive is not None:
            click.echo(f"archive {archive.container} matches: {archive.archived} records in "
                       f"{archive.objects} object(s)")
    else:
        assert result.problem is not None
        for problem in archive.problems if archive is not None and archive.problems else [result.problem]:
            click.echo(problem.render(), err=True)
        click.echo(f"audit log NOT intact: {_count(result.records)} verified before the first bad record, "
                   f"record {result.problem.line}", err=True)
    if not result.valid:
        raise SystemExit(1)


def _signers(path: Path) -> Signers:
    """The allowed_signers file at `path`; imported here, as it brings cryptography, which a plain verify skips."""
    from wardcloud.audit.signers import load

    return load(path)


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


def _brief(record: Record, unreviewed: frozenset[int] = frozenset()) -> str:
    summary = json.dumps(record.summary, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    if len(summary) > 120:
        summary = summary[:119] + "…"
    exit_code = "" if record.exit_code is None else f"({record.exit_code})"
    if record.seq in unreviewed:
        summary = "BREAK-GLASS UNREVIEWED " + summary
    return (f"{record.seq:>6} {record.time} {record.actor:<12} {record.outcome + exit_code:<11} "
            f"{record.command:<16} {_wards(record.wards)} {summary}")


def _wards(codes: tuple[str, ...]) -> str:
    return ",".join(codes) if 0 < len(codes) <= 3 else f"{len(codes)}-wards" if codes else "-"


@audit.command("log")
@click.option("--ward", metavar="CODE6", default=None, callback=check_ward_codes,
              help="Only records concerning this ward.")
@click.option("--since", metavar="DATE", default=None, help="Only records at or after DATE (UTC, ISO 8601).")
@_FORMAT
@click.pass_obj
def log_command(settings: Settings, ward: str | None, since: str | None, fmt: str) -> None:
    """List records (does not verify the chain: use `audit verify`)."""
    from wardcloud.audit.breakglass import read_review

    start = _since(since)
    breakglass = read_review(_log(settings))
    unreviewed = frozenset(r.seq for r in breakglass.unreviewed())
    selected = (r for r in read_records(_log(settings))
                if (ward is None or ward in r.wards) and (start is None or r.time >= start))
    if fmt == "json":
        echo_json({"log": str(_log(settings)), "records": [r.to_json() for r in selected],
                   "break_glass": breakglass.to_json()})
        return
    count = 0
    for rec in selected:
        click.echo(_brief(rec, unreviewed))
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
@yes_option()
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
@click.option("--ward", metavar="CODE6", default=None, callback=check_ward_codes,
              help="Ship only this ward's records, to its container.")
@click.option("--cloud", envvar="OS_CLOUD", default=None, help="clouds.yaml entry (default: OS_* variables).")
@_FORMAT
@click.pass_obj
def ship_command(settings: Settings, container: str | None, ward: str | None, cloud: str | None,
                 fmt: str) -> None:
    """Copy records not shipped yet to Swift (one object per run); needs OpenStack credentials."""
    from wardcloud.audit.ship import connect_swift, ship

    target = archive_container(container, ward)
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


@audit.command("ack")
@click.argument("seq", type=click.IntRange(1))
@click.option("--key", "key_path", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Your OpenSSH Ed25519 private key (a second signer: not who approved or applied).")
@governance_option(help="Directory holding `signers`.")
@_FORMAT
@click.pass_obj
def ack_command(settings: Settings, seq: int, key_path: Path, governance_dir: Path, fmt: str) -> None:
    """Review a break-glass apply: append a signed record acknowledging record SEQ."""
    from wardcloud.audit.keys import SigningKey
    from wardcloud.cli.audited import audit_context
    from wardcloud.governance.breakglass import ack

    key = SigningKey.load(key_path)
    written = ack(_log(settings), seq, governance_dir, audit_context(key=key))
    if fmt == "json":
        echo_json({"ack": seq, "record": written.seq, "reviewer": key.fingerprint})
    else:
        click.echo(f"break-glass record {seq} reviewed by {key.fingerprint} (record {written.seq})")


_SIGNERS = click.option("--signers", "signers_file", type=click.Path(path_type=Path, dir_okay=False),
                        default=Path("governance/signers"), show_default=True,
                        help="allowed_signers file with roles.")


@audit.command("checkpoint")
@click.option("--key", "key_path", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="A platform signer's OpenSSH Ed25519 private key.")
@_SIGNERS
@click.option("--origin", default=None, help="The log's name in the note (default: the log file's name).")
@_FORMAT
@click.pass_obj
def checkpoint_command(settings: Settings, key_path: Path, signers_file: Path, origin: str | None,
                       fmt: str) -> None:
    """Sign the verified head (record count, head hash, time) as a signed note beside the log."""
    from wardcloud.audit.checkpoint import make_checkpoint
    from wardcloud.audit.keys import SigningKey

    path, checkpoint = make_checkpoint(_log(settings), SigningKey.load(key_path), _signers(signers_file), origin)
    if fmt == "json":
        echo_json(checkpoint.to_json() | {"file": str(path)})
    else:
        click.echo(f"checkpoint {checkpoint.size}:{checkpoint.head} signed, saved to {path}")


@audit.command("witness")
@click.option("--key", "key_path", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The witness's OpenSSH Ed25519 private key (an allowed signer, e.g. a ward's).")
@_SIGNERS
@click.option("--witness-state", "state_file", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The witness's own memory of the last checkpoint it co-signed (keep it off this machine's "
                   "log writers' reach).")
@_FORMAT
@click.pass_obj
def witness_command(settings: Settings, key_path: Path, signers_file: Path, state_file: Path, fmt: str) -> None:
    """Check the log extends the last checkpoint this witness saw, then co-sign the latest checkpoint."""
    from wardcloud.audit.checkpoint import witness
    from wardcloud.audit.keys import SigningKey

    path, checkpoint = witness(_log(settings), SigningKey.load(key_path), _signers(signers_file), state_file)
    if fmt == "json":
        echo_json(checkpoint.to_json() | {"file": str(path)})
    else:
        click.echo(f"checkpoint {checkpoint.size} witnessed: the log extends what this witness saw ({path})")
