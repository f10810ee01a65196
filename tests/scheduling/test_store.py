"""The storage API: plain objects round-trip exactly, plans switch atomically, on both backends."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select
from sqlalchemy.exc import IntegrityError

from scheduling.contract import CalendarDay
from scheduling.model import (
    Assessment,
    Channel,
    Customer,
    Engineer,
    Kind,
    Level,
    Office,
    OvertimeShift,
    PaidPeriod,
    Place,
    Plan,
    RequestStatus,
    Route,
    ServiceRequest,
    Unassigned,
    Unavailability,
    Urgency,
    Validity,
    Visit,
    Zone,
)
from scheduling.store import repository as repo
from scheduling.store.db import session_scope
from scheduling.store.models import PlanRow, RequestRow
from scheduling.store.types import AwareDateTime, Money

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 1)

OFFICE = Office("GZ", "Guangzhou office", "Guangzhou", "CN", 23.1291, 113.2644)
ENGINEER = Engineer("E01", "Chen Wei", "GZ", frozenset({"pms", "upgrade"}), "c@example.com")
CUSTOMER = Customer(
    customer_id="C001",
    name="Pearl River Hotel",
    city="Guangzhou",
    address="12 Yanjiang Road West",
    lat=23.117,
    lon=113.26,
    level=Level.A,
    licensed=True,
    purchase_date=date(2024, 5, 10),
    product_version="9.12",
    office_id="GZ",
    paid_periods=(PaidPeriod(date(2025, 5, 10), date(2027, 5, 9)),),
    custom_modules=frozenset({"banquet"}),
    contact_name="Ms Huang",
)


def _request(ref: str = "R-001", **changes) -> ServiceRequest:
    request = ServiceRequest(
        request_ref=ref,
        customer_id="C001",
        kind=Kind.ONSITE_SERVICE,
        subtype="troubleshoot",
        urgency=Urgency.P2,
        channel=Channel.HOTLINE,
        received_at=datetime(2026, 11, 27, 10, 15, tzinfo=SHANGHAI),
        duration_hours=Decimal("1.25"),
        required_skills=frozenset({"pms"}),
        window_start=date(2026, 11, 30),
        notes="front desk cannot check out",
    )
    return replace(request, **changes)


def _assessment(ref: str = "R-001", status: RequestStatus = RequestStatus.ACCEPTED) -> Assessment:
    return Assessment(
        request_ref=ref,
        status=status,
        reason_code="paid",
        reason="Within a paid period.",
        validity=Validity.PAID,
        zone=Zone.CITY,
        deadline=datetime(2026, 12, 1, 10, 15, tzinfo=SHANGHAI),
        priority=42,
        office_id="GZ",
    )


def _visit(ref: str = "R-001", session_no: int = 1, day: date = DAY, **changes) -> Visit:
    start = datetime.combine(day, time(10, 0), SHANGHAI)
    visit = Visit(
        request_ref=ref,
        engineer_id="E01",
        day=day,
        arrival=start - timedelta(minutes=5),
        start=start,
        end=start + timedelta(hours=1, minutes=15),
        travel_km=12.5,
        travel_minutes=25,
        deadline=datetime(2026, 12, 1, 10, 15, tzinfo=SHANGHAI),
        late=False,
        session=session_no,
    )
    return replace(visit, **changes)


def _plan(visits: tuple[Visit, ...], seed: int = 7) -> Plan:
    home = Place("home", 23.12, 113.32, "Chen Wei home")
    days: dict[tuple[str, date], list[Visit]] = {}
    for visit in visits:
        days.setdefault((visit.engineer_id, visit.day), []).append(visit)
    routes = tuple(
        Route(
            engineer_id=engineer_id,
            day=day,
            start_place=home,
            end_place=home,
            visit_keys=tuple(v.key for v in day_visits),
            departure=day_visits[0].arrival - timedelta(minutes=25),
            return_at=day_visits[-1].end + timedelta(minutes=25),
            return_km=12.5,
            return_minutes=25,
        )
        for (engineer_id, day), day_visits in days.items()
    )
    return Plan(
        visits=visits,
        routes=routes,
        unassigned=(Unassigned("R-002", "no_capacity", "No engineer free before the deadline."),),
        kpis={"visits": len(visits), "late": 0, "km": 25.0, "solver": "test"},
        seed=seed,
        created_at=datetime(2026, 11, 28, 8, 0, tzinfo=UTC),
    )


@pytest.fixture
def stocked(session):
    """A session with one office, engineer, customer and two accepted requests."""
    repo.upsert_offices(session, [OFFICE])
    repo.upsert_engineers(session, [ENGINEER])
    repo.upsert_customers(session, [CUSTOMER])
    for ref in ("R-001", "R-002"):
        repo.store_request(session, _request(ref), _assessment(ref))
    session.commit()
    return session


# --- column types ------------------------------------------------------------------------


def test_aware_datetime_and_money_round_trip(engine):
    """Aware datetimes come back as the same instant and money as the exact Decimal."""
    table = Table(
        "roundtrip_probe",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", AwareDateTime()),
        Column("amount", Money()),
    )
    table.create(engine)
    try:
        at = datetime(2026, 2, 14, 9, 30, tzinfo=SHANGHAI)
        with engine.begin() as connection:
            connection.execute(insert(table), [{"id": 1, "at": at, "amount": Decimal("1234.05")}])
            back = connection.execute(select(table.c.at, table.c.amount)).one()
        assert back.at == at and back.at.utcoffset() == timedelta(0)
        assert back.amount == Decimal("1234.05") and isinstance(back.amount, Decimal)
        with pytest.raises(Exception, match="naive datetime"), engine.begin() as connection:
            connection.execute(insert(table), [{"id": 2, "at": datetime(2026, 1, 1)}])
    finally:
        table.drop(engine)


def test_request_round_trips_exactly(stocked):
    """A stored request and its assessment read back equal: Decimal hours, aware times."""
    request, assessment = repo.get_request(stocked, "R-001")
    assert request == _request("R-001")
    assert request.duration_hours == Decimal("1.25")
    assert request.received_at.tzinfo is not None
    assert assessment == _assessment("R-001")


# --- reference data ----------------------------------------------------------------------


def test_reference_data_round_trips_and_upserts_are_idempotent(stocked):
    """Offices, engineers and customers read back equal; the same upsert twice changes nothing."""
    assert repo.list_offices(stocked) == [OFFICE]
    assert repo.list_engineers(stocked) == [ENGINEER]
    assert repo.get_customer(stocked, "C001") == CUSTOMER
    assert repo.get_customer(stocked, "nobody") is None
    again = repo.upsert_customers(stocked, [CUSTOMER])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_changed_customer_is_updated_with_its_periods_and_modules(stocked):
    """An upsert replaces a customer's paid periods and custom modules by the new ones."""
    changed = replace(
        CUSTOMER,
        paid_periods=(PaidPeriod(date(2027, 5, 10), date(2028, 5, 9)), *CUSTOMER.paid_periods),
        custom_modules=frozenset({"spa"}),
    )
    counts = repo.upsert_customers(stocked, [changed])
    assert counts.updated == 1
    back = repo.get_customer(stocked, "C001")
    assert back.custom_modules == frozenset({"spa"})
    assert [p.start for p in back.paid_periods] == [date(2025, 5, 10), date(2027, 5, 10)]


def test_calendar_exceptions_survive_an_offices_reload(stocked):
    """Office calendar days (with notes) stay when an offices file without them is reloaded."""
    repo.upsert_calendar_day(stocked, CalendarDay("GZ", date(2026, 12, 24), False, "outing"))
    assert repo.upsert_offices(stocked, [OFFICE]).unchanged == 1
    office = repo.list_offices(stocked)[0]
    assert office.extra_days_off == (date(2026, 12, 24),)
    assert repo.list_calendar_days(stocked)[0].note == "outing"


# --- requests ----------------------------------------------------------------------------


def test_request_changes_are_logged_field_by_field(stocked):
    """Storing a changed request logs each changed field with its old and new value."""
    outcome, changed = repo.store_request(
        stocked, _request(notes="now also the POS", urgency=Urgency.P1), _assessment()
    )
    assert outcome == "updated" and set(changed) == {"notes", "urgency"}
    log = {c.field: (c.old, c.new) for c in repo.request_changes(stocked, "R-001")}
    assert log == {
        "notes": ("front desk cannot check out", "now also the POS"),
        "urgency": ("P2", "P1"),
    }
    assert (
        repo.store_request(
            stocked, _request(notes="now also the POS", urgency=Urgency.P1), _assessment()
        )[0]
        == "unchanged"
    )


def test_received_at_in_another_offset_is_the_same_request(stocked):
    """The same instant written with another UTC offset is not a change."""
    same = _request(received_at=_request().received_at.astimezone(UTC))
    assert repo.store_request(stocked, same, _assessment()) == ("unchanged", [])


def test_withdrawn_request_leaves_the_problem(stocked):
    """A withdrawn request is no longer offered to the planner, and the withdrawal is logged."""
    repo.withdraw_request(stocked, "R-002", "customer fixed it remotely")
    problem = repo.load_problem(stocked, DAY)
    assert [r.request_ref for r in problem.requests] == ["R-001"]
    assert repo.request_changes(stocked, "R-002")[-1].new == "withdrawn"
    with pytest.raises(KeyError):
        repo.withdraw_request(stocked, "R-404", "never existed")


# --- plans -------------------------------------------------------------------------------


def test_saved_plan_reads_back_equal_and_is_active(stocked):
    """A saved plan becomes the active plan and reads back equal to what was saved."""
    plan = _plan((_visit("R-001"),))
    plan_id = repo.save_plan(stocked, plan, DAY)
    stocked.commit()
    assert repo.active_plan_id(stocked) == plan_id
    assert repo.active_plan(stocked) == plan
    assert repo.plan_by_id(stocked, plan_id) == plan
    assert repo.plan_by_id(stocked, plan_id + 100) is None


def test_new_plan_supersedes_the_previous_one(stocked):
    """Saving a second plan supersedes the first; exactly one plan stays active."""
    first = repo.save_plan(stocked, _plan((_visit("R-001"),)), DAY)
    second = repo.save_plan(stocked, _plan((_visit("R-002"),), seed=8), DAY)
    stocked.commit()
    assert repo.plan_status(stocked, first) == "superseded"
    assert repo.plan_status(stocked, second) == "active"
    assert stocked.scalar(select(func.count()).where(PlanRow.status == "active")) == 1


def test_failed_save_keeps_the_previous_plan_active(engine, stocked):
    """A plan that fails half-way (unknown engineer) leaves the previous plan active, no trace."""
    first = repo.save_plan(stocked, _plan((_visit("R-001"),)), DAY)
    stocked.commit()
    broken = _plan((_visit("R-002"), _visit("R-001", engineer_id="E404")))
    with pytest.raises(IntegrityError), session_scope(engine) as other:
        repo.save_plan(other, broken, DAY)
    with session_scope(engine) as fresh:
        assert repo.active_plan_id(fresh) == first
        assert fresh.scalar(select(func.count()).select_from(PlanRow)) == 1


def test_two_active_plans_are_impossible(stocked):
    """The database itself refuses a second active plan."""
    repo.save_plan(stocked, _plan((_visit("R-001"),)), DAY)
    stocked.commit()
    stocked.add(
        PlanRow(created_at=datetime.now(UTC), seed=0, status="active", kpis={}, horizon_start=DAY)
    )
    with pytest.raises(IntegrityError):
        stocked.flush()


def test_committed_visit_states_carry_over_and_pin(stocked):
    """A confirmed visit stays confirmed in the next plan and is pinned in the next problem."""
    repo.save_plan(stocked, _plan((_visit("R-001"), _visit("R-002", day=DAY + timedelta(1)))), DAY)
    repo.set_visit_state(stocked, "R-001", 1, "confirmed")
    problem = repo.load_problem(stocked, DAY)
    assert [v.key for v in problem.pinned] == [("R-001", 1)]
    assert len(problem.previous) == 2
    repo.save_plan(stocked, _plan((_visit("R-001", pinned=True), _visit("R-002"))), DAY)
    assert repo.visit_states(stocked) == {("R-001", 1): "confirmed", ("R-002", 1): "planned"}
    with pytest.raises(ValueError, match="visit state"):
        repo.set_visit_state(stocked, "R-001", 1, "teleported")
    with pytest.raises(KeyError):
        repo.set_visit_state(stocked, "R-404", 1, "done")


def test_done_requests_leave_the_problem(stocked):
    """A request whose every session is done is not planned again."""
    repo.save_plan(stocked, _plan((_visit("R-001"),)), DAY)
    repo.set_visit_state(stocked, "R-001", 1, "done")
    problem = repo.load_problem(stocked, DAY)
    assert [r.request_ref for r in problem.requests] == ["R-002"]
    assert [a.request_ref for a in problem.assessments] == ["R-002"]


def test_problem_holds_the_planning_input(stocked):
    """load_problem gathers reference data, open requests, absences and overtime from `start`."""
    repo.store_request(stocked, _request("R-003"), _assessment("R-003", RequestStatus.HELD))
    assert repo.record_unavailability(stocked, Unavailability("E01", DAY, DAY, "leave"))
    assert not repo.record_unavailability(stocked, Unavailability("E01", DAY, DAY, "leave"))
    repo.record_unavailability(stocked, Unavailability("E01", date(2026, 1, 1), date(2026, 1, 2)))
    repo.record_overtime(stocked, OvertimeShift("E01", date(2026, 12, 5)))
    problem = repo.load_problem(stocked, DAY)
    assert problem.offices == (OFFICE,) and problem.engineers == (ENGINEER,)
    assert problem.customers == (CUSTOMER,)
    assert [r.request_ref for r in problem.requests] == ["R-001", "R-002"]  # held waits
    assert problem.unavailable == (Unavailability("E01", DAY, DAY, "leave"),)
    assert problem.overtime == (OvertimeShift("E01", date(2026, 12, 5)),)
    assert problem.start == DAY and problem.pinned == () and problem.previous == ()
    with pytest.raises(ValueError, match="before start"):
        repo.record_unavailability(stocked, Unavailability("E01", DAY, DAY - timedelta(1)))


def test_request_ref_is_unique(stocked):
    """Two requests with the same reference cannot both be stored."""
    row = stocked.get(RequestRow, "R-001")
    stocked.expunge(row)
    from sqlalchemy.orm import make_transient

    make_transient(row)
    stocked.add(row)
    with pytest.raises(IntegrityError):
        stocked.flush()


def test_times_come_back_on_the_local_clock(stocked):
    """Visit and request times read back in the office's time zone, not in UTC."""
    repo.save_plan(stocked, _plan((_visit("R-001"),)), DAY)
    visit = repo.active_plan(stocked).visits[0]
    assert visit.start.utcoffset() == timedelta(hours=8) and visit.start.hour == 10
    request, assessment = repo.get_request(stocked, "R-001")
    assert request.received_at.utcoffset() == timedelta(hours=8)
    assert request.received_at.hour == 10 and assessment.deadline.hour == 10
