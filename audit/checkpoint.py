"""Witnessed checkpoints: the log's head in a signed note, co-signed by witnesses who saw it grow.

A checkpoint is a C2SP signed note (c2sp.org/signed-note, the form sigsum and Go's checksum database
use) whose text is C2SP tlog-checkpoint's three lines plus one extension line:

    wardcloud.audit/<origin>          the log's name
    42                                records in the log
    n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=    the SHA-256 head hash (record 42's `hash`), base64
    time 2026-12-02T03:00:00Z

    — alice@platform.example AAAAB…  (4-byte key id + Ed25519 signature, base64), one line per signer

The platform signs it (`audit checkpoint --key`, a `platform` signer); each witness (`audit witness
--key`, typically a ward's signer) first checks that the log is a hash-chain extension of the last
checkpoint *it* saw — kept in its own state file — and only then adds its line. `verify_checkpoints` checks
every saved checkpoint against the log: a log shorter than a checkpoint (truncated), a record whose hash
is not the one signed (rewritten, or a fork shown to someone else), or a bad signature is AUD016.
The head is a hash chain, not a Merkle tree: a witness proves consistency by reading the chain itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wardcloud.audit.errors import AuditError, Code, Problem
from wardcloud.audit.keys import SigningKey
from wardcloud.audit.log import read_records, verify
from wardcloud.audit.signers import Signer, Signers
from wardcloud.core.files import write_atomic

ORIGIN_PREFIX = "wardcloud.audit/"
NAMESPACE = "wardcloud-audit"  # the allowed_signers namespace a checkpoint signer needs
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space, as signed-note requires


def key_id(name: str, raw_public: bytes) -> bytes:
    """signed-note's key ID for Ed25519: SHA-256(name || "\\n" || 0x01 || key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + b"\x01" + raw_public).digest()[:4]


def _bad(where: str, message: str) -> AuditError:
    return AuditError([Problem(where, 0, 0, Code.CHECKPOINT, message)])


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    head: str  # hex SHA-256
    time: str
    signatures: tuple[tuple[str, bytes], ...] = field(default=())  # (key name, key id + signature)

    def text(self) -> bytes:
        """The signed body: every line before the blank line, newline-terminated."""
        head = base64.b64encode(bytes.fromhex(self.head)).decode()
        return f"{self.origin}\n{self.size}\n{head}\ntime {self.time}\n".encode()

    def note(self) -> str:
        lines = [f"{SIGNATURE_PREFIX}{name} {base64.b64encode(sig).decode()}" for name, sig in self.signatures]
        return self.text().decode() + "\n" + "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, note: str, where: str) -> Checkpoint:
        body, sep, signature_block = note.partition("\n\n")
        lines = body.split("\n")
        if not sep or len(lines) != 4 or not lines[0].startswith(ORIGIN_PREFIX) or not lines[1].isdigit() \
                or not lines[3].startswith("time "):
            raise _bad(where, "not a wardcloud checkpoint note (origin, size, head, time; blank line; "
                              "signature lines)")
        try:
            head = base64.b64decode(lines[2], validate=True)
        except binascii.Error:
            raise _bad(where, "the head hash is not base64") from None
        if len(head) != 32:
            raise _bad(where, "the head hash is not 32 bytes")
        signatures = []
        for line in signature_block.splitlines():
            if not line.startswith(SIGNATURE_PREFIX) or len(line.split(" ")) != 3:
                raise _bad(where, f"malformed signature line {line[:40]!r}")
            _dash, name, value = line.split(" ")
            try:
                signatures.append((name, base64.b64decode(value, validate=True)))
            except binascii.Error:
                raise _bad(where, f"signature of {name} is not base64") from None
        return cls(lines[0], int(lines[1]), head.hex(), lines[3].removeprefix("time "), tuple(signatures))

    def signed_by(self, signer: Signer) -> bool:
        """True when a signature line of `signer` (its first principal as key name) verifies."""
        name, raw = signer.name, signer.key.raw
        return any(n == name and sig[:4] == key_id(name, raw) and signer.key.verify_raw(self.text(), sig[4:])
                   for n, sig in self.signatures)

    def cosign(self, key: SigningKey, name: str) -> Checkpoint:
        line = (name, key_id(name, key.public.raw) + key.sign_raw(self.text()))
        return Checkpoint(self.origin, self.size, self.head, self.time,
                          tuple(s for s in self.signatures if s[0] != name) + (line,))

    def to_json(self) -> dict[str, Any]:
        return {"origin": self.origin, "size": self.size, "head": self.head, "time": self.time,
                "signers": [name for name, _ in self.signatures]}


def checkpoints_dir(log: Path) -> Path:
    return log.with_name(log.name + ".checkpoints")


def _path(log: Path, size: int) -> Path:
    return checkpoints_dir(log) / f"{size:012d}.note"


def saved_checkpoints(log: Path) -> Iterator[tuple[Path, Checkpoint]]:
    directory = checkpoints_dir(log)
    for path in sorted(directory.glob("*.note")) if directory.is_dir() else []:
        yield path, Checkpoint.parse(path.read_text(encoding="utf-8"), str(path))


def _signer(signers: Signers, key: SigningKey, role: str | None) -> Signer:
    signer = signers.by_fingerprint(key.fingerprint)
    if signer is None or (role is not None and role not in signer.roles):
        need = f"a {role} signer" if role else "an allowed signer"
        raise _bad(signers.path, f"key {key.fingerprint} is not {need} in {signers.path}")
    if not signer.may_sign(NAMESPACE, datetime.now(UTC)):
        raise _bad(signers.path, f"{signer.name} may not sign {NAMESPACE}")
    return signer


def make_checkpoint(log: Path, key: SigningKey, signers: Signers, origin: str | None = None) -> tuple[Path,
                                                                                                      Checkpoint]:
    """Verify the log, sign its head as a `platform` signer, save the note next to the log."""
    result = verify(log)
    if result.problem is not None:
        raise AuditError([result.problem])
    if result.records == 0:
        raise _bad(str(log), "the log is empty: nothing to checkpoint")
    signer = _signer(signers, key, "platform")
    checkpoint = Checkpoint(ORIGIN_PREFIX + (origin or log.name), result.head_seq, result.head_hash,
                            datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")).cosign(key, signer.name)
    path = _path(log, checkpoint.size)
    write_atomic(path, checkpoint.note())
    return path, checkpoint


def _hashes_at(log: Path, sizes: set[int]) -> tuple[dict[int, str], int]:
    """The `hash` of each record numbered in `sizes`, and the log's length."""
    found: dict[int, str] = {}
    count = 0
    for record in read_records(log):
        count = record.seq
        if record.seq in sizes:
            found[record.seq] = record.hash
    return found, count


def witness(log: Path, key: SigningKey, signers: Signers, state: Path) -> tuple[Path, Checkpoint]:
    """Co-sign the latest checkpoint after checking, from the witness's own memory (`state`), that the log
    is an extension of the last checkpoint it co-signed. Refuses (AUD016) a truncated, rewritten or
    forked log, and a checkpoint the platform did not sign."""
    result = verify(log)
    if result.problem is not None:
        raise AuditError([result.problem])
    latest = list(saved_checkpoints(log))
    if not latest:
        raise _bad(str(log), "no checkpoint to witness: run `wardctl audit checkpoint` first")
    path, checkpoint = latest[-1]
    if not any(checkpoint.signed_by(s) for s in signers.with_role("platform")):
        raise _bad(str(path), "the checkpoint carries no valid platform signature")
    me = _signer(signers, key, None)
    seen: dict[str, Any] = {}
    if state.exists():
        try:
            seen = json.loads(state.read_text(encoding="utf-8")).get(checkpoint.origin, {})
        except (OSError, ValueError, AttributeError):
            raise _bad(str(state), "the witness state file is unreadable") from None
    hashes, length = _hashes_at(log, {checkpoint.size, int(seen.get("size", 0))})
    if hashes.get(checkpoint.size) != checkpoint.head:
        raise _bad(str(path), f"record {checkpoint.size} of the log is not the checkpoint's head "
                              f"(log has {length} records): rewritten or truncated")
    if seen:
        if int(seen["size"]) > checkpoint.size:
            raise _bad(str(path), f"this witness already saw {seen['size']} records; the checkpoint has "
                                  f"{checkpoint.size}: the log was truncated")
        if hashes.get(int(seen["size"])) != seen["head"]:
            raise _bad(str(path), f"record {seen['size']} is not the one this witness saw: the log was "
                                  "rewritten (a fork)")
    cosigned = checkpoint.cosign(key, me.name)
    write_atomic(path, cosigned.note())
    memory: dict[str, Any] = {}
    if state.exists():
        memory = json.loads(state.read_text(encoding="utf-8"))
    memory[checkpoint.origin] = {"size": checkpoint.size, "head": checkpoint.head, "time": checkpoint.time}
    write_atomic(state, json.dumps(memory, indent=1, sort_keys=True) + "\n")
    return path, cosigned


@dataclass(frozen=True)
class CheckpointReport:
    checked: tuple[dict[str, Any], ...]
    problem: Problem | None

    def to_json(self) -> dict[str, Any]:
        return {"checkpoints": list(self.checked), "problems": [self.problem.to_json()] if self.problem else []}


def verify_checkpoints(log: Path, signers: Signers, min_witnesses: int = 0) -> CheckpointReport:
    """Every saved checkpoint: platform-signed, `min_witnesses` other valid co-signers, and its head is
    record `size` of the log. The first failure is the problem (AUD016)."""
    notes = list(saved_checkpoints(log))
    hashes, length = _hashes_at(log, {c.size for _, c in notes})
    checked: list[dict[str, Any]] = []
    for path, checkpoint in notes:
        platform = [s for s in signers.with_role("platform") if checkpoint.signed_by(s)]
        witnesses = [s for s in signers.signers if checkpoint.signed_by(s) and s not in platform]
        entry = checkpoint.to_json() | {"file": str(path), "platform": [s.name for s in platform],
                                        "witnesses": [s.name for s in witnesses]}
        checked.append(entry)
        why = None
        if not platform:
            why = "no valid platform signature"
        elif len(witnesses) < min_witnesses:
            why = f"{len(witnesses)} witness co-signature(s), {min_witnesses} required"
        elif checkpoint.size > length:
            why = (f"the log ends at record {length} but was checkpointed at {checkpoint.size} records: "
                   "truncated")
        elif hashes.get(checkpoint.size) != checkpoint.head:
            why = f"record {checkpoint.size} is not the one checkpointed: rewritten (or a fork)"
        if why is not None:
            return CheckpointReport(tuple(checked), Problem(str(path), checkpoint.size, 0, Code.CHECKPOINT,
                                                            f"checkpoint {checkpoint.size}: {why}"))
    return CheckpointReport(tuple(checked), None)
