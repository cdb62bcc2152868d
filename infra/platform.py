"""The `platform` stack: what every ward shares (domain, gateway networks, encrypted volume type …)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Any

import pulumi
import pulumi_openstack as openstack

from wardcloud.audit.containers import CENTRAL_CONTAINER
from wardcloud.infra.dynamic.encryption import EncryptionSpec, VolumeTypeEncryption
from wardcloud.tenants.model import SHARED_SERVICES
from wardcloud.tenants.reference import AddressPlan

PLATFORM_STACK = "platform"
PLATFORM_TYPE = "wardcloud:platform:Platform"

# Logical names of the platform resources other stacks refer to (also their OpenStack names).
DOMAIN = "consortium-domain"
EGRESS_NETWORK = "platform-egress-network"
LGWAN_NETWORK = "platform-lgwan-gateway-network"
ENCRYPTED_VOLUME_TYPE = "platform-encrypted-volume-type"
WARD_ADMIN_ROLE = "platform-ward-admin-role"
MYNUMBER_OPERATOR_ROLE = "platform-ward-mynumber-operator-role"
VOLUME_TYPE_ENCRYPTION = "platform-encrypted-volume-type-encryption"
AUDIT_PROJECT = "platform-audit-project"
AUDIT_ARCHIVE = CENTRAL_CONTAINER  # named where `wardctl audit ship` and `verify --remote` find it
AUDIT_PROVIDER = "platform-audit-provider"
AUDIT_DEPLOYER_ROLE_ASSIGNMENT = "platform-audit-deployer-role-assignment"
DEPLOYERS_GROUP = "platform-deployers-group"
ADMIN_ROLE_LOOKUP = "admin-getRole"  # the cloud's own `admin` role, looked up (not managed) by the platform
SERVICE_PROJECT = "platform-{service}-project"

# Keystone role names the guardrails (policies/guardrails.py) check: a ward's admins run its servers and
# volumes; only its mynumber operators may put anything on the mynumber segment (MIC: separate operators).
WARD_ADMIN_ROLE_NAME = "ward-admin"
MYNUMBER_OPERATOR_ROLE_NAME = "ward-mynumber-operator"
# The LUKS spec of the private encrypted volume type (Cinder's volume-type encryption).
VOLUME_ENCRYPTION = EncryptionSpec(
    provider="luks", cipher="aes-xts-plain64", key_size=256, control_location="front-end"
)

# The stack outputs ward stacks read through their StackReference.
OUTPUT_KEYS = (
    "domain_id",
    "egress_network_id",
    "lgwan_network_id",
    "lgwan_gateway_cidr",
    "dns_nameservers",
    "encrypted_volume_type_id",
    "ward_admin_role_id",
    "mynumber_operator_role_id",
    "audit_project_id",
    "audit_archive",
    "service_project_ids",
    "deployer_group_id",
    "admin_role_id",
)

SERVICE_TITLES = {"bousai": "防災システム", "procurement": "共同調達", "renkei": "連携基盤"}
PLATFORM_TAGS = ["wardcloud", "owner:platform"]


@dataclass(frozen=True)
class PlatformRefs:
    """What a ward stack needs from the platform stack (Outputs of its StackReference, or plain values)."""

    domain_id: pulumi.Input[str]
    egress_network_id: pulumi.Input[str]
    lgwan_network_id: pulumi.Input[str]
    lgwan_gateway_cidr: pulumi.Input[str]
    dns_nameservers: pulumi.Input[list[str]]
    encrypted_volume_type_id: pulumi.Input[str]
    ward_admin_role_id: pulumi.Input[str]
    mynumber_operator_role_id: pulumi.Input[str]
    audit_project_id: pulumi.Input[str]
    audit_archive: pulumi.Input[str]
    service_project_ids: pulumi.Input[dict[str, str]]
    deployer_group_id: pulumi.Input[str]
    admin_role_id: pulumi.Input[str]

    @classmethod
    def from_stack_reference(cls, ref: pulumi.StackReference) -> PlatformRefs:
        """Refs read from the platform stack's outputs."""
        return cls(**{key: ref.get_output(key) for key in OUTPUT_KEYS})


def expected_outputs(plan: AddressPlan, id_of: Callable[[str], str]) -> dict[str, Any]:
    """The outputs the platform stack exports, given how resource ids are assigned (for mocked renders)."""
    return {
        "domain_id": id_of(DOMAIN),
        "egress_network_id": id_of(EGRESS_NETWORK),
        "lgwan_network_id": id_of(LGWAN_NETWORK),
        "lgwan_gateway_cidr": str(plan.lgwan_gateway_cidr),
        "dns_nameservers": list(plan.dns_nameservers),
        "encrypted_volume_type_id": id_of(ENCRYPTED_VOLUME_TYPE),
        "ward_admin_role_id": id_of(WARD_ADMIN_ROLE),
        "mynumber_operator_role_id": id_of(MYNUMBER_OPERATOR_ROLE),
        "audit_project_id": id_of(AUDIT_PROJECT),
        "audit_archive": AUDIT_ARCHIVE,
        "service_project_ids": {s: id_of(SERVICE_PROJECT.format(service=s)) for s in SHARED_SERVICES},
        "deployer_group_id": id_of(DEPLOYERS_GROUP),
        "admin_role_id": id_of(ADMIN_ROLE_LOOKUP),
    }


def allocation_pool(cidr: IPv4Network) -> openstack.networking.SubnetAllocationPoolArgs:
    """DHCP pool: skip the gateway and nine addresses for appliances, up to the last host."""
    return openstack.networking.SubnetAllocationPoolArgs(
        start=str(cidr.network_address + 10), end=str(cidr.broadcast_address - 1)
    )


class Platform(pulumi.ComponentResource):
    """Consortium domain, egress and LGWAN gateway networks, encrypted volume type, shared services."""

    def __init__(self, name: str, plan: AddressPlan, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(PLATFORM_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.domain = openstack.identity.Project(
            DOMAIN,
            name="wardcloud",
            is_domain=True,
            description="特別区共同化クラウド consortium domain",
            tags=PLATFORM_TAGS,
            opts=child,
        )
        # Global roles (no domain): oslo.policy's `role:<name>` checks see the role's name only, so a
        # domain-specific role would never match a guardrail.
        self.ward_admin_role = openstack.identity.Role(WARD_ADMIN_ROLE, name=WARD_ADMIN_ROLE_NAME, opts=child)
        self.mynumber_operator_role = openstack.identity.Role(
            MYNUMBER_OPERATOR_ROLE, name=MYNUMBER_OPERATOR_ROLE_NAME, opts=child
        )

        # Whoever runs `pulumi up` is in this group; each ward stack grants it `admin` on the ward's
        # project, so the ward's project-scoped provider can authenticate there (docs/infra.md).
        self.deployers = openstack.identity.GroupV3(
            DEPLOYERS_GROUP,
            name="platform-deployers",
            domain_id=self.domain.id,
            description="Operators whose credentials run pulumi up (ward stacks scope to each ward's project)",
            opts=child,
        )
        admin_role = openstack.identity.get_role_output(name="admin", opts=pulumi.InvokeOptions(parent=self))

        self.egress_network = self._gateway_network(
            EGRESS_NETWORK, "platform-egress-subnet", plan.egress_cidr, "egress",
            "Provider network towards the internet (only internet segments route here)", child,
        )
        self.lgwan_network = self._gateway_network(
            LGWAN_NETWORK, "platform-lgwan-gateway-subnet", plan.lgwan_gateway_cidr, "lgwan-gateway",
            "LGWAN connection network (only lgwan segments route here)", child,
            dns_nameservers=list(plan.dns_nameservers),
        )

        # The type is private and granted to the wards whose segments require encryption. Its LUKS
        # spec is a Cinder encryption spec, through our dynamic provider (pulumi-openstack has none).
        self.encrypted_volume_type = openstack.blockstorage.VolumeTypeV3(
            ENCRYPTED_VOLUME_TYPE,
            name="encrypted-luks",
            is_public=False,
            description="LUKS-encrypted volumes for mynumber segments",
            # the consortium's mark (a volume type takes no tags): inventory reads the types that carry it
            extra_specs={"wardcloud:owner": "platform"},
            opts=child,
        )
        self.volume_type_encryption = VolumeTypeEncryption(
            VOLUME_TYPE_ENCRYPTION, self.encrypted_volume_type.id, VOLUME_ENCRYPTION, opts=child
        )

        self.service_projects = {
            service: openstack.identity.Project(
                SERVICE_PROJECT.format(service=service),
                name=f"shared-{service}",
                domain_id=self.domain.id,
                description=f"共有サービス {SERVICE_TITLES.get(service, service)}",
                tags=[*PLATFORM_TAGS, f"service:{service}"],
                opts=child,
            )
            for service in SHARED_SERVICES
        }
        self.audit_project = openstack.identity.Project(
            AUDIT_PROJECT,
            name="platform-audit",
            domain_id=self.domain.id,
            description="Log shipper and the central audit archive",
            tags=[*PLATFORM_TAGS, "purpose:audit"],
            opts=child,
        )
        # The archive lives in the audit project's Swift account, not the deployer's: through a
        # provider scoped to that project, as ward stacks do for theirs.
        audit_grant = openstack.identity.RoleAssignment(
            AUDIT_DEPLOYER_ROLE_ASSIGNMENT,
            group_id=self.deployers.id,
            project_id=self.audit_project.id,
            role_id=admin_role.id,
            opts=child,
        )
        self.audit_provider = openstack.Provider(
            AUDIT_PROVIDER,
            tenant_id=self.audit_project.id,
            tenant_name="platform-audit",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[audit_grant]),
        )
        self.audit_archive = openstack.objectstorage.Container(
            AUDIT_ARCHIVE,
            name=AUDIT_ARCHIVE,
            versioning=True,
            metadata={
                "owner": "platform",
                "purpose": "audit-archive",
                "retention-years": "10",
                "delete-protected": "true",
            },
            opts=pulumi.ResourceOptions(
                parent=self, provider=self.audit_provider, protect=True, retain_on_delete=True
            ),
        )

        self.outputs: dict[str, pulumi.Input[Any]] = {
            "domain_id": self.domain.id,
            "egress_network_id": self.egress_network.id,
            "lgwan_network_id": self.lgwan_network.id,
            "lgwan_gateway_cidr": str(plan.lgwan_gateway_cidr),
            "dns_nameservers": list(plan.dns_nameservers),
            "encrypted_volume_type_id": self.encrypted_volume_type.id,
            "ward_admin_role_id": self.ward_admin_role.id,
            "mynumber_operator_role_id": self.mynumber_operator_role.id,
            "audit_project_id": self.audit_project.id,
            "audit_archive": self.audit_archive.name,
            "service_project_ids": {
                service: project.id for service, project in self.service_projects.items()
            },
            "deployer_group_id": self.deployers.id,
            "admin_role_id": admin_role.id,
        }
        self.register_outputs(self.outputs)

    def _gateway_network(self, name: str, subnet_name: str, cidr: IPv4Network, purpose: str, description: str,
                         opts: pulumi.ResourceOptions, **subnet_args: Any) -> openstack.networking.Network:
        """An external, unshared platform network with its DHCP-less subnet, tagged with its purpose."""
        tags = [*PLATFORM_TAGS, f"purpose:{purpose}"]
        network = openstack.networking.Network(
            name, name=name, external=True, shared=False, admin_state_up=True, description=description,
            tags=tags, opts=opts,
        )
        openstack.networking.Subnet(
            subnet_name, name=subnet_name, network_id=network.id, cidr=str(cidr), ip_version=4,
            enable_dhcp=False, allocation_pools=[allocation_pool(cidr)], tags=tags, opts=opts, **subnet_args,
        )
        return network

