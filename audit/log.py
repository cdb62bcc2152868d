"""The append-only, hash-chained audit log: append under a lock, verify by streaming, repair a torn tail.

Layout: JSON Lines, one canonical record per line (audit.record), record N on line N. Appends open the
file with O_APPEND, take an exclusive `flock`, read the last record for its seq and hash, write every new
line in one `write`, and fsync before releasing the lock, so concurrent `wardctl` processes serialise and
the chain never forks. Readers take a shared lock so they never see a half-written line. A crash can
only leave a last line without its newline; `verify` reports it and `truncate_torn` removes it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import mmap
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from wardcloud.audit.errors import AuditError, Code, Problem
from wardcloud.audit.record import (
    GENESIS,
    Entry,
    Record,
    body_sha256,
    canonical,
    check_shape,
    is_hex_hash,
    sealed_line,
)
from wardcloud.core.files import FileError, make_directory, open_input, open_log_fd
from wardcloud.core.jsontext import loads

_TAIL_CHUNK = 64 * 1024
_PREVIEW = 60
DEFAULT_LOG_NAME = "audit.jsonl"
LOG_ENV = "WARDCTL_AUDIT_LOG"


def log_path(state_dir: Path, audit_log: Path | None = None, environ: Mapping[str, str] = os.environ) -> Path:
    """Where the log lives: `audit_log`, else $WARDCTL_AUDIT_LOG, else `<state_dir>/audit.jsonl`."""
    if audit_log is not None:
        return audit_log
    if environ.get(LOG_ENV):
        return Path(environ[LOG_ENV])
    return state_dir / DEFAULT_LOG_NAME


def utc_now() -> str:
    """Current UTC time in the log's fixed-width form, e.g. 2026-11-29T04:01:29.123456Z."""
    return format_time(datetime.now(UTC))


def format_time(moment: datetime) -> str:
    """`moment` (naive = UTC) in the log's fixed-width form, so times compare as strings."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Anchor:
    """A head published elsewhere: `SEQ:HASH` (or a bare HASH) that the log must still contain."""

    seq: int | None
    hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """`SEQ:HASH` or `HASH`; raises AuditError on anything else."""
        seq_text, _, hash_text = text.strip().rpartition(":")
        hash_text = hash_text.lower()
        number = seq_text.isascii() and seq_text.isdigit()  # ASCII only: int() takes any Unicode digit
        if not is_hex_hash(hash_text) or (seq_text and not (number and int(seq_text) > 0)):
            raise AuditError([Problem("--anchor", 0, 0, Code.BAD_ANCHOR,
                                      f"anchor {text!r} is not SEQ:HASH or HASH (64 hex digits)")])
        return cls(int(seq_text) if seq_text else None, hash_text)

    def token(self) -> str:
        """The printable form `SEQ:HASH`."""
        return f"{self.seq}:{self.hash}" if self.seq is not None else self.hash


@dataclass(frozen=True)
class TornTail:
    """The bytes after the last newline: a record whose write was cut short."""

    line: int
    offset: int
    length: int
    preview: str

    def to_json(self) -> dict[str, object]:
        return {"line": self.line, "offset": self.offset, "bytes": self.length, "preview": self.preview}


@dataclass(frozen=True)
class Verification:
    """Outcome of recomputing the chain: counts and head of the intact prefix, and the first problem."""

    path: Path
    records: int
    first_time: str | None
    last_time: str | None
    head_seq: int
    head_hash: str
    anchor: Anchor | None
    problem: Problem | None
    torn: TornTail | None

    @property
    def valid(self) -> bool:
        return self.problem is None

    def to_json(self) -> dict[str, object]:
        return {"valid": self.valid, "log": str(self.path), "records": self.records,
                "first_time": self.first_time, "last_time": self.last_time,
                "head": {"seq": self.head_seq, "hash": self.head_hash},
                "anchor": self.anchor.token() if self.anchor else None,
                "problems": [self.problem.to_json()] if self.problem else [],
                "torn": self.torn.to_json() if self.torn else None}


def _problem(path: Path, line: int, code: Code, message: str) -> Problem:
    return Problem(str(path), line, 0, code, message)


@contextmanager
def _shared(path: Path) -> Iterator[BinaryIO]:
    """The log opened for reading under a shared lock (appends wait until we are done)."""
    if not path.exists() and not path.is_symlink():
        raise AuditError([_problem(path, 0, Code.NO_LOG, "no audit log here (nothing recorded yet, "
                                   "or it was deleted)")])
    try:
        opened = open_input(path)  # a FIFO or a link to /dev/zero is refused, not read forever
        handle = opened.__enter__()
    except FileError as exc:
        raise AuditError([_problem(path, 0, Code.UNREADABLE, exc.problems[0].message)]) from None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        yield handle
    finally:
        opened.__exit__(None, None, None)


def _parse(raw: bytes, path: Path, line: int) -> Record:
    """The record on `line` (without its newline), checked to be intact on its own; AuditError if not."""
    try:
        data = loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise AuditError([_problem(path, line, Code.MALFORMED, f"record {line} is not valid JSON ({exc})")]) \
            from None
    why = check_shape(data)
    if why is not None:
        raise AuditError([_problem(path, line, Code.MALFORMED, f"record {line} is not a record: {why}")])
    record = Record.from_json(data)
    if body_sha256(raw) != record.hash:
        raise AuditError([_problem(path, line, Code.EDITED,
                                   f"record {line} was edited: its bytes do not match its hash")])
    if canonical(data) != raw:  # any byte change, even one the hash cannot see (members reordered inside)
        raise AuditError([_problem(path, line, Code.EDITED,
                                   f"record {line} was edited: it is not in the one canonical form "
                                   "(sorted members, no spaces) it was written in")])
    return record


def _preview(raw: bytes) -> str:
    text = raw[:_PREVIEW].decode("utf-8", errors="replace")
    return text + ("…" if len(raw) > _PREVIEW else "")


_HASH_MEMBER = b',"hash":"'
_AFTER_HASH = b'","inputs":{'


def verify(path: Path, anchor: Anchor | None = None) -> Verification:
    """Recompute the whole chain in one streaming pass (constant memory); stop at the first bad record.

    Every record is hashed and linked to its predecessor. Most lines are judged on their bytes: the `hash`
    member where the canonical form puts it (after `exit_code`, before `inputs`), the rest of the line
    hashing to it, and the expected `prev` and `seq` at their canonical place. The first and the last
    record, and any record whose bytes do not pass that, are also parsed in full (JSON, fields and types, the canonical
    form `_parse` demands); a record in between is vouched for by its successor, whose hashed body holds
    its hash and which `append` wrote only after parsing it in full (docs/audit.md, "Verifying").
    When the last record checked on bytes fails in full, the one before it is the head.
    """
    expected, first_time = 1, None
    prev, before = GENESIS.encode(), GENESIS.encode()  # hashes of the newest intact record and its predecessor
    body = last = b""  # the newest intact line, and the one before it
    parsed_last = True  # the newest intact line was parsed in full, not only checked on bytes
    anchor_hash = anchor.hash.encode() if anchor else b""
    anchor_at: int | None = None if anchor else 0  # seq of the record that matched the anchor
    problem: Problem | None = None
    torn: TornTail | None = None
    sha256 = hashlib.sha256
    with _shared(path) as handle:
        offset = 0
        for raw in handle:
            if not raw.endswith(b"\n"):
                torn = TornTail(expected, offset, len(raw), _preview(raw))
                problem = _problem(path, expected, Code.TORN,
                                   f"record {expected} is torn: the last line has {len(raw)} bytes and no "
                                   "newline (a crash mid-write); `wardctl audit repair --truncate-torn` "
                                   "removes it")
                break
            # judged on the bytes, the newline kept (one copy fewer): this loop is the whole cost of a long log
            at = raw.find(_HASH_MEMBER)
            if at > 0 and expected > 1 and raw[at + 73:at + 85] == _AFTER_HASH \
                    and sha256(raw[:at] + raw[at + 74:-1]).hexdigest().encode() == raw[at + 9:at + 73] \
                    and raw.find(b',"prev":"%s","seq":%d,"summary":{' % (prev, expected), at + 85) > 0 \
                    and raw.startswith(b'{"actor":"'):
                record_hash, parsed = raw[at + 9:at + 73], False
            else:
                try:
                    record = _parse(raw[:-1], path, expected)
                except AuditError as exc:
                    problem = exc.problems[0]
                    break
                if record.seq != expected:
                    problem = _problem(path, expected, Code.SEQUENCE,
                                       f"record {expected}: found record {record.seq} where record {expected} "
                                       "belongs (a record was removed, reordered or inserted here)")
                    break
                if record.prev.encode() != prev:
                    problem = _problem(path, expected, Code.CHAIN,
                                       f"record {expected}: its prev hash is not the hash of record "
                                       f"{expected - 1} (the chain was rewritten here)")
                    break
                record_hash, parsed = record.hash.encode(), True
                first_time = first_time or record.time
            if anchor_at is None and anchor is not None:
                if anchor.seq == expected and anchor_hash != record_hash:
                    problem = _problem(path, expected, Code.ANCHOR,
                                       f"record {expected} is not the anchored record {anchor.token()}: "
                                       "the log was rewritten")
                    break
                if anchor_hash == record_hash and anchor.seq in (None, expected):
                    anchor_at = expected
            before, prev = prev, record_hash
            last, body = body, raw
            parsed_last = parsed
            expected += 1
            offset += len(raw)
    if not parsed_last:  # no successor vouches for the newest record: parse it in full now
        try:
            _parse(body[:-1], path, expected - 1)
        except AuditError as exc:  # it is the first bad record: step back to the one before it
            problem, torn = exc.problems[0], None
            expected -= 1
            prev, body = before, last
            if anchor_at is not None and anchor_at >= expected:
                anchor_at = None
    records = expected - 1
    last_time = json.loads(body)["time"] if records else None
    if problem is None and anchor is not None and anchor_at is None:
        if anchor.seq is not None and anchor.seq > records:
            missing = (f"record {records + 1}" if anchor.seq == records + 1
                       else f"records {records + 1}..{anchor.seq}")
            problem = _problem(path, records + 1, Code.ANCHOR,
                               f"{missing} missing: the log ends at record {records} but the anchor names "
                               f"record {anchor.seq} (the tail was truncated)")
        else:
            problem = _problem(path, records + 1, Code.ANCHOR,
                               f"anchor {anchor.hash} is not in the log ({records} records): "
                               "the log was truncated or rewritten")
    return Verification(path, records, first_time if records else None, last_time, records, prev.decode(),
                        anchor, problem, torn)


def read_records(path: Path, containing: Sequence[bytes] = ()) -> Iterator[Record]:
    """Every intact record in order, streaming; stops before a torn tail; AuditError on a damaged line.

    With `containing`, only the lines holding one of those byte strings are parsed and yielded: a reader
    that wants a few kinds of record (e.g. `b'"break_glass"'`) skips the JSON work on every other line.
    """
    with _shared(path) as handle:
        if not containing:
            for line, raw in enumerate(handle, start=1):
                if not raw.endswith(b"\n"):
                    return
                yield _parse(raw[:-1], path, line)
            return
        if os.fstat(handle.fileno()).st_size == 0:
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            yield from _lines_marked(data, containing, path)


def _lines_marked(data: mmap.mmap, containing: Sequence[bytes], path: Path) -> Iterator[Record]:
    # Each mark found by one pass of bytes.find over the whole log (memchr speed), then only those lines read:
    # a per-line test costs more than the whole hash chain on a log of 100 k records.
    end = data.rfind(b"\n") + 1  # a torn tail is not a record
    starts: set[int] = set()
    for mark in containing:
        at = data.find(mark, 0, end)
        while at != -1:
            start = data.rfind(b"\n", 0, at) + 1
            starts.add(start)
            at = data.find(mark, data.find(b"\n", at, end) + 1, end)
    line, counted = 1, 0
    for start in sorted(starts):
        line += data[counted:start].count(b"\n")
        counted = start
        yield _parse(data[start:data.find(b"\n", start, end)], path, line)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _tail(fd: int, size: int) -> tuple[int, bytes]:
    """Offset and bytes of the last line without its newline (the torn fragment if there is no newline)."""
    end = size - 1 if size and os.pread(fd, 1, size - 1) == b"\n" else size
    start, chunk = end, b""  # chunk always holds the bytes [start, end)
    while start > 0:
        step = min(_TAIL_CHUNK, start)
        chunk = os.pread(fd, step, start - step) + chunk
        start -= step
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            return start + newline + 1, chunk[newline + 1:]
    return 0, chunk


def _last_record(fd: int, path: Path) -> Record | None:
    """The last record, read from the end of the file; refuses to extend a torn or damaged tail."""
    size = os.fstat(fd).st_size
    if size == 0:
        return None
    offset, raw = _tail(fd, size)
    if os.pread(fd, 1, size - 1) != b"\n":
        raise AuditError([_problem(path, 0, Code.TORN,
                                   f"the last line (at byte {offset}) is torn; nothing appended: run "
                                   "`wardctl audit repair --truncate-torn` first")])
    try:
        return _parse(raw, path, 0)
    except AuditError as exc:
        raise AuditError([_problem(path, 0, Code(exc.problems[0].code),
                                   f"the last record is damaged ({exc.problems[0].message}); nothing "
                                   "appended: run `wardctl audit verify`")]) from None


def append(path: Path, entries: Sequence[Entry], clock: Callable[[], str] = utc_now) -> list[Record]:
    """Append `entries` as the next records, atomically and durably, under an exclusive lock."""
    try:
        make_directory(path.parent)
        fd = open_log_fd(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    except FileError as exc:
        problem = exc.problems[0]
        raise AuditError([_problem(path, 0, Code.UNREADABLE, f"{problem.code} {problem.message}; "
                                   "nothing appended")]) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        rfd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)  # O_APPEND fds cannot pread on every platform
        try:
            last = _last_record(rfd, path)
            size = os.fstat(rfd).st_size
            was_empty = size == 0
        finally:
            os.close(rfd)
        seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
        records: list[Record] = []
        lines: list[bytes] = []
        for entry in entries:
            seq += 1
            record, line = sealed_line(entry, seq, clock(), prev)
            records.append(record)
            lines.append(line)
            prev = record.hash
        try:
            _write_all(fd, b"".join(lines))  # one write: no reader sees a partial batch
            os.fsync(fd)
            if was_empty:  # a new file's directory entry must be durable too
                dir_fd = os.open(path.parent, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
        except OSError as exc:
            _restore(fd, size)  # a short write (full disk) never leaves a torn record behind
            raise AuditError([_problem(path, 0, Code.UNREADABLE,
                                       f"cannot append: {exc.strerror or exc}; nothing appended, the log "
                                       "is as it was")]) from None
    finally:
        os.close(fd)  # releases the lock
    return records


def _restore(fd: int, size: int) -> None:
    """Cut the log back to `size`, its last good end (we still hold the exclusive lock)."""
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    except OSError:  # pragma: no cover - the tail is then torn, which verify and append both catch
        pass


def find_torn(path: Path) -> TornTail | None:
    """The torn last line, if the log does not end with a newline."""
    with _shared(path) as handle:
        fd = handle.fileno()
        size = os.fstat(fd).st_size
        if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
            return None
        offset, raw = _tail(fd, size)
        handle.seek(0)
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
        return TornTail(lines + 1, offset, len(raw), _preview(raw))


def truncate_torn(path: Path, torn: TornTail) -> None:
    """Cut the log back to just before `torn`, if its tail is still exactly that fragment."""
    try:
        fd = open_log_fd(path, os.O_RDWR)
    except FileError as exc:
        raise AuditError([_problem(path, 0, Code.UNREADABLE, exc.problems[0].message)]) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size != torn.offset + torn.length or (size and os.pread(fd, 1, size - 1) == b"\n") \
                or _tail(fd, size)[0] != torn.offset:
            raise AuditError([_problem(path, torn.line, Code.TORN,
                                       "the log changed since the torn line was found; nothing truncated")])
        os.ftruncate(fd, torn.offset)
        os.fsync(fd)
    finally:
        os.close(fd)
