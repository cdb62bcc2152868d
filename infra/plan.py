"""`plan`: render the selected stacks, diff each against its applied state, report like a reviewer wants."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wardcloud.infra.diff import StackChanges, diff_graphs
from wardcloud.infra.errors import Code, infra_error
from wardcloud.infra.graph import Graph, Resource
from wardcloud.infra.platform import PLATFORM_STACK
from wardcloud.infra.program import stack_names
from wardcloud.infra.render import render_stacks
from wardcloud.infra.state import StackState, load_state, recorded_stacks
from wardcloud.tenants.model import Tenant

# Render in parallel from this many stacks on: below it, starting processes costs more than it saves.
PARALLEL_FROM = 4


@dataclass(frozen=True)
class StackPlan:
    """One stack's desired graph, what was applied before, and the changes between them."""

    stack: str
    graph: Graph
    previous: Graph | None
    changes: StackChanges

    @property
    def retained(self) -> tuple[str, ...]:
        """Deleted URNs whose resource stays in the cloud (the audit log outlives its ward)."""
        old = self.previous.by_urn() if self.previous else {}
        return tuple(urn for urn in self.changes.delete if urn in old and is_retained(old[urn]))

    def to_json(self) -> dict[str, Any]:
        return {
            "resources": [r.to_json() for r in self.graph],
            "changes": self.changes.to_json(),
            "retained": list(self.retained),
        }


@dataclass(frozen=True)
class Plan:
    """Changes per stack, platform first."""

    stacks: Mapping[str, StackPlan]

    @property
    def counts(self) -> tuple[int, int, int]:
        """(create, update, delete) over every stack."""
        plans = self.stacks.values()
        return (
            sum(len(p.changes.create) for p in plans),
            sum(len(p.changes.update) for p in plans),
            sum(len(p.changes.delete) for p in plans),
        )

    @property
    def has_changes(self) -> bool:
        return any(self.counts)

    def changed_stacks(self) -> list[str]:
        return [stack for stack, p in self.stacks.items() if not p.changes.empty]

    def to_json(self) -> dict[str, Any]:
        create, update, delete = self.counts
        return {
            "stacks": {stack: p.to_json() for stack, p in self.stacks.items()},
            "summary": {"create": create, "update": update, "delete": delete},
        }

    def to_text(self) -> str:
        """Per stack `+ create`, `~ update` (changed keys), `- delete`, then the summary line."""
        lines: list[str] = []
        for stack, stack_plan in self.stacks.items():
            changes = stack_plan.changes
            if changes.empty:
                lines.append(f"{stack}: no changes")
                continue
            lines.append(
                f"{stack}: {len(changes.create)} to create, {len(changes.update)} to update, "
                f"{len(changes.delete)} to delete"
            )
            lines.extend(f"  + create {_label(urn)}" for urn in changes.create)
            lines.extend(f"  ~ update {_label(u.urn)}  changed: {', '.join(u.keys)}" for u in changes.update)
            retained = set(stack_plan.retained)
            for urn in changes.delete:
                note = (
                    "  (retained: the audit log outlives the ward; pulumi forgets it, Swift keeps it)"
                    if urn in retained
                    else ""
                )
                lines.append(f"  - delete {_label(urn)}{note}")
        create, update, delete = self.counts
        lines.append("")
        lines.append(f"Plan: {create} to create, {update} to update, {delete} to delete.")
        return "\n".join(lines) + "\n"


def _label(urn: str) -> str:
    """`name (type)` from a URN."""
    parts = urn.split("::")
    return f"{parts[-1]} ({parts[2].split('$')[-1]})" if len(parts) >= 4 else urn


def is_retained(resource: Resource) -> bool:
    """A resource pulumi never deletes for us: the ward's audit-log container (marked delete-protected)."""
    metadata = resource.inputs.get("metadata") or {}
    return isinstance(metadata, Mapping) and str(metadata.get("delete-protected", "")).lower() == "true"


def select_stacks(tenants: Sequence[Tenant], state_dir: Path, wards: Iterable[str] = ()) -> list[str]:
    """Stacks to plan: platform and every ward (or the wards asked), plus recorded stacks of removed wards."""
    declared = stack_names(tenants)
    recorded = recorded_stacks(state_dir)
    wanted = [f"ward-{code}" for code in wards]
    if not wanted:
        return declared + [s for s in recorded if s not in declared]
    for stack in wanted:
        if stack not in declared and stack not in recorded:
            raise infra_error(
                stack.removeprefix("ward-"),
                Code.UNKNOWN_WARD,
                "unknown ward: no tenant file and no recorded state (--ward takes a 6-digit code)",
            )
    return list(dict.fromkeys(wanted))


def default_jobs(stack_count: int) -> int:
    """Both cores for many stacks, one process for a few."""
    return min(2, os.cpu_count() or 1) if stack_count >= PARALLEL_FROM else 1


def make_plan(
    tenants: Sequence[Tenant],
    state_dir: Path,
    wards: Iterable[str] = (),
    *,
    jobs: int | None = None,
    on_rendered: Callable[[str], None] | None = None,
    platform_if_unapplied: bool = False,
) -> Plan:
    """Render the selected stacks (rendering uses recorded ids) and diff each against its recorded state.

    `platform_if_unapplied`: also plan the platform when it was never applied (apply needs it first).
    """
    stacks = select_stacks(tenants, state_dir, wards)
    if (
        platform_if_unapplied
        and PLATFORM_STACK not in stacks
        and load_state(state_dir, PLATFORM_STACK) is None
    ):
        stacks.insert(0, PLATFORM_STACK)
    states: dict[str, StackState | None] = {s: load_state(state_dir, s) for s in stacks}
    if PLATFORM_STACK not in states:
        states[PLATFORM_STACK] = load_state(state_dir, PLATFORM_STACK)
    known = {s: st.known() for s, st in states.items() if st is not None}
    declared = set(stack_names(tenants))
    to_render = [s for s in stacks if s in declared]
    graphs = render_stacks(
        tenants,
        to_render,
        jobs=default_jobs(len(to_render)) if jobs is None else jobs,
        known=known,
        on_rendered=on_rendered,
    )
    plans: dict[str, StackPlan] = {}
    for stack in stacks:
        graph = graphs.get(stack, Graph(stack, ()))  # a ward gone from the files: everything goes
        state = states[stack]
        previous = state.graph if state else None
        plans[stack] = StackPlan(stack, graph, previous, diff_graphs(previous, graph))
    return Plan(plans)
