"""`apply` and `destroy` as library calls: a Python caller leaves the same audit records as `wardctl`.

`apply_saved_plan` runs a saved plan only when it is intact, unexpired, approved as governance/rules.yaml
says (or break-glass with one approval and a reason), every input is unchanged and the policy gate
passes; then (the Automation API boundary) `infra.deploy.preflight` must find the pulumi CLI and
credentials. Only then is anything recorded or changed. Each stack gets a `started` and an end record,
signed by the key of whoever applies (its fingerprint is the actor) and carrying the plan's digest and
approvals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from wardcloud.audit.keys import SigningKey
from wardcloud.audit.recorder import AuditContext, audited_stacks
from wardcloud.audit.signers import load as load_signers
from wardcloud.governance.errors import Code, GovernanceError, problem
from wardcloud.governance.plans import (
    RULES_FILE,
    SIGNERS_FILE,
    SavedPlan,
    approve,
    check_current,
    check_expiry,
    load_saved,
)
from wardcloud.governance.rules import Verdict, change_facts, judge, load_rules
from wardcloud.infra.deploy import (
    StackOutcome,
    blocking_problems,
    destroy_plan,
    preflight,
    run_apply,
    run_destroy,
)
from wardcloud.infra.errors import InfraError
from wardcloud.infra.plan import Plan
from wardcloud.policies.engine import PolicyReport
from wardcloud.policies.engine import blocking_problems as policy_problems
from wardcloud.tenants.validate import load_tenants

Log = Callable[[str], None]


def change_counts(plan: Plan, stack: str) -> dict[str, int]:
    """What the audit record of one stack's apply or destroy says it changes."""
    changes = plan.stacks[stack].changes
    counts = {"create": len(changes.create), "update": len(changes.update), "delete": len(changes.delete)}
    return counts | {"retained": len(plan.stacks[stack].retained)} if changes.delete else counts


@dataclass(frozen=True)
class Approved:
    """A saved plan that passed every check, ready to run."""

    saved: SavedPlan
    plan: Plan
    report: PolicyReport
    verdict: Verdict
    break_glass: str | None  # the reason, for a break-glass apply


def check_saved_plan(plan_path: Path, tenants_dir: Path, state_dir: Path, governance_dir: Path, *,
                     break_glass: str | None = None, now: datetime | None = None,
                     jobs: int | None = None) -> Approved:
    """Everything `apply` verifies before it touches anything, in order: the file and its digest (GOV001/2),
    expiry (GOV003), approvals against governance/signers and rules.yaml (GOV006/7), every input unchanged
    and rendered the same (GOV004/5), the policy gate (the rule IDs)."""
    now = now or datetime.now(UTC)
    if break_glass is not None and not break_glass.strip():
        raise GovernanceError([problem("--reason", Code.BREAK_GLASS, "break-glass needs a reason")])
    saved = load_saved(plan_path)
    check_expiry(saved, now)
    signers = load_signers(governance_dir / SIGNERS_FILE)
    verdict = judge(saved.approvals, saved.payload, signers, load_rules(governance_dir / RULES_FILE),
                    change_facts(saved.stacks), saved.author, now, break_glass=break_glass is not None)
    if not verdict.approved:
        problems = [problem(saved.path, Code.BAD_APPROVAL, f"signature of {f} does not count: {why}")
                    for f, why in verdict.rejected]
        problems += [problem(saved.path, Code.UNAPPROVED, f"not approved: needs {need}")
                     for need in verdict.missing]
        raise GovernanceError(problems)
    tenants, plan, report, _rules = check_current(saved, tenants_dir, state_dir, governance_dir, jobs=jobs)
    # the verdicts already evaluated are the gate's answer: policies run once per apply
    blocking = blocking_problems(tenants, plan, [lambda _t, _p: policy_problems(report)])
    if blocking:
        raise InfraError(blocking)
    return Approved(saved, plan, report, verdict, break_glass)


@dataclass(frozen=True)
class ApplyResult:
    approved: Approved
    outcomes: tuple[StackOutcome, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)


def apply_saved_plan(plan_path: Path, *, tenants_dir: Path, state_dir: Path, governance_dir: Path,
                     key: SigningKey, break_glass: str | None = None, audit_log: Path | None = None,
                     argv: Sequence[str] = ("wardcloud.governance.apply",), jobs: int = 2,
                     log: Log = print, confirm: Callable[[Plan], bool] = lambda _plan: True,
                     now: datetime | None = None, environ: Mapping[str, str] | None = None) -> ApplyResult:
    """Verify (`check_saved_plan`), find pulumi and credentials, then `pulumi up` the plan's changed stacks,
    platform first; records signed by `key`. Nothing is recorded or changed when any check fails, when
    `confirm(plan)` says no, or when there is nothing to apply."""
    if load_signers(governance_dir / SIGNERS_FILE).by_fingerprint(key.fingerprint) is None:
        raise GovernanceError([problem(str(governance_dir / SIGNERS_FILE), Code.BAD_APPROVAL,
                                       f"key {key.fingerprint} is not an allowed signer: it cannot sign "
                                       "the apply's records")])
    approved = check_saved_plan(plan_path, tenants_dir, state_dir, governance_dir, break_glass=break_glass,
                                now=now, jobs=jobs)
    environment = preflight(state_dir, environ)  # the Automation API boundary: nothing changed before it
    plan = approved.plan
    if not plan.has_changes or not confirm(plan):
        return ApplyResult(approved)
    used = approved.report.waivers_used()
    governance: dict[str, Any] = {
        "plan": approved.saved.digest,
        "approvals": [{"fingerprint": a.fingerprint, "signature": a.signature}
                      for a in approved.saved.approvals
                      if any(s.fingerprint == a.fingerprint for s in approved.verdict.valid)],
    }
    if break_glass is not None:
        governance["break_glass"] = {"reason": break_glass, "reviewed": False}
    summaries: dict[str, dict[str, Any]] = {}
    for stack in plan.changed_stacks():
        summaries[stack] = {**change_counts(plan, stack), "governance": governance}
        waivers = [w for w in used if f"ward-{w['ward']}" == stack]
        if waivers:
            summaries[stack]["waivers_used"] = waivers
    context = AuditContext(state_dir, None, tuple(argv), audit_log, key=key)
    inputs: dict[str, Path | None] = {"tenants": tenants_dir, "plan": plan_path}
    outcomes = audited_stacks(context, "apply", inputs, summaries,
                              lambda: run_apply(plan, environment, state_dir, tenants_dir, log=log, jobs=jobs))
    return ApplyResult(approved, tuple(outcomes))


def destroy_ward(code: str, *, tenants_dir: Path, state_dir: Path, context: AuditContext,
                 dry_run: bool = False, today: date | None = None, log: Log = print,
                 confirm: Callable[[Plan], bool] = lambda _plan: True,
                 environ: Mapping[str, str] | None = None) -> tuple[Plan, StackOutcome | None]:
    """Destroy a departed ward's stack (its audit-log container retained), recorded through `context`.
    A dry run, or a `confirm` that says no, changes and records nothing (outcome None)."""
    tenants = load_tenants(tenants_dir)
    plan = destroy_plan(tenants, state_dir, code, today or date.today())
    if dry_run:
        return plan, None
    environment = preflight(state_dir, environ)
    if not confirm(plan):
        return plan, None
    stack = f"ward-{code}"
    outcome = audited_stacks(context, "destroy", {"tenants": tenants_dir}, {stack: change_counts(plan, stack)},
                             lambda: [run_destroy(stack, environment, state_dir, tenants_dir, log=log)])[0]
    return plan, outcome


def approve_plan(plan_path: Path, key: SigningKey, governance_dir: Path, context: AuditContext,
                 now: datetime | None = None) -> tuple[SavedPlan, Verdict]:
    """Sign the plan's digest with `key` (GOV007 unless the key is an allowed signer), record it (signed),
    and say what the approvals now amount to."""
    now = now or datetime.now(UTC)
    signers = load_signers(governance_dir / SIGNERS_FILE)
    signer = signers.by_fingerprint(key.fingerprint)
    if signer is None:
        raise GovernanceError([problem(str(governance_dir / SIGNERS_FILE), Code.BAD_APPROVAL,
                                       f"key {key.fingerprint} is not an allowed signer: its approval would "
                                       "not count")])
    saved = load_saved(plan_path)
    check_expiry(saved, now)
    saved, signature = approve(plan_path, key)
    verdict = judge(saved.approvals, saved.payload, signers, load_rules(governance_dir / RULES_FILE),
                    change_facts(saved.stacks), saved.author, now)
    context.record("approve", {"plan": plan_path}, "success", 0,
                    {"plan": saved.digest, "signature": signature.signature, "approved": verdict.approved,
                     "signer": signer.name, "roles": sorted(signer.roles)},
                    sorted(code for code in (s.removeprefix("ward-") for s in saved.stacks
                                             if s.startswith("ward-"))))
    return saved, verdict


def approve_waiver(tenants_dir: Path, which: str, key: SigningKey, governance_dir: Path,
                   context: AuditContext) -> Path:
    """Sign ward CODE6's active waivers of POLICY (`which` = "CODE6:POLICY") into governance/waivers/; only
    a security signer who is not of that ward may (GOV011 otherwise). Recorded, signed."""
    from wardcloud.policies.waivers import WAIVER_NAMESPACE, load_trust, sign_waiver

    code, _, policy = which.partition(":")
    trust = load_trust(governance_dir)
    signers = load_signers(governance_dir / SIGNERS_FILE)
    signer = signers.by_fingerprint(key.fingerprint)

    def refuse(message: str) -> GovernanceError:
        return GovernanceError([problem(which, Code.WAIVER, message)])

    if not (len(code) == 6 and code.isdigit() and policy):
        raise refuse("expected CODE6:POLICY, e.g. 131130:NET-003")
    if signer is None or "security" not in signer.roles:
        raise refuse(f"key {key.fingerprint} is not a security signer in {signers.path}")
    if code in signer.wards():
        raise refuse(f"{signer.name} is of ward {code}: a ward cannot approve its own waiver")
    tenant = next((t for t in load_tenants(tenants_dir) if t.code == code), None)
    indexes = [i for i, w in enumerate(tenant.waivers) if w.policy == policy] if tenant else []
    if tenant is None or not indexes:
        raise refuse(f"ward {code} declares no waiver of {policy}")
    path = governance_dir
    for index in indexes:
        path = sign_waiver(trust, tenant, index, lambda payload: key.sign(WAIVER_NAMESPACE, payload))
    context.record("approve waiver", {"tenants": tenants_dir}, "success", 0,
                    {"ward": code, "policy": policy, "signer": signer.name, "file": str(path)}, [code])
    return path
