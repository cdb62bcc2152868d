"""`backup` scopes to each ward's project, Swift account included, whatever the parent connection did before."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from wardcloud.backup import cloud as ops
from wardcloud.core.cloud import Cloud


class Connection(SimpleNamespace):
    """As openstacksdk's: `connect_as_project` copies the config, an endpoint pinned by earlier use included."""

    def connect_as_project(self, project: dict[str, Any]) -> Connection:
        return Connection(current_project_id=project["id"], config=SimpleNamespace(config=dict(self.config.config)))


def test_a_ward_connection_uses_the_wards_swift_account_not_the_one_the_parent_pinned() -> None:
    parent = Connection(
        current_project_id="admin-project",
        config=SimpleNamespace(
            config={"object_store_endpoint_override": "http://127.0.0.1:8080/v1/AUTH_admin-project"}
        ),
    )
    ward = ops.scoped(Cloud("devcloud", parent), "131130", "ward-project")
    assert ward.cloud.connection.config.config["object_store_endpoint_override"] == (
        "http://127.0.0.1:8080/v1/AUTH_ward-project"
    )
    assert parent.config.config["object_store_endpoint_override"].endswith("AUTH_admin-project")


def test_nothing_is_pinned_when_the_parent_never_used_swift() -> None:
    parent = Connection(current_project_id="admin-project", config=SimpleNamespace(config={}))
    ward = ops.scoped(Cloud("devcloud", parent), "131130", "ward-project")
    assert "object_store_endpoint_override" not in ward.cloud.connection.config.config


def test_a_disabled_service_is_a_live006_line_not_an_internal_error() -> None:
    from openstack.exceptions import ServiceDisabledException

    from wardcloud.core.cloud import CloudError

    class NoSwift:
        @property
        def object_store(self) -> object:
            raise ServiceDisabledException("Service 'object-store' is disabled")

    ward = ops.WardCloud("131130", "ward-project", Cloud("devcloud", NoSwift()))
    with pytest.raises(CloudError) as refused:
        ward.proxy("object_store")
    assert [p.code for p in refused.value.problems] == ["LIVE006"]
