"""One audit record: its fields, canonical JSON encoding and SHA-256 hash.

A record's line in the log is exactly `canonical(record)`: JSON with sorted keys, no insignificant
whitespace, UTF-8 (RFC 8785's form for the value types a record holds: strings, integers, booleans,
null, arrays and objects; floats are stored as strings so no number formatting is ambiguous). The
hash is SHA-256 over the canonical encoding of every field but `hash`, so it covers `prev`, the
previous record's hash: changing, removing or reordering any record breaks every later link.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

FORMAT_VERSION = 1
GENESIS = "0" * 64  # `prev` of the first record
OUTCOMES = ("started", "success", "failure")

# Field name → accepted JSON types, in the order records are documented (docs/audit.md).
FIELDS: dict[str, tuple[type, ...]] = {
    "v": (int,), "seq": (int,), "time": (str,), "actor": (str,), "command": (str,), "argv": (list,),
    "inputs": (dict,), "outcome": (str,), "exit_code": (int, type(None)), "wards": (list,),
    "summary": (dict,), "prev": (str,), "hash": (str,),
}
# Optional fields, present only when set (a record without them hashes as it always did).
# `sig`: the signer's signature over the record's content (audit/authenticate.py).
OPTIONAL_FIELDS: dict[str, tuple[type, ...]] = {"sig": (dict,)}


@dataclass(frozen=True)
class Entry:
    """What a command asks to record; the log adds seq, time, prev and hash when it appends."""

    actor: str
    command: str
    argv: tuple[str, ...]
    inputs: Mapping[str, Any]
    outcome: str
    exit_code: int | None
    summary: Mapping[str, Any] = field(default_factory=dict)
    wards: tuple[str, ...] = ()
    sig: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Record:
    """One line of the audit log, as stored."""

    seq: int
    time: str
    actor: str
    command: str
    argv: tuple[str, ...]
    inputs: Mapping[str, Any]
    outcome: str
    exit_code: int | None
    wards: tuple[str, ...]
    summary: Mapping[str, Any]
    prev: str
    hash: str
    v: int = FORMAT_VERSION
    sig: Mapping[str, Any] | None = None

    def body(self) -> dict[str, Any]:
        """Every field but `hash`: what the hash covers (`sig` only when the record is signed)."""
        body = {"v": self.v, "seq": self.seq, "time": self.time, "actor": self.actor, "command": self.command,
                "argv": list(self.argv), "inputs": dict(self.inputs), "outcome": self.outcome,
                "exit_code": self.exit_code, "wards": list(self.wards), "summary": dict(self.summary),
                "prev": self.prev}
        return body | ({"sig": dict(self.sig)} if self.sig is not None else {})

    def to_json(self) -> dict[str, Any]:
        """The stored object, `hash` included."""
        return {**self.body(), "hash": self.hash}

    def line(self) -> bytes:
        """The record's line in the log, newline included."""
        return canonical(self.to_json()) + b"\n"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Record:
        """A record from its parsed JSON object; the caller has checked `FIELDS`."""
        return cls(seq=data["seq"], time=data["time"], actor=data["actor"], command=data["command"],
                   argv=tuple(data["argv"]), inputs=data["inputs"], outcome=data["outcome"],
                   exit_code=data["exit_code"], wards=tuple(data["wards"]), summary=data["summary"],
                   prev=data["prev"], hash=data["hash"], v=data["v"], sig=data.get("sig"))


def canonical(value: Any) -> bytes:
    """The one byte encoding of a JSON value: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def digest(body: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a record body's canonical encoding."""
    return hashlib.sha256(canonical(body)).hexdigest()


_HASH_MEMBER = b'"hash":"'


def body_sha256(line: bytes) -> str:
    """SHA-256 of a stored line with its `,"hash":"…"` member cut out, without re-encoding anything.

    For a canonical line this is exactly `digest(body)`: keys are sorted, so the top-level `hash` member
    follows `exit_code` and precedes every nested object (`inputs`, `summary`), and a string can never
    contain the bytes `"hash":"` unescaped. A line that is not canonical hashes to something else, so an
    edit that keeps the JSON meaning (added whitespace, escaped letters) is still caught.
    """
    at = line.find(_HASH_MEMBER)
    if at < 1 or line[at - 1:at] != b",":
        return ""
    return hashlib.sha256(line[:at - 1] + line[at + len(_HASH_MEMBER) + 65:]).hexdigest()


def seal(entry: Entry, seq: int, time: str, prev: str) -> Record:
    """The record `entry` becomes when appended as number `seq` after the record hashed `prev`."""
    return sealed_line(entry, seq, time, prev)[0]


def sealed_line(entry: Entry, seq: int, time: str, prev: str) -> tuple[Record, bytes]:
    """The sealed record and its stored line, encoding the body once (appends are bound by this)."""
    unsealed = Record(seq=seq, time=time, actor=entry.actor, command=entry.command,
                      argv=tuple(str(a) for a in entry.argv), inputs=jsonable(entry.inputs),
                      outcome=entry.outcome, exit_code=entry.exit_code, wards=tuple(entry.wards),
                      summary=jsonable(entry.summary), prev=prev, hash="",
                      sig=jsonable(entry.sig) if entry.sig is not None else None)
    body = canonical(unsealed.body())
    record = replace(unsealed, hash=hashlib.sha256(body).hexdigest())
    # `hash` sorts between `exit_code` and `inputs`; the first `,"inputs":` is the top-level one
    # (nothing before it holds an object, and strings escape their quotes).
    at = body.index(b',"inputs":')
    return record, body[:at] + b',"hash":"' + record.hash.encode() + b'"' + body[at:] + b"\n"


def jsonable(value: Any) -> Any:
    """`value` with every leaf a canonical JSON type: exact numbers and paths become strings."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)  # floats have no single JSON spelling (yen are ints anyway); Decimal, Fraction, paths


def check_shape(data: Any) -> str | None:
    """Why `data` is not a record object, or None if it has exactly the record fields and types."""
    if not isinstance(data, dict):
        return "not a JSON object"
    missing = [name for name in FIELDS if name not in data]
    extra = sorted(set(data) - set(FIELDS) - set(OPTIONAL_FIELDS))
    if missing or extra:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unexpected {', '.join(extra)}"] if extra else [])
        return "; ".join(parts)
    present = {**FIELDS, **{k: v for k, v in OPTIONAL_FIELDS.items() if k in data}}
    for name, types in present.items():
        value = data[name]
        if isinstance(value, bool) or not isinstance(value, types):
            return f"field {name} has the wrong type"
    if data["outcome"] not in OUTCOMES:
        return f"outcome must be one of {', '.join(OUTCOMES)}"
    return None


def is_hex_hash(text: str) -> bool:
    """True for a lowercase 64-digit hex SHA-256."""
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)
