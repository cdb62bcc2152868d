"""The dev cloud for tests marked `live`: found, wiped, seeded with two wards; skipped (with why) if down."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TENANTS = ROOT / "tenants" / "wards"
CLOUD = "wardcloud-dev"
SEEDED_WARDS = ("131130", "131016")  # Shibuya (three segments), Chiyoda


def clouds_yaml() -> Path:
    """Where scripts/devcloud.sh wrote clouds.yaml: OS_CLIENT_CONFIG_FILE, DEVCLOUD_HOME, or the state dir."""
    if os.environ.get("OS_CLIENT_CONFIG_FILE"):
        return Path(os.environ["OS_CLIENT_CONFIG_FILE"])
    if os.environ.get("DEVCLOUD_HOME"):
        return Path(os.environ["DEVCLOUD_HOME"]) / "clouds.yaml"
    state = Path(os.environ.get("WARDCTL_STATE", ROOT / ".wardctl"))
    return state / "devcloud" / "clouds.yaml"


@dataclass(frozen=True)
class DevCloud:
    """The seeded dev cloud: an admin connection, its clouds.yaml, and the seeded resources' live ids."""

    connection: Any
    clouds_yaml: Path
    ids: dict[str, str]

    @property
    def env(self) -> dict[str, str]:
        return {"OS_CLIENT_CONFIG_FILE": str(self.clouds_yaml), "WARDCTL_TENANTS": str(TENANTS)}


@pytest.fixture(scope="session")
def dev_cloud() -> Iterator[DevCloud]:
    """Wipe the dev cloud, seed the platform and two wards from their rendered graphs; wipe again after."""
    path = clouds_yaml()
    if not path.is_file():
        pytest.skip(f"dev cloud not up: no {path} (start it: scripts/devcloud.sh start)")
    try:
        import openstack  # noqa: F401
    except ImportError:
        pytest.skip("openstacksdk not installed")
    from live.connect import CloudError, connect

    previous = os.environ.get("OS_CLIENT_CONFIG_FILE")
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(path)
    try:
        connect(CLOUD, timeout=5)  # quick probe: up or skipped
        cloud = connect(CLOUD, timeout=120)  # seeding on 2 shared cores can be slow; not what is tested
    except CloudError as exc:
        pytest.skip(f"dev cloud not up ({exc}); start it: scripts/devcloud.sh start")
    finally:
        if previous is None:
            os.environ.pop("OS_CLIENT_CONFIG_FILE")
        else:
            os.environ["OS_CLIENT_CONFIG_FILE"] = previous

    from infra.render import render_stacks
    from tenants.validate import load_tenants
    from tests.live import seed

    tenants = load_tenants(TENANTS)
    graphs = render_stacks(tenants, ["platform", *(f"ward-{code}" for code in SEEDED_WARDS)])
    seed.wipe(cloud.connection)
    ids = seed.seed(cloud.connection, graphs)
    yield DevCloud(cloud.connection, path, ids)
    seed.wipe(cloud.connection)
