"""Who may sign: an OpenSSH `allowed_signers` file (as git uses for signed commits) with roles.

Each line: `PRINCIPALS [OPTIONS] ssh-ed25519 BASE64 [COMMENT]`, `#` comments and blank lines ignored
(ssh-keygen(1), ALLOWED SIGNERS). Options are OpenSSH's, comma-separated, values in double quotes:
`namespaces="wardcloud-plan,wardcloud-audit"` limits what the key may sign (absent: everything);
`valid-after` / `valid-before` (YYYYMMDD[HHMM[SS]][Z]) bound when; `wardcloud-roles="security,platform"`
is ours and names the signer's roles: `platform`, `security`, `finance`, `ward:<code6>`. ssh-keygen ignores
no unknown option, so a file with `wardcloud-roles` is for wardctl; the rest is the format git reads.
This is a parser only: signatures are checked by `audit.keys` (cryptography's Ed25519).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from wardcloud.audit.errors import AuditError, Code, Problem
from wardcloud.audit.keys import KEY_TYPE, PublicKey

ROLE = re.compile(r"^(platform|security|finance|ward:\d{6})$")
ROLES_OPTION = "wardcloud-roles"


@dataclass(frozen=True)
class Signer:
    """One allowed signer: its principals, roles, key and where it was declared."""

    principals: tuple[str, ...]
    roles: frozenset[str]
    key: PublicKey
    namespaces: tuple[str, ...] | None = None  # None: any namespace
    valid_after: datetime | None = None
    valid_before: datetime | None = None
    line: int = 0

    @property
    def fingerprint(self) -> str:
        return self.key.fingerprint

    @property
    def name(self) -> str:
        return self.principals[0]

    def wards(self) -> frozenset[str]:
        """The ward codes this signer speaks for (`ward:<code6>` roles)."""
        return frozenset(r.removeprefix("ward:") for r in self.roles if r.startswith("ward:"))

    def may_sign(self, namespace: str, when: datetime) -> bool:
        """True when this key is allowed `namespace` at `when`."""
        if self.namespaces is not None and namespace not in self.namespaces:
            return False
        if self.valid_after is not None and when < self.valid_after:
            return False
        return not (self.valid_before is not None and when > self.valid_before)

    def to_json(self) -> dict[str, object]:
        return {"principal": self.name, "fingerprint": self.fingerprint, "roles": sorted(self.roles)}


@dataclass(frozen=True)
class Signers:
    """The parsed file: signers by fingerprint."""

    path: str
    signers: tuple[Signer, ...]

    def by_fingerprint(self, fingerprint: str) -> Signer | None:
        for signer in self.signers:
            if signer.fingerprint == fingerprint:
                return signer
        return None

    def with_role(self, role: str) -> tuple[Signer, ...]:
        return tuple(s for s in self.signers if role in s.roles)


def _split(text: str) -> list[str]:
    """Whitespace-separated fields, a double-quoted run kept inside its field."""
    fields: list[str] = []
    current, quoted = "", False
    for char in text:
        if char == '"':
            quoted = not quoted
            current += char
        elif char.isspace() and not quoted:
            if current:
                fields.append(current)
            current = ""
        else:
            current += char
    if quoted:
        raise ValueError("unterminated double quote")
    if current:
        fields.append(current)
    return fields


def _options(text: str) -> dict[str, str | None]:
    """`a="x,y",b,c=z` → {a: "x,y", b: None, c: "z"} (commas inside quotes stay)."""
    options: dict[str, str | None] = {}
    for item in re.findall(r'(?:[^,"]|"[^"]*")+', text):
        name, _, value = item.partition("=")
        options[name.strip().lower()] = value.strip('"') if _ else None
    return options


def _time(value: str) -> datetime:
    text = value.rstrip("Zz")
    for fmt in ("%Y%m%d%H%M%S", "%Y%m%d%H%M", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(f"{value!r} is not YYYYMMDD[HHMM[SS]]")


def parse_line(text: str, where: str, number: int) -> Signer | None:
    """One line of the file, None for blanks and comments; AuditError (AUD014) naming the line."""
    stripped = text.strip()
    if not stripped or stripped.startswith("#"):
        return None

    def bad(message: str) -> AuditError:
        return AuditError([Problem(where, number, 1, Code.BAD_SIGNERS, message)])

    try:
        fields = _split(stripped)
    except ValueError as exc:
        raise bad(str(exc)) from None
    if len(fields) < 3:
        raise bad("expected PRINCIPALS [OPTIONS] ssh-ed25519 KEY")
    principals = tuple(p for p in fields[0].strip('"').split(",") if p)
    options: dict[str, str | None] = {}
    rest = fields[1:]
    if rest[0] != KEY_TYPE:
        options = _options(rest[0])
        rest = rest[1:]
    if len(rest) < 2 or rest[0] != KEY_TYPE:
        raise bad(f"only {KEY_TYPE} keys are accepted")
    try:
        key = PublicKey.parse(f"{rest[0]} {rest[1]}", where)
    except AuditError as exc:
        raise bad(exc.problems[0].message) from None
    roles = frozenset(r.strip() for r in (options.get(ROLES_OPTION) or "").split(",") if r.strip())
    wrong = sorted(r for r in roles if not ROLE.match(r))
    if wrong:
        raise bad(f"unknown role {wrong[0]!r}: roles are platform, security, finance, ward:<code6>")
    namespaces = options.get("namespaces")
    try:
        after = _time(options["valid-after"] or "") if "valid-after" in options else None
        before = _time(options["valid-before"] or "") if "valid-before" in options else None
    except ValueError as exc:
        raise bad(str(exc)) from None
    return Signer(principals, roles, key,
                  tuple(n.strip() for n in namespaces.split(",")) if namespaces else None,
                  after, before, number)


def parse(lines: Iterable[str], where: str) -> Signers:
    """Every signer of the file; a key listed twice is refused (one key, one set of roles)."""
    signers: list[Signer] = []
    seen: dict[str, int] = {}
    for number, text in enumerate(lines, 1):
        signer = parse_line(text, where, number)
        if signer is None:
            continue
        if signer.fingerprint in seen:
            raise AuditError([Problem(where, number, 1, Code.BAD_SIGNERS,
                                      f"key {signer.fingerprint} is already listed on line "
                                      f"{seen[signer.fingerprint]}")])
        seen[signer.fingerprint] = number
        signers.append(signer)
    return Signers(where, tuple(signers))


def load(path: Path) -> Signers:
    """The signers file at `path`; AuditError (AUD014) if it is missing or malformed."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditError([Problem(str(path), 0, 0, Code.BAD_SIGNERS,
                                  f"cannot read the signers file: {getattr(exc, 'strerror', None) or exc}")]
                         ) from None
    return parse(text.splitlines(), str(path))
