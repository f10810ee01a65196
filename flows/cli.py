"""The `fieldplan` command line: a dispatcher's, an engineer's and a clerk's entry point.

Each area registers its commands from its own module (`register(app)`), so this file stays a
table of contents. Heavy imports (Prefect, OR-Tools) happen inside commands, not at start-up.
Exit codes: 0 success, 1 the work ran but reported a problem (refused rows, late visits),
2 bad input or usage, 3 busy (another plan is running).
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from flows import cli_calendar, cli_costs, cli_data, cli_flows, cli_generate, cli_itineraries

app = typer.Typer(
    name="fieldplan",
    help="Field-service scheduler: intake, deadlines, planning, itineraries, travel costs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def main(
    policy: Path | None = typer.Option(
        None, "--policy", help="Policy file (default: $FIELDPLAN_POLICY, else data/policy.toml)."
    ),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="SQLAlchemy URL (default: $FIELDPLAN_DATABASE_URL, else SQLite in var/).",
    ),
) -> None:
    """Options shared by every command."""
    if policy is not None:
        os.environ["FIELDPLAN_POLICY"] = str(policy)
    if database_url is not None:
        os.environ["FIELDPLAN_DATABASE_URL"] = database_url


for module in (cli_data, cli_calendar, cli_generate, cli_itineraries, cli_flows, cli_costs):
    module.register(app)


if __name__ == "__main__":  # pragma: no cover
    app()
