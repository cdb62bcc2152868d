"""Finance reports: per-ward statements as XLSX and a self-contained HTML report with SVG charts."""

# A checkout's root also holds this folder; importing it as `reports` would make a second copy of every module.
if __name__ != "wardcloud.reports":
    raise ImportError(f"{__name__} is part of wardcloud: import wardcloud.reports")
