"""Evaluate the rules: spec rules over tenants, resource and graph rules over rendered or live graphs."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from wardcloud.audit.breakglass import BreakGlassApply, unreviewed_applies
from wardcloud.core.errors import Problem, WardcloudError
from wardcloud.infra.graph import Graph, Resource
from wardcloud.policies import waivers as waiver_rules
from wardcloud.policies.config import PolicyConfig, load_config
from wardcloud.policies.errors import Code, PolicyError
from wardcloud.policies.registry import Finding, Registry, Rule, catalogue
from wardcloud.policies.waivers import AppliedWaiver
from wardcloud.tenants.model import Tenant

PLATFORM_FILE = "infra/platform.py"  # where platform-stack results point when no tenant file owns them
_WARD_STACK = re.compile(r"^ward-([0-9]{6})$")


@dataclass(frozen=True)
class Violation:
    """One finding of one rule, with its enforcement, its location, and any waiver bearing on it."""

    policy: str
    severity: str
    enforcement: str
    ward: str | None
    resource: str | None
    message: str
    remediation: str
    file: str
    line: int
    column: int
    path: str
    waiver: AppliedWaiver | None = None

    @property
    def waived(self) -> bool:
        return self.waiver is not None and self.waiver.status == "active"

    @property
    def blocking(self) -> bool:
        """An unwaived mandatory violation: `policy check` fails and `apply` refuses."""
        return self.enforcement == "mandatory" and not self.waived

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "severity": self.severity,
            "enforcement": self.enforcement,
            "ward": self.ward,
            "resource": self.resource,
            "message": self.message,
            "remediation": self.remediation,
            "file": self.file,
            "line": self.line,
            "path": self.path,
            "waived": self.waived,
            "waiver": self.waiver.to_json() if self.waiver else None,
        }


@dataclass(frozen=True)
class PolicyReport:
    """Everything one evaluation found: the effective rules, the violations, the waiver notes, and (for
    `policy check`, which reads the audit log) the break-glass applies no second signer reviewed yet."""

    rules: tuple[Rule, ...]
    wards: tuple[str, ...]
    violations: tuple[Violation, ...]
    waiver_notes: tuple[AppliedWaiver, ...]
    evaluations: int  # rule × subject checks run (for the bench)
    resources: int
    today: date
    unreviewed_break_glass: tuple[BreakGlassApply, ...] = ()

    @property
    def blocking(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.blocking)

    @property
    def passed(self) -> bool:
        """No unwaived mandatory violation, and no break-glass apply left unreviewed (a control that
        needs someone's action, as a violation does: `wardctl audit ack` clears it)."""
        return not self.blocking and not self.unreviewed_break_glass

    def waivers_used(self) -> list[dict[str, Any]]:
        """The active waivers that excused violations, once each: ward, policy, resource, approver, expiry."""
        used = {(w.ward, w.policy, w.resource or ""): {"ward": w.ward, "policy": w.policy, "resource": w.resource,
                                                       "approver": w.approver, "expires": w.expires.isoformat()}
                for w in (v.waiver for v in self.violations if v.waived) if w is not None}
        return [used[key] for key in sorted(used)]

    def summary(self) -> dict[str, Any]:
        by_severity: dict[str, int] = defaultdict(int)
        for v in self.violations:
            if not v.waived:
                by_severity[v.severity] += 1
        return {
            "passed": self.passed,
            "rules": len(self.rules),
            "wards": len(self.wards),
            "resources": self.resources,
            "violations": len(self.violations),
            "mandatory": sum(1 for v in self.violations if v.blocking),
            "advisory": sum(1 for v in self.violations if v.enforcement == "advisory" and not v.waived),
            "waived": sum(1 for v in self.violations if v.waived),
            "expired_waivers": sum(1 for n in self.waiver_notes if n.status == "expired"),
            "unreviewed_break_glass": len(self.unreviewed_break_glass),
            "by_severity": {
                s: by_severity[s] for s in ("critical", "high", "medium", "low") if by_severity[s]
            },
            "date": self.today.isoformat(),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "violations": [v.to_json() for v in self.violations],
            "summary": self.summary(),
            "waiver_notes": [n.to_json() for n in self.waiver_notes],
            "unreviewed_break_glass": [a.to_json() for a in self.unreviewed_break_glass],
        }


def effective_rules(config: PolicyConfig, registry: Registry | None = None) -> tuple[Rule, ...]:
    """Every rule with its enforcement as configured (disabled rules included, marked so)."""
    registry = registry or catalogue()
    return tuple(replace(r, enforcement=config.enforcement_of(r.id, r.enforcement)) for r in registry)


def locate(tenant: Tenant, path: str) -> tuple[int, int]:
    """(line, column) of a field path in the tenant file, or of its nearest located ancestor."""
    while path and path not in tenant.locations:
        path = re.sub(r"(\.[^.\[]*|\[[0-9]+\])$", "", path)
    return tenant.locations.get(path, (1, 1)) if path else (1, 1)


def _stack_ward(stack: str) -> str | None:
    match = _WARD_STACK.match(stack)
    return match.group(1) if match else None


class _Collector:
    """Turns findings into located, waiver-matched violations."""

    def __init__(self, tenants: Mapping[str, Tenant], today: date) -> None:
        self.tenants = tenants
        self.today = today
        self.violations: list[Violation] = []

    def add(self, rule: Rule, ward: str | None, finding: Finding, stack: str | None = None) -> None:
        ward = finding.ward or ward
        tenant = self.tenants.get(ward) if ward else None
        if tenant is not None:
            file = tenant.source_file
            line, column = locate(tenant, finding.path) if finding.path else (1, 1)
        else:
            file, line, column = PLATFORM_FILE, 1, 1
        waiver = waiver_rules.match(tenant, rule.id, finding.resource, rule.waivable, self.today)
        self.violations.append(
            Violation(
                rule.id,
                rule.severity,
                rule.enforcement,
                ward,
                finding.resource,
                finding.message,
                rule.remediation,
                file,
                line,
                column,
                finding.path,
                waiver,
            )
        )


def _crashed(rule: Rule, subject: str, exc: Exception) -> PolicyError:
    """The problem for an exception inside a rule's check, naming the rule and what it was reading.

    A rule is a small pure function, so a crash is a bug in it (or an input shape it did not expect);
    "internal error: KeyError" would leave the reader guessing which of 38 rules and thousands of resources.
    """
    message = f"policy rule {rule.id} ({rule.title}) failed on {subject}: {type(exc).__name__}: {exc}"
    # located at the rule's own source, where the fix goes (the message names the input it was reading)
    module = getattr(rule.check, "__module__", None) or "wardcloud.policies.rules"
    code = getattr(rule.check, "__code__", None)
    where = f"{module.replace('.', '/')}.py"
    return PolicyError([Problem(where, code.co_firstlineno if code else 0, 0, Code.RULE_CRASHED, message)])


def evaluate(
    tenants: Sequence[Tenant],
    graphs: Mapping[str, Graph],
    config: PolicyConfig,
    today: date,
    *,
    registry: Registry | None = None,
) -> PolicyReport:
    """Run every enabled rule: tenant rules over `tenants`, resource and graph rules over `graphs`."""
    registry = registry or catalogue()
    waiver_rules.check_waivers(tenants, registry)
    rules = effective_rules(config, registry)
    enabled = [r for r in rules if r.enforcement != "disabled"]
    by_code = {t.code: t for t in tenants}
    collector = _Collector(by_code, today)
    evaluations = 0

    for tenant_rule in (r for r in enabled if r.kind == "tenant"):
        for tenant in tenants:
            evaluations += 1
            try:
                findings = list(tenant_rule.check(tenant, config))
            except WardcloudError:
                raise
            except Exception as exc:
                raise _crashed(tenant_rule, f"ward {tenant.code} ({tenant.source_file})", exc) from exc
            for finding in findings:
                collector.add(tenant_rule, tenant.code, finding)

    # Index resource rules by type once, so each resource meets only the rules that read it.
    by_type: dict[str, list[Rule]] = defaultdict(list)
    untyped: list[Rule] = []
    for resource_rule in (r for r in enabled if r.kind == "resource"):
        for type_token in resource_rule.types:
            by_type[type_token].append(resource_rule)
        if not resource_rule.types:
            untyped.append(resource_rule)
    everything: list[Resource] = []
    for stack, graph in graphs.items():
        stack_ward = _stack_ward(stack)
        for resource in graph:
            everything.append(resource)
            for resource_rule in (*by_type.get(resource.type, ()), *untyped):
                evaluations += 1
                try:  # free in 3.11 when nothing raises: this loop runs rules x resources times
                    findings = list(resource_rule.check(resource, config))
                except WardcloudError:
                    raise
                except Exception as exc:
                    subject = f"resource {resource.name} ({resource.type}) of stack {stack}"
                    raise _crashed(resource_rule, subject, exc) from exc
                for finding in findings:
                    collector.add(resource_rule, resource.ward or stack_ward, finding, stack)

    # Graph rules see every stack at once (cross-ward checks); each is linear or n log n in resources.
    for graph_rule in (r for r in enabled if r.kind == "graph"):
        evaluations += sum(1 for r in everything if graph_rule.applies_to(r))
        try:
            findings = list(graph_rule.check(everything, config))
        except WardcloudError:
            raise
        except Exception as exc:
            raise _crashed(graph_rule, f"the graph of {len(everything)} resources", exc) from exc
        for finding in findings:
            collector.add(graph_rule, finding.ward, finding)

    notes = waiver_rules.expired(tenants, today)
    for tenant in tenants:
        for i, waiver in enumerate(tenant.waivers):
            if not registry[waiver.policy].waivable and waiver.active_on(today):
                line, column = tenant.location(f"waivers[{i}]")
                notes.append(
                    AppliedWaiver(
                        tenant.code,
                        waiver.policy,
                        waiver.justification,
                        waiver.approver,
                        waiver.expires,
                        waiver.resource,
                        "not-waivable",
                        tenant.source_file,
                        line,
                        column,
                    )
                )
    violations = sorted(
        collector.violations, key=lambda v: (v.ward or "", v.policy, v.resource or "", v.message)
    )
    wards = tuple(sorted({t.code for t in tenants} | {w for s in graphs if (w := _stack_ward(s))}))
    return PolicyReport(
        rules,
        wards,
        tuple(violations),
        tuple(sorted(notes, key=lambda n: (n.ward, n.policy))),
        evaluations,
        len(everything),
        today,
    )


def evaluate_graph(
    graph: Graph,
    config: PolicyConfig,
    today: date,
    *,
    tenants: Sequence[Tenant] = (),
    registry: Registry | None = None,
) -> PolicyReport:
    """Resource and graph rules on one graph (a rendered stack or a live inventory); tenants add waivers."""
    registry = registry or catalogue()
    report = evaluate(tenants, {graph.stack: graph}, config, today, registry=registry)
    resource_side = tuple(v for v in report.violations if registry[v.policy].kind != "tenant")
    return replace(report, violations=resource_side)


def select_wards(tenants: Sequence[Tenant], wards: Iterable[str]) -> tuple[Tenant, ...]:
    """The tenants whose codes are in `wards` (all when empty); PolicyError for an unknown code."""
    wanted = list(dict.fromkeys(wards))
    if not wanted:
        return tuple(tenants)
    codes = {t.code for t in tenants}
    unknown = [w for w in wanted if w not in codes]
    if unknown:
        raise PolicyError(
            [
                Problem("--ward", 0, 0, Code.UNKNOWN_WARD, f"unknown ward {w} (no tenant file has this code)")
                for w in unknown
            ]
        )
    return tuple(t for t in tenants if t.code in wanted)


def render_graphs(
    tenants: Sequence[Tenant],
    wards: Sequence[Tenant] | None = None,
    on_rendered: Callable[[str], None] | None = None,
) -> dict[str, Graph]:
    """The platform stack and the chosen wards' stacks, rendered in-process under Pulumi mocks."""
    from wardcloud.infra.platform import PLATFORM_STACK  # imported late: loading the Pulumi SDK takes a second
    from wardcloud.infra.render import render_stacks

    chosen = wards if wards is not None else tenants
    return render_stacks(tenants, [PLATFORM_STACK, *sorted(t.stack for t in chosen)], on_rendered=on_rendered)


def check(
    tenants_dir: Path,
    *,
    config_path: Path | None = None,
    wards: Sequence[str] = (),
    today: date | None = None,
    render: bool = True,
    audit_log: Path | None = None,
    governance_dir: Path | None = None,
) -> PolicyReport:
    """What `wardctl policy check` does: load tenants and config, render the graph, evaluate; with
    `audit_log`, also name the break-glass applies in it still unreviewed (`with_break_glass`). Waiver
    signatures and acks are judged against `governance_dir`'s signers (default: `load_trust`'s)."""
    from wardcloud.tenants.validate import load_tenants

    with waiver_rules.governance_dir(governance_dir) if governance_dir is not None else nullcontext():
        config = load_config(config_path)
        tenants = load_tenants(tenants_dir)
        chosen = select_wards(tenants, wards)
        graphs = render_graphs(tenants, chosen) if render else {}
        report = evaluate(chosen, graphs, config, today or date.today())
        return with_break_glass(report, audit_log, wards) if audit_log is not None else report


def with_break_glass(report: PolicyReport, audit_log: Path, wards: Sequence[str] = ()) -> PolicyReport:
    """`report` with the break-glass applies in `audit_log` that no counting ack reviews yet, those that
    changed `wards` (all when empty) or the platform stack. Once the governance signers file lists anyone,
    an ack counts only when one of them signed it. AuditError when the log cannot be read: a check that
    cannot see the log must not say nothing is unreviewed."""
    signers = waiver_rules.load_trust().signers
    listed = signers if signers is not None and signers.signers else None
    return replace(report, unreviewed_break_glass=unreviewed_applies(audit_log, listed, wards))


def plan_report(
    tenants: Sequence[Tenant],
    graphs: Mapping[str, Graph],
    *,
    config: PolicyConfig | None = None,
    today: date | None = None,
) -> PolicyReport:
    """Policies on what `plan` rendered: tenant rules of the planned wards, resource and graph rules."""
    planned = {w for stack in graphs if (w := _stack_ward(stack))}
    wards = [t for t in tenants if t.code in planned]
    return evaluate(wards, graphs, config or load_config(), today or date.today())


def apply_check(tenants: Sequence[Tenant], plan: Any) -> list[Problem]:
    """The apply gate (infra.gate): one problem per unwaived mandatory violation of the plan's graphs."""
    return blocking_problems(
        plan_report(tenants, {stack: stack_plan.graph for stack, stack_plan in plan.stacks.items()})
    )


def blocking_problems(report: PolicyReport) -> list[Problem]:
    """One problem per unwaived mandatory violation of an evaluated report (the apply gate's answer)."""
    return [
        Problem(
            v.file,
            v.line,
            v.column,
            v.policy,
            f"{v.message} ({v.severity}, mandatory; fix: {v.remediation})"
            + (
                f" [waiver by {v.waiver.approver} expired {v.waiver.expires}]"
                if v.waiver is not None and v.waiver.status == "expired"
                else ""
            ),
            v.path,
        )
        for v in report.blocking
    ]


def evaluate_backups(
    facts: Sequence[Any],
    tenants: Sequence[Tenant],
    config: PolicyConfig,
    today: date,
    *,
    registry: Registry | None = None,
) -> PolicyReport:
    """The detective backup rules (kind `backup`) over each ward's live backup facts (`WardBackupFacts`)."""
    registry = registry or catalogue()
    rules = effective_rules(config, registry)
    enabled = [r for r in rules if r.enforcement != "disabled" and r.kind == "backup"]
    collector = _Collector({t.code: t for t in tenants}, today)
    evaluations = 0
    for ward_facts in facts:
        for backup_rule in enabled:
            evaluations += 1
            for finding in backup_rule.check(ward_facts, config):
                collector.add(backup_rule, ward_facts.ward, finding)
    return PolicyReport(
        tuple(rules), tuple(sorted(f.ward for f in facts)), tuple(collector.violations), (), evaluations, 0, today
    )
