"""The import graph runs one way: no wardcloud package imports one that depends on it.

The order follows DESIGN.md's data flow: tenant files become models (tenants), which infra renders and
cost_allocation splits bills over; policies judge tenants and rendered graphs; live and reports read all of
those; governance (saved plans, approvals, apply) stands on every library; cli only parses and formats.
audit, the evidence every layer may write, depends on core alone. Each import counts — at module level,
inside a function, or under TYPE_CHECKING — since a lazy import is still an edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

LAYERS = (
    ("core",),
    ("audit", "tenants"),
    ("infra", "cost_allocation"),
    ("policies",),
    ("live", "reports"),
    ("governance", "backup"),
    ("cli",),
)
RANK = {package: rank for rank, names in enumerate(LAYERS) for package in names}


def packages() -> dict[str, Path]:
    base = ROOT / "src" / "wardcloud"
    return {p.name: p.resolve() for p in base.iterdir() if p.is_dir() and (p / "__init__.py").exists()}


def imported_packages(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(encoding="utf-8"), str(source))
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "wardcloud" and len(parts) > 1 and parts[1] in RANK:
                found.add(parts[1])
    return found


def test_every_package_has_a_layer():
    assert set(packages()) == set(RANK), "place a new package in LAYERS (tests/test_layers.py)"


def test_no_import_runs_back_up():
    upward = []
    for package, directory in packages().items():
        for source in sorted(directory.rglob("*.py")):
            for target in imported_packages(source) - {package}:
                if RANK[target] >= RANK[package]:
                    upward.append(f"{source.relative_to(directory.parent)}: {package} imports {target}")
    assert upward == []


def test_the_walk_sees_lazy_imports(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from wardcloud.policies.engine import apply_check\n")
    assert imported_packages(module) == {"policies"}
