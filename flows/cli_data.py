"""Commands for data: database migrations, intake of files, sample-data generation."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the data commands to `app`."""
