"""What the rule modules share: Pulumi type tokens and small readers over tenants and resources."""

from __future__ import annotations

import re
from collections.abc import Iterator
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Any

from wardcloud.infra.graph import Resource
from wardcloud.tenants.model import SecurityRule, Tenant

NETWORK = "openstack:networking/network:Network"
SUBNET = "openstack:networking/subnet:Subnet"
ROUTER = "openstack:networking/router:Router"
SECGROUP = "openstack:networking/secGroup:SecGroup"
SECGROUP_RULE = "openstack:networking/secGroupRule:SecGroupRule"
RBAC = "openstack:networking/rbacPolicyV2:RbacPolicyV2"
FLOATING_IP = "openstack:networking/floatingIp:FloatingIp"
FLOATING_IP_ASSOCIATE = "openstack:networking/floatingIpAssociate:FloatingIpAssociate"
COMPUTE_FLOATING_IP_ASSOCIATE = "openstack:compute/floatingIpAssociate:FloatingIpAssociate"
VOLUME = "openstack:blockstorage/volume:Volume"
CONTAINER = "openstack:objectstorage/container:Container"
PROJECT = "openstack:identity/project:Project"
ROLE_ASSIGNMENT = "openstack:identity/roleAssignment:RoleAssignment"
COMPUTE_QUOTA = "openstack:compute/quotaSetV2:QuotaSetV2"
NETWORK_QUOTA = "openstack:networking/quotaV2:QuotaV2"
VOLUME_QUOTA = "openstack:blockstorage/quoteSetV3:QuoteSetV3"
INSTANCE = "openstack:compute/instance:Instance"
PORT = "openstack:networking/port:Port"
QUOTAS = (COMPUTE_QUOTA, NETWORK_QUOTA, VOLUME_QUOTA)
# Types whose OpenStack resource takes tags, so ownership must be a tag.
TAGGABLE = (NETWORK, SUBNET, ROUTER, SECGROUP, PROJECT, FLOATING_IP, VOLUME, INSTANCE, PORT)
SEGMENTED = (NETWORK, SUBNET, ROUTER, SECGROUP)

UNKNOWN = "[unknown]"  # what a render or a preview shows for a value not known yet
_RULE_NAME = re.compile(r"^[0-9]{6}-(mynumber|lgwan|internet)-")


def segment_of(resource: Resource) -> str | None:
    """A resource's segment from its tags or metadata, else from its logical name (`<code>-<segment>-…`)."""
    if resource.segment:
        return resource.segment
    match = _RULE_NAME.match(resource.name)
    return match.group(1) if match else None


def known(value: Any) -> bool:
    """A value the check can judge (not absent, not unknown until deploy)."""
    return value is not None and value != UNKNOWN


def is_world(cidr: str | None) -> bool:
    """0.0.0.0/0 or ::/0."""
    return cidr is not None and cidr.strip() in ("0.0.0.0/0", "::/0")


def network_of(cidr: str) -> IPv4Network | IPv6Network | None:
    try:
        return ip_network(cidr, strict=False)
    except ValueError:
        return None


def covers(port_min: int | None, port_max: int | None, port: int) -> bool:
    """Whether a port range (None: every port) admits `port`."""
    if port_min is None and port_max is None:
        return True
    low = port_min if port_min is not None else 1
    high = port_max if port_max is not None else 65535
    return low <= port <= high


def ingress_rules(tenant: Tenant, segment: str) -> Iterator[tuple[str, SecurityRule]]:
    """(field path, rule) of every ingress rule of the tenant's security groups on `segment`."""
    for g, group in enumerate(tenant.security_groups):
        if group.segment == segment:
            for r, rule in enumerate(group.ingress):
                yield f"security_groups[{g}].ingress[{r}]", rule


def all_ingress_rules(tenant: Tenant) -> Iterator[tuple[str, str, SecurityRule]]:
    """(field path, segment, rule) of every ingress rule of the tenant."""
    for g, group in enumerate(tenant.security_groups):
        for r, rule in enumerate(group.ingress):
            yield f"security_groups[{g}].ingress[{r}]", group.segment, rule


def describe(rule: SecurityRule) -> str:
    return f"{rule.protocol}/{rule.ports} from {rule.source}"
