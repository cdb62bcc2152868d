"""What the live tests share: where the dev cloud's clouds.yaml is, the seeded wards, the DevCloud handle."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TENANTS = ROOT / "tenants" / "wards"
CLOUD = "wardcloud-dev"
SEEDED_WARDS = ("131130", "131016")  # Shibuya (three segments), Chiyoda


def clouds_yaml() -> Path:
    """Where scripts/devcloud.sh wrote clouds.yaml: OS_CLIENT_CONFIG_FILE, DEVCLOUD_HOME, or the checkout's.

    Not WARDCTL_STATE: the suite points it at a scratch folder for every test.
    """
    if os.environ.get("OS_CLIENT_CONFIG_FILE"):
        return Path(os.environ["OS_CLIENT_CONFIG_FILE"])
    if os.environ.get("DEVCLOUD_HOME"):
        return Path(os.environ["DEVCLOUD_HOME"]) / "clouds.yaml"
    return ROOT / ".wardctl" / "devcloud" / "clouds.yaml"


@dataclass(frozen=True)
class DevCloud:
    """The seeded dev cloud: an admin connection, its clouds.yaml, and the seeded resources' live ids."""

    connection: Any
    clouds_yaml: Path
    ids: dict[str, str]

    @property
    def env(self) -> dict[str, str]:
        return {"OS_CLIENT_CONFIG_FILE": str(self.clouds_yaml), "WARDCTL_TENANTS": str(TENANTS)}
