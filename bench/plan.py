"""Bench: `wardctl plan`'s render+diff against the SDK's own floor, for 23 and 200 wards.

The floor is a bare loop that registers the same number of plain pulumi-openstack resources per
stack under the SDK's stock mock monitor, in one process (no components, no graph, no diff).
Ours is `infra.plan.make_plan` on an empty state directory (every resource a create), once in
one process (same footing as the floor) and once over two processes (how `wardctl plan` runs
many stacks). Prints sizes, resources/second and ratios.

    .venv/bin/python bench/plan.py [--wards 23 200]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pulumi_openstack as openstack  # noqa: E402
from pulumi.runtime import mocks as pulumi_mocks  # noqa: E402
from pulumi.runtime import settings as pulumi_settings  # noqa: E402
from pulumi.runtime.stack import run_pulumi_func  # noqa: E402
from pulumi.runtime.sync_await import _sync_await  # noqa: E402

from wardcloud.infra.plan import make_plan  # noqa: E402
from wardcloud.tenants.model import Tenant  # noqa: E402
from wardcloud.tenants.validate import load_tenants  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


class EchoMocks(pulumi_mocks.Mocks):
    """The usual unit-test mocks: every resource echoes its inputs."""

    def new_resource(self, args):  # type: ignore[no-untyped-def]
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args):  # type: ignore[no-untyped-def]
        return {}, None


def synthetic_wards(bundled: tuple[Tenant, ...], count: int) -> tuple[Tenant, ...]:
    """`count` wards: the bundled ones, then copies under made-up codes (rendering needs no check digit)."""
    wards = list(bundled[:count])
    for index in range(count - len(wards)):
        template = bundled[index % len(bundled)]
        wards.append(dataclasses.replace(template, code=f"{900000 + index:06d}", name_en=f"Synthetic{index}"))
    return tuple(wards)


def bare_floor(stacks: int, per_stack: list[int]) -> float:
    """Seconds to register `per_stack[i]` plain Networks in each of `stacks` mocked stacks, one process."""
    started = time.perf_counter()
    for index in range(stacks):
        pulumi_settings.ROOT.set(None)
        pulumi_mocks.set_mocks(EchoMocks(), project="bare", stack=f"bare-{index}", preview=True)

        def program(count: int = per_stack[index], index: int = index) -> None:
            for n in range(count):
                openstack.networking.Network(
                    f"net-{index}-{n}",
                    name=f"net-{n}",
                    shared=False,
                    admin_state_up=True,
                    tags=[f"ward:{index:06d}", "segment:lgwan"],
                )

        _sync_await(run_pulumi_func(program))
    return time.perf_counter() - started


def ours(tenants: tuple[Tenant, ...], jobs: int) -> tuple[float, list[int]]:
    """Seconds for a full plan (render + diff against empty state) and the resource count of each stack."""
    with tempfile.TemporaryDirectory() as state:
        started = time.perf_counter()
        plan = make_plan(tenants, Path(state), jobs=jobs)
        elapsed = time.perf_counter() - started
    return elapsed, [len(p.graph.resources) for p in plan.stacks.values()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wards", type=int, nargs="+", default=[23, 200])
    args = parser.parse_args()
    bundled = load_tenants(REPO / "tenants" / "wards")
    ours(bundled[:2], jobs=1)  # warm-up: first-use costs (lazy imports, caches) are not per-resource costs
    bare_floor(2, [40, 40])
    print(f"cores: {os.cpu_count()}")
    print(
        f"{'wards':>6} {'stacks':>6} {'resources':>9} | {'floor s':>8} {'res/s':>7} | "
        f"{'ours(1) s':>9} {'res/s':>7} "
        f"{'ratio':>6} | {'ours(2) s':>9} {'res/s':>7} {'ratio':>6}"
    )
    for count in args.wards:
        tenants = synthetic_wards(bundled, count)
        one, sizes = ours(tenants, jobs=1)
        two, _ = ours(tenants, jobs=2)
        floor = bare_floor(len(sizes), sizes)
        total = sum(sizes)
        print(
            f"{count:>6} {len(sizes):>6} {total:>9} | {floor:>8.2f} {total / floor:>7.0f} | {one:>9.2f} "
            f"{total / one:>7.0f} {one / floor:>5.2f}x | {two:>9.2f} {total / two:>7.0f} {two / floor:>5.2f}x"
        )
    print(
        "ratio = ours / floor (lower is better; target <= 1.5x at 23 wards); "
        "ours(2) renders over 2 processes, as `wardctl plan` does for 4+ stacks."
    )


if __name__ == "__main__":
    main()
