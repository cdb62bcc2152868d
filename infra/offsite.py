"""The off-site copy of a backup container, as a Pulumi dynamic resource (openstacksdk inside).

pulumi-openstack sets a container's own sync headers but cannot make the container at the second site
that receives the copy, nor keep both ends' sync key in step: one `OffsiteSync` does both, so the link is
one resource with one lifecycle. Swift's container sync carries every object (cinder-backup's chunks
included) to `//<realm>/<cluster>/AUTH_<project>/<container>`; the realm and cluster are the clusters'
own configuration (container-sync-realms.conf), not an API object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pulumi
import pulumi.dynamic

# Changing where the copy goes (or of whose account) makes a new link; the key can change in place.
REPLACE_ON = ("project_id", "container", "primary_cloud", "offsite_cloud")
SETTINGS = (*REPLACE_ON, "realm", "cluster", "key")


@dataclass(frozen=True)
class OffsiteTarget:
    """Where off-site copies go: the second site's clouds.yaml entry, the sync realm and cluster, the key."""

    primary_cloud: str
    offsite_cloud: str
    realm: str
    cluster: str
    key: pulumi.Input[str]


def sync_to(realm: str, cluster: str, project_id: str, container: str) -> str:
    """The `X-Container-Sync-To` value for a container of `project_id` at the other cluster."""
    return f"//{realm}/{cluster}/AUTH_{project_id}/{quote(container)}"


def _account(cloud: str, project_id: str) -> tuple[Any, str]:
    """A connection scoped to the project, and the URL of the project's Swift account at that cloud."""
    import openstack

    connection = openstack.connect(cloud=cloud).connect_as_project({"id": project_id})
    return connection, str(connection.object_store.get_endpoint()).rstrip("/")


def _ok(response: Any, what: str) -> None:
    if response.status_code not in (200, 201, 202, 204):
        raise RuntimeError(f"{what}: HTTP {response.status_code} {response.text[:200]}")


def apply_link(props: Mapping[str, Any]) -> None:
    """Make (or fix) both ends: the receiving container with the key, then the source's sync headers.

    The receiving container is versioned: the source cannot be (Swift refuses sync on a versioned
    container), and a delete synced across must still leave the old version somewhere.
    """
    container = quote(str(props["container"]))
    remote, remote_url = _account(str(props["offsite_cloud"]), str(props["project_id"]))
    _ok(remote.object_store.put(f"{remote_url}/{container}",
                                headers={"X-Container-Sync-Key": str(props["key"]), "X-Versions-Enabled": "true"}),
        f"off-site container {props['container']}")
    local, local_url = _account(str(props["primary_cloud"]), str(props["project_id"]))
    target = sync_to(str(props["realm"]), str(props["cluster"]), str(props["project_id"]), str(props["container"]))
    _ok(local.object_store.post(f"{local_url}/{container}",
                                headers={"X-Container-Sync-To": target, "X-Container-Sync-Key": str(props["key"])}),
        f"container {props['container']}")


def remove_link(props: Mapping[str, Any]) -> None:
    """Stop syncing; the off-site copy itself stays (it outlives the link, as a backup should)."""
    local, local_url = _account(str(props["primary_cloud"]), str(props["project_id"]))
    response = local.object_store.post(f"{local_url}/{quote(str(props['container']))}",
                                       headers={"X-Remove-Container-Sync-To": "x", "X-Remove-Container-Sync-Key": "x"})
    if response.status_code != 404:  # the container already gone is the same end state
        _ok(response, f"container {props['container']}")


class OffsiteSyncProvider(pulumi.dynamic.ResourceProvider):
    """Create, compare, update and remove one container-sync link between the two sites."""

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        apply_link(props)
        return pulumi.dynamic.CreateResult(id_=f"{props['project_id']}/{props['container']}",
                                           outs={k: props[k] for k in SETTINGS})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        changed = [k for k in SETTINGS if olds.get(k) != news.get(k)]
        return pulumi.dynamic.DiffResult(changes=bool(changed), replaces=[k for k in changed if k in REPLACE_ON],
                                         delete_before_replace=True)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        apply_link(news)
        return pulumi.dynamic.UpdateResult(outs={k: news[k] for k in SETTINGS})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        remove_link(props)


class OffsiteSync(pulumi.dynamic.Resource):
    """One backup container copied to the second site by Swift container sync."""

    def __init__(self, name: str, *, project_id: pulumi.Input[str], container: pulumi.Input[str],
                 target: OffsiteTarget, opts: pulumi.ResourceOptions | None = None) -> None:
        props = {"project_id": project_id, "container": container, "primary_cloud": target.primary_cloud,
                 "offsite_cloud": target.offsite_cloud, "realm": target.realm, "cluster": target.cluster,
                 "key": pulumi.Output.secret(target.key)}
        super().__init__(OffsiteSyncProvider(), name, props, opts)
