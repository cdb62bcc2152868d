"""Signed audit records: the actor is a key fingerprint and the record carries that key's signature.

A signed record's `sig` is `{fingerprint, key, namespace: "wardcloud-audit", nonce, signature}`; the
signature covers the canonical JSON of the record's content (actor, command, argv, inputs, outcome,
exit_code, summary, wards) and the nonce. The chain (seq, prev, hash) places the record; the signature
says who wrote it. Whoever can write the log can recompute every hash, but cannot sign as someone else:
`audit verify` with a signers file refuses a record whose signature does not verify, whose key is not an
allowed signer, whose actor is not its key's fingerprint, or whose nonce was seen before (a replayed
copy), and a record of a command that is always signed (`SIGNED_COMMANDS`) that carries no signature.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wardcloud.audit.errors import Code, Problem
from wardcloud.audit.log import read_records
from wardcloud.audit.record import Entry, Record, canonical, jsonable

if TYPE_CHECKING:  # the keys module (and cryptography) is imported only when a signature is made or checked
    from wardcloud.audit.keys import SigningKey
    from wardcloud.audit.signers import Signers

NAMESPACE = "wardcloud-audit"
SIGNED_COMMANDS = frozenset({"approve", "approve waiver", "apply", "audit ack"})


def _payload(actor: str, command: str, argv: Iterable[str], inputs: Mapping[str, Any], outcome: str,
             exit_code: int | None, summary: Mapping[str, Any], wards: Iterable[str], nonce: str) -> bytes:
    return canonical({"actor": actor, "command": command, "argv": [str(a) for a in argv],
                      "inputs": jsonable(inputs), "outcome": outcome, "exit_code": exit_code,
                      "summary": jsonable(summary), "wards": list(wards), "nonce": nonce})


def sign_entry(entry: Entry, key: SigningKey) -> Entry:
    """`entry` with its actor set to the key's fingerprint and signed by it."""
    nonce = os.urandom(16).hex()  # what secrets.token_hex does, without importing random, base64 and hmac
    entry = replace(entry, actor=key.fingerprint)
    signature = key.sign(NAMESPACE, _payload(entry.actor, entry.command, entry.argv, entry.inputs,
                                             entry.outcome, entry.exit_code, entry.summary, entry.wards, nonce))
    return replace(entry, sig=signature.to_json() | {"nonce": nonce})


@dataclass
class Authenticator:
    """Checks records one by one (as `verify` streams them): signatures, signers, replays."""

    signers: Signers | None
    seen: set[str]
    signed: int = 0
    unsigned: int = 0

    def check(self, record: Record, where: str) -> Problem | None:
        """The problem with this record's authentication, or None."""
        def bad(message: str) -> Problem:
            return Problem(where, record.seq, 0, Code.SIGNATURE, f"record {record.seq}: {message}")

        if record.sig is None:
            self.unsigned += 1
            if record.command in SIGNED_COMMANDS:
                return bad(f"a `{record.command}` record must be signed and this one is not (forged or edited)")
            return None
        from wardcloud.audit.keys import Signature

        self.signed += 1
        sig = dict(record.sig)
        nonce = sig.pop("nonce", None)
        try:
            signature = Signature.from_json(sig)
        except Exception:  # noqa: BLE001 - any malformed sig is one problem
            return bad("its signature field is malformed")
        if not isinstance(nonce, str) or not nonce:
            return bad("its signature has no nonce")
        if signature.fingerprint != record.actor:
            return bad(f"actor {record.actor} is not the signing key {signature.fingerprint}")
        payload = _payload(record.actor, record.command, record.argv, record.inputs, record.outcome,
                           record.exit_code, record.summary, record.wards, nonce)
        if not signature.valid_for(NAMESPACE, payload):
            return bad(f"the signature of {signature.fingerprint} does not verify (forged or edited)")
        if nonce in self.seen:
            return bad("its signature was already used by an earlier record (a replayed copy)")
        self.seen.add(nonce)
        if self.signers is not None:
            signer = self.signers.by_fingerprint(signature.fingerprint)
            when = datetime.fromisoformat(record.time.replace("Z", "+00:00")).astimezone(UTC)
            if signer is None:
                return bad(f"key {signature.fingerprint} is not in {self.signers.path}")
            if not signer.may_sign(NAMESPACE, when):
                return bad(f"key {signature.fingerprint} ({signer.name}) may not sign audit records then")
        return None


def authenticate(records: Iterable[Record], log: Path, signers: Signers | None) -> tuple[Authenticator,
                                                                                          Problem | None]:
    """Check every record's signature; stops at the first problem."""
    auth = Authenticator(signers, set())
    for record in records:
        problem = auth.check(record, str(log))
        if problem is not None:
            return auth, problem
    return auth, None


def _marks(commands: Iterable[str]) -> tuple[bytes, ...]:
    """Byte strings that every line needing a signature check holds, in the one form a record is read in.

    A record is only ever read through `log._parse`, which refuses a line that is not the canonical encoding
    of its JSON (sorted keys, no spaces, one copy of each key). In that form a top-level signature is
    `,"sig":` (it is never the first key) and the command is `"command":"NAME"`; without a backslash a
    string is its bytes as written, so neither can hide inside another string, and a line with any escape
    is always read. One mark covers every signed command: `"command":"` and their common prefix (a line of
    another command that shares it is read for nothing, never skipped). Each mark costs one pass over the
    whole log, so there are three, not one per command.
    """
    prefix = os.path.commonprefix(sorted(commands))
    return b"\\", b',"sig":', b'"command":"' + prefix.encode()


_MAY_NEED_CHECKING = _marks(SIGNED_COMMANDS)


def authenticate_log(log: Path, records: int, signers: Signers | None) -> tuple[Authenticator, Problem | None]:
    """`authenticate` over a log whose hash chain of `records` records is verified: only the lines that could
    carry a signature or a command that must be signed are parsed (the rest are counted as unsigned)."""
    auth, problem = authenticate(read_records(log, containing=_MAY_NEED_CHECKING), log, signers)
    auth.unsigned = (records - auth.signed) if problem is None else auth.unsigned
    return auth, problem

