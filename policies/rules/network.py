"""Three-layer separation (mynumber / lgwan / internet) and ingress hygiene."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from ipaddress import IPv4Network, IPv6Network

from wardcloud.infra.graph import Resource
from wardcloud.policies.config import PolicyConfig
from wardcloud.policies.registry import CIS, THREE_LAYER, Finding, rule
from wardcloud.policies.rules._common import (
    COMPUTE_FLOATING_IP_ASSOCIATE,
    FLOATING_IP,
    FLOATING_IP_ASSOCIATE,
    NETWORK,
    ROUTER,
    SECGROUP,
    SECGROUP_RULE,
    SUBNET,
    VOLUME,
    all_ingress_rules,
    covers,
    describe,
    ingress_rules,
    is_world,
    known,
    network_of,
    segment_of,
)
from wardcloud.tenants.model import Tenant


@rule(
    "NET-001",
    title="mynumber segment has no router",
    severity="critical",
    source=THREE_LAYER,
    kind="resource",
    types=(ROUTER,),
    waivable=False,
    remediation="Remove the router: the mynumber segment must not be routed anywhere outside the ward.",
)
def mynumber_no_router(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    if segment_of(resource) == "mynumber":
        yield Finding(
            f"router {resource.name} serves the mynumber segment", resource.name, "segments.mynumber"
        )


@rule(
    "NET-002",
    title="mynumber subnet has no gateway",
    severity="critical",
    source=THREE_LAYER,
    kind="resource",
    types=(SUBNET,),
    waivable=False,
    remediation="Set no_gateway on the mynumber subnet so no instance has a default route out.",
)
def mynumber_no_gateway(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    if segment_of(resource) == "mynumber" and resource.inputs.get("noGateway") is not True:
        gateway = resource.inputs.get("gatewayIp") or "the default gateway"
        yield Finding(f"mynumber subnet {resource.name} has {gateway}", resource.name, "segments.mynumber")


@rule(
    "NET-003",
    title="mynumber segment has no floating IP",
    severity="critical",
    source=THREE_LAYER,
    kind="resource",
    types=(FLOATING_IP, FLOATING_IP_ASSOCIATE, COMPUTE_FLOATING_IP_ASSOCIATE),
    waivable=False,
    remediation="Release the floating IP: mynumber hosts must not be reachable from outside the ward.",
)
def mynumber_no_floating_ip(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    if segment_of(resource) == "mynumber" or "-mynumber-" in resource.name:
        yield Finding(
            f"floating IP {resource.name} is on the mynumber segment", resource.name, "segments.mynumber"
        )


@rule(
    "NET-004",
    title="mynumber ingress only from its own segment or allowlisted platform endpoints",
    severity="critical",
    source=THREE_LAYER,
    kind="tenant",
    remediation="Admit only `source: mynumber` or an allowlisted platform endpoint (policies/config.yaml "
    "platform.mynumber_allowed_sources) in mynumber security groups.",
)
def mynumber_ingress(tenant: Tenant, config: PolicyConfig) -> Iterator[Finding]:
    yield from _foreign_ingress(tenant, "mynumber", config.mynumber_allowed_sources)


@rule(
    "NET-005",
    title="mynumber volumes use the encrypted volume type",
    severity="high",
    source=THREE_LAYER,
    kind="tenant",
    remediation="Set `segments.mynumber.volume_encryption: true`.",
)
def mynumber_volume_encryption(tenant: Tenant, config: PolicyConfig) -> Iterator[Finding]:
    if not tenant.segment("mynumber").volume_encryption:
        yield Finding("mynumber segment does not require encrypted volumes", None, "segments.mynumber")


@rule(
    "NET-006",
    title="mynumber volume is of the encrypted type",
    severity="high",
    source=THREE_LAYER,
    kind="resource",
    types=(VOLUME,),
    remediation="Create mynumber volumes with the platform's encrypted volume type.",
)
def mynumber_volume_type(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    volume_type = resource.inputs.get("volumeType")
    if (
        segment_of(resource) == "mynumber"
        and volume_type != "[unknown]"
        and volume_type not in config.encrypted_volume_types
    ):
        yield Finding(
            f"mynumber volume {resource.name} has volume type {volume_type or 'default'}",
            resource.name,
            "segments.mynumber.volume_encryption",
        )


@rule(
    "NET-007",
    title="lgwan router's gateway is the LGWAN gateway network",
    severity="critical",
    source=THREE_LAYER,
    kind="resource",
    types=(ROUTER,),
    waivable=False,
    remediation="Set the lgwan router's external network to the platform LGWAN gateway network.",
)
def lgwan_router_gateway(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    gateway = resource.inputs.get("externalNetworkId")
    if segment_of(resource) != "lgwan" or gateway == "[unknown]":
        return
    if gateway in config.egress_network_ids:
        yield Finding(
            f"lgwan router {resource.name} routes to the internet egress network",
            resource.name,
            "segments.lgwan",
        )
    elif gateway not in config.lgwan_network_ids:
        yield Finding(
            f"lgwan router {resource.name} has gateway {gateway or 'none'}, not the LGWAN gateway network",
            resource.name,
            "segments.lgwan",
        )


@rule(
    "NET-008",
    title="internet segment egresses only through the platform egress network",
    severity="critical",
    source=THREE_LAYER,
    kind="resource",
    types=(ROUTER,),
    waivable=False,
    remediation="Set the internet router's external network to the platform egress network.",
)
def internet_router_gateway(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    gateway = resource.inputs.get("externalNetworkId")
    if segment_of(resource) == "internet" and known(gateway) and gateway not in config.egress_network_ids:
        yield Finding(
            f"internet router {resource.name} has gateway {gateway}, not the platform egress network",
            resource.name,
            "segments.internet",
        )


@rule(
    "NET-009",
    title="lgwan ingress only from its own segment, the LGWAN gateway or the bastion",
    severity="high",
    source=THREE_LAYER,
    kind="tenant",
    remediation="Admit only `source: lgwan` or platform.lgwan_allowed_sources in lgwan security groups.",
)
def lgwan_ingress(tenant: Tenant, config: PolicyConfig) -> Iterator[Finding]:
    yield from _foreign_ingress(tenant, "lgwan", config.lgwan_allowed_sources)


@rule(
    "NET-010",
    title="ingress from anywhere only to web ports on the internet segment",
    severity="high",
    source=THREE_LAYER,
    kind="tenant",
    remediation="Admit 0.0.0.0/0 and ::/0 only on the internet segment and only to the web ports "
    "(thresholds.world_open_ports); put other services behind the bastion.",
)
def world_ingress(tenant: Tenant, config: PolicyConfig) -> Iterator[Finding]:
    for path, segment, sg_rule in all_ingress_rules(tenant):
        if not is_world(sg_rule.source):
            continue
        if segment != "internet":
            yield Finding(f"{segment} security group admits {describe(sg_rule)}", None, path)
        elif (
            sg_rule.protocol != "tcp"
            or sg_rule.port_min is None
            or sg_rule.port_max is None
            or any(
                port not in config.world_open_ports for port in range(sg_rule.port_min, sg_rule.port_max + 1)
            )
        ):
            yield Finding(
                f"internet security group admits {describe(sg_rule)} beyond ports "
                f"{', '.join(map(str, sorted(config.world_open_ports)))}",
                None,
                path,
            )


@rule(
    "NET-011",
    title="no admin port open to the world",
    severity="critical",
    source=CIS,
    kind="resource",
    types=(SECGROUP_RULE,),
    waivable=False,
    remediation="Reach admin ports (SSH, RDP, databases, Kubernetes, etcd) through the bastion only.",
)
def admin_ports_closed(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    inputs = resource.inputs
    if inputs.get("direction") != "ingress" or not is_world(inputs.get("remoteIpPrefix")):
        return
    if inputs.get("protocol") not in (None, "", "tcp", "udp"):
        return
    open_ports = sorted(
        p for p in config.admin_ports if covers(inputs.get("portRangeMin"), inputs.get("portRangeMax"), p)
    )
    if open_ports:
        yield Finding(
            f"{resource.name} opens admin port(s) {', '.join(map(str, open_ports))} to "
            f"{inputs.get('remoteIpPrefix')}",
            resource.name,
            "security_groups",
        )


@rule(
    "NET-012",
    title="no all-protocols ingress from a block wider than the configured prefix",
    severity="high",
    source=CIS,
    kind="resource",
    types=(SECGROUP_RULE,),
    remediation="Name the protocol and ports, or narrow the source to thresholds.widest_any_protocol_prefix.",
)
def any_protocol_wide(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    inputs = resource.inputs
    if inputs.get("direction") != "ingress" or inputs.get("protocol") not in (None, "", "any"):
        return
    prefix = inputs.get("remoteIpPrefix")
    if prefix is None and inputs.get("remoteGroupId"):
        return  # from members of a security group, not from a block
    network = network_of(prefix) if isinstance(prefix, str) and prefix != "[unknown]" else None
    if prefix is None or (network is not None and network.prefixlen < config.widest_any_protocol_prefix):
        yield Finding(
            f"{resource.name} admits every protocol from {prefix or 'anywhere'}",
            resource.name,
            "security_groups",
        )


@rule(
    "NET-013",
    title="security groups deny ingress by default",
    severity="medium",
    source=CIS,
    kind="resource",
    types=(SECGROUP,),
    remediation="Create security groups with delete_default_rules so only declared rules admit traffic.",
)
def default_deny(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    if resource.inputs.get("name") == "default" and not resource.tags:
        return  # Neutron's own per-project group (a live read): no port may use it, NET-023 judges that
    if resource.inputs.get("deleteDefaultRules") is not True:
        yield Finding(
            f"security group {resource.name} keeps OpenStack's default rules",
            resource.name,
            "security_groups",
        )


@rule(
    "NET-014",
    title="ward networks enforce port security",
    severity="medium",
    source=CIS,
    kind="resource",
    types=(NETWORK,),
    remediation="Leave port_security_enabled on: security groups only work with it.",
)
def port_security(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    if resource.ward and resource.inputs.get("portSecurityEnabled") is False:
        yield Finding(f"network {resource.name} disables port security", resource.name, "segments")


@rule(
    "NET-015",
    title="only the internet segment sends to the world",
    severity="critical",
    source=THREE_LAYER,
    kind="resource",
    types=(SECGROUP_RULE,),
    waivable=False,
    remediation="Limit mynumber and lgwan egress to their own segment (and the LGWAN gateway for lgwan).",
)
def egress_only_internet(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    inputs = resource.inputs
    segment = segment_of(resource)
    if (
        inputs.get("direction") == "egress"
        and segment in ("mynumber", "lgwan")
        and is_world(inputs.get("remoteIpPrefix"))
    ):
        yield Finding(
            f"{segment} rule {resource.name} sends to {inputs.get('remoteIpPrefix')}",
            resource.name,
            f"segments.{segment}",
        )


def _foreign_ingress(tenant: Tenant, segment: str, allowed: Sequence[IPv4Network | IPv6Network]) -> Iterator[Finding]:
    """Ingress into `segment` from anywhere but the segment itself or an allowlisted platform endpoint."""
    for path, sg_rule in ingress_rules(tenant, segment):
        if sg_rule.source_segment == segment:
            continue
        network = sg_rule.source_network
        if sg_rule.source_segment is None and network is not None and any(
            network.version == endpoint.version and network.subnet_of(endpoint)  # type: ignore[arg-type]
            for endpoint in allowed
        ):
            continue
        yield Finding(f"{segment} security group admits {describe(sg_rule)}", None, path)
