"""Security rules with stable IDs, waivers, the engine, reports, and the CrossGuard pack."""

# A checkout's root also holds this folder; importing it as `policies` would make a second copy of every module.
if __name__ != "wardcloud.policies":
    raise ImportError(f"{__name__} is part of wardcloud: import wardcloud.policies")
