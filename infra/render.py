"""Render stacks in-process under Pulumi's mock runtime: no cloud, no CLI, just the resource graph.

The mock runtime is process-global, so one process renders its stacks one after another and
several stacks in parallel means several processes (`jobs`).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from wardcloud.infra import pulumi_sdk
from wardcloud.infra.graph import Graph, Resource
from wardcloud.infra.platform import PLATFORM_STACK, expected_outputs
from wardcloud.infra.program import PROJECT, build_stack, stack_names, ward_for_stack
from wardcloud.tenants.model import Tenant
from wardcloud.tenants.reference import AddressPlan, address_plan

ORGANIZATION = "organization"
STACK_TYPE = pulumi_sdk.STACK_TYPE
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
SECRET = "[secret]"
UNKNOWN = "[unknown]"


@dataclass(frozen=True)
class Rendered:
    """One rendered stack: its graph, its resolved outputs, the URNs pulumi keeps on delete."""

    graph: Graph
    outputs: dict[str, Any]
    retained: frozenset[str]


@dataclass(frozen=True)
class Known:
    """What is known of a stack's deployed state: resource ids by logical name, and stack outputs."""

    ids: Mapping[str, str] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)


def mock_id(name: str) -> str:
    """The id a resource gets in a render when no deployed state knows its real one."""
    return f"{name}-id"


def _plain(value: Any) -> Any:
    """JSON-ready inputs: secrets masked, unknowns marked, tuples as lists."""
    if pulumi_sdk.is_secret(value):
        return SECRET
    if value == pulumi_sdk.UNKNOWN:
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        return int(value)  # protobuf numbers are doubles; quotas and ports are integers
    if isinstance(value, Mapping):
        return {str(k): _plain(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class _Mocks(pulumi_sdk.Mocks):
    """Resources echo their inputs; ids come from deployed state when known, else `mock_id`."""

    def __init__(self, ids: Mapping[str, str], platform_outputs: Mapping[str, Any]) -> None:
        self.ids = ids
        self.platform_outputs = platform_outputs

    def new_resource(self, args: pulumi_sdk.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == STACK_REFERENCE_TYPE:
            return args.name, {
                "name": args.name,
                "outputs": dict(self.platform_outputs),
                "secretOutputNames": [],
            }
        return self.ids.get(args.name, mock_id(args.name)), dict(args.inputs)

    def call(self, args: pulumi_sdk.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        # A lookup (`openstack.identity.get_role(name="admin")`) finds what it asked for, with a mock id.
        # (No failures: the SDK's mock monitor iterates the second element, so it must be a list.)
        name = args.args.get("name") if isinstance(args.args, Mapping) else None
        if not name:
            return {}, []
        lookup = f"{name}-{args.token.rsplit(':', 1)[-1]}"  # e.g. `admin-getRole`; state may know its real id
        return {**args.args, "id": self.ids.get(lookup, mock_id(lookup))}, []


class _Recorder:
    """Collects what the graph needs from each registration: parent, dependencies, plain wire inputs."""

    def __init__(self) -> None:
        self.recorded: list[Resource] = []
        self.retained: set[str] = set()

    def __call__(self, registration: pulumi_sdk.Registration) -> None:
        if registration.retain_on_delete:
            self.retained.add(registration.urn)
        self.recorded.append(
            Resource(
                urn=registration.urn,
                type=registration.type,
                name=registration.name,
                parent=registration.parent,
                dependencies=registration.dependencies,
                inputs=_plain(registration.inputs),
                # "<provider urn>::<id>": keep the urn, the id differs between a render and a deployment
                provider=registration.provider.rsplit("::", 1)[0] if registration.provider else None,
            )
        )


def render_stack(
    stack: str,
    tenants: Sequence[Tenant],
    *,
    plan: AddressPlan | None = None,
    known: Mapping[str, Known] | None = None,
) -> Rendered:
    """Render one stack under mocks: graph, outputs and retained resources."""
    plan = plan or address_plan()
    if stack != PLATFORM_STACK:
        ward_for_stack(stack, tenants)  # unknown stack: InfraError before touching the runtime
    return render_program(stack, lambda: build_stack(stack, tenants, plan), plan=plan, known=known)


def render_program(
    stack: str,
    program: Callable[[], Mapping[str, Any] | None],
    *,
    plan: AddressPlan | None = None,
    known: Mapping[str, Known] | None = None,
) -> Rendered:
    """Run any Pulumi program as `stack` under the recording mocks (the entry point's test uses it)."""
    plan = plan or address_plan()
    known = known or {}
    own = known.get(stack, Known())
    platform_known = known.get(PLATFORM_STACK, Known())
    platform_outputs = dict(platform_known.outputs) or expected_outputs(
        plan, lambda name: platform_known.ids.get(name, mock_id(name))
    )
    mocks = _Mocks(own.ids, platform_outputs)
    recorder = _Recorder()
    monitor = pulumi_sdk.RecordingMonitor(mocks, recorder)
    pulumi_sdk.install(mocks, monitor, project=PROJECT, stack=stack, organization=ORGANIZATION)
    outputs: dict[str, Any] = {}

    async def run() -> None:
        result = program()
        outputs.update(await pulumi.Output.from_input(result or {}).future() or {})

    pulumi_sdk.run(run)
    return Rendered(Graph(stack, tree_order(recorder.recorded)), _plain(outputs), frozenset(recorder.retained))


def tree_order(resources: Sequence[Resource]) -> tuple[Resource, ...]:
    """Parents before children, siblings by name: registration order is async and varies run to run."""
    urns = {r.urn for r in resources}
    children: dict[str | None, list[Resource]] = {}
    for resource in resources:
        parent = resource.parent if resource.parent in urns else None
        children.setdefault(parent, []).append(resource)
    ordered: list[Resource] = []

    def visit(parent: str | None) -> None:
        for resource in sorted(children.get(parent, ()), key=lambda r: (r.name, r.type)):
            ordered.append(resource)
            visit(resource.urn)

    visit(None)
    return tuple(ordered)


# Process-local worker context, set by the pool initializer in each forked worker only.
_INHERITED_LOOPS: list[object] = []
_WORKER: dict[str, Any] = {}


def _fresh_worker(tenants: Sequence[Tenant], known: Mapping[str, Known]) -> None:
    """Pool initializer: a forked worker must not use the parent's event loop.

    The SDK sends monitor calls through the loop's default thread pool; after fork that pool's
    threads do not exist and every call would wait forever. The inherited loop is kept referenced
    (never finalised: its file descriptors belong to the parent).
    """
    with contextlib.suppress(RuntimeError):
        _INHERITED_LOOPS.append(asyncio.get_event_loop_policy().get_event_loop())
    asyncio.set_event_loop(asyncio.new_event_loop())
    # handed over once per worker (inherited through fork), not pickled with every task
    _WORKER.update(tenants=tenants, known=known)


def _render_task(stack: str) -> tuple[str, Graph]:
    return stack, render_stack(stack, _WORKER["tenants"], known=_WORKER["known"]).graph


def render_stacks(
    tenants: Sequence[Tenant],
    stacks: Sequence[str] | None = None,
    *,
    jobs: int = 1,
    known: Mapping[str, Known] | None = None,
    on_rendered: Callable[[str], None] | None = None,
) -> dict[str, Graph]:
    """Render `stacks` (default: platform + every ward) to graphs, ordered as asked, over `jobs` processes."""
    wanted = list(stacks) if stacks is not None else stack_names(tenants)
    for stack in wanted:
        if stack != PLATFORM_STACK:
            ward_for_stack(stack, tenants)
    known = known or {}
    graphs: dict[str, Graph] = {}
    if jobs <= 1 or len(wanted) < 2:
        for stack in wanted:
            graphs[stack] = render_stack(stack, tenants, known=known).graph
            if on_rendered:
                on_rendered(stack)
    else:
        # fork: workers inherit the imported SDK (importing pulumi_openstack costs about a second)
        context = multiprocessing.get_context("fork")
        workers = min(jobs, len(wanted))
        chunk = max(1, len(wanted) // (workers * 8))
        with context.Pool(workers, initializer=_fresh_worker, initargs=(tenants, known)) as pool:
            for stack, graph in pool.imap_unordered(_render_task, wanted, chunksize=chunk):
                graphs[stack] = graph
                if on_rendered:
                    on_rendered(stack)
    return {stack: graphs[stack] for stack in wanted}
