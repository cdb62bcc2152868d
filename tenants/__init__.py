"""Ward tenant files: strict YAML loading, JSON Schema and cross-ward checks, the Tenant model."""

# A checkout's root also holds this folder; importing it as `tenants` would make a second copy of every module.
if __name__ != "wardcloud.tenants":
    raise ImportError(f"{__name__} is part of wardcloud: import wardcloud.tenants")
