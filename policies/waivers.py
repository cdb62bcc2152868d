"""Waivers from tenant files: which apply to a finding, which expired, which name unknown rules, and
which are signed by someone entitled to grant them.

A waiver counts only with a valid signature by a `security` signer of `governance/signers` who is not of
the benefiting ward (no `ward:<code>` role for it). Signatures are detached, so the ward's own file stays
the ward's: `governance/waivers/<code6>-<policy>.sig` holds a JSON list of signatures (namespace
`wardcloud-waiver`) over the canonical JSON of `{ward, policy, resource, justification, approver,
expires}`; editing any of those fields after signing voids the signature. Enforcement starts once the
signers file lists a `security` signer (`WaiverTrust.enforced`); until then waivers count as before and
`policy check` says that signatures are not enforced.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from wardcloud.audit.errors import AuditError
from wardcloud.audit.keys import Signature
from wardcloud.audit.record import canonical
from wardcloud.audit.signers import Signers
from wardcloud.audit.signers import load as load_signers
from wardcloud.core.errors import Problem
from wardcloud.policies.errors import Code, PolicyError
from wardcloud.policies.registry import Registry
from wardcloud.tenants.model import Tenant, Waiver

WaiverStatus = Literal["active", "expired", "not-waivable", "unsigned"]
WAIVER_NAMESPACE = "wardcloud-waiver"
GOVERNANCE_ENV = "WARDCTL_GOVERNANCE"


@dataclass(frozen=True)
class WaiverTrust:
    """Who may sign waivers and where the signatures are; `signers` None: not enforced."""

    signers: Signers | None
    directory: Path
    problems: tuple[str, ...] = field(default=())

    @property
    def enforced(self) -> bool:
        return self.signers is not None and bool(self.signers.with_role("security"))

    def signature_file(self, ward: str, policy: str) -> Path:
        return self.directory / f"{ward}-{policy}.sig"

    def why_not(self, ward: str, waiver: Waiver) -> str | None:
        """None when the waiver is validly signed (or signatures are not enforced), else why it does not count."""
        if not self.enforced:
            return None
        assert self.signers is not None
        path = self.signature_file(ward, waiver.policy)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return f"unsigned: no {path}"
        except (OSError, UnicodeDecodeError, ValueError):
            return f"unsigned: {path} is not a JSON list of signatures"
        reasons = []
        for item in raw if isinstance(raw, list) else []:
            try:
                signature = Signature.from_json(item)
            except AuditError:
                continue
            signer = self.signers.by_fingerprint(signature.fingerprint)
            if signer is None:
                reasons.append(f"signed by {signature.fingerprint}, not an allowed signer")
            elif not signature.valid_for(WAIVER_NAMESPACE, waiver_payload(ward, waiver)):
                reasons.append(f"the signature of {signer.name} does not verify (the waiver changed after "
                               "signing?)")
            elif not signer.may_sign(WAIVER_NAMESPACE, datetime.now(UTC)):
                reasons.append(f"{signer.name} may not sign {WAIVER_NAMESPACE} now")
            elif "security" not in signer.roles:
                reasons.append(f"signed by {signer.name}, who is not a security signer")
            elif ward in signer.wards():
                reasons.append(f"signed by {signer.name} of ward {ward} itself")
            else:
                return None
        return "wrongly signed: " + "; ".join(reasons) if reasons else f"unsigned: no signature in {path}"


_GOVERNANCE: ContextVar[Path | None] = ContextVar("wardcloud_governance_dir", default=None)


@contextmanager
def governance_dir(directory: Path) -> Iterator[None]:
    """Within the block, waivers are judged against `directory`'s signers (what `--governance` names)."""
    token = _GOVERNANCE.set(directory)
    try:
        yield
    finally:
        _GOVERNANCE.reset(token)


def load_trust(governance_dir: Path | None = None) -> WaiverTrust:
    """The signers and waiver signatures under `governance_dir` (default: the `governance_dir` block's,
    else $WARDCTL_GOVERNANCE, else ./governance). A missing or unreadable signers file means signatures
    are not enforced."""
    directory = governance_dir or _GOVERNANCE.get() or Path(os.environ.get(GOVERNANCE_ENV) or "governance")
    try:  # read once per version of the file: match() asks for every violation
        stat = (directory / "signers").stat()
        identity = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    except OSError:
        identity = (0, 0, -1, 0)
    return _load_trust(directory.resolve(), identity)


@lru_cache(maxsize=8)
def _load_trust(directory: Path, _identity: tuple[int, int, int, int]) -> WaiverTrust:
    try:
        signers: Signers | None = load_signers(directory / "signers")
    except AuditError:
        signers = None
    return WaiverTrust(signers, directory / "waivers")


def waiver_payload(ward: str, waiver: Waiver) -> bytes:
    """What a waiver signature covers."""
    return canonical({"ward": ward, "policy": waiver.policy, "resource": waiver.resource,
                      "justification": waiver.justification, "approver": waiver.approver,
                      "expires": waiver.expires.isoformat()})


@dataclass(frozen=True)
class AppliedWaiver:
    """A waiver as it bears on one violation (or, in the notes, on the ward)."""

    ward: str
    policy: str
    justification: str
    approver: str
    expires: date
    resource: str | None
    status: WaiverStatus
    file: str = ""
    line: int = 0
    column: int = 0
    reason: str = ""  # why an `unsigned` waiver does not count

    def to_json(self) -> dict[str, Any]:
        return {
            "ward": self.ward,
            "policy": self.policy,
            "justification": self.justification,
            "approver": self.approver,
            "expires": self.expires.isoformat(),
            "resource": self.resource,
            "status": self.status,
            "file": self.file,
            "line": self.line,
        } | ({"reason": self.reason} if self.reason else {})


def check_waivers(tenants: Iterable[Tenant], registry: Registry) -> None:
    """PolicyError naming file and line for every waiver whose policy ID is not a rule."""
    problems = []
    for tenant in tenants:
        for i, waiver in enumerate(tenant.waivers):
            if waiver.policy not in registry:
                path = f"waivers[{i}].policy"
                line, column = tenant.location(path)
                problems.append(
                    Problem(
                        tenant.source_file,
                        line,
                        column,
                        Code.WAIVER_UNKNOWN_RULE,
                        f"waiver for unknown policy {waiver.policy} (see `wardctl policy list`)",
                        path,
                    )
                )
    if problems:
        raise PolicyError(problems)


def _applied(tenant: Tenant, index: int, waiver: Waiver, status: WaiverStatus, reason: str = "") -> AppliedWaiver:
    line, column = tenant.location(f"waivers[{index}]")
    return AppliedWaiver(
        tenant.code,
        waiver.policy,
        waiver.justification,
        waiver.approver,
        waiver.expires,
        waiver.resource,
        status,
        tenant.source_file,
        line,
        column,
        reason,
    )


def match(
    tenant: Tenant | None,
    policy: str,
    resource: str | None,
    waivable: bool,
    today: date,
    trust: WaiverTrust | None = None,
) -> AppliedWaiver | None:
    """The waiver bearing on a violation: an active validly signed one first, else an unsigned, expired or
    ignored one (none of which excuses anything)."""
    if tenant is None:
        return None
    candidates = [
        (i, w)
        for i, w in enumerate(tenant.waivers)
        if w.policy == policy and (w.resource is None or w.resource == resource)
    ]
    if not candidates:
        return None
    if not waivable:
        i, waiver = candidates[0]
        return _applied(tenant, i, waiver, "not-waivable")
    trust = trust if trust is not None else load_trust()
    unsigned: AppliedWaiver | None = None
    for i, waiver in candidates:
        if waiver.active_on(today):
            why = trust.why_not(tenant.code, waiver)
            if why is None:
                return _applied(tenant, i, waiver, "active")
            unsigned = unsigned or _applied(tenant, i, waiver, "unsigned", why)
    if unsigned is not None:
        return unsigned
    i, waiver = max(candidates, key=lambda c: c[1].expires)
    return _applied(tenant, i, waiver, "expired")


def expired(tenants: Sequence[Tenant], today: date, trust: WaiverTrust | None = None) -> list[AppliedWaiver]:
    """Every waiver past its expiry date, and every active one without a valid signature: reported whether
    or not it still matches a violation."""
    trust = trust if trust is not None else load_trust()
    notes = []
    for t in tenants:
        for i, w in enumerate(t.waivers):
            if not w.active_on(today):
                notes.append(_applied(t, i, w, "expired"))
            elif (why := trust.why_not(t.code, w)) is not None:
                notes.append(_applied(t, i, w, "unsigned", why))
    return notes


def sign_waiver(trust: WaiverTrust, tenant: Tenant, index: int, signature_of: Any) -> Path:
    """Add a signature (`signature_of(payload)` → audit.keys.Signature) over waiver `index` of `tenant`
    to its detached file, written atomically; returns the file."""
    from wardcloud.core.files import write_atomic

    waiver = tenant.waivers[index]
    signature = signature_of(waiver_payload(tenant.code, waiver))
    path = trust.signature_file(tenant.code, waiver.policy)
    existing = []
    if path.exists():
        try:
            existing = [s for s in json.loads(path.read_text(encoding="utf-8"))
                        if isinstance(s, dict) and s.get("signature") != signature.signature]
        except (OSError, ValueError):
            existing = []
    write_atomic(path, json.dumps([*existing, signature.to_json()], indent=1) + "\n")
    return path
