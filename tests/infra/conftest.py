"""Fixtures for the infra tests: the bundled wards, one ward rendered once per module."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tenants.model import Tenant
from tenants.validate import load_tenants

REPO = Path(__file__).resolve().parents[2]
WARDS = REPO / "tenants" / "wards"
SHIBUYA = "131130-shibuya.yaml"


@pytest.fixture(scope="session")
def bundled_tenants() -> tuple[Tenant, ...]:
    return load_tenants(WARDS)


@pytest.fixture
def two_wards(tmp_path: Path) -> Path:
    """A tenants directory holding Shibuya and Chiyoda only (fast plans)."""
    wards = tmp_path / "wards"
    wards.mkdir()
    for name in (SHIBUYA, "131016-chiyoda.yaml"):
        shutil.copy(WARDS / name, wards / name)
    return wards
