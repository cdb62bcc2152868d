"""`WardTenant`: everything one ward gets, as one ComponentResource in the ward's own stack.

Naming (docs/infra.md): every logical name starts `<code6>-`, then the segment where the resource
serves one, then its kind (`131130-internet-router`). Resources OpenStack can tag carry
`ward:<code6>` and `segment:<name>`; Swift containers carry the same in metadata.
"""

from __future__ import annotations

import re

import pulumi
import pulumi_openstack as openstack

from wardcloud.audit.containers import ward_container
from wardcloud.infra.offsite import OffsiteSync, OffsiteTarget
from wardcloud.infra.platform import PlatformRefs, allocation_pool
from wardcloud.tenants.model import SecurityGroup, SecurityRule, Segment, Tenant

WARD_TYPE = "wardcloud:tenant:Ward"

# Which platform network a segment's router may use; a segment not listed gets no router.
ROUTED_SEGMENTS = ("internet", "lgwan")


def ward_tags(ward: Tenant, segment: str | None = None) -> list[str]:
    """The tags that make a resource's ward (and segment) recoverable from the resource itself."""
    tags = [f"ward:{ward.code}"]
    if segment:
        tags.append(f"segment:{segment}")
    return tags


def rule_slug(rule: SecurityRule) -> str:
    """A stable name part from a rule's content, so removing one rule deletes exactly that rule."""
    source = re.sub(r"[^0-9A-Za-z.]+", "_", rule.source)
    return f"{rule.protocol}-{rule.ports}-{source}"


def project_name(ward: Tenant) -> str:
    """The ward's Keystone project name: `<code6>-<name_en lower-case>`."""
    return f"{ward.code}-{ward.name_en.lower()}"


def _service_project(platform: PlatformRefs, service: str) -> pulumi.Output[str]:
    """The id of one shared-service project, from the platform's map of them."""
    ids: pulumi.Output[dict[str, str]] = pulumi.Output.from_input(platform.service_project_ids)
    return ids.apply(lambda by_service: by_service[service])


class WardTenant(pulumi.ComponentResource):
    """One ward: project, admin group, segment networks/routers, security groups, quotas, Swift."""

    def __init__(
        self,
        ward: Tenant,
        platform: PlatformRefs,
        opts: pulumi.ResourceOptions | None = None,
        offsite: OffsiteTarget | None = None,
    ) -> None:
        super().__init__(WARD_TYPE, f"{ward.code}-ward", None, opts)
        self.ward = ward
        self._platform = platform
        self._offsite = offsite
        code = ward.code

        # Bootstrap, through the deployer's own (default) provider: the project, and the deployers'
        # `admin` role on it so that the project-scoped provider below can authenticate there.
        bootstrap = pulumi.ResourceOptions(parent=self)
        self.project = openstack.identity.Project(
            f"{code}-project",
            name=project_name(ward),
            domain_id=platform.domain_id,
            description=f"{ward.name} ({ward.name_en})",
            tags=[*ward_tags(ward), *(s.name for s in ward.segments)],
            opts=bootstrap,
        )
        self.deployer_role_assignment = openstack.identity.RoleAssignment(
            f"{code}-deployer-role-assignment",
            group_id=platform.deployer_group_id,
            project_id=self.project.id,
            role_id=platform.admin_role_id,
            opts=bootstrap,
        )
        # Everything else goes through a provider scoped to the ward's project (credentials from the
        # deployer's environment, as for the default provider): project-owned things such as Swift
        # containers land in the ward's account, not the deployer's (policy ISO-010).
        self.provider = openstack.Provider(
            f"{code}-provider",
            tenant_id=self.project.id,
            tenant_name=project_name(ward),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.deployer_role_assignment]),
        )
        child = pulumi.ResourceOptions(parent=self, provider=self.provider)

        self.admin_group = openstack.identity.GroupV3(
            f"{code}-admin-group",
            name=f"{code}-admins",
            domain_id=platform.domain_id,
            description=f"{ward.name} administrators",
            opts=child,
        )
        self.admin_role_assignment = openstack.identity.RoleAssignment(
            f"{code}-admin-role-assignment",
            group_id=self.admin_group.id,
            project_id=self.project.id,
            role_id=platform.ward_admin_role_id,
            opts=child,
        )
        self.service_role_assignments = [
            openstack.identity.RoleAssignment(
                f"{code}-service-{service}-role-assignment",
                group_id=self.admin_group.id,
                project_id=_service_project(platform, service),
                role_id=platform.ward_admin_role_id,
                opts=child,
            )
            for service in ward.services
        ]
        self._mynumber_operators(child)

        self.networks: dict[str, openstack.networking.Network] = {}
        self.subnets: dict[str, openstack.networking.Subnet] = {}
        self.routers: dict[str, openstack.networking.Router] = {}
        for segment in ward.segments:
            self._segment(segment, child)

        self.security_groups = {
            group.name: self._security_group(group, child) for group in ward.security_groups
        }
        self._quotas(child)
        self._storage(child)
        self.register_outputs(
            {
                "project_id": self.project.id,
                "network_ids": {name: net.id for name, net in self.networks.items()},
            }
        )

    def _mynumber_operators(self, child: pulumi.ResourceOptions) -> None:
        """The ward's mynumber operators: the only ward role the guardrails let onto the mynumber network."""
        if not any(segment.name == "mynumber" for segment in self.ward.segments):
            return
        code = self.ward.code
        group = openstack.identity.GroupV3(
            f"{code}-mynumber-operators-group",
            name=f"{code}-mynumber-operators",
            domain_id=self._platform.domain_id,
            description=f"{self.ward.name} mynumber-segment operators",
            opts=child,
        )
        openstack.identity.RoleAssignment(
            f"{code}-mynumber-operator-role-assignment",
            group_id=group.id,
            project_id=self.project.id,
            role_id=self._platform.mynumber_operator_role_id,
            opts=child,
        )

    def _segment(self, segment: Segment, child: pulumi.ResourceOptions) -> None:
        code, name = self.ward.code, segment.name
        tags = ward_tags(self.ward, name)
        network = openstack.networking.Network(
            f"{code}-{name}-network",
            name=f"{code}-{name}",
            shared=False,
            admin_state_up=True,
            port_security_enabled=True,
            tenant_id=self.project.id,
            tags=tags,
            opts=child,
        )
        routed = name in ROUTED_SEGMENTS
        subnet = openstack.networking.Subnet(
            f"{code}-{name}-subnet",
            name=f"{code}-{name}",
            network_id=network.id,
            tenant_id=self.project.id,
            cidr=str(segment.cidr),
            ip_version=4,
            enable_dhcp=True,
            # an unrouted segment gets no default gateway either, so nothing even tries to leave it
            no_gateway=None if routed else True,
            dns_nameservers=list(segment.dns_nameservers) or self._platform.dns_nameservers,
            allocation_pools=[allocation_pool(segment.cidr)],
            tags=tags,
            opts=child,
        )
        self.networks[name], self.subnets[name] = network, subnet
        if not routed:
            return
        external = self._platform.egress_network_id if name == "internet" else self._platform.lgwan_network_id
        router = openstack.networking.Router(
            f"{code}-{name}-router",
            name=f"{code}-{name}",
            admin_state_up=True,
            external_network_id=external,
            # internet hides behind the egress SNAT; LGWAN addresses stay routed as they are
            enable_snat=name == "internet",
            tenant_id=self.project.id,
            tags=tags,
            opts=child,
        )
        openstack.networking.RouterInterface(
            f"{code}-{name}-router-interface", router_id=router.id, subnet_id=subnet.id, opts=child
        )
        self.routers[name] = router

    def _security_group(
        self, group: SecurityGroup, child: pulumi.ResourceOptions
    ) -> openstack.networking.SecGroup:
        code, segment = self.ward.code, group.segment
        prefix = f"{code}-{segment}-sg-{group.name}"
        secgroup = openstack.networking.SecGroup(
            prefix,
            name=f"{code}-{group.name}",
            description=group.description or None,
            delete_default_rules=True,
            tenant_id=self.project.id,
            tags=ward_tags(self.ward, segment),
            opts=child,
        )
        seen: set[str] = set()
        for rule in group.ingress:
            slug = rule_slug(rule)
            while slug in seen:  # two identical rules: keep both, names stay unique
                slug += "-dup"
            seen.add(slug)
            source = (
                str(self.ward.segment(rule.source_segment).cidr)
                if rule.source_segment
                else str(rule.source_network)
            )
            openstack.networking.SecGroupRule(
                f"{prefix}-in-{slug}",
                security_group_id=secgroup.id,
                direction="ingress",
                ethertype="IPv4",
                protocol=None if rule.protocol == "any" else rule.protocol,
                port_range_min=rule.port_min,
                port_range_max=rule.port_max,
                remote_ip_prefix=source,
                description=rule.description or None,
                tenant_id=self.project.id,
                opts=child,
            )
        for target, cidr in self._egress_targets(segment):
            openstack.networking.SecGroupRule(
                f"{prefix}-out-{target}",
                security_group_id=secgroup.id,
                direction="egress",
                ethertype="IPv4",
                remote_ip_prefix=cidr,
                description=f"egress to {target}",
                tenant_id=self.project.id,
                opts=child,
            )
        return secgroup

    def _egress_targets(self, segment: str) -> list[tuple[str, pulumi.Input[str]]]:
        """Where a segment's instances may send: only internet reaches the world."""
        own = str(self.ward.segment(segment).cidr)
        if segment == "internet":
            return [("anywhere", "0.0.0.0/0")]
        if segment == "lgwan":
            return [("lgwan", own), ("lgwan-gateway", self._platform.lgwan_gateway_cidr)]
        return [(segment, own)]

    def _quotas(self, child: pulumi.ResourceOptions) -> None:
        code, quotas = self.ward.code, self.ward.quotas
        openstack.compute.QuotaSetV2(
            f"{code}-compute-quota",
            project_id=self.project.id,
            instances=quotas.instances,
            cores=quotas.cores,
            ram=quotas.ram_mb,
            opts=child,
        )
        openstack.networking.QuotaV2(
            f"{code}-network-quota",
            project_id=self.project.id,
            network=quotas.networks,
            subnet=quotas.subnets,
            port=quotas.ports,
            router=quotas.routers,
            floatingip=quotas.floating_ips,
            security_group=quotas.security_groups,
            security_group_rule=quotas.security_group_rules,
            opts=child,
        )
        openstack.blockstorage.QuoteSetV3(
            f"{code}-volume-quota",
            project_id=self.project.id,
            volumes=quotas.volumes,
            gigabytes=quotas.volume_gb,
            snapshots=quotas.snapshots,
            opts=child,
        )
        for segment in self.ward.segments:
            if segment.volume_encryption:
                # the platform owns the encrypted type; the ward is granted its use
                openstack.blockstorage.VolumeTypeAccessV3(
                    f"{code}-{segment.name}-encrypted-volume-type-access",
                    project_id=self.project.id,
                    volume_type_id=self._platform.encrypted_volume_type_id,
                    opts=child,
                )

    def _storage(self, child: pulumi.ResourceOptions) -> None:
        code, backup, audit = self.ward.code, self.ward.backup, self.ward.audit
        for segment in self.ward.segments:
            offsite = segment.name in backup.offsite_copy
            container = openstack.objectstorage.Container(
                f"{code}-{segment.name}-backup",
                name=f"{code}-{segment.name}-backup",
                # Swift refuses container sync on a versioned container: a container copied off-site keeps
                # its versions at the second site instead (the receiving container is versioned, so a
                # delete here, synced there, still leaves the old version there). docs/backup.md
                versioning=not offsite,
                metadata={
                    "ward": code,
                    "segment": segment.name,
                    "purpose": "backup",
                    "retention-days": str(backup.retention_days),
                    "schedule": backup.schedule,
                    "offsite-copy": str(offsite).lower(),
                },
                opts=child,
            )
            if self._offsite is not None and offsite:
                # the copy at the second site (docs/backup.md); only with a configured target, so an
                # offline plan without the sites' settings renders no link it cannot describe
                OffsiteSync(
                    f"{code}-{segment.name}-backup-offsite",
                    project_id=self.project.id,
                    container=container.name,
                    target=self._offsite,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[container]),
                )
        # The audit log outlives the ward: write-only for the platform's log shipper, never deleted by
        # pulumi (retain_on_delete: destroy forgets it, Swift keeps it); retention is in the metadata
        # for the archive job. Not `protect`: that would make destroying a departed ward impossible.
        openstack.objectstorage.Container(
            ward_container(code),
            name=ward_container(code),
            versioning=True,
            container_write=pulumi.Output.from_input(self._platform.audit_project_id).apply(
                lambda project: f"{project}:*"
            ),
            metadata={
                "ward": code,
                "purpose": "audit-log",
                "retention-years": str(audit.retention_years),
                "ship-to-central": str(audit.ship_to_central).lower(),
                "delete-protected": "true",
                "writer": "log-shipper",
            },
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider, retain_on_delete=True),
        )
