"""Pulumi dynamic providers for what pulumi-openstack lacks (openstacksdk inside)."""

# A checkout's root also holds this folder; importing it as `infra.dynamic` would make a second copy.
if __name__ != "wardcloud.infra.dynamic":
    raise ImportError(f"{__name__} is part of wardcloud: import wardcloud.infra.dynamic")
