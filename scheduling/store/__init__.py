"""Persistence: SQLAlchemy 2 models, Alembic migrations and the repository functions.

The only part of `scheduling` that knows about databases; the rest works on plain data.
"""
