"""Alembic environment of the store (a package so that wheels ship it)."""
