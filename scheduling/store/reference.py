"""Reference data in and out of the database: offices (and their calendar exceptions),
engineers and customers, as the plain objects of `scheduling.model`.

Upserts are keyed by id and report what they did, so loading the same file twice is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduling.contract import CalendarDay
from scheduling.model import Customer, Engineer, Level, Office, PaidPeriod, Zone
from scheduling.store.models import (
    ContractPeriodRow,
    CustomerRow,
    CustomModuleRow,
    EngineerRow,
    EngineerSkillRow,
    OfficeCalendarOverrideRow,
    OfficeRow,
)


@dataclass
class UpsertCounts:
    """What an upsert did: rows created, updated, and found identical."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def count(self, outcome: str) -> None:
        """Add one to the counter named `outcome` (created, updated or unchanged)."""
        setattr(self, outcome, getattr(self, outcome) + 1)


def preload(session: Session, kind: str) -> list[object]:
    """Load every row of `kind` (offices, engineers, customers) with its details into the
    session, so that the upserts of a whole file find them without a query each.

    Keep the returned list while working: the session only holds rows weakly.
    """
    query = {
        "offices": _office_query,
        "engineers": _engineer_query,
        "customers": _customer_query,
    }[kind]()
    return list(session.scalars(query))


# --- offices -----------------------------------------------------------------------------


def _office(row: OfficeRow) -> Office:
    return Office(
        office_id=row.office_id,
        name=row.name,
        city=row.city,
        calendar=row.calendar,
        lat=row.lat,
        lon=row.lon,
        timezone=row.timezone,
        extra_days_off=tuple(o.day for o in row.overrides if not o.working),
        extra_working_days=tuple(o.day for o in row.overrides if o.working),
        lunch_break=row.lunch_break,
    )


_OFFICE_LOAD = (selectinload(OfficeRow.overrides),)


def _office_query():
    return select(OfficeRow).options(*_OFFICE_LOAD)


def upsert_office(session: Session, office: Office) -> str:
    """Insert or update one office; returns "created", "updated" or "unchanged".

    Calendar exceptions on `office` are added, never removed: they come from their own file
    (see :func:`upsert_calendar_day`), and an offices file without them must not erase them.
    """
    row = session.get(OfficeRow, office.office_id, options=_OFFICE_LOAD)
    outcome = "updated"
    if row is None:
        row = OfficeRow(office_id=office.office_id)
        session.add(row)
        outcome = "created"
    else:
        before = _office(row)
        merged = replace(
            office,
            extra_days_off=tuple(sorted(set(before.extra_days_off) | set(office.extra_days_off))),
            extra_working_days=tuple(
                sorted(set(before.extra_working_days) | set(office.extra_working_days))
            ),
        )
        if merged == before:
            return "unchanged"
    row.name, row.city, row.calendar = office.name, office.city, office.calendar
    row.lat, row.lon, row.timezone = office.lat, office.lon, office.timezone
    row.lunch_break = office.lunch_break
    known = {o.day for o in row.overrides}
    for day, working in [(d, False) for d in office.extra_days_off] + [
        (d, True) for d in office.extra_working_days
    ]:
        if day not in known:
            row.overrides.append(OfficeCalendarOverrideRow(day=day, working=working, note=""))
            known.add(day)
    session.flush()
    return outcome


def upsert_offices(session: Session, offices: Iterable[Office]) -> UpsertCounts:
    """Insert or update offices by `office_id`; counts what changed."""
    counts = UpsertCounts()
    for office in offices:
        counts.count(upsert_office(session, office))
    return counts


def upsert_calendar_day(session: Session, day: CalendarDay) -> str:
    """Set one office's exception for one day (extra day off or working day, with a note).

    Returns "created", "updated" or "unchanged"; KeyError if the office is unknown.
    """
    if session.get(OfficeRow, day.office_id) is None:
        raise KeyError(day.office_id)
    row = session.scalars(
        select(OfficeCalendarOverrideRow).where(
            OfficeCalendarOverrideRow.office_id == day.office_id,
            OfficeCalendarOverrideRow.day == day.date,
        )
    ).first()
    if row is None:
        session.add(
            OfficeCalendarOverrideRow(
                office_id=day.office_id, day=day.date, working=day.working, note=day.note
            )
        )
        session.flush()
        return "created"
    if (row.working, row.note) == (day.working, day.note):
        return "unchanged"
    row.working, row.note = day.working, day.note
    session.flush()
    return "updated"


def list_calendar_days(session: Session, office_id: str | None = None) -> list[CalendarDay]:
    """Every office calendar exception (of one office if given), by office and day."""
    query = select(OfficeCalendarOverrideRow).order_by(
        OfficeCalendarOverrideRow.office_id, OfficeCalendarOverrideRow.day
    )
    if office_id is not None:
        query = query.where(OfficeCalendarOverrideRow.office_id == office_id)
    return [CalendarDay(r.office_id, r.day, r.working, r.note) for r in session.scalars(query)]


def get_office(session: Session, office_id: str) -> Office | None:
    """The office with this id, with its calendar exceptions, or None."""
    row = session.get(OfficeRow, office_id, options=_OFFICE_LOAD)
    return None if row is None else _office(row)


def list_offices(session: Session) -> list[Office]:
    """Every office, by id."""
    return [_office(r) for r in session.scalars(_office_query().order_by(OfficeRow.office_id))]


# --- engineers ---------------------------------------------------------------------------


def _engineer(row: EngineerRow) -> Engineer:
    return Engineer(
        engineer_id=row.engineer_id,
        name=row.name,
        office_id=row.office_id,
        skills=frozenset(s.skill for s in row.skills),
        email=row.email,
        phone=row.phone,
        home_lat=row.home_lat,
        home_lon=row.home_lon,
    )


_ENGINEER_LOAD = (selectinload(EngineerRow.skills),)


def _engineer_query():
    return select(EngineerRow).options(*_ENGINEER_LOAD)


def upsert_engineer(session: Session, engineer: Engineer) -> str:
    """Insert or update one engineer; returns "created", "updated" or "unchanged".

    The office must exist (the database refuses an unknown `office_id`).
    """
    row = session.get(EngineerRow, engineer.engineer_id, options=_ENGINEER_LOAD)
    outcome = "updated"
    if row is None:
        row = EngineerRow(engineer_id=engineer.engineer_id)
        session.add(row)
        outcome = "created"
    elif _engineer(row) == engineer:
        return "unchanged"
    row.name, row.office_id = engineer.name, engineer.office_id
    row.email, row.phone = engineer.email, engineer.phone
    row.home_lat, row.home_lon = engineer.home_lat, engineer.home_lon
    have = {s.skill: s for s in row.skills}
    for skill in set(have) - engineer.skills:
        row.skills.remove(have[skill])
    for skill in sorted(engineer.skills - set(have)):
        row.skills.append(EngineerSkillRow(skill=skill))
    session.flush()
    return outcome


def upsert_engineers(session: Session, engineers: Iterable[Engineer]) -> UpsertCounts:
    """Insert or update engineers by `engineer_id`; counts what changed."""
    counts = UpsertCounts()
    for engineer in engineers:
        counts.count(upsert_engineer(session, engineer))
    return counts


def get_engineer(session: Session, engineer_id: str) -> Engineer | None:
    """The engineer with this id, or None."""
    row = session.get(EngineerRow, engineer_id, options=_ENGINEER_LOAD)
    return None if row is None else _engineer(row)


def list_engineers(session: Session) -> list[Engineer]:
    """Every engineer, by id."""
    query = _engineer_query().order_by(EngineerRow.engineer_id)
    return [_engineer(r) for r in session.scalars(query)]


# --- customers ---------------------------------------------------------------------------


def _customer(row: CustomerRow) -> Customer:
    return Customer(
        customer_id=row.customer_id,
        name=row.name,
        city=row.city,
        address=row.address,
        lat=row.lat,
        lon=row.lon,
        level=Level(row.level),
        licensed=row.licensed,
        purchase_date=row.purchase_date,
        product_version=row.product_version,
        office_id=row.office_id,
        zone=None if row.zone is None else Zone(row.zone),
        paid_periods=tuple(PaidPeriod(p.start, p.end) for p in row.paid_periods),
        custom_modules=frozenset(m.module for m in row.custom_modules),
        upgrade_agreement=row.upgrade_agreement,
        contact_name=row.contact_name,
        contact_phone=row.contact_phone,
    )


_CUSTOMER_LOAD = (
    selectinload(CustomerRow.paid_periods),
    selectinload(CustomerRow.custom_modules),
)


def _customer_query():
    return select(CustomerRow).options(*_CUSTOMER_LOAD)


def _normalized(customer: Customer) -> Customer:
    periods = tuple(sorted(set(customer.paid_periods), key=lambda p: (p.start, p.end)))
    return replace(customer, paid_periods=periods)


def upsert_customer(
    session: Session, customer: Customer, rows: dict[str, CustomerRow] | None = None
) -> str:
    """Insert or update one customer with its paid periods and custom modules.

    Returns "created", "updated" or "unchanged". Paid periods are kept in date order.
    `rows` (from :func:`customer_rows`) makes a bulk load fast: the stored customers by id,
    so no query per customer, and new rows are left for the session's next flush (the
    commit) instead of one insert round each; it gains the rows created.
    """
    customer = _normalized(customer)
    if rows is None:
        row = session.get(CustomerRow, customer.customer_id, options=_CUSTOMER_LOAD)
    else:
        row = rows.get(customer.customer_id)
    outcome = "updated"
    if row is None:
        # Empty collections, set: a new row's details never need a lazy load (a query).
        row = CustomerRow(customer_id=customer.customer_id, paid_periods=[], custom_modules=[])
        session.add(row)
        if rows is not None:
            rows[customer.customer_id] = row
        outcome = "created"
    elif _customer(row) == customer:
        return "unchanged"
    for name in (
        "name",
        "city",
        "address",
        "lat",
        "lon",
        "licensed",
        "purchase_date",
        "product_version",
        "office_id",
        "upgrade_agreement",
        "contact_name",
        "contact_phone",
    ):
        setattr(row, name, getattr(customer, name))
    row.level = customer.level.value
    row.zone = None if customer.zone is None else customer.zone.value
    if [(p.start, p.end) for p in row.paid_periods] != [
        (p.start, p.end) for p in customer.paid_periods
    ]:
        if row.paid_periods:
            row.paid_periods.clear()
            session.flush()  # delete before insert: (customer, start, end) is unique
        row.paid_periods.extend(
            ContractPeriodRow(start=p.start, end=p.end) for p in customer.paid_periods
        )
    have = {m.module: m for m in row.custom_modules}
    for module in set(have) - customer.custom_modules:
        row.custom_modules.remove(have[module])
    for module in sorted(customer.custom_modules - set(have)):
        row.custom_modules.append(CustomModuleRow(module=module))
    if rows is None:
        session.flush()
    return outcome


def customer_rows(session: Session) -> dict[str, CustomerRow]:
    """Every stored customer row by id, details loaded: the `rows` of a bulk
    :func:`upsert_customer`. Keep the dict while working (the session holds rows weakly)."""
    return {row.customer_id: row for row in preload(session, "customers")}


def upsert_customers(session: Session, customers: Iterable[Customer]) -> UpsertCounts:
    """Insert or update customers by `customer_id`; counts what changed."""
    counts = UpsertCounts()
    for customer in customers:
        counts.count(upsert_customer(session, customer))
    return counts


def get_customer(session: Session, customer_id: str) -> Customer | None:
    """The customer with this id, with paid periods and custom modules, or None."""
    row = session.get(CustomerRow, customer_id, options=_CUSTOMER_LOAD)
    return None if row is None else _customer(row)


def list_customers(session: Session) -> list[Customer]:
    """Every customer, by id."""
    query = _customer_query().order_by(CustomerRow.customer_id)
    return [_customer(r) for r in session.scalars(query)]
