"""Public and record-level data: bundled tables, the workspace, lookups and ingest."""
