"""The real cloud: inventory, drift and metered usage read with openstacksdk."""

# A checkout's root also holds this folder; importing it as `live` would make a second copy of every module.
if __name__ != "wardcloud.live":
    raise ImportError(f"{__name__} is part of wardcloud: import wardcloud.live")
