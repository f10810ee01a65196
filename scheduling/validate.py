"""An independent check of any plan against its input (issue 4).

The validator shares no code with the planner: it reads the Problem, the policy and the
plan, recomputes shifts from the calendars and travel from the travel provider, and lists
every broken rule. One function per rule; :func:`validate_plan` runs them all and
:func:`assert_valid` raises when any is broken. The planner runs it before returning.

Rules: every request planned or unassigned exactly once; skills; shifts (working days, or
an overtime shift for an emergency); lunch; no overlaps, one route per engineer-day;
travel (arrival = previous end + travel, start >= arrival, end = start + duration, return
within the shift); customer windows; deadlines and the late flag; pinned visits unchanged;
multi-day trainings on consecutive working days by one engineer; hotel nights chain into
the next working day.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from scheduling.calendars import WorkingCalendar, calendar_for
from scheduling.model import Place, Plan, Problem, RequestStatus, Route, Visit
from scheduling.policy import Policy
from scheduling.travel import GreatCircleTravel, Point, TravelProvider

KM_TOLERANCE = 0.01


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: which rule, what is wrong, and where."""

    rule: str
    message: str
    request_ref: str | None = None
    engineer_id: str | None = None

    def __str__(self) -> str:
        where = " ".join(x for x in (self.request_ref, self.engineer_id) if x)
        return (
            f"[{self.rule}] {where}: {self.message}" if where else f"[{self.rule}] {self.message}"
        )


class InvalidPlan(AssertionError):
    """A plan that breaks at least one rule; `violations` lists them."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        super().__init__("\n".join(str(v) for v in violations))


@dataclass(frozen=True, slots=True)
class _Shift:
    start: datetime
    end: datetime
    lunch: tuple[datetime, datetime] | None
    overtime: bool


class _Input:
    """The problem indexed for checking."""

    def __init__(self, problem: Problem, policy: Policy, travel: TravelProvider) -> None:
        self.problem, self.policy, self.travel = problem, policy, travel
        self.requests = {r.request_ref: r for r in problem.requests}
        self.assessments = {a.request_ref: a for a in problem.assessments}
        self.customers = {c.customer_id: c for c in problem.customers}
        self.engineers = {e.engineer_id: e for e in problem.engineers}
        self.offices = {o.office_id: o for o in problem.offices}
        self._calendars: dict[str, WorkingCalendar] = {}

    def calendar(self, engineer_id: str) -> WorkingCalendar:
        office = self.engineers[engineer_id].office_id
        if office not in self._calendars:
            self._calendars[office] = calendar_for(self.offices[office], self.policy)
        return self._calendars[office]

    def shift(self, engineer_id: str, day: date) -> _Shift | None:
        """The engineer's shift that day: a working day not marked unavailable, else an
        overtime shift a dispatcher opened; None when the engineer does not work."""
        calendar = self.calendar(engineer_id)
        away = any(
            u.engineer_id == engineer_id and u.start <= day <= u.end
            for u in self.problem.unavailable
        )
        if calendar.is_working_day(day) and not away:
            s = calendar.shift(day)
            return _Shift(s.start, s.end, s.lunch, False)
        for extra in self.problem.overtime:
            if extra.engineer_id == engineer_id and extra.day == day and not away:
                start = datetime.combine(day, extra.start, tzinfo=calendar.tz)
                end = datetime.combine(day, extra.end, tzinfo=calendar.tz)
                lunch = calendar.shift(day).lunch
                if lunch and not (start <= lunch[0] and lunch[1] <= end):
                    lunch = None
                return _Shift(start, end, lunch, True)
        return None

    def duration(self, request_ref: str) -> timedelta:
        hours = self.requests[request_ref].duration_hours
        return timedelta(minutes=math.ceil(float(hours) * 60))

    def site(self, request_ref: str) -> Point:
        customer = self.customers[self.requests[request_ref].customer_id]
        return Point(f"customer:{customer.customer_id}", customer.lat, customer.lon)

    def place(self, place: Place, engineer_id: str) -> Point:
        return Point(place.label or f"{place.kind}:{engineer_id}", place.lat, place.lon)

    def home(self, engineer_id: str) -> tuple[float, float]:
        engineer = self.engineers[engineer_id]
        office = self.offices[engineer.office_id]
        return (
            engineer.home_lat if engineer.home_lat is not None else office.lat,
            engineer.home_lon if engineer.home_lon is not None else office.lon,
        )

    def local_day(self, moment: datetime, request_ref: str) -> date:
        office_id = (
            self.assessments[request_ref].office_id if request_ref in self.assessments else None
        )
        office = self.offices.get(office_id or "")
        tz = ZoneInfo(office.timezone) if office else self.policy.general.tz
        return moment.astimezone(tz).date()


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def requests_accounted(plan: Plan, data: _Input) -> list[Violation]:
    """Every request's sessions are each planned or unassigned exactly once; no visit for
    an unknown or unplannable request (unless pinned)."""
    out: list[Violation] = []
    seen: dict[tuple[str, int], int] = defaultdict(int)
    for visit in plan.visits:
        seen[visit.key] += 1
        request = data.requests.get(visit.request_ref)
        if request is None:
            if not visit.pinned:
                out.append(Violation("requests", "visit of an unknown request", visit.request_ref))
            continue
        assessment = data.assessments.get(visit.request_ref)
        status = assessment.status if assessment else None
        plannable = status in (RequestStatus.ACCEPTED, RequestStatus.EXPIRED)
        if not plannable and not visit.pinned:
            out.append(
                Violation("requests", f"visit of a request with status {status}", visit.request_ref)
            )
        if not 1 <= visit.session <= max(1, request.sessions):
            out.append(
                Violation("requests", f"session {visit.session} does not exist", visit.request_ref)
            )
    for key, count in seen.items():
        if count > 1:
            out.append(Violation("requests", f"session {key[1]} planned {count} times", key[0]))
    listed: dict[str, list] = defaultdict(list)
    for entry in plan.unassigned:
        listed[entry.request_ref].append(entry.session)
        if not entry.reason_code or not entry.reason:
            out.append(
                Violation(
                    "requests", "unassigned without reason code and sentence", entry.request_ref
                )
            )
    for ref, request in data.requests.items():
        for session in range(1, max(1, request.sessions) + 1):
            planned = seen.get((ref, session), 0)
            unplanned = sum(1 for s in listed.get(ref, []) if s is None or s == session)
            if planned + unplanned != 1:
                out.append(
                    Violation(
                        "requests",
                        f"session {session}: planned {planned} and unassigned {unplanned} times "
                        "(exactly one expected)",
                        ref,
                    )
                )
    for ref in listed:
        if ref not in data.requests:
            out.append(Violation("requests", "unassigned entry of an unknown request", ref))
    return out


def skills(plan: Plan, data: _Input) -> list[Violation]:
    """Each visit's engineer holds every skill the request requires (POLICY.md 3)."""
    out = []
    for visit in plan.visits:
        request = data.requests.get(visit.request_ref)
        engineer = data.engineers.get(visit.engineer_id)
        if engineer is None:
            out.append(
                Violation("skills", "unknown engineer", visit.request_ref, visit.engineer_id)
            )
            continue
        if request is not None and not request.required_skills <= engineer.skills:
            missing = sorted(request.required_skills - engineer.skills)
            out.append(
                Violation(
                    "skills", f"engineer lacks {missing}", visit.request_ref, visit.engineer_id
                )
            )
    return out


def shifts(plan: Plan, data: _Input) -> list[Violation]:
    """Routes lie inside the engineer's shift of their day: a working day, or an overtime
    shift serving only emergency requests (POLICY.md 4). A route of pinned visits only
    (confirmed, in progress or done) stands as it is."""
    out = []
    visits = {v.key: v for v in plan.visits}
    for route in plan.routes:
        eid = route.engineer_id
        if eid not in data.engineers:
            out.append(Violation("shifts", f"route of unknown engineer on {route.day}", None, eid))
            continue
        shift = data.shift(eid, route.day)
        facts = bool(route.visit_keys) and all(
            key in visits and visits[key].pinned for key in route.visit_keys
        )
        if facts:
            continue  # pinned visits are commitments or history: they stand as they are
        if shift is None:
            out.append(Violation("shifts", f"works on {route.day}, not a shift day", None, eid))
            continue
        if route.departure < shift.start or route.return_at > shift.end:
            out.append(
                Violation(
                    "shifts",
                    f"{route.day}: out {route.departure.time()}-{route.return_at.time()} leaves "
                    f"the shift {shift.start.time()}-{shift.end.time()}",
                    None,
                    eid,
                )
            )
        for key in route.visit_keys:
            visit = visits.get(key)
            if visit is None:
                continue
            request = data.requests.get(visit.request_ref)
            if (
                shift.overtime
                and request is not None
                and not request.emergency
                and not visit.pinned
            ):
                out.append(
                    Violation(
                        "shifts", "overtime shift used for a non-emergency", visit.request_ref, eid
                    )
                )
            if visit.start < shift.start or visit.end > shift.end:
                out.append(Violation("shifts", "visit outside the shift", visit.request_ref, eid))
    return out


def _wall_time(visit: Visit, data: _Input) -> timedelta:
    """The visit's duration on site, plus the lunch break when it pauses for it: it is
    running when the break begins and is not longer than the longest lunch-free stretch
    (a longer one holds the break inside its time)."""
    duration = data.duration(visit.request_ref)
    shift = data.shift(visit.engineer_id, visit.day)
    if shift is None or shift.lunch is None:
        return duration
    l0, l1 = shift.lunch
    stretch = max(l0 - shift.start, shift.end - l1)
    if duration <= stretch and visit.start < l0 < visit.start + duration:
        return duration + (l1 - l0)
    return duration


def lunch(plan: Plan, data: _Input) -> list[Violation]:
    """A visit that overlaps the lunch break contains all of it (POLICY.md 4): no work
    starts during the break; a visit running when it begins pauses for it (and lasts the
    break longer, see :func:`travel`), a long one holds it inside its time."""
    out = []
    for visit in plan.visits:
        if visit.engineer_id not in data.engineers:
            continue
        shift = data.shift(visit.engineer_id, visit.day)
        if shift is None or shift.lunch is None:
            continue
        l0, l1 = shift.lunch
        if not (visit.start < l1 and visit.end > l0):
            continue
        if not (visit.start <= l0 and visit.end >= l1):
            out.append(
                Violation(
                    "lunch",
                    f"{visit.start.time()}-{visit.end.time()} overlaps lunch "
                    f"{l0.time()}-{l1.time()}",
                    visit.request_ref,
                    visit.engineer_id,
                )
            )
    return out


def overlaps(plan: Plan, data: _Input) -> list[Violation]:
    """One route per engineer-day holding exactly that engineer-day's visits, in time
    order, without overlaps."""
    out = []
    routes: dict[tuple[str, date], Route] = {}
    for route in plan.routes:
        if (route.engineer_id, route.day) in routes:
            out.append(Violation("overlaps", f"two routes on {route.day}", None, route.engineer_id))
        routes[(route.engineer_id, route.day)] = route
    by_day: dict[tuple[str, date], list[Visit]] = defaultdict(list)
    for visit in plan.visits:
        by_day[(visit.engineer_id, visit.day)].append(visit)
        if visit.start.astimezone(data.calendar(visit.engineer_id).tz).date() != visit.day:
            out.append(
                Violation("overlaps", "visit starts on another day than its day", visit.request_ref)
            )
    for key, group in by_day.items():
        group.sort(key=lambda v: v.start)
        route = routes.get(key)
        if route is None or list(route.visit_keys) != [v.key for v in group]:
            out.append(
                Violation(
                    "overlaps", f"route of {key[1]} does not list its visits in order", None, key[0]
                )
            )
        for a, b in itertools.pairwise(group):
            if b.start < a.end:
                out.append(
                    Violation("overlaps", f"overlaps {a.request_ref}", b.request_ref, key[0])
                )
    for key, route in routes.items():
        if route.visit_keys and key not in by_day:
            out.append(
                Violation("overlaps", f"route of {key[1]} lists missing visits", None, key[0])
            )
    return out


def travel(plan: Plan, data: _Input) -> list[Violation]:
    """Times add up: arrival = previous end (or departure) + travel; start >= arrival;
    end = start + duration; return = last end + travel home or to the hotel; km and
    minutes are the travel provider's; a home is the engineer's home."""
    out = []
    visits = {v.key: v for v in plan.visits}
    for route in plan.routes:
        eid = route.engineer_id
        if eid not in data.engineers:
            continue
        for place in (route.start_place, route.end_place):
            if place.kind == "home" and (place.lat, place.lon) != data.home(eid):
                out.append(
                    Violation(
                        "travel", f"{route.day}: 'home' is not the engineer's home", None, eid
                    )
                )
        prev = data.place(route.start_place, eid)
        prev_end = route.departure
        for key in route.visit_keys:
            visit = visits.get(key)
            if visit is None or visit.request_ref not in data.requests:
                prev = None
                continue
            site = data.site(visit.request_ref)
            if prev is not None:
                km, minutes = data.travel.leg(prev, site)
                if visit.travel_minutes != minutes or abs(visit.travel_km - km) > KM_TOLERANCE:
                    out.append(
                        Violation(
                            "travel",
                            f"travel {visit.travel_km} km/{visit.travel_minutes} min, "
                            f"expected {km:.3f} km/{minutes} min",
                            visit.request_ref,
                            eid,
                        )
                    )
                if _minutes(visit.arrival - prev_end) != minutes:
                    out.append(
                        Violation(
                            "travel", "arrival is not previous end + travel", visit.request_ref, eid
                        )
                    )
            if visit.start < visit.arrival:
                out.append(Violation("travel", "starts before arriving", visit.request_ref, eid))
            if visit.end - visit.start != _wall_time(visit, data):
                out.append(
                    Violation("travel", "end is not start + duration", visit.request_ref, eid)
                )
            prev, prev_end = site, visit.end
        if prev is not None:
            km, minutes = data.travel.leg(prev, data.place(route.end_place, eid))
            if route.return_minutes != minutes or abs(route.return_km - km) > KM_TOLERANCE:
                out.append(
                    Violation("travel", f"{route.day}: return leg is not the provider's", None, eid)
                )
            if _minutes(route.return_at - prev_end) != minutes:
                out.append(
                    Violation("travel", f"{route.day}: return is not last end + travel", None, eid)
                )
    return out


def windows(plan: Plan, data: _Input) -> list[Violation]:
    """No visit starts before the request was received, nor outside the customer's
    acceptable dates."""
    out = []
    for visit in plan.visits:
        request = data.requests.get(visit.request_ref)
        if request is None:
            continue
        if visit.start < request.received_at and not visit.pinned:
            out.append(
                Violation("windows", "starts before the request was received", visit.request_ref)
            )
        day = data.local_day(visit.start, visit.request_ref)
        if request.window_start is not None and day < request.window_start:
            out.append(
                Violation(
                    "windows",
                    f"{day} is before the window {request.window_start}",
                    visit.request_ref,
                )
            )
        if request.window_end is not None and day > request.window_end:
            out.append(
                Violation(
                    "windows", f"{day} is after the window {request.window_end}", visit.request_ref
                )
            )
    return out


def deadlines(plan: Plan, data: _Input) -> list[Violation]:
    """Each visit carries its request's deadline (none for expired requests) and is
    flagged late exactly when the engineer arrives after it."""
    out = []
    for visit in plan.visits:
        assessment = data.assessments.get(visit.request_ref)
        if assessment is None:
            continue
        expected = assessment.deadline if assessment.status is RequestStatus.ACCEPTED else None
        if visit.deadline != expected:
            out.append(
                Violation(
                    "deadlines",
                    f"deadline {visit.deadline}, expected {expected}",
                    visit.request_ref,
                )
            )
        late = expected is not None and visit.arrival > expected
        if visit.late != late:
            out.append(
                Violation(
                    "deadlines", f"late flag {visit.late}, expected {late}", visit.request_ref
                )
            )
    return out


def pinned(plan: Plan, data: _Input) -> list[Violation]:
    """Pinned visits keep their engineer, day, start and end, and stay marked pinned."""
    out = []
    visits = {v.key: v for v in plan.visits}
    for pin in data.problem.pinned:
        visit = visits.get(pin.key)
        if visit is None:
            out.append(Violation("pinned", "pinned visit missing from the plan", pin.request_ref))
            continue
        same = (visit.engineer_id, visit.day, visit.start, visit.end) == (
            pin.engineer_id,
            pin.day,
            pin.start,
            pin.end,
        )
        if not same or not visit.pinned:
            out.append(Violation("pinned", "pinned visit moved", pin.request_ref, pin.engineer_id))
    return out


def trainings(plan: Plan, data: _Input) -> list[Violation]:
    """The sessions of a multi-day training are given by one engineer on consecutive
    working days, in session order."""
    out = []
    sessions: dict[str, list[Visit]] = defaultdict(list)
    for visit in plan.visits:
        request = data.requests.get(visit.request_ref)
        if request is not None and request.sessions > 1:
            sessions[visit.request_ref].append(visit)
    for ref, group in sessions.items():
        group.sort(key=lambda v: v.session)
        if len({v.engineer_id for v in group}) > 1:
            out.append(Violation("trainings", "sessions given by different engineers", ref))
            continue
        calendar = data.calendar(group[0].engineer_id)
        for a, b in itertools.pairwise(group):
            if b.session == a.session + 1 and calendar.next_working_day(a.day) != b.day:
                out.append(
                    Violation(
                        "trainings",
                        f"session {b.session} on {b.day} is not the working day after {a.day}",
                        ref,
                    )
                )
    return out


def hotels(plan: Plan, data: _Input) -> list[Violation]:
    """A night at a hotel is followed by a route from that hotel on the engineer's next
    working day, a route from a hotel follows such a night, and the last visit before a
    night away is flagged lodging (and no other)."""
    out = []
    routes = {(r.engineer_id, r.day): r for r in plan.routes}
    visits = {v.key: v for v in plan.visits}
    for route in plan.routes:
        eid = route.engineer_id
        if eid not in data.engineers:
            continue
        calendar = data.calendar(eid)
        if route.end_place.kind == "hotel":
            nxt = routes.get((eid, calendar.next_working_day(route.day)))
            if nxt is None or nxt.start_place != route.end_place:
                out.append(
                    Violation(
                        "hotels", f"night at a hotel after {route.day} leads nowhere", None, eid
                    )
                )
        if route.start_place.kind == "hotel":
            before = [r for (e, d), r in routes.items() if e == eid and d < route.day]
            prev = max(before, key=lambda r: r.day, default=None)
            ok = (
                prev is not None
                and prev.end_place == route.start_place
                and calendar.next_working_day(prev.day) == route.day
            )
            if not ok:
                out.append(
                    Violation(
                        "hotels", f"starts {route.day} at a hotel it did not sleep in", None, eid
                    )
                )
        for position, key in enumerate(route.visit_keys):
            visit = visits.get(key)
            if visit is None:
                continue
            expected = route.end_place.kind == "hotel" and position == len(route.visit_keys) - 1
            if visit.lodging != expected:
                out.append(
                    Violation("hotels", f"lodging flag {visit.lodging}", visit.request_ref, eid)
                )
    return out


RULES: tuple[Callable[[Plan, _Input], list[Violation]], ...] = (
    requests_accounted,
    skills,
    shifts,
    lunch,
    overlaps,
    travel,
    windows,
    deadlines,
    pinned,
    trainings,
    hotels,
)


def validate_plan(
    plan: Plan, problem: Problem, policy: Policy, travel: TravelProvider | None = None
) -> list[Violation]:
    """Every rule `plan` breaks against `problem` and `policy` (empty when valid).

    `travel` must be the provider the plan was made with (default: great circle).
    """
    data = _Input(problem, policy, travel or GreatCircleTravel(policy))
    out: list[Violation] = []
    for rule in RULES:
        out.extend(rule(plan, data))
    return out


def assert_valid(
    plan: Plan, problem: Problem, policy: Policy, travel: TravelProvider | None = None
) -> None:
    """Raise :class:`InvalidPlan` listing every broken rule, if any."""
    violations = validate_plan(plan, problem, policy, travel)
    if violations:
        raise InvalidPlan(violations)
