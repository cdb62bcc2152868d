"""The Pulumi program: the platform stack and one `WardTenant` stack per ward; offline plan and apply."""

# A checkout's root also holds this folder; importing it as `infra` would make a second copy of every module.
if __name__ != "wardcloud.infra":
    raise ImportError(f"{__name__} is part of wardcloud: import wardcloud.infra")
