"""Pulumi entry point: the stack's name says what to build (`platform` or `ward-<code6>`).

    cd infra && pulumi stack select ward-131130 && pulumi preview

The only place in infra/ that reads the environment and files: it finds the tenants directory
(config `wardcloud:tenantsDir`, else $WARDCTL_TENANTS, else ../tenants/wards) and hands the loaded
tenants to `infra.program.build_stack`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pulumi

from wardcloud.infra.offsite import OffsiteTarget
from wardcloud.infra.program import build_stack
from wardcloud.tenants.reference import address_plan
from wardcloud.tenants.validate import load_tenants

HERE = Path(__file__).resolve().parent


def tenants_dir() -> Path:
    """Config, then environment, then the repository's bundled wards."""
    configured = pulumi.Config("wardcloud").get("tenantsDir") or os.environ.get("WARDCTL_TENANTS")
    return Path(configured) if configured else HERE.parent / "tenants" / "wards"


def offsite_target() -> OffsiteTarget | None:
    """The second site backups are copied to (config `wardcloud:offsite*`), or None when not configured."""
    config = pulumi.Config("wardcloud")
    offsite_cloud = config.get("offsiteCloud")
    if not offsite_cloud:
        return None
    return OffsiteTarget(
        primary_cloud=config.get("primaryCloud") or os.environ.get("OS_CLOUD", "envvars"),
        offsite_cloud=offsite_cloud,
        realm=config.require("offsiteRealm"),
        cluster=config.require("offsiteCluster"),
        key=config.require_secret("offsiteSyncKey"),
    )


def main() -> None:
    """Build the resources of the selected stack and export its outputs."""
    outputs = build_stack(pulumi.get_stack(), load_tenants(tenants_dir()), address_plan(), offsite_target())
    for key, value in outputs.items():
        pulumi.export(key, value)


main()
