"""Alembic migrations of the schema (versions/) and what they share (sql_files)."""
