"""The planning instance: engineer shifts, visit tasks and vehicles, in whole minutes.

Time is counted in minutes from midnight of the horizon's first day in the policy's time
zone, so every office's shifts and every deadline sit on one axis. The horizon is the next
`planner.horizon_working_days` working days of each engineer's office calendar
(:func:`scheduling.calendars.calendar_for`), plus overtime shifts a dispatcher opened.

Vehicles are engineer-days (home -> stops -> home). Multi-session trainings and out-of-town
visits that need a night away are booked before the routing search as blocks of
consecutive days (:mod:`scheduling.planner_training`, :mod:`scheduling.planner_trips`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduling.calendars import WorkingCalendar, calendar_for
from scheduling.model import (
    Assessment,
    Customer,
    Engineer,
    Office,
    Problem,
    RequestStatus,
    ServiceRequest,
    Visit,
    Zone,
)
from scheduling.policy import Policy
from scheduling.travel import Point, TravelProvider
from scheduling.zones import request_zone

MINUTES_PER_DAY = 1440
PLANNABLE = (RequestStatus.ACCEPTED, RequestStatus.EXPIRED)


@dataclass(frozen=True, slots=True)
class ShiftSpan:
    """One engineer's working period on one day, in model minutes."""

    day: date
    start: int
    end: int
    lunch: tuple[int, int] | None
    overtime: bool = False


@dataclass(frozen=True, slots=True)
class Task:
    """One visit to plan: a request, or one session of a multi-day training."""

    request_ref: str
    session: int
    sessions: int
    customer_id: str
    point: Point
    service: int  # minutes on site
    earliest: int  # earliest start (received, window start)
    latest: int  # latest start (window end, horizon end)
    deadline: datetime | None
    deadline_min: int | None
    priority: int
    expired: bool
    emergency: bool
    engineers: tuple[str, ...]  # engineers holding every required skill
    pinned: Visit | None = None

    @property
    def key(self) -> tuple[str, int]:
        """(request_ref, session)."""
        return (self.request_ref, self.session)


@dataclass(frozen=True, slots=True)
class Vehicle:
    """An engineer-day: from home through the day's visits back home, inside the shift."""

    engineer_id: str
    day: date
    kind: str  # "day" (home -> home) or "travel" (to or from a hotel: a TravelDay)
    start_point: Point
    end_point: Point
    shift: ShiftSpan


@dataclass(frozen=True, slots=True)
class TravelDay:
    """A booked day whose only fixed part is a journey: the return day of a trip with no
    visit on it (hotel -> home), or the day before or after a training away from home
    (home -> hotel, hotel -> home). The routing search may add visits on the way; the day
    is reported even without them, since the engineer travels anyway."""

    engineer_id: str
    day: date
    start: Point
    end: Point


@dataclass
class Context:
    """Lookups and time conversions shared by the planner's modules."""

    problem: Problem
    policy: Policy
    travel: TravelProvider
    tz: ZoneInfo
    origin: datetime
    requests: dict[str, ServiceRequest]
    customers: dict[str, Customer]
    assessments: dict[str, Assessment]
    engineers: dict[str, Engineer]
    offices: dict[str, Office]
    calendars: dict[str, WorkingCalendar]
    shifts: dict[str, dict[date, ShiftSpan]] = field(default_factory=dict)
    last_day: date | None = None
    # day_trippers per task key: asked by the trips, the demand and the reasons alike
    day_trips: dict[tuple[str, int], dict[str, tuple[int, int]]] = field(default_factory=dict)

    def minute(self, moment: datetime) -> int:
        """Whole minutes from the horizon origin to `moment` (aware), rounded down."""
        return math.floor((moment - self.origin).total_seconds() / 60)

    def at(self, minute: int) -> datetime:
        """The aware datetime (policy time zone) of a model minute."""
        return (self.origin + timedelta(minutes=minute)).astimezone(self.tz)

    @property
    def horizon(self) -> int:
        """Minutes from the origin to the end of the horizon's last day."""
        assert self.last_day is not None
        return ((self.last_day - self.problem.start).days + 1) * MINUTES_PER_DAY

    def home(self, engineer_id: str) -> Point:
        """An engineer's home (the office when no home is recorded)."""
        engineer = self.engineers[engineer_id]
        office = self.offices[engineer.office_id]
        lat = engineer.home_lat if engineer.home_lat is not None else office.lat
        lon = engineer.home_lon if engineer.home_lon is not None else office.lon
        return Point(f"home:{engineer_id}", lat, lon)

    def customer_point(self, customer_id: str) -> Point:
        """The customer's site."""
        customer = self.customers[customer_id]
        return Point(f"customer:{customer_id}", customer.lat, customer.lon)

    def zone(self, request_ref: str) -> Zone:
        """The zone of the request's customer: the assessment's, else derived as billing
        derives it (:func:`scheduling.zones.request_zone`)."""
        customer = self.customers[self.requests[request_ref].customer_id]
        offices = tuple(self.offices.values())
        return request_zone(self.assessments.get(request_ref), customer, offices, self.policy)

    def calendar_of(self, engineer_id: str) -> WorkingCalendar:
        """The working calendar of the engineer's office."""
        return self.calendars[self.engineers[engineer_id].office_id]


def build_context(problem: Problem, policy: Policy, travel: TravelProvider) -> Context:
    """Index the problem and compute every engineer's shifts in the horizon."""
    tz = policy.general.tz
    ctx = Context(
        problem=problem,
        policy=policy,
        travel=travel,
        tz=tz,
        origin=datetime.combine(problem.start, time(0), tzinfo=tz),
        requests={r.request_ref: r for r in problem.requests},
        customers={c.customer_id: c for c in problem.customers},
        assessments={a.request_ref: a for a in problem.assessments},
        engineers={e.engineer_id: e for e in problem.engineers},
        offices={o.office_id: o for o in problem.offices},
        calendars={o.office_id: calendar_for(o, policy) for o in problem.offices},
    )
    for engineer in problem.engineers:
        if engineer.office_id not in ctx.offices:
            raise ValueError(
                f"engineer {engineer.engineer_id} names unknown office {engineer.office_id!r}"
            )
    last = problem.start
    for engineer in problem.engineers:
        ctx.shifts[engineer.engineer_id] = engineer_shifts(ctx, engineer)
        if ctx.shifts[engineer.engineer_id]:
            last = max(last, max(ctx.shifts[engineer.engineer_id]))
    ctx.last_day = last
    return ctx


def _span(ctx: Context, day: date, start: datetime, end: datetime, lunch, overtime: bool):
    lunch_min = (ctx.minute(lunch[0]), ctx.minute(lunch[1])) if lunch else None
    return ShiftSpan(day, ctx.minute(start), ctx.minute(end), lunch_min, overtime)


def engineer_shifts(ctx: Context, engineer: Engineer) -> dict[date, ShiftSpan]:
    """POLICY.md 4: the engineer's shifts: horizon working days minus unavailability, plus
    overtime shifts on non-working days (usable by emergency requests only)."""
    calendar = ctx.calendars[engineer.office_id]
    days = calendar.working_days_from(ctx.problem.start, ctx.policy.planner.horizon_working_days)
    off = [u for u in ctx.problem.unavailable if u.engineer_id == engineer.engineer_id]
    shifts: dict[date, ShiftSpan] = {}
    for day in days:
        if any(u.start <= day <= u.end for u in off):
            continue
        shift = calendar.shift(day)
        shifts[day] = _span(ctx, day, shift.start, shift.end, shift.lunch, False)
    for extra in ctx.problem.overtime:
        if extra.engineer_id != engineer.engineer_id or extra.day in shifts:
            continue
        if not (ctx.problem.start <= extra.day <= days[-1]) or calendar.is_working_day(extra.day):
            continue
        start = datetime.combine(extra.day, extra.start, tzinfo=calendar.tz)
        end = datetime.combine(extra.day, extra.end, tzinfo=calendar.tz)
        lunch = calendar.shift(extra.day).lunch
        if lunch and not (start <= lunch[0] and lunch[1] <= end):
            lunch = None
        shifts[extra.day] = _span(ctx, extra.day, start, end, lunch, True)
    return dict(sorted(shifts.items()))


def spans_lunch(service: int, shift: ShiftSpan) -> bool:
    """POLICY.md 4 lunch: a visit longer than the longest lunch-free stretch of the shift
    spans lunch, which the engineer then takes on site inside the visit."""
    if shift.lunch is None:
        return False
    stretch = max(shift.lunch[0] - shift.start, shift.end - shift.lunch[1])
    return service > stretch


def pauses_for_lunch(service: int, shift: ShiftSpan, start: int) -> bool:
    """True when a visit of `service` minutes started at `start` is running when the lunch
    break begins and is not a long one (:func:`spans_lunch`): the engineer stops for the
    break and finishes after it."""
    if shift.lunch is None or spans_lunch(service, shift):
        return False
    return start < shift.lunch[0] < start + service


def session_end(task: Task, shift: ShiftSpan, start: int) -> int:
    """The end of a visit started at `start`: its service time, plus the lunch break when
    it pauses for it (POLICY.md 4 lunch; a long visit holds the break inside its time)."""
    end = start + task.service
    if pauses_for_lunch(task.service, shift, start):
        end += shift.lunch[1] - shift.lunch[0]  # type: ignore[index]
    return end


def session_start(task: Task, shift: ShiftSpan, arrival: int) -> int | None:
    """The earliest start at or after `arrival` that respects the lunch rule and the
    shift, or None when the session does not fit the day.

    Lunch rule: no work starts during the break; a visit running when it begins pauses
    for it (:func:`session_end`); a visit longer than the longest lunch-free stretch
    (:func:`spans_lunch`) contains the whole break, taken on site within its time."""
    start = max(arrival, task.earliest, shift.start)
    if shift.lunch is not None:
        l0, l1 = shift.lunch
        if spans_lunch(task.service, shift):
            if start > l0 or start + task.service < l1:
                return None
        elif l0 <= start < l1:
            start = l1
    if start > task.latest or session_end(task, shift, start) > shift.end:
        return None
    return start


def day_trip_fits(task: Task, shift: ShiftSpan, there: int, back: int) -> bool:
    """True when one shift can hold leaving at its start, travelling `there` minutes, the
    visit (lunch rule included) and `back` minutes to the end place."""
    start = session_start(task, shift, shift.start + there)
    return start is not None and session_end(task, shift, start) + back <= shift.end


def nearest_engineers(ctx: Context, task: Task) -> list[str]:
    """The skilled engineers the booking passes consider for `task`: the nearest
    ``planner.training_candidate_engineers`` of them from home (ties by id)."""
    limit = ctx.policy.planner.training_candidate_engineers
    ranked = sorted(task.engineers, key=lambda e: (ctx.travel.leg(ctx.home(e), task.point)[0], e))
    return ranked[:limit]


def day_trippers(ctx: Context, task: Task) -> dict[str, tuple[int, int]]:
    """The skilled engineers who can do `task` as a day trip from home on at least one of
    their shifts, with their travel minutes (there, back)."""
    known = ctx.day_trips.get(task.key)
    if known is not None:
        return known
    out = {}
    for eid in sorted(task.engineers):
        home = ctx.home(eid)
        legs = (ctx.travel.leg(home, task.point)[1], ctx.travel.leg(task.point, home)[1])
        shifts = ctx.shifts[eid].values()
        longest = max((shift.end - shift.start for shift in shifts), default=0)
        if legs[0] + task.service + legs[1] > longest:
            continue  # cannot fit any shift, lunch or not
        if any(day_trip_fits(task, shift, *legs) for shift in shifts):
            out[eid] = legs
    ctx.day_trips[task.key] = out
    return out


def service_minutes(request: ServiceRequest) -> int:
    """Minutes on site of one visit (one session of a training), rounded up."""
    return math.ceil(float(request.duration_hours) * 60)


def request_window(ctx: Context, request: ServiceRequest) -> tuple[int, int]:
    """[earliest start, latest start] in model minutes: received and the customer's dates."""
    office = ctx.offices.get((ctx.assessments[request.request_ref].office_id or ""), None)
    tz = ZoneInfo(office.timezone) if office else ctx.tz
    earliest = max(0, ctx.minute(request.received_at))
    if request.window_start is not None:
        earliest = max(earliest, ctx.minute(datetime.combine(request.window_start, time(0), tz)))
    latest = ctx.horizon
    if request.window_end is not None:
        end_of_day = datetime.combine(request.window_end + timedelta(days=1), time(0), tz)
        latest = min(latest, ctx.minute(end_of_day) - 1)
    return earliest, latest


def make_tasks(ctx: Context) -> tuple[list[Task], dict[str, tuple[str, str]]]:
    """Tasks for every plannable request, and (code, sentence) for those that cannot be.

    Requests that intake did not accept (held, refused, withdrawn) and requests no engineer
    is skilled for are answered here; everything else becomes one task per session.
    """
    pinned = {v.key: v for v in ctx.problem.pinned}
    tasks: list[Task] = []
    rejected: dict[str, tuple[str, str]] = {}
    for request in ctx.problem.requests:
        ref = request.request_ref
        assessment = ctx.assessments.get(ref)
        if assessment is None:
            raise ValueError(f"request {ref} has no assessment; run intake first")
        if request.customer_id not in ctx.customers:
            raise ValueError(f"request {ref} names unknown customer {request.customer_id!r}")
        if assessment.status not in PLANNABLE:
            rejected[ref] = (str(assessment.status), f"not planned: {assessment.reason}")
            continue
        skilled = tuple(
            sorted(
                e.engineer_id for e in ctx.problem.engineers if request.required_skills <= e.skills
            )
        )
        if not skilled:
            skills = ", ".join(sorted(request.required_skills))
            rejected[ref] = (
                "no_skilled_engineer",
                f"no engineer holds every required skill ({skills})",
            )
            continue
        earliest, latest = request_window(ctx, request)
        expired = assessment.status is RequestStatus.EXPIRED
        deadline = None if expired else assessment.deadline
        point = ctx.customer_point(request.customer_id)
        for session in range(1, max(1, request.sessions) + 1):
            tasks.append(
                Task(
                    request_ref=ref,
                    session=session,
                    sessions=max(1, request.sessions),
                    customer_id=request.customer_id,
                    point=point,
                    service=service_minutes(request),
                    earliest=earliest,
                    latest=latest,
                    deadline=deadline,
                    deadline_min=ctx.minute(deadline) if deadline is not None else None,
                    priority=max(0, assessment.priority),
                    expired=expired,
                    emergency=request.emergency,
                    engineers=skilled,
                    pinned=pinned.get((ref, session)),
                )
            )
    return tasks, rejected


def make_vehicles(
    ctx: Context, busy: set[tuple[str, date]], travel_days: Iterable[TravelDay] = ()
) -> list[Vehicle]:
    """One vehicle per engineer-day shift not already taken by a booked block, and one
    ``"travel"`` vehicle (from its start to its end place) per travel day."""
    journeys = {(t.engineer_id, t.day): t for t in travel_days}
    vehicles: list[Vehicle] = []
    for engineer in ctx.problem.engineers:
        eid = engineer.engineer_id
        home = ctx.home(eid)
        for day, shift in ctx.shifts[eid].items():
            if (eid, day) in journeys:
                journey = journeys[eid, day]
                vehicles.append(Vehicle(eid, day, "travel", journey.start, journey.end, shift))
            elif (eid, day) not in busy:
                vehicles.append(Vehicle(eid, day, "day", home, home, shift))
    return vehicles


def one_night(day: date, nxt: date) -> bool:
    """True when a night away between working days `day` and `nxt` is one night: over a
    weekend or a holiday the engineer would stay at the hotel for the days off (three
    nights from a Friday), which no dispatcher books for a trip or a travel day."""
    return (nxt - day).days == 1
