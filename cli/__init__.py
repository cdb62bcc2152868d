"""The `wardctl` command: thin click commands that parse, call one library function, and format."""

# A checkout's root also holds this folder; importing it as `cli` would make a second copy of every module.
if __name__ != "wardcloud.cli":
    raise ImportError(f"{__name__} is part of wardcloud: import wardcloud.cli")
