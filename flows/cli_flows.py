"""Commands that run Prefect flows: `fieldplan demo`, `fieldplan plan`, `fieldplan replan`.

Without `PREFECT_API_URL` each command starts Prefect's embedded server for the run (a few
seconds); with it, runs show up on that server's dashboard like deployment runs.
Exit codes: 0 ok, 1 the run finished with problems (late or unassigned visits), 2 bad input,
3 busy (another plan or replan is running on the database).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import typer

from flows.output import console, errors, print_json, print_table

T = TypeVar("T")

EXIT_OK, EXIT_PROBLEMS, EXIT_BAD_INPUT, EXIT_BUSY = 0, 1, 2, 3


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date like 2026-11-30", param_hint=option
        ) from None


def _moment(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise typer.BadParameter(
            f"{value!r} is not a time with its offset, like 2026-11-30T08:00+08:00",
            param_hint=option,
        )
    return moment


def _run(what: str, call: Callable[[], T], as_json: bool) -> T:
    """Run a flow under a spinner; map known failures to exit codes with a clear message."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from flows.locking import PlanBusy
    from scheduling.policy import PolicyError

    bad_input: tuple[type[BaseException], ...] = (PolicyError, FileNotFoundError)
    try:
        from scheduling.intake import IntakeError

        bad_input += (IntakeError,)
    except ImportError:  # pragma: no cover - intake is part of the package
        pass
    try:
        if as_json:
            return call()
        with Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            TimeElapsedColumn(),
            console=errors,
            transient=True,
        ) as progress:
            progress.add_task(what, total=None)
            return call()
    except PlanBusy as exc:
        errors.print(f"[yellow]busy:[/] {exc}")
        raise typer.Exit(EXIT_BUSY) from None
    except bad_input as exc:
        errors.print(f"[red]bad input:[/] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except ValueError as exc:  # BadEvent and the flows' own parameter checks
        errors.print(f"[red]bad input:[/] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _quiet_logs(as_json: bool) -> None:
    # Scripts reading --json want only the JSON; Prefect's logs go to stderr anyway, but
    # fewer of them keeps a terminal readable.
    if as_json:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def _print_plan(outcome: Any, title: str) -> None:
    rows = [{"measure": k.replace("_", " "), "value": v} for k, v in outcome.counts.items()]
    for key, value in sorted(outcome.kpis.items()):
        shown = f"{value:.3f}" if isinstance(value, float) else value
        rows.append({"measure": key.replace("_", " "), "value": shown})
    print_table(rows, ("measure", "value"), title=title)
    files = [
        {"output": name, "path": path}
        for name, path in (
            ("plan.json", outcome.plan_json),
            ("Gantt chart", outcome.gantt),
            ("itineraries", outcome.itineraries),
        )
        if path
    ]
    print_table(files, ("output", "path"), title="Files")


def register(app: typer.Typer) -> None:
    """Add `demo`, `plan` and `replan` to `app`."""

    @app.command()
    def demo(
        out: Path | None = typer.Option(None, "--out", help="Output folder (default var/demo)."),
        data: Path | None = typer.Option(None, "--data", help="Data folder (default data/sample)."),
        time_limit: float = typer.Option(20.0, "--time-limit", help="Solver seconds per office."),
        seed: int = typer.Option(0, "--seed"),
        as_json: bool = typer.Option(False, "--json", help="Print the outcome as JSON."),
    ) -> None:
        """Run intake → plan → itineraries → cost export on the sample data, from scratch."""
        from flows.settings import prefect_environment

        prefect_environment()
        _quiet_logs(as_json)
        from flows.demo_flow import demo_flow

        outcome = _run(
            "Demo: intake, plan, itineraries, export",
            lambda: demo_flow(
                data_dir=str(data) if data else None,
                out_dir=str(out) if out else None,
                time_limit=time_limit,
                seed=seed,
            ),
            as_json,
        )
        if as_json:
            print_json(outcome.__dict__)
            raise typer.Exit(outcome.exit_code)
        intake = outcome.intake
        console.print(
            f"[bold]Intake:[/] {intake['received']} row(s) received (offices, engineers, "
            f"customers, requests), {intake['accepted']} accepted, {intake['refused']} refused."
        )
        plan = outcome.plan
        console.print(
            f"[bold]Plan {plan.get('plan_id')}:[/] {plan.get('visits', 0)} visit(s), "
            f"{plan.get('late', 0)} late, {plan.get('unassigned', 0)} not planned."
        )
        export = outcome.export
        console.print(
            f"[bold]Costs:[/] batch {export.get('batch_id')}, {export.get('total')} "
            f"{export.get('currency')} over {export.get('lines')} line(s)."
        )
        print_table(
            [{"output": k, "path": v} for k, v in outcome.files.items() if v],
            ("output", "path"),
            title=f"Demo outputs in {outcome.out_dir}",
        )

    @app.command("plan")
    def plan_command(
        start: str | None = typer.Option(
            None, "--start", help="First day of the horizon (default today)."
        ),
        output: Path | None = typer.Option(
            None, "--output", help="Folder for plan.json, Gantt, itineraries (default var/plan)."
        ),
        seed: int = typer.Option(0, "--seed", help="Solver seed (same input + seed, same plan)."),
        time_limit: float | None = typer.Option(
            None, "--time-limit", help="Solver seconds per office (default: policy file)."
        ),
        partition: str = typer.Option(
            "office", "--partition", help="office: one solve per office, in parallel; none."
        ),
        itineraries: bool = typer.Option(
            True, "--itineraries/--no-itineraries", help="Issue engineers' itineraries."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the outcome as JSON."),
    ) -> None:
        """Plan the horizon, save it as the active plan, write plan.json, Gantt, itineraries."""
        horizon = _date(start, "--start")
        if partition not in ("office", "none"):
            raise typer.BadParameter("office or none", param_hint="--partition")
        from flows.locking import ensure_not_busy
        from flows.settings import prefect_environment, resolve_database_url

        url = resolve_database_url(None)
        _run("Checking no other plan runs", lambda: ensure_not_busy(url, "plan"), True)
        prefect_environment()
        _quiet_logs(as_json)
        from flows.plan_flow import plan_flow

        outcome = _run(
            "Planning",
            lambda: plan_flow(
                start=horizon,
                output=str(output) if output else None,
                seed=seed,
                time_limit=time_limit,
                database_url=url,
                partition=partition,
                itineraries=itineraries,
            ),
            as_json,
        )
        if as_json:
            print_json(outcome.to_dict())
        else:
            _print_plan(outcome, f"Plan {outcome.plan_id} from {outcome.horizon_start}")
        raise typer.Exit(outcome.exit_code)

    @app.command()
    def replan(
        event: str = typer.Option(
            ...,
            "--event",
            help="engineer_unavailable, emergency, overran, cancelled or withdrawn.",
        ),
        engineer: str | None = typer.Option(None, "--engineer", help="Engineer id."),
        start: str | None = typer.Option(None, "--from", help="First day unavailable."),
        end: str | None = typer.Option(None, "--to", help="Last day unavailable (default --from)."),
        request_ref: str | None = typer.Option(None, "--request", help="Request reference."),
        session: int = typer.Option(1, "--session", help="Session (multi-day training)."),
        minutes: int | None = typer.Option(None, "--minutes", help="Overrun in minutes."),
        customer: str | None = typer.Option(None, "--customer", help="Emergency: customer id."),
        kind: str = typer.Option("onsite_service", "--kind", help="Emergency: kind of work."),
        subtype: str = typer.Option("troubleshoot", "--subtype", help="Emergency: subtype."),
        urgency: str = typer.Option("P1", "--urgency", help="Emergency: P1..P4."),
        duration: str = typer.Option("2", "--duration", help="Emergency: hours on site."),
        skills: str = typer.Option("", "--skills", help="Emergency: skills, ';'-separated."),
        overtime_day: str | None = typer.Option(
            None, "--overtime-day", help="Emergency: open an overtime shift for --engineer."
        ),
        reason: str = typer.Option("", "--reason", help="Why (kept with the record)."),
        now: str | None = typer.Option(None, "--now", help="Present time (default: now)."),
        output: Path | None = typer.Option(None, "--output", help="Output folder."),
        seed: int = typer.Option(0, "--seed"),
        time_limit: float | None = typer.Option(None, "--time-limit"),
        as_json: bool = typer.Option(False, "--json", help="Print the outcome as JSON."),
    ) -> None:
        """Record a field event and re-plan, moving as few visits as possible; show the moves."""
        from flows.settings import prefect_environment

        prefect_environment()  # before anything imports Prefect
        from flows.replan_flow import Event

        try:
            kind_of_event = Event(event.replace("-", "_"))
        except ValueError:
            raise typer.BadParameter(
                f"{event!r}: expected one of {', '.join(e.value for e in Event)}",
                param_hint="--event",
            ) from None
        first, last = _date(start, "--from"), _date(end, "--to")
        moment, extra_day = _moment(now, "--now"), _date(overtime_day, "--overtime-day")
        request = None
        if kind_of_event is Event.EMERGENCY:
            from flows.intake_flow import RequestForm

            if not (request_ref and customer):
                errors.print("[red]bad input:[/] an emergency needs --request and --customer")
                raise typer.Exit(EXIT_BAD_INPUT)
            request = RequestForm(
                request_ref=request_ref,
                customer_id=customer,
                kind=kind,
                subtype=subtype,
                urgency=urgency,
                duration_hours=Decimal(duration),
                required_skills=[s for s in skills.split(";") if s],
                received_at=moment,
                emergency=True,
                notes=reason,
            )
        from flows.locking import ensure_not_busy
        from flows.replan_flow import check_event
        from flows.settings import resolve_database_url

        ref = None if request is not None else request_ref
        args = (kind_of_event, engineer, first, ref, request, minutes, extra_day)
        _run("Checking the event", lambda: check_event(*args), True)
        url = resolve_database_url(None)
        _run("Checking no other plan runs", lambda: ensure_not_busy(url, "replan"), True)
        _quiet_logs(as_json)
        from flows.replan_flow import replan_flow

        outcome = _run(
            f"Re-planning after {kind_of_event.value}",
            lambda: replan_flow(
                event=kind_of_event,
                engineer_id=engineer,
                start_date=first,
                end_date=last,
                request_ref=ref,
                session=session,
                overrun_minutes=minutes,
                request=request,
                overtime_day=extra_day,
                reason=reason,
                now=moment,
                output=str(output) if output else None,
                seed=seed,
                time_limit=time_limit,
                database_url=url,
            ),
            as_json,
        )
        if as_json:
            print_json(outcome.to_dict())
            raise typer.Exit(outcome.exit_code)
        print_table(
            list(outcome.moves),
            ("request_ref", "session", "change", "before", "after"),
            title=f"What moved ({len(outcome.moves)} visit(s))",
        )
        _print_plan(outcome, f"Plan {outcome.plan_id} after {kind_of_event.value}")
        raise typer.Exit(outcome.exit_code)
