"""Saved plans: `plan --out` writes one, `approve` signs it, `apply` runs exactly it or refuses.

A saved plan is a JSON document naming every input by SHA-256 — the tenant files, the policy rules'
config, governance/rules.yaml, the applied state of each planned stack — with the rendered graph and
changes of each stack (and their SHA-256), the policy verdicts, the tool version, who made it and when it
expires. Its digest is the SHA-256 of the canonical JSON of all of that (audit.record.canonical); an
approval is an Ed25519 signature over the digest in the `wardcloud-plan` namespace. `approvals` and
`digest` sit outside what the digest covers, so signing never changes what was signed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from wardcloud.audit.digest import digest_inputs
from wardcloud.audit.keys import Signature, SigningKey
from wardcloud.audit.record import canonical
from wardcloud.core.errors import WardcloudError
from wardcloud.core.files import write_atomic
from wardcloud.governance.errors import Code, GovernanceError, problem
from wardcloud.governance.rules import PLAN_NAMESPACE, Rules, load_rules
from wardcloud.infra.plan import Plan, make_plan
from wardcloud.infra.state import state_path
from wardcloud.policies.config import DEFAULT_CONFIG
from wardcloud.policies.engine import PolicyReport, plan_report
from wardcloud.policies.waivers import governance_dir as waiver_trust
from wardcloud.tenants.model import Tenant
from wardcloud.tenants.validate import load_tenants

FORMAT = "wardcloud-plan/1"
SIGNERS_FILE = "signers"
RULES_FILE = "rules.yaml"


def tool_version() -> str:
    try:
        return version("wardcloud")
    except PackageNotFoundError:  # running from a checkout without install
        return "0+unknown"


def _sha(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def verdicts_sha256(report: PolicyReport) -> str:
    """The policy verdicts' digest: everything the report says but the day it was made."""
    data = report.to_json()
    data["summary"] = {k: v for k, v in data["summary"].items() if k != "date"}
    return _sha(data)


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class SavedPlan:
    """A saved plan: the signed document and the approvals collected so far."""

    document: Mapping[str, Any]
    approvals: tuple[Signature, ...] = ()
    path: str = "plan.json"

    @property
    def digest(self) -> str:
        """SHA-256 (hex) of the document's canonical JSON: what approvals sign."""
        return _sha(self.document)

    @property
    def payload(self) -> bytes:
        return self.digest.encode("ascii")

    @property
    def expires(self) -> datetime:
        return datetime.fromisoformat(str(self.document["expires"]).replace("Z", "+00:00"))

    @property
    def author(self) -> str | None:
        """The fingerprint of the key that made the plan (None when it was made without one)."""
        key = self.document.get("author", {}).get("key")
        return key if isinstance(key, str) else None

    @property
    def wards(self) -> tuple[str, ...]:
        return tuple(self.document.get("wards", ()))

    @property
    def stacks(self) -> Mapping[str, Any]:
        return self.document["plan"]["stacks"]

    def to_json(self) -> dict[str, Any]:
        return {**self.document, "digest": self.digest, "approvals": [a.to_json() for a in self.approvals]}

    def save(self, path: Path) -> None:
        write_atomic(path, json.dumps(self.to_json(), ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def plan_inputs(tenants_dir: Path, state_dir: Path, governance_dir: Path,
                stacks: Sequence[str]) -> dict[str, Path | None]:
    """What a plan depends on, by name: tenants, policy config, governance rules, each stack's state."""
    inputs: dict[str, Path | None] = {
        "tenants": tenants_dir,
        "policy_config": DEFAULT_CONFIG,
        "governance_rules": governance_dir / RULES_FILE,
    }
    for stack in stacks:
        inputs[f"state:{stack}"] = state_path(state_dir, stack)
    inputs["signers"] = governance_dir / SIGNERS_FILE
    inputs["waiver_signatures"] = governance_dir / "waivers"
    return inputs


def _digests(inputs: Mapping[str, Path | None]) -> dict[str, dict[str, Any]]:
    digests = digest_inputs(inputs)
    for name, path in inputs.items():  # a missing input is recorded as null, never raised
        digests.setdefault(name, {"path": str(path), "sha256": None})
    return digests


def render(tenants: Sequence[Tenant], state_dir: Path, wards: Sequence[str], governance: Path, *,
           jobs: int | None = None, on_rendered: Callable[[str], None] | None = None) -> tuple[Plan, PolicyReport]:
    """The plan (platform included while it was never applied: apply needs it first) and its verdicts,
    waivers judged against `governance`'s signers."""
    plan = make_plan(tenants, state_dir, wards, jobs=jobs, on_rendered=on_rendered, platform_if_unapplied=True)
    with waiver_trust(governance):
        return plan, plan_report(tenants, {stack: p.graph for stack, p in plan.stacks.items()})


def make_saved_plan(tenants_dir: Path, state_dir: Path, governance_dir: Path, wards: Sequence[str] = (), *,
                    actor: str | None = None, key: SigningKey | None = None, now: datetime | None = None,
                    jobs: int | None = None, on_rendered: Callable[[str], None] | None = None
                    ) -> tuple[Plan, PolicyReport, SavedPlan]:
    """Render, judge and describe a plan for saving; with `key` the author's fingerprint is in it."""
    rules = load_rules(governance_dir / RULES_FILE)
    tenants = load_tenants(tenants_dir)
    plan, report = render(tenants, state_dir, wards, governance_dir, jobs=jobs, on_rendered=on_rendered)
    now = now or datetime.now(UTC)
    document = {
        "format": FORMAT,
        "tool": {"wardcloud": tool_version()},
        "created": _time(now),
        "expires": _time(now + timedelta(hours=rules.plan_valid_hours)),
        "author": {"actor": key.fingerprint if key else actor, "key": key.fingerprint if key else None},
        "wards": list(dict.fromkeys(wards)),
        "inputs": _digests(plan_inputs(tenants_dir, state_dir, governance_dir, list(plan.stacks))),
        "rendered": {stack: _sha(p.to_json()) for stack, p in plan.stacks.items()},
        "policy": {"passed": report.passed, "sha256": verdicts_sha256(report), "report": report.to_json()},
        "plan": plan.to_json(),
    }
    return plan, report, SavedPlan(document)


def load_saved(path: Path) -> SavedPlan:
    """Read a saved plan; GOV001 if it is not one, GOV002 if its content no longer matches its digest."""
    where = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GovernanceError([problem(where, Code.PLAN_FILE, f"cannot read the plan: "
                                       f"{getattr(exc, 'strerror', None) or exc}")]) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise GovernanceError([problem(where, Code.PLAN_FILE,
                                       f"not a saved plan (format {FORMAT}): make one with `wardctl plan --out`")])
    document = {k: v for k, v in data.items() if k not in ("digest", "approvals")}
    for name in ("created", "expires", "author", "inputs", "rendered", "policy", "plan", "tool", "wards"):
        if name not in document:
            raise GovernanceError([problem(where, Code.PLAN_FILE, f"the saved plan lacks {name!r}")])
    try:
        approvals = tuple(Signature.from_json(a, where) for a in data.get("approvals") or [])
    except WardcloudError as exc:
        raise GovernanceError([problem(where, Code.PLAN_FILE, "an approval is malformed")]) from exc
    saved = SavedPlan(document, approvals, where)
    if data.get("digest") != saved.digest:
        raise GovernanceError([problem(where, Code.PLAN_EDITED,
                                       f"the plan was edited after it was made: its content hashes to "
                                       f"{saved.digest[:16]}…, not the recorded {str(data.get('digest'))[:16]}…")])
    try:
        saved.expires  # noqa: B018 - parsed once here so later uses cannot fail
    except ValueError:
        raise GovernanceError([problem(where, Code.PLAN_FILE, "expires is not an ISO time")]) from None
    return saved


def approve(path: Path, key: SigningKey) -> tuple[SavedPlan, Signature]:
    """Add `key`'s signature over the plan's digest to the file (once per key) and save it atomically."""
    saved = load_saved(path)
    signature = key.sign(PLAN_NAMESPACE, saved.payload)
    approvals = tuple(a for a in saved.approvals if a.fingerprint != key.fingerprint) + (signature,)
    saved = replace(saved, approvals=approvals)
    saved.save(path)
    return saved, signature


def check_expiry(saved: SavedPlan, now: datetime) -> None:
    if now > saved.expires:
        raise GovernanceError([problem(saved.path, Code.EXPIRED,
                                       f"the plan expired at {saved.document['expires']}: make a new one")])


def check_current(saved: SavedPlan, tenants_dir: Path, state_dir: Path, governance_dir: Path, *,
                  jobs: int | None = None) -> tuple[tuple[Tenant, ...], Plan, PolicyReport, Rules]:
    """Re-read every input and re-render: GOV004 naming each changed input, GOV005 if the same inputs now
    render or judge differently (another tool version). Returns what apply then runs."""
    recorded = saved.document["inputs"]
    names = list(recorded)
    stacks = [n.removeprefix("state:") for n in names if n.startswith("state:")]
    current = _digests(plan_inputs(tenants_dir, state_dir, governance_dir, stacks))
    changed = [name for name in names if current.get(name, {}).get("sha256") != recorded[name].get("sha256")]
    if changed:
        raise GovernanceError([problem(saved.path, Code.INPUT_CHANGED,
                                       f"input {name} changed since the plan was made "
                                       f"({str(recorded[name].get('sha256'))[:12]}… then, "
                                       f"{str(current.get(name, {}).get('sha256'))[:12]}… now): "
                                       "plan and approve again")
                               for name in changed])
    if saved.document["tool"].get("wardcloud") != tool_version():
        raise GovernanceError([problem(saved.path, Code.RERENDERED,
                                       f"made by wardcloud {saved.document['tool'].get('wardcloud')}, this is "
                                       f"{tool_version()}: plan again with this version")])
    rules = load_rules(governance_dir / RULES_FILE)
    tenants = load_tenants(tenants_dir)
    plan, report = render(tenants, state_dir, saved.wards, governance_dir, jobs=jobs)
    rendered = {stack: _sha(p.to_json()) for stack, p in plan.stacks.items()}
    problems = []
    if rendered != saved.document["rendered"]:
        differ = sorted(set(rendered.items()) ^ set(saved.document["rendered"].items()))
        problems.append(problem(saved.path, Code.RERENDERED,
                                f"the same inputs render differently now (stack {differ[0][0]}): plan again"))
    if verdicts_sha256(report) != saved.document["policy"].get("sha256"):
        problems.append(problem(saved.path, Code.RERENDERED,
                                "the policy verdicts differ from the plan's (a waiver expired?): plan again"))
    if problems:
        raise GovernanceError(problems)
    return tenants, plan, report, rules
