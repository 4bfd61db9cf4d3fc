"""Alembic migrations for the web app's accounts and audit database."""
