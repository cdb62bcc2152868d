"""`governance/rules.yaml`: what a change needs before `apply` runs it, and the check of approvals.

    signers: 2                 # distinct valid signers on every plan (never fewer than 1)
    plan_valid_hours: 24       # a saved plan expires this long after `plan --out`
    require:                   # further roles, each when its condition holds for the plan's changes
      - {when: mynumber, role: security}          # a ward's mynumber segment changes
      - {when: security-groups, role: security}   # a security group or rule changes
      - {when: ward-stack, role: ward}            # each changed ward stack: that ward's own signer
      - {when: platform-stack, role: platform}

Whatever the file says, the plan's author alone never suffices: at least one valid signer must be
someone other than the key that made the plan. A missing file means these defaults.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from wardcloud.audit.keys import Signature
from wardcloud.audit.signers import Signer, Signers
from wardcloud.governance.errors import Code, GovernanceError, problem

PLAN_NAMESPACE = "wardcloud-plan"
CONDITIONS = ("any", "mynumber", "security-groups", "ward-stack", "platform-stack")
ROLES = ("platform", "security", "finance", "ward")


@dataclass(frozen=True)
class Requirement:
    when: str
    role: str


DEFAULT_REQUIRE = (
    Requirement("mynumber", "security"),
    Requirement("security-groups", "security"),
    Requirement("ward-stack", "ward"),
)


@dataclass(frozen=True)
class Rules:
    signers: int = 2
    plan_valid_hours: int = 24
    require: tuple[Requirement, ...] = DEFAULT_REQUIRE
    source: str = "(defaults)"


def load_rules(path: Path) -> Rules:
    """The rules at `path`, the defaults when it does not exist; GovernanceError (GOV008) when malformed."""
    if not path.exists():
        return Rules()
    where = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise GovernanceError([problem(where, Code.BAD_RULES, f"cannot read the rules: {exc}")]) from None
    raw = {} if raw is None else raw
    problems = []
    if not isinstance(raw, dict):
        raise GovernanceError([problem(where, Code.BAD_RULES, "expected a mapping")])
    unknown = sorted(set(raw) - {"signers", "plan_valid_hours", "require"})
    if unknown:
        problems.append(problem(where, Code.BAD_RULES, f"unknown key {unknown[0]!r}", path=unknown[0]))
    signers = raw.get("signers", 2)
    if isinstance(signers, bool) or not isinstance(signers, int) or signers < 1:
        problems.append(problem(where, Code.BAD_RULES, "signers must be a whole number, 1 or more",
                                path="signers"))
    hours = raw.get("plan_valid_hours", 24)
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 24 * 30:
        problems.append(problem(where, Code.BAD_RULES, "plan_valid_hours must be 1..720",
                                path="plan_valid_hours"))
    require: list[Requirement] = []
    items = raw.get("require", [{"when": r.when, "role": r.role} for r in DEFAULT_REQUIRE])
    if not isinstance(items, list):
        problems.append(problem(where, Code.BAD_RULES, "require must be a list", path="require"))
        items = []
    for i, item in enumerate(items):
        if (not isinstance(item, dict) or set(item) != {"when", "role"} or item["when"] not in CONDITIONS
                or item["role"] not in ROLES):
            problems.append(problem(where, Code.BAD_RULES,
                                    f"each requirement is {{when: {'|'.join(CONDITIONS)}, role: "
                                    f"{'|'.join(ROLES)}}}", path=f"require[{i}]"))
            continue
        require.append(Requirement(item["when"], item["role"]))
    if problems:
        raise GovernanceError(problems)
    return Rules(signers, hours, tuple(require), where)


@dataclass(frozen=True)
class ChangeFacts:
    """What the plan's changes touch, as the requirements ask it."""

    ward_stacks: frozenset[str]  # ward codes whose stack changes
    platform: bool
    mynumber: frozenset[str]  # ward codes whose mynumber segment changes
    security_groups: frozenset[str]  # ward codes (or "platform") whose security groups change

    def holds(self, when: str) -> bool:
        return {"any": True, "mynumber": bool(self.mynumber), "security-groups": bool(self.security_groups),
                "ward-stack": bool(self.ward_stacks), "platform-stack": self.platform}[when]


def change_facts(stacks: Mapping[str, Any]) -> ChangeFacts:
    """From a saved plan's `stacks` (each with `changes: {create, update: [{urn}], delete}`)."""
    wards, mynumber, groups = set(), set(), set()
    platform = False
    for stack, body in stacks.items():
        changes = body.get("changes", {})
        urns = [*changes.get("create", []), *(u["urn"] for u in changes.get("update", [])),
                *changes.get("delete", [])]
        if not urns:
            continue
        owner = stack.removeprefix("ward-")
        if stack.startswith("ward-"):
            wards.add(owner)
        else:
            platform = True
        for urn in urns:
            parts = urn.split("::")
            name, kind = parts[-1], parts[2] if len(parts) >= 4 else ""
            if "-mynumber-" in f"-{name}-" or name.split("-")[1:2] == ["mynumber"]:
                mynumber.add(owner)
            if "secGroup" in kind:
                groups.add(owner)
    return ChangeFacts(frozenset(wards), platform, frozenset(mynumber), frozenset(groups))


@dataclass(frozen=True)
class Verdict:
    """The approvals judged: who counts, who does not and why, and what is still missing."""

    valid: tuple[Signer, ...]
    rejected: tuple[tuple[str, str], ...]  # (fingerprint, why)
    missing: tuple[str, ...] = field(default=())

    @property
    def approved(self) -> bool:
        return not self.missing

    def to_json(self) -> dict[str, Any]:
        return {"approved": self.approved, "signers": [s.to_json() for s in self.valid],
                "rejected": [{"fingerprint": f, "reason": r} for f, r in self.rejected],
                "missing": list(self.missing)}


def valid_signers(approvals: Sequence[Signature], payload: bytes, signers: Signers,
                  when: datetime) -> tuple[list[Signer], list[tuple[str, str]]]:
    """The distinct allowed signers whose signatures over `payload` verify; the others with the reason."""
    valid: dict[str, Signer] = {}
    rejected: list[tuple[str, str]] = []
    for approval in approvals:
        signer = signers.by_fingerprint(approval.fingerprint)
        if signer is None:
            rejected.append((approval.fingerprint, f"not an allowed signer in {signers.path}"))
        elif not approval.valid_for(PLAN_NAMESPACE, payload):
            rejected.append((approval.fingerprint, "the signature does not verify over this plan"))
        elif not signer.may_sign(PLAN_NAMESPACE, when):
            rejected.append((approval.fingerprint, f"{signer.name} may not sign {PLAN_NAMESPACE} now"))
        else:
            valid.setdefault(signer.fingerprint, signer)
    return list(valid.values()), rejected


def judge(approvals: Sequence[Signature], payload: bytes, signers: Signers, rules: Rules,
          facts: ChangeFacts, author: str | None, when: datetime, *, break_glass: bool = False) -> Verdict:
    """Do the approvals meet the rules? Break-glass needs only one valid signer (recorded as such)."""
    valid, rejected = valid_signers(approvals, payload, signers, when)
    missing: list[str] = []
    need = 1 if break_glass else rules.signers
    if len(valid) < need:
        missing.append(f"{need} distinct signer(s), have {len(valid)}")
    if not break_glass:
        if valid and author is not None and all(s.fingerprint == author for s in valid):
            missing.append("a signer other than the plan's author (the author alone never suffices)")
        for requirement in rules.require:
            if not facts.holds(requirement.when):
                continue
            if requirement.role == "ward":
                for code in sorted(facts.ward_stacks):
                    if not any(code in s.wards() for s in valid):
                        missing.append(f"a signer of ward {code} (role ward:{code}): its stack changes")
            elif not any(requirement.role in s.roles for s in valid):
                missing.append(f"a {requirement.role} signer ({requirement.when} changes)")
    return Verdict(tuple(valid), tuple(rejected), tuple(dict.fromkeys(missing)))


def describe(verdict: Verdict) -> Iterable[str]:
    for fingerprint, why in verdict.rejected:
        yield f"signature of {fingerprint} does not count: {why}"
