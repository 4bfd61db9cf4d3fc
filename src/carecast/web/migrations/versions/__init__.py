"""Alembic revisions, oldest first; add one per schema change (see docs/web.md)."""
