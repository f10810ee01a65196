"""`fieldplan itineraries`: issue each engineer's calendar file and page from a plan."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import typer

from scheduling.ical import DEFAULT_ORGANIZER
from scheduling.model import Customer, Engineer, Office, Plan, Problem, ServiceRequest
from scheduling.policy import Policy


def load_plan(path: Path) -> Plan:
    """The plan in `path` (a `plan.json` written by `fieldplan plan`)."""
    from scheduling.planjson import read_plan_json

    return read_plan_json(path)


def problem_from_folder(folder: Path, policy: Policy, start: date) -> tuple[Problem, list[str]]:
    """The problem held by a data folder (offices, engineers, customers, requests).

    Requests are assessed here (entitlement, zone, deadline) as intake would. Bad rows are
    left out and returned as messages (file, row, column, value, why) beside the problem;
    a folder without offices or engineers raises ValueError.
    """
    from scheduling.assessment import assess
    from scheduling.intake import parse_folder

    files = parse_folder(folder)
    errors = [str(error) for parsed in files for error in parsed.errors]
    records: dict[str, list] = {}
    for parsed in files:
        records.setdefault(parsed.kind, []).extend(parsed.records)
    offices = tuple(r for r in records.get("offices", []) if isinstance(r, Office))
    engineers = tuple(r for r in records.get("engineers", []) if isinstance(r, Engineer))
    customers = tuple(r for r in records.get("customers", []) if isinstance(r, Customer))
    requests = tuple(r for r in records.get("requests", []) if isinstance(r, ServiceRequest))
    if not offices or not engineers:
        detail = "; ".join(errors[:5]) or "no offices or engineers"
        raise ValueError(f"{folder}: cannot build the itineraries' problem: {detail}")
    by_id = {c.customer_id: c for c in customers}
    assessments = tuple(
        assess(r, by_id[r.customer_id], offices, policy) for r in requests if r.customer_id in by_id
    )
    problem = Problem(
        offices=offices,
        engineers=engineers,
        customers=customers,
        requests=requests,
        assessments=assessments,
        start=start,
    )
    return problem, errors


def problem_from_database(start: date, policy: Policy) -> Problem:
    """The problem in fieldplan's database, with every request (so done visits resolve)."""
    from scheduling.store.db import ensure_database, session_scope
    from scheduling.store.repository import list_requests, load_problem

    engine = ensure_database()
    with session_scope(engine) as session:
        problem = load_problem(session, start, policy)
        pairs = list_requests(session)
    return dataclasses.replace(
        problem,
        requests=tuple(r for r, _ in pairs),
        assessments=tuple(a for _, a in pairs),
    )


def register(app: typer.Typer) -> None:
    """Add the `itineraries` command to `app`."""

    @app.command("itineraries")
    def itineraries(
        plan: Path = typer.Option(..., "--plan", help="plan.json written by `fieldplan plan`."),
        out: Path = typer.Option(..., "--out", help="Outbox folder: one sub-folder per engineer."),
        data: Path | None = typer.Option(
            None, "--data", help="Data folder (CSV/XLSX) instead of the database."
        ),
        organizer: str = typer.Option(
            DEFAULT_ORGANIZER, "--organizer", help="ORGANIZER of the calendar events (mailto:)."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    ) -> None:
        """Write each engineer's itinerary.ics, itinerary.html and issued.json into OUT.

        Re-running after a re-plan updates the same calendar events (SEQUENCE + 1), cancels
        removed ones and marks what changed on the page. Exit 2 on bad input.
        """
        from flows.output import errors, print_json, print_table
        from scheduling.itineraries import ItineraryError
        from scheduling.outbox import OutboxError, issue_itineraries
        from scheduling.policy import PolicyError, load_policy

        try:
            policy = load_policy()
            if not plan.is_file():
                raise ValueError(f"plan file not found: {plan}")
            the_plan = load_plan(plan)
            start = min((v.day for v in the_plan.visits), default=date.today())
            if data is not None:
                if not data.is_dir():
                    raise ValueError(f"data folder not found: {data}")
                problem, bad_rows = problem_from_folder(data, policy, start)
                for message in bad_rows[:10]:
                    errors.print(f"[yellow]skipped: {message}[/yellow]")
                if len(bad_rows) > 10:
                    errors.print(f"[yellow]... and {len(bad_rows) - 10} more bad rows[/yellow]")
            else:
                problem = problem_from_database(start, policy)
            report = issue_itineraries(the_plan, problem, policy, out, organizer=organizer)
        except (ValueError, KeyError, ItineraryError, OutboxError, PolicyError) as exc:
            errors.print(f"[red]itineraries: {exc}[/red]")
            raise typer.Exit(2) from exc
        except ImportError as exc:
            errors.print(f"[red]itineraries: a component is missing ({exc})[/red]")
            raise typer.Exit(2) from exc
        rows = [
            {
                "engineer": e.engineer_id,
                "visits": e.visits,
                "new": e.new,
                "updated": e.updated,
                "cancelled": e.cancelled,
                "unchanged": e.unchanged,
                "folder": str(e.folder),
            }
            for e in report.engineers
        ]
        if as_json:
            print_json(
                {
                    "out_dir": str(report.out_dir),
                    "issued_at": report.issued_at,
                    "engineers": rows,
                    "totals": report.totals,
                }
            )
        else:
            columns = ["engineer", "visits", "new", "updated", "cancelled", "unchanged", "folder"]
            print_table(rows, columns, title=f"Itineraries issued to {report.out_dir}")
