"""Fixtures for the policy tests: bundled wards, their rendered graph, ward files to edit in tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from wardcloud.infra.graph import Graph
from wardcloud.tenants.model import Tenant
from wardcloud.tenants.validate import load_tenants

REPO = Path(__file__).resolve().parents[2]
WARDS = REPO / "tenants" / "wards"
CHIYODA = "131016-chiyoda.yaml"


@pytest.fixture(scope="session")
def bundled() -> tuple[Tenant, ...]:
    return load_tenants(WARDS)


@pytest.fixture(scope="session")
def chiyoda(bundled: tuple[Tenant, ...]) -> Tenant:
    return next(t for t in bundled if t.code == "131016")


@pytest.fixture(scope="session")
def rendered(bundled: tuple[Tenant, ...]) -> dict[str, Graph]:
    """Platform + 23 ward stacks rendered under Pulumi mocks, once per session."""
    from wardcloud.policies.engine import render_graphs

    return render_graphs(bundled)


WardEdit = Callable[[dict[str, Any]], None]


@pytest.fixture
def ward_dir(tmp_path: Path) -> Callable[..., Path]:
    """A tenants directory holding Chiyoda's file, edited by `edit(document)` when given."""

    def make(edit: WardEdit | None = None, name: str = CHIYODA) -> Path:
        directory = tmp_path / "wards"
        directory.mkdir(exist_ok=True)
        document = yaml.safe_load((WARDS / name).read_text(encoding="utf-8"))
        if edit is not None:
            edit(document)
        (directory / name).write_text(
            yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        return directory

    return make
