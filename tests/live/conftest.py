"""The dev cloud for tests marked `live`: found, wiped, seeded with two wards; skipped (with why) if down."""

from __future__ import annotations

import os

import pytest

from tests.live.devcloud import CLOUD, SEEDED_WARDS, TENANTS, DevCloud, clouds_yaml


@pytest.fixture(scope="session")
def dev_cloud() -> DevCloud:
    """Wipe the dev cloud, seed the platform and two wards from their rendered graphs.

    Not wiped after: the next session wipes first, and CI stops the cloud right after the suite (the wipe
    took half a minute of every run).
    """
    path = clouds_yaml()
    if not path.is_file():
        pytest.skip(f"dev cloud not up: no {path} (start it: scripts/devcloud.sh start)")
    try:
        import openstack  # noqa: F401
    except ImportError:
        pytest.skip("openstacksdk not installed")
    from wardcloud.core.cloud import CloudError, connect

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

    from tests.live import seed
    from wardcloud.infra.render import render_stacks
    from wardcloud.tenants.validate import load_tenants

    tenants = load_tenants(TENANTS)
    graphs = render_stacks(tenants, ["platform", *(f"ward-{code}" for code in SEEDED_WARDS)])
    seed.wipe(cloud.connection)
    ids = seed.seed(cloud.connection, graphs)
    # what `pulumi up` makes when the stacks name the second site: the off-site links (BAK-104 reads them)
    seeded = [t for t in tenants if t.code in SEEDED_WARDS]
    seed.link_offsite(path, {t.code: t.backup.offsite_copy for t in seeded}, ids)
    return DevCloud(cloud.connection, path, ids)
