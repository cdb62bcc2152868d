"""Bench: `wardctl validate` vs check-jsonschema (schema only) on 23 and 1,741 tenants.

Whole processes, interleaved (bench/harness.py): `wardctl validate DIR` (schema and cross-ward checks)
against `check-jsonschema --schemafile` over the same files (schema only); min/median CPU and wall and
the ratio ours / check-jsonschema (target <= 1.0), then the cross-ward check alone at growing sizes to
show it scales n log n (sort-and-sweep), not n².

    .venv/bin/python bench/validate.py [--tenants 23 1741] [--repeat 3] [--judge cpu|wall]
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from ipaddress import IPv4Network
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import arguments, describe, header, interleaved, ratio, run, verdict  # noqa: E402

from wardcloud.tenants.reference import ReferenceWard, address_plan, check_digit  # noqa: E402
from wardcloud.tenants.scaffold import file_name, render_tenant  # noqa: E402
from wardcloud.tenants.validate import cross_ward_problems, validate_paths  # noqa: E402

MUNICIPALITIES = 1741
SCHEMA = ROOT / "tenants" / "schema" / "ward-tenant.schema.json"
BIN = Path(sys.executable).parent


def synthetic_wards(count: int) -> list[tuple[ReferenceWard, dict[str, IPv4Network]]]:
    """`count` municipalities with valid codes and disjoint /24 segments inside the address plan."""
    plan = address_plan()
    blocks = (b for b in plan.ward_supernets[0].subnets(new_prefix=22)
              if not any(b.overlaps(r.cidr) for r in plan.reserved))
    wards = []
    for index in range(count):
        code5 = f"{1 + index // 900:02d}{100 + index % 900:03d}"
        code6 = f"{code5}{check_digit(code5)}"
        name_en = "M" + "".join(chr(ord("a") + int(d)) for d in code6)
        subnets = next(blocks).subnets(new_prefix=24)
        cidrs = {name: next(subnets) for name in ("mynumber", "lgwan", "internet")}
        wards.append((ReferenceWard(code6, f"市{index}", name_en, 10_000 + index), cidrs))
    return wards


def write_tenants(directory: Path, count: int) -> None:
    from datetime import date

    directory.mkdir(parents=True)
    for ward, cidrs in synthetic_wards(count):
        text = render_tenant(ward, cidrs, date(2022, 4, 1), "2020-01-01", ("bousai",))
        (directory / file_name(ward)).write_text(text, encoding="utf-8")


def main() -> None:
    parser = arguments(__doc__.splitlines()[0], repeat=3)
    parser.add_argument("--tenants", type=int, nargs="+", default=[23, MUNICIPALITIES],
                        help="sizes to time (synthetic municipalities beyond the bundled 23)")
    args = parser.parse_args()
    largest = max(args.tenants)
    if not shutil.which("check-jsonschema", path=str(BIN)):
        sys.exit("check-jsonschema is missing: .venv/bin/pip install -e '.[dev]'")
    header(args)
    met = True
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "WARDCTL_STATE": str(Path(tmp) / "state")}
        for count in sorted(args.tenants):
            directory = Path(tmp) / f"t{count}"
            write_tenants(directory, count)
            files = sorted(str(p) for p in directory.glob("*.yaml"))
            runs = interleaved({
                "wardctl validate": lambda d=directory: run([str(BIN / "wardctl"), "validate", str(d)], env=env),
                "check-jsonschema": lambda f=files: run([str(BIN / "check-jsonschema"), "--schemafile", str(SCHEMA),
                                                         *f]),
            }, args.repeat)
            print(f"{count:>5} tenants")
            for name, measured in runs.items():
                print(f"  {name:<18} {describe(measured)}")
            low, mid = ratio(runs["wardctl validate"], runs["check-jsonschema"], args.judge)
            print(f"  ratio ({args.judge}): min {low:.2f}x, median {mid:.2f}x")
            met = verdict(f"validate {count} tenants / check-jsonschema, median {args.judge}", mid, 1.0) & met
        tenants = validate_paths([Path(tmp) / f"t{largest}"]).tenants
        print("\ncross-ward checks alone (sort-and-sweep over every segment and reserved block)")
        print(f"{'tenants':>8} {'segments':>9} {'ms':>8} {'µs/segment':>11}")
        plan = address_plan()
        sizes = sorted({min(23, largest), min(230, largest), largest})
        for count in sizes:
            subset = tenants[:count]
            start = time.perf_counter()
            for _ in range(5):
                cross_ward_problems(subset, plan)
            elapsed = (time.perf_counter() - start) / 5
            segments = 3 * len(subset)
            print(f"{len(subset):>8} {segments:>9} {elapsed * 1000:>8.2f} {elapsed * 1e6 / segments:>11.2f}")
        print(f"(µs/segment roughly flat as tenants grow {sizes[-1] / sizes[0]:.3g}x: n log n, not n²)")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
