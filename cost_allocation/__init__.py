"""FOCUS bills split among the wards by the burden-sharing rules, exact to the yen."""

# A checkout's root also holds this folder; importing it as `cost_allocation` would make a second copy of every module.
if __name__ != "wardcloud.cost_allocation":
    raise ImportError(f"{__name__} is part of wardcloud: import wardcloud.cost_allocation")
