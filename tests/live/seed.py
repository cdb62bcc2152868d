"""Test fixture: put a few wards' declared Keystone/Neutron/Swift resources into the dev cloud, and wipe them.

Not a deployment engine: it walks the rendered graph for the covered types only, creates each object
with openstacksdk, and swaps mock ids (`<name>-id`) for the ids the cloud returns. It scopes as the Pulumi
program does: a resource on an explicit provider (a ward's `<code6>-provider`, the platform's audit
provider) is created through a connection scoped to that provider's project — the admin holds `admin`
there through the `platform-deployers` group, as the deployer does — so containers land in that
project's Swift account with no storage-URL rewriting. Keystone objects are global and go through the
admin's own connection.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from openstack.exceptions import NotFoundException

from wardcloud.infra.graph import Graph, Resource
from wardcloud.live import inventory as inv

ORDER = [
    inv.PROJECT_TYPE,
    inv.ROLE_TYPE,
    inv.GROUP_TYPE,
    inv.ROLE_ASSIGNMENT_TYPE,
    inv.NETWORK_TYPE,
    inv.SUBNET_TYPE,
    inv.ROUTER_TYPE,
    inv.ROUTER_INTERFACE_TYPE,
    inv.SECGROUP_TYPE,
    inv.SECGROUP_RULE_TYPE,
    inv.NETWORK_QUOTA_TYPE,
    inv.CONTAINER_TYPE,  # only when the dev cloud runs Swift (DEVCLOUD_SWIFT=1)
    inv.COMPUTE_QUOTA_TYPE,  # only with Nova
    inv.VOLUME_QUOTA_TYPE,  # only with Cinder, as the next two
    inv.VOLUME_TYPE_TYPE,
    inv.VOLUME_ENCRYPTION_TYPE,  # the platform's dynamic resource: the type's LUKS encryption spec
    inv.VOLUME_TYPE_ACCESS_TYPE,
]


def served(connection: Any) -> set[str]:
    """The ORDER types this dev cloud can hold (Swift, Nova and Cinder are optional)."""
    absent: set[str] = set()
    if not connection.has_service("object-store"):
        absent.add(inv.CONTAINER_TYPE)
    if not connection.has_service("compute"):
        absent.update(inv.COMPUTE_TYPES)
    if not any(connection.has_service(kind) for kind in inv.BLOCK_STORAGE):
        absent.update(inv.VOLUME_TYPES)
    return set(ORDER) - absent


def wipe_workloads(connection: Any) -> None:
    """Servers, volumes and floating IPs (before the networks and projects they live in)."""
    network = connection.network
    for address in list(network.ips()):
        network.delete_ip(address, ignore_missing=True)
    if connection.has_service("compute"):
        servers = list(connection.compute.servers(all_projects=True))
        for server in servers:
            # the SDK's force path ignores ignore_missing: a server a test deleted a moment ago answers 404
            with contextlib.suppress(NotFoundException):
                connection.compute.delete_server(server, force=True)
        for server in servers:
            connection.compute.wait_for_delete(server, wait=60)
    if any(connection.has_service(kind) for kind in inv.BLOCK_STORAGE):
        storage = connection.block_storage
        for volume in list(storage.volumes(all_projects=True)):
            with contextlib.suppress(NotFoundException):
                storage.delete_volume(volume, force=True)
        for volume_type in list(storage.types(is_public="None")):
            if any(str(k).startswith(inv.WARDCLOUD_SPEC) for k in volume_type.extra_specs or {}):
                try:
                    encryption = storage.get_type_encryption(volume_type.id)
                except Exception:  # some releases answer 404 for a type without one
                    encryption = None
                if getattr(encryption, "encryption_id", None):
                    storage.delete_type_encryption(encryption=encryption, volume_type=volume_type.id)
                storage.delete_type(volume_type, ignore_missing=True)


PROVIDER_TYPE = "pulumi:providers:openstack"
ADMIN_ROLE_LOOKUP = "admin-getRole"  # the platform's lookup of the cloud's `admin` role (infra/platform.py)
GLOBAL_ROLES = ("ward-admin", "ward-mynumber-operator")
KEYSTONE_TYPES = (inv.PROJECT_TYPE, inv.ROLE_TYPE, inv.GROUP_TYPE, inv.ROLE_ASSIGNMENT_TYPE)
_SCOPED: dict[tuple[int, str], Any] = {}


def scoped(connection: Any, project_id: str) -> Any:
    """A connection with the same credentials scoped to `project_id` (kept per project)."""
    key = (id(connection), project_id)
    if key not in _SCOPED:
        _SCOPED[key] = connection.connect_as_project({"id": project_id})
    return _SCOPED[key]


def _admin_on(connection: Any, project_id: str) -> Any:
    """The admin holds `admin` on the project (as the deployers group does), then a connection scoped there."""
    identity = connection.identity
    admin = identity.find_role("admin", ignore_missing=False)
    identity.assign_project_role_to_user(project_id, connection.current_user_id, admin.id)
    return scoped(connection, project_id)


def wipe(connection: Any, domain_name: str = inv.DOMAIN_NAME) -> None:
    """Delete every Neutron object but Neutron's own, and the consortium domain with its projects."""
    network = connection.network
    wipe_workloads(connection)
    for router in list(network.routers()):
        for port in network.ports(device_id=router.id, device_owner="network:router_interface"):
            for fixed in port.fixed_ips:
                network.remove_interface_from_router(router, subnet=fixed["subnet_id"])
        if router.external_gateway_info:
            network.update_router(router, external_gateway_info={})
        network.delete_router(router, ignore_missing=True)
    for policy in list(network.rbac_policies()):
        if policy.action != "access_as_external":  # that one goes with its network
            network.delete_rbac_policy(policy, ignore_missing=True)
    for port in list(network.ports()):
        network.delete_port(port, ignore_missing=True)
    for subnet in list(network.subnets()):
        network.delete_subnet(subnet, ignore_missing=True)
    for net in list(network.networks()):
        network.delete_network(net, ignore_missing=True)
    for group in list(network.security_groups()):
        if group.name != "default":
            network.delete_security_group(group, ignore_missing=True)
    identity = connection.identity
    swift = connection.has_service("object-store")
    for domain in list(identity.projects(is_domain=True, name=domain_name)):
        for project in list(identity.projects(domain_id=domain.id)):
            network.delete_quota(project.id)
            if swift:
                wipe_account(connection, project.id)
            identity.delete_project(project, ignore_missing=True)
        for group in list(identity.groups(domain_id=domain.id)):
            identity.delete_group(group, ignore_missing=True)
        for role in list(identity.roles(domain_id=domain.id)):
            identity.delete_role(role, ignore_missing=True)
        for user in list(identity.users(domain_id=domain.id)):
            identity.delete_user(user, ignore_missing=True)
        identity.update_domain(domain.id, is_enabled=False)
        identity.delete_domain(domain.id, ignore_missing=True)
    for name in GLOBAL_ROLES:
        for role in list(identity.roles(name=name)):
            identity.delete_role(role, ignore_missing=True)
    _SCOPED.clear()


def account(connection: Any, project_id: str) -> str:
    """The Swift account URL of `project_id`, from the catalog of a connection scoped to that project."""
    return str(scoped(connection, project_id).object_store.get_endpoint())


def wipe_account(connection: Any, project_id: str) -> None:
    """Delete every container of a project's account, with every object version in it."""
    store, url = _admin_on(connection, project_id).object_store, account(connection, project_id)
    listing = store.get(f"{url}?format=json")
    for container in listing.json() if listing.status_code == 200 else ():
        delete_container(connection, f"{url}/{quote(container['name'])}", store)


def delete_container(connection: Any, url: str, store: Any = None) -> None:
    """Versioning off, every object version deleted, then the container (Swift wants it empty)."""
    store = store or connection.object_store
    store.post(url, headers={"X-Versions-Enabled": "false"})
    for version in store.get(f"{url}?versions&format=json").json():
        store.delete(f"{url}/{quote(version['name'])}?version-id={version['version_id']}")
    for item in store.get(f"{url}?format=json").json():
        store.delete(f"{url}/{quote(item['name'])}")
    assert store.delete(url).status_code in (204, 404), url


def seed(connection: Any, graphs: Mapping[str, Graph]) -> dict[str, str]:
    """Create the covered resources of `graphs` (platform first); returns logical name → live id."""
    ids: dict[str, str] = {ADMIN_ROLE_LOOKUP: str(connection.identity.find_role("admin", ignore_missing=False).id)}
    types = served(connection)
    for stack in sorted(graphs, key=lambda s: s != "platform"):
        resources = [r for r in graphs[stack] if r.type in types]
        providers = [r for r in graphs[stack] if r.type == PROVIDER_TYPE]
        for resource in sorted(resources, key=lambda r: ORDER.index(r.type)):
            if resource.type not in KEYSTONE_TYPES and providers:
                _providers(connection, providers, ids)
                providers = []
            ids[resource.name] = create(connection, resource, ids, stack)
            if resource.name == "platform-deployers-group":  # the operator running pulumi up is a deployer
                connection.identity.add_user_to_group(connection.current_user_id, ids[resource.name])
    return ids


def _providers(connection: Any, providers: list[Resource], ids: MutableMapping[str, str]) -> None:
    """Record each explicit provider's project (its `tenantId`) under the provider's name."""
    resolve = _resolver(ids)
    for provider in providers:
        ids[provider.name] = str(resolve(provider.inputs["tenantId"]))


def create(connection: Any, resource: Resource, ids: Mapping[str, str], stack: str = "") -> str:
    """Create one covered resource, its references (`<name>-id`) resolved through `ids`; returns its id.

    A resource on an explicit provider goes through a connection scoped to that provider's project.
    """
    through = connection
    provider = resource.provider.rsplit("::", 1)[-1] if resource.provider else None
    if provider and resource.type not in KEYSTONE_TYPES:
        through = scoped(connection, ids[provider])
    if resource.type == inv.CONTAINER_TYPE:
        return _container(through, resource, _resolver(ids))
    return _create(through, resource, _resolver(ids))


def _container(connection: Any, resource: Resource, resolve: Any) -> str:
    i = resource.inputs
    headers = {f"X-Container-Meta-{key}": value for key, value in (i.get("metadata") or {}).items()}
    if i.get("versioning"):
        headers["X-Versions-Enabled"] = "true"
    for key, header in (("containerRead", "X-Container-Read"), ("containerWrite", "X-Container-Write")):
        if key in i:  # an ACL names projects: `<project>:*`, the project a `<name>-id` reference
            headers[header] = ",".join(
                ":".join(resolve(part) for part in entry.split(":")) for entry in str(i[key]).split(",")
            )
    store = connection.object_store
    url = f"{store.get_endpoint()}/{quote(i['name'])}"
    assert store.put(url, headers=headers).status_code in (201, 202), url
    return f"{connection.current_project_id}/{i['name']}"


def _given(**kwargs: Any) -> dict[str, Any]:
    """The SDK sends None as null, which Neutron refuses for strings: leave unset inputs out."""
    return {key: value for key, value in kwargs.items() if value is not None}


def _resolver(ids: Mapping[str, str]) -> Any:
    def resolve(value: Any) -> Any:
        if isinstance(value, str) and value.endswith("-id") and value[:-3] in ids:
            return ids[value[:-3]]
        return value

    return resolve


def _create(connection: Any, resource: Resource, resolve: Any) -> str:
    i = {key: resolve(value) for key, value in resource.inputs.items()}
    identity, network = connection.identity, connection.network
    if resource.type == inv.PROJECT_TYPE:
        if i.get("isDomain"):
            domain = identity.create_domain(name=i["name"], description=i.get("description"))
            identity.update_project(domain.id, tags=i.get("tags") or [])
            return str(domain.id)
        return str(
            identity.create_project(
                **_given(
                    name=i["name"],
                    description=i.get("description"),
                    domain_id=i["domainId"],
                    tags=i.get("tags") or [],
                )
            ).id
        )
    if resource.type == inv.NETWORK_TYPE:
        extra: dict[str, Any] = {}
        if i.get("external"):  # a provider network: the ML2 flat driver on a named physnet
            extra = {
                "is_router_external": True,
                "provider_network_type": "flat",
                "provider_physical_network": resource.name,
            }
        if "tenantId" in i:
            extra["project_id"] = i["tenantId"]
        if "portSecurityEnabled" in i:
            extra["is_port_security_enabled"] = i["portSecurityEnabled"]
        created = network.create_network(
            **_given(
                name=i["name"],
                description=i.get("description"),
                is_shared=i.get("shared", False),
                is_admin_state_up=i.get("adminStateUp", True),
                **extra,
            )
        )
        network.set_tags(created, i.get("tags") or [])
        return str(created.id)
    if resource.type == inv.SUBNET_TYPE:
        extra = {"project_id": i["tenantId"]} if "tenantId" in i else {}
        if i.get("noGateway"):
            extra["gateway_ip"] = None
        created = network.create_subnet(
            name=i["name"],
            network_id=i["networkId"],
            cidr=i["cidr"],
            ip_version=i.get("ipVersion", 4),
            is_dhcp_enabled=i.get("enableDhcp", True),
            dns_nameservers=i.get("dnsNameservers") or [],
            allocation_pools=i.get("allocationPools") or None,
            **extra,
        )
        network.set_tags(created, i.get("tags") or [])
        return str(created.id)
    if resource.type == inv.ROUTER_TYPE:
        created = network.create_router(
            name=i["name"],
            project_id=i["tenantId"],
            is_admin_state_up=i.get("adminStateUp", True),
            external_gateway_info={
                "network_id": i["externalNetworkId"],
                "enable_snat": i.get("enableSnat", True),
            },
        )
        network.set_tags(created, i.get("tags") or [])
        return str(created.id)
    if resource.type == inv.ROUTER_INTERFACE_TYPE:
        port = network.add_interface_to_router(i["routerId"], subnet=i["subnetId"])
        return f"{port['port_id']}:{i['subnetId']}"
    if resource.type == inv.SECGROUP_TYPE:
        created = network.create_security_group(
            name=i["name"], description=i.get("description") or "", project_id=i["tenantId"]
        )
        if i.get("deleteDefaultRules"):
            for rule in network.security_group_rules(security_group_id=created.id):
                network.delete_security_group_rule(rule)
        network.set_tags(created, i.get("tags") or [])
        return str(created.id)
    if resource.type == inv.SECGROUP_RULE_TYPE:
        return str(
            network.create_security_group_rule(
                **_given(
                    security_group_id=i["securityGroupId"],
                    direction=i["direction"],
                    ether_type=i.get("ethertype"),
                    protocol=i.get("protocol"),
                    port_range_min=i.get("portRangeMin"),
                    port_range_max=i.get("portRangeMax"),
                    remote_ip_prefix=i.get("remoteIpPrefix"),
                    description=i.get("description"),
                    project_id=i.get("tenantId"),
                )
            ).id
        )
    if resource.type == inv.ROLE_TYPE:
        return str(identity.create_role(**_given(name=i["name"], domain_id=i.get("domainId"))).id)
    if resource.type == inv.GROUP_TYPE:
        return str(
            identity.create_group(
                **_given(name=i["name"], description=i.get("description"), domain_id=i["domainId"])
            ).id
        )
    if resource.type == inv.ROLE_ASSIGNMENT_TYPE:
        identity.assign_project_role_to_group(i["projectId"], i["groupId"], i["roleId"])
        return f"{i['groupId']}/{i['projectId']}/{i['roleId']}"
    if resource.type == inv.NETWORK_QUOTA_TYPE:
        wire_to_sdk = {wire: sdk for sdk, wire in inv.QUOTA_FIELDS.items()}
        network.update_quota(i["projectId"], **{wire_to_sdk[k]: v for k, v in i.items() if k in wire_to_sdk})
        return str(i["projectId"])
    if resource.type == inv.COMPUTE_QUOTA_TYPE:
        fields = {wire: sdk for sdk, wire in inv.COMPUTE_QUOTA_FIELDS.items()}
        connection.compute.update_quota_set(
            i["projectId"], **{fields[k]: v for k, v in i.items() if k in fields}
        )
        return str(i["projectId"])
    if resource.type == inv.VOLUME_QUOTA_TYPE:
        fields = {wire: sdk for sdk, wire in inv.VOLUME_QUOTA_FIELDS.items()}
        connection.block_storage.update_quota_set(
            i["projectId"], **{fields[k]: v for k, v in i.items() if k in fields}
        )
        return str(i["projectId"])
    if resource.type == inv.VOLUME_TYPE_TYPE:
        storage = connection.block_storage
        created = storage.create_type(
            name=i["name"],
            description=i.get("description"),
            is_public=i.get("isPublic", True),
            extra_specs=i.get("extraSpecs") or {},
        )
        return str(created.id)
    if resource.type == inv.VOLUME_ENCRYPTION_TYPE:
        spec = connection.block_storage.create_type_encryption(
            i["volume_type_id"], provider=i["provider"], cipher=i["cipher"], key_size=i["key_size"],
            control_location=i["control_location"],
        )
        return str(spec.encryption_id)
    if resource.type == inv.VOLUME_TYPE_ACCESS_TYPE:
        try:
            connection.block_storage.add_type_access(i["volumeTypeId"], i["projectId"])
        except Exception as exc:  # the same grant, declared once per encrypted segment: Cinder says 409
            if getattr(exc, "status_code", None) != 409:
                raise
        return f"{i['volumeTypeId']}/{i['projectId']}"
    raise AssertionError(f"seed does not create {resource.type}")


OFFSITE_CLOUD = "wardcloud-dev-offsite"  # the second Swift site's clouds.yaml entry (scripts/devcloud.sh)
SEED_SYNC_KEY = "devcloud-seed-sync-key"


def link_offsite(
    clouds_yaml: Path, links: Mapping[str, Sequence[str]], ids: Mapping[str, str], key: str = SEED_SYNC_KEY
) -> bool:
    """Each ward's `backup.offsite_copy` containers linked to site 2 (ward code → segments), by the platform's
    own `OffsiteSync` provider as `pulumi up` runs it when the stack names the second site (docs/backup.md);
    False, and nothing done, on a dev cloud without site 2."""
    if f"  {OFFSITE_CLOUD}:" not in clouds_yaml.read_text(encoding="utf-8"):
        return False
    from wardcloud.infra.offsite import OffsiteSyncProvider

    previous = os.environ.get("OS_CLIENT_CONFIG_FILE")
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(clouds_yaml)  # the provider connects by clouds.yaml entry
    try:
        for ward, segments in links.items():
            for segment in segments:
                OffsiteSyncProvider().create(
                    {
                        "project_id": ids[f"{ward}-project"],
                        "container": f"{ward}-{segment}-backup",
                        "primary_cloud": "wardcloud-dev",
                        "offsite_cloud": OFFSITE_CLOUD,
                        "realm": "devcloud",
                        "cluster": "site2",
                        "key": key,
                    }
                )
    finally:
        if previous is None:
            os.environ.pop("OS_CLIENT_CONFIG_FILE", None)
        else:
            os.environ["OS_CLIENT_CONFIG_FILE"] = previous
    return True
