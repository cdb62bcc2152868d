"""Finance reports: per-ward statements as XLSX and a self-contained HTML report with SVG charts."""
