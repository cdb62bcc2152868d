"""The one module that reaches below the Pulumi SDK's public surface; everything else imports from here.

Rendering a stack offline needs four things the SDK does not publish:
- the mock monitor's gRPC method `RegisterResource`, overridden to record parent, dependencies and wire
  inputs (the stock `MockMonitor` keeps only the resolved state);
- `sync_await._sync_await` / `_ensure_event_loop`, to run a program to completion from synchronous code
  (the SDK's own `pulumi.runtime.mocks` and test helpers do the same);
- `settings.ROOT`, reset so that each stack gets its own root Stack resource in one process;
- `resource._get_stack_trace`, replaced during a render: it walks the Python stack and converts every
  frame to a file URI for each resource (about a tenth of a render), for source positions that only a real
  engine shows and the mock monitor drops.

`pyproject.toml` pins pulumi to the minor version tested here (`TESTED_MINOR`);
`tests/test_pulumi_sdk.py` fails loudly, naming what moved, when an SDK upgrade changes any of it
(`sdk_problems()`), before a render could silently record less.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.proto import resource_pb2, source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

TESTED_MINOR = "3.272"  # keep in step with the pin in pyproject.toml
STACK_TYPE = "pulumi:pulumi:Stack"
UNKNOWN = rpc.UNKNOWN
Mocks = pulumi_mocks.Mocks
MockResourceArgs = pulumi_mocks.MockResourceArgs
MockCallArgs = pulumi_mocks.MockCallArgs


def is_secret(value: Any) -> bool:
    """True for a deserialized secret (the wire's `{sig: secret, value}` object)."""
    return bool(rpc.is_rpc_secret(value))


@dataclass(frozen=True)
class Registration:
    """One resource registration as the monitor received it (inputs deserialized, unknowns kept)."""

    urn: str
    type: str
    name: str
    parent: str | None
    dependencies: tuple[str, ...]
    inputs: Mapping[str, Any]
    custom: bool
    retain_on_delete: bool
    provider: str | None = None  # "<provider urn>::<id>" of an explicit provider, else None


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, also handing each registration (but the root Stack's) to `record`."""

    def __init__(self, mocks: pulumi_mocks.Mocks, record: Callable[[Registration], None]) -> None:
        super().__init__(mocks)
        self.record = record

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        _ensure_event_loop()  # the monitor runs on the SDK's worker thread
        inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
        custom = bool(request.custom)
        id_, state = self.mocks.new_resource(
            pulumi_mocks.MockResourceArgs(
                typ=request.type,
                name=request.name,
                inputs=inputs,
                provider=request.provider,
                resource_id=request.importId,
                custom=custom,
            )
        )
        if not custom:
            id_, state = "", {}
        self.record(
            Registration(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                dependencies=tuple(sorted(set(request.dependencies))),
                inputs=inputs,
                custom=custom,
                retain_on_delete=bool(request.retainOnDelete),
                provider=request.provider or None,
            )
        )
        obj_proto = _sync_await(rpc.serialize_properties(state, {}))
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, id_ or "", state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_ or "", object=obj_proto)


def install(
    mocks: pulumi_mocks.Mocks, monitor: pulumi_mocks.MockMonitor, *, project: str, stack: str, organization: str
) -> None:
    """Make `monitor` the process's resource monitor for a preview of `stack`, with a fresh root Stack."""
    pulumi_settings.ROOT.set(None)  # a fresh root Stack resource per stack, not the previous one's
    with without_stack_traces():  # set_mocks registers that root Stack
        pulumi_mocks.set_mocks(
            mocks, project=project, stack=stack, preview=True, monitor=monitor, organization=organization
        )


def _no_stack_trace() -> source_pb2.StackTrace:
    return source_pb2.StackTrace()


@contextlib.contextmanager
def without_stack_traces() -> Iterator[None]:
    """Within the block, resources register without the per-resource Python stack trace."""
    saved = pulumi_resource._get_stack_trace
    pulumi_resource._get_stack_trace = _no_stack_trace
    try:
        yield
    finally:
        pulumi_resource._get_stack_trace = saved


def run(program: Callable[[], Any]) -> None:
    """Run a Pulumi program (plain or async function) to completion under the installed mocks."""
    with without_stack_traces():
        _sync_await(run_pulumi_func(program))


class _EchoMocks(pulumi_mocks.Mocks):
    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def sdk_problems() -> list[str]:
    """What no longer holds of the SDK internals this module relies on (empty: all as tested)."""
    problems: list[str] = []
    installed = version("pulumi")
    if not (installed == TESTED_MINOR or installed.startswith(TESTED_MINOR + ".")):
        problems.append(f"pulumi {installed} installed; the adapter was tested with {TESTED_MINOR}.x")
    stock = getattr(pulumi_mocks.MockMonitor, "RegisterResource", None)
    if stock is None or list(inspect.signature(stock).parameters) != ["self", "request"]:
        problems.append("MockMonitor.RegisterResource(self, request) is gone or changed")
    probe = pulumi_mocks.MockMonitor(_EchoMocks())
    for name in ("make_urn", "resources", "mocks"):
        if not hasattr(probe, name):
            problems.append(f"MockMonitor().{name} is gone")
    if not hasattr(pulumi_mocks.MockMonitor, "ResourceRegistration"):
        problems.append("MockMonitor.ResourceRegistration is gone")
    if "keep_unknowns" not in inspect.signature(rpc.deserialize_properties).parameters:
        problems.append("rpc.deserialize_properties lost keep_unknowns")
    if "monitor" not in inspect.signature(pulumi_mocks.set_mocks).parameters:
        problems.append("set_mocks lost its monitor parameter")
    if not hasattr(pulumi_settings, "ROOT") or not hasattr(pulumi_settings.ROOT, "set"):
        problems.append("settings.ROOT (a ContextVar) is gone")
    trace = getattr(pulumi_resource, "_get_stack_trace", None)
    if trace is None or inspect.signature(trace).parameters:
        problems.append("runtime.resource._get_stack_trace() is gone or takes arguments")
    elif "_get_stack_trace()" not in inspect.getsource(pulumi_resource.register_resource):
        problems.append("register_resource no longer calls _get_stack_trace(): the patch would do nothing")
    fields = {f.name for f in resource_pb2.RegisterResourceRequest.DESCRIPTOR.fields}
    wanted = {"type", "name", "parent", "custom", "object", "dependencies", "provider", "importId",
              "retainOnDelete"}
    if missing := sorted(wanted - fields):
        problems.append(f"RegisterResourceRequest lost {', '.join(missing)}")
    return problems
