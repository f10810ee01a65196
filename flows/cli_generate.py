"""`fieldplan generate`: write a seeded, realistic data set in the contract's format."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

DEFAULT_NOW = "2026-11-30T08:00+08:00"


def register(app: typer.Typer) -> None:
    """Add the `generate` command to `app`."""

    @app.command("generate")
    def generate(
        requests: int = typer.Option(120, "--requests", min=0, help="Number of requests."),
        engineers: int = typer.Option(25, "--engineers", min=0, help="Number of engineers."),
        seed: int = typer.Option(7, "--seed", help="Random seed: the same seed, the same data."),
        out: Path = typer.Option(..., "--out", help="Folder to write the files into."),
        now: str = typer.Option(
            DEFAULT_NOW, "--now", help="The dispatcher's moment, ISO 8601 with offset."
        ),
        offices: int = typer.Option(3, "--offices", min=1, help="Number of offices (1-5)."),
        customers: int | None = typer.Option(
            None, "--customers", min=1, help="Number of customers (default: 5/4 of requests)."
        ),
        fmt: str = typer.Option("csv", "--format", help="csv or xlsx."),
    ) -> None:
        """Generate offices, engineers, customers and requests into OUT (deterministic)."""
        from scheduling.generate import MAX_OFFICES, generate_dataset, write_dataset

        try:
            moment = datetime.fromisoformat(now)
        except ValueError:
            raise typer.BadParameter(
                f"{now!r} is not an ISO 8601 time", param_hint="--now"
            ) from None
        if moment.tzinfo is None:
            raise typer.BadParameter(f"{now!r} needs an offset, e.g. +08:00", param_hint="--now")
        if offices > MAX_OFFICES:
            raise typer.BadParameter(f"at most {MAX_OFFICES}", param_hint="--offices")
        if fmt not in ("csv", "xlsx"):
            raise typer.BadParameter("csv or xlsx", param_hint="--format")
        dataset = generate_dataset(requests, engineers, seed, moment, offices, customers)
        written = write_dataset(dataset, out, fmt)
        for kind, path in written.items():
            count = len(getattr(dataset, kind))
            typer.echo(f"{kind:<16} {count:>6}  {path}")
