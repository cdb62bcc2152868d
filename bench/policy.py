"""Bench: `policy check` evaluation on 23 and 1,741 synthetic wards; rules × resources per second.

The 23 bundled wards are rendered once under Pulumi mocks; synthetic wards are copies of a rendered
ward graph relabelled with a new code and non-overlapping CIDRs, so the bench measures the policy
engine, not the renderer. Cross-ward (graph) rules are timed separately: their time per resource
must stay flat as wards grow (no n² pairs).

    .venv/bin/python bench/policy.py [--wards 23,1741]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from datetime import date
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wardcloud.infra.graph import Graph  # noqa: E402
from wardcloud.policies.config import PolicyConfig, load_config  # noqa: E402
from wardcloud.policies.engine import PolicyReport, evaluate, render_graphs  # noqa: E402
from wardcloud.policies.registry import catalogue  # noqa: E402
from wardcloud.tenants.model import Segment, Tenant  # noqa: E402
from wardcloud.tenants.validate import load_tenants  # noqa: E402

WARDS = Path(__file__).resolve().parent.parent / "tenants" / "wards"
TODAY = date(2026, 11, 29)
BASE = int(IPv4Address("10.16.0.0"))  # synthetic wards number /22 segments from here, clear of the platform


def synthetic(template: Tenant, graph: Graph, index: int) -> tuple[Tenant, Graph]:
    """Ward `index`: the template's tenant and graph under a new code and fresh, disjoint CIDRs."""
    code = f"{200000 + index}"
    cidrs = {
        s.name: IPv4Network((BASE + (3 * index + k) * 1024, 22)) for k, s in enumerate(template.segments)
    }
    text = json.dumps(graph.to_json())
    for segment in template.segments:
        text = text.replace(str(segment.cidr), str(cidrs[segment.name]))
    text = text.replace(template.code, code)
    tenant = dataclasses.replace(
        template,
        code=code,
        name_en=f"Synthetic{index}",
        segments=tuple(
            Segment(s.name, cidrs[s.name], s.dns_nameservers, s.volume_encryption) for s in template.segments
        ),
    )
    return tenant, Graph.from_json(json.loads(text))


def run(
    tenants: list[Tenant], graphs: dict[str, Graph], config: PolicyConfig
) -> tuple[float, float, PolicyReport]:
    started = time.perf_counter()
    report = evaluate(tenants, graphs, config, TODAY)
    total = time.perf_counter() - started
    graph_rules = [r for r in catalogue() if r.kind == "graph"]
    everything = [r for g in graphs.values() for r in g]
    started = time.perf_counter()
    for rule in graph_rules:
        list(rule.check(everything, config))
    return total, time.perf_counter() - started, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wards", default="23,1741", help="comma-separated ward counts")
    sizes = [int(n) for n in parser.parse_args().wards.split(",")]
    config = load_config()
    bundled = list(load_tenants(WARDS))
    started = time.perf_counter()
    rendered = render_graphs(bundled)
    print(f"render: {len(rendered)} stacks in {time.perf_counter() - started:.1f} s (once, not benched)")
    template = next(t for t in bundled if t.code == "131016")
    rules = len(catalogue())
    print(
        f"{'wards':>6} {'resources':>10} {'rule×subject':>13} {'seconds':>8} {'evals/s':>10} "
        f"{'µs/ward':>9} {'graph-rules µs/resource':>24}  verdict"
    )
    baseline: float | None = None
    for size in sizes:
        if size <= len(bundled):
            tenants = bundled[:size]
            graphs = {"platform": rendered["platform"], **{t.stack: rendered[t.stack] for t in tenants}}
        else:
            pairs = [synthetic(template, rendered[template.stack], i) for i in range(size)]
            tenants = [t for t, _ in pairs]
            graphs = {"platform": rendered["platform"], **{f"ward-{t.code}": g for t, g in pairs}}
        total, graph_time, report = run(tenants, graphs, config)
        resources = sum(len(g.resources) for g in graphs.values())
        per_resource = graph_time / resources * 1e6
        baseline = baseline or per_resource
        print(
            f"{size:>6} {resources:>10} {report.evaluations:>13} {total:>8.2f} "
            f"{report.evaluations / total:>10.0f} {total / size * 1e6:>9.0f} "
            f"{per_resource:>16.2f} (×{per_resource / baseline:.2f})  "
            f"{'passed' if report.passed else 'FAILED'}"
        )
    print(f"{rules} rules. Graph-rule time per resource stays flat (×≈1) as wards grow: no quadratic pairs.")


if __name__ == "__main__":
    main()
