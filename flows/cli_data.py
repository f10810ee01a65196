"""Commands for data: database migrations (`fieldplan db upgrade`) and intake of files
(`fieldplan intake PATH`)."""

from __future__ import annotations

from pathlib import Path

import typer

from flows.output import errors, print_json, print_table

FILE_COLUMNS = ("file", "received", "accepted", "created", "updated", "unchanged", "refused")
REFUSED_COLUMNS = ("file", "row", "column", "value", "code", "reason")


def db_upgrade(
    revision: str = typer.Argument("head", help="Target revision (default: the newest)."),
) -> None:
    """Apply the database migrations to the configured database (--database-url,
    $FIELDPLAN_DATABASE_URL, else the SQLite file in var/)."""
    from scheduling.store.db import current_revision, make_engine, upgrade

    engine = make_engine()
    try:
        before = current_revision(engine)
        upgrade(engine, revision)
        after = current_revision(engine)
        where = engine.url.render_as_string(hide_password=True)
    finally:
        engine.dispose()
    if before == after:
        print(f"{where}: already at revision {after}")
    else:
        print(f"{where}: upgraded from {before or 'an empty database'} to revision {after}")


def intake(
    path: Path = typer.Argument(..., help="A data file, or a folder of offices/engineers/..."),
    json_output: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Load data files into the database and report every refused row.

    Exit codes: 0 all rows accepted, 1 some row (or file) refused, 2 unreadable path, bad
    policy or a database that needs `fieldplan db upgrade`.
    """
    from scheduling.intake import IntakeError
    from scheduling.policy import PolicyError, load_policy
    from scheduling.store.db import DatabaseNotReady, open_database
    from scheduling.store.intake_store import load_path

    try:
        policy = load_policy()
        engine = open_database()
    except (PolicyError, DatabaseNotReady) as exc:
        errors.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc
    try:
        report = load_path(engine, path, policy)
    except IntakeError as exc:
        errors.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    if json_output:
        print_json(report.as_dict())
    else:
        rows = [{**f.as_dict(), "file": f.file} for f in report.files]
        rows.append(
            {
                "file": "total",
                "received": report.received,
                "accepted": report.accepted,
                "created": sum(f.created for f in report.files),
                "updated": sum(f.updated for f in report.files),
                "unchanged": sum(f.unchanged for f in report.files),
                "refused": report.refused,
            }
        )
        print_table(rows, FILE_COLUMNS, title=f"Intake of {path}")
        if report.refused_rows:
            refused = [{c: getattr(e, c) for c in REFUSED_COLUMNS} for e in report.refused_rows]
            print_table(refused, REFUSED_COLUMNS, title="Refused rows")
    if report.refused_rows:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the data commands to `app`: `db upgrade` and `intake`."""
    db = typer.Typer(help="The database: migrations.", no_args_is_help=True)
    db.command("upgrade")(db_upgrade)
    app.add_typer(db, name="db")
    app.command("intake")(intake)
