"""A dispatcher's calendar questions: working days, a request's deadline, a customer's rights.

* `fieldplan calendar workdays --region CN --from 2025-09-27 --to 2025-10-12`
* `fieldplan deadline --received 2025-09-30T10:00+08:00 --zone out_of_town`
* `fieldplan entitlement --customer C001 --on 2026-11-24 [--upgrade-to 10.00] [--module X]`

Each prints a table, or JSON with `--json`. Exit codes: 0 answered, 2 bad input (unknown
region, customer or office, malformed date, version or zone, unreadable policy).
Customers and offices come from `--data DIR` (the intake folder's `customers.csv`,
`offices.csv`, `office_calendar.csv`) or else from the database.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer

from flows.output import errors, print_json, print_table

BAD_INPUT = 2


def _fail(message: str) -> typer.Exit:
    errors.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    return typer.Exit(BAD_INPUT)


def _policy():
    from scheduling.policy import PolicyError, load_policy

    try:
        return load_policy()
    except PolicyError as exc:
        raise _fail(str(exc)) from None


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(f"{option} {text!r}: expected a date as YYYY-MM-DD") from None


def _records(data: Path, kind: str) -> list[Any]:
    """Valid records of one contract file in `data` (.csv or .xlsx); bad rows are skipped."""
    from scheduling.intake import parse_file

    for suffix in (".csv", ".xlsx"):
        path = data / f"{kind}{suffix}"
        if path.is_file():
            parsed = parse_file(path, kind)
            if parsed.file_errors:
                raise _fail("; ".join(str(e) for e in parsed.file_errors))
            return parsed.records
    return []


def _offices_from(data: Path | None) -> list:
    """Offices with their office-calendar overrides, from `data` or the database."""
    if data is not None:
        from scheduling.contract import CalendarDay

        offices = _records(data, "offices")
        days = [d for d in _records(data, "office_calendar") if isinstance(d, CalendarDay)]
        return [_with_days(office, days) for office in offices]
    from scheduling.store.reference import list_offices

    try:
        return _from_database(list_offices)
    except Exception as exc:
        raise _fail(f"cannot read offices from the database ({exc}); pass --data DIR") from None


def _from_database(read):
    """`read(session)` on fieldplan's database (the embedded SQLite file is migrated on the
    spot; a server database must be upgraded: :func:`scheduling.store.db.open_database`)."""
    from scheduling.store.db import open_database, session_scope

    engine = open_database()
    try:
        with session_scope(engine) as session:
            return read(session)
    finally:
        engine.dispose()


def _database_offices() -> list:
    """Offices from the database, or none when it cannot be read (zone is then omitted)."""
    from scheduling.store.reference import list_offices

    try:
        return _from_database(list_offices)
    except Exception:
        return []


def _with_days(office, days):
    from dataclasses import replace

    own = sorted((d for d in days if d.office_id == office.office_id), key=lambda d: d.date)
    if not own:
        return office
    return replace(
        office,
        extra_days_off=tuple(d.date for d in own if not d.working),
        extra_working_days=tuple(d.date for d in own if d.working),
    )


def _customer_from(customer_id: str, data: Path | None):
    if data is not None:
        for customer in _records(data, "customers"):
            if customer.customer_id == customer_id:
                return customer
        raise _fail(f"customer {customer_id!r} not found (or invalid) in {data}/customers.csv")
    from scheduling.store.reference import get_customer

    try:
        customer = _from_database(lambda session: get_customer(session, customer_id))
    except Exception as exc:
        raise _fail(f"cannot read customers from the database ({exc}); pass --data DIR") from None
    if customer is None:
        raise _fail(
            f"customer {customer_id!r} not found in the database: load the data with "
            "`fieldplan intake PATH`, or pass --data DIR"
        )
    return customer


def _calendar(region: str | None, office_id: str | None, data: Path | None, policy):
    """The calendar of `office_id` (from data or DB), else of the region (policy default)."""
    from scheduling.calendars import calendar_for, region_calendar

    if office_id is not None:
        for office in _offices_from(data):
            if office.office_id == office_id:
                return calendar_for(office, policy)
        raise _fail(f"office {office_id!r} not found")
    try:
        return region_calendar(region or policy.calendar.default_region, policy)
    except ValueError as exc:
        raise _fail(str(exc)) from None


def workdays(
    start: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD."),
    end: str = typer.Option(..., "--to", help="Last day, YYYY-MM-DD."),
    region: str | None = typer.Option(None, "--region", help="CN, HK, MO or TW."),
    office: str | None = typer.Option(None, "--office", help="An office id (its overrides)."),
    data: Path | None = typer.Option(None, "--data", help="Intake folder with offices.csv."),
    working_only: bool = typer.Option(False, "--working-only", help="List working days only."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """List the days from --from to --to: working or not, and why (POLICY.md 4)."""
    policy = _policy()
    first, last = _date(start, "--from"), _date(end, "--to")
    if last < first:
        raise _fail(f"--to {last} is before --from {first}")
    if (last - first).days > 3660:
        raise _fail("at most ten years at a time")
    calendar = _calendar(region, office, data, policy)
    rows = []
    day = first
    from datetime import timedelta

    while day <= last:
        why = calendar.explain(day)
        if why.working or not working_only:
            rows.append(
                {
                    "date": day,
                    "weekday": day.strftime("%a"),
                    "working": why.working,
                    "reason_code": why.reason_code,
                    "why": why.why,
                    "holiday": why.holiday,
                    "warning": why.warning,
                }
            )
        day += timedelta(days=1)
    if as_json:
        print_json({"region": calendar.region, "days": rows})
        return
    warnings = sorted({r["warning"] for r in rows if r["warning"]})
    shown = [{**r, "working": "yes" if r["working"] else "no"} for r in rows]
    count = sum(1 for r in rows if r["working"])
    print_table(
        shown,
        ("date", "weekday", "working", "why"),
        title=f"{calendar.region} {first} – {last}: {count} working days",
    )
    for warning in warnings:
        errors.print(f"warning: {warning}", highlight=False, markup=False)


def deadline(
    received: str = typer.Option(..., "--received", help="ISO 8601, e.g. 2025-09-30T10:00+08:00."),
    zone: str | None = typer.Option(None, "--zone", help="city, suburban or out_of_town."),
    kind: str = typer.Option("onsite_service", "--kind", help="onsite_service/training/..."),
    window_end: str | None = typer.Option(None, "--window-end", help="Training window's end."),
    region: str | None = typer.Option(None, "--region", help="CN, HK, MO or TW."),
    office: str | None = typer.Option(None, "--office", help="An office id (its overrides)."),
    data: Path | None = typer.Option(None, "--data", help="Intake folder with offices.csv."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Print a request's arrival deadline and the working days it counted (POLICY.md 4)."""
    from scheduling.deadlines import deadline_for
    from scheduling.model import Kind, Zone

    policy = _policy()
    try:
        moment = datetime.fromisoformat(received)
    except ValueError:
        raise _fail(
            f"--received {received!r}: expected ISO 8601, e.g. 2025-09-30T10:00+08:00"
        ) from None
    try:
        kind_value = Kind(kind)
    except ValueError:
        raise _fail(f"--kind {kind!r}: expected one of {[k.value for k in Kind]}") from None
    zone_value = None
    if zone is not None:
        try:
            zone_value = Zone(zone)
        except ValueError:
            raise _fail(f"--zone {zone!r}: expected one of {[z.value for z in Zone]}") from None
    if zone_value is None and kind_value is not Kind.TRAINING:
        raise _fail("--zone is required (city, suburban or out_of_town) unless --kind training")
    window = _date(window_end, "--window-end") if window_end else None
    calendar = _calendar(region, office, data, policy)
    result = deadline_for(moment, zone_value, calendar, policy, kind=kind_value, window_end=window)
    answer = {
        "received": calendar.local(moment),
        "clock_start": result.clock_start,
        "deadline": result.deadline,
        "rule": result.rule,
        "counted_days": result.counted_days,
        "warnings": result.warnings,
    }
    if as_json:
        print_json(answer)
        return
    print(f"deadline: {result.deadline.isoformat()}")
    print(f"rule: {result.rule}")
    print(f"clock starts: {result.clock_start.isoformat()}")
    print_table(
        [
            {"n": i, "date": d, "weekday": d.strftime("%a"), "why": calendar.explain(d).why}
            for i, d in enumerate(result.counted_days, 1)
        ],
        ("n", "date", "weekday", "why"),
        title="working days counted",
    )
    for warning in result.warnings:
        errors.print(f"warning: {warning}", highlight=False, markup=False)


def entitlement(
    customer_id: str = typer.Option(..., "--customer", help="Customer id, e.g. C001."),
    on: str = typer.Option(..., "--on", help="The request's date, YYYY-MM-DD."),
    upgrade_to: str | None = typer.Option(None, "--upgrade-to", help="Target version."),
    module: str | None = typer.Option(None, "--module", help="Module concerned."),
    urgency: str = typer.Option("P3", "--urgency", help="P1..P4, for the priority score."),
    data: Path | None = typer.Option(None, "--data", help="Intake folder with customers.csv."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Is the customer served on that day, and how urgently (POLICY.md 1, 2, 4)?"""
    from scheduling.entitlement import decide, priority_score
    from scheduling.model import Channel, Kind, RequestStatus, ServiceRequest, Urgency, Validity
    from scheduling.versions import VersionError, parse_version
    from scheduling.zones import zone_of

    policy = _policy()
    day = _date(on, "--on")
    if upgrade_to is not None:
        try:
            parse_version(upgrade_to)
        except VersionError as exc:
            raise _fail(f"--upgrade-to: {exc}") from None
    try:
        urgency_value = Urgency(urgency)
    except ValueError:
        raise _fail(f"--urgency {urgency!r}: expected P1, P2, P3 or P4") from None
    customer = _customer_from(customer_id, data)
    request = ServiceRequest(
        request_ref="(question)",
        customer_id=customer.customer_id,
        kind=Kind.ONSITE_SERVICE,
        subtype="upgrade" if upgrade_to else "",
        urgency=urgency_value,
        channel=Channel.HOTLINE,
        received_at=datetime.combine(day, policy.working_hours.start),
        duration_hours=Decimal("1"),
        target_version=upgrade_to,
        module=module,
    )
    decision = decide(request, customer, policy, on=day)
    expired = decision.validity is Validity.EXPIRED
    refused = decision.status is RequestStatus.REFUSED
    answer: dict[str, Any] = {
        "customer": customer.customer_id,
        "name": customer.name,
        "on": day,
        "status": decision.status,
        "reason_code": decision.reason_code,
        "reason": decision.reason,
        "source": decision.source,
        "validity": decision.validity,
        "current_version": customer.product_version,
        "upgrade_to": upgrade_to,
        "upgrade": decision.upgrade,
        "priority": 0
        if refused
        else priority_score(urgency_value, customer.level, policy, expired),
    }
    offices = _offices_from(data) if data is not None else _database_offices()
    if offices:
        try:
            where = zone_of(customer, offices, policy)
            answer.update(zone=where.zone, office=where.office.office_id, zone_reason=where.reason)
        except ValueError as exc:
            answer.update(zone=None, office=None, zone_reason=str(exc))
    if as_json:
        print_json(answer)
        return
    print_table(
        [{"field": k, "value": v} for k, v in answer.items() if v is not None],
        ("field", "value"),
        title=f"entitlement of {customer.customer_id} on {day}",
    )


def register(app: typer.Typer) -> None:
    """Add `calendar workdays`, `deadline` and `entitlement` to `app`."""
    calendar_app = typer.Typer(help="Working-day calendars (official holidays, make-up days).")
    calendar_app.command("workdays")(workdays)
    app.add_typer(calendar_app, name="calendar")
    app.command("deadline")(deadline)
    app.command("entitlement")(entitlement)
