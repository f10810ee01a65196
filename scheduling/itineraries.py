"""What an engineer needs to do a day's work without calling the dispatcher.

`build_itineraries` turns a plan and its problem into one `EngineerItinerary` per engineer:
for each planned day the departure, each stop in order (times, customer, contact, the work,
its checklist, the deadline, the travel leg before it), the lodging when away, and the way
back. It is plain data: the calendar file (`scheduling.ical`), the printable page
(`scheduling.itinerary_html`) and the outbox (`scheduling.outbox`) are all drawn from it.

An engineer's itinerary holds only that engineer's visits, and only the contacts of the
customers of those visits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from scheduling.calendars import calendar_for
from scheduling.cost_legs import LegEnd, billed_leg, customer_end, place_end
from scheduling.geo import haversine_km
from scheduling.model import (
    Customer,
    Engineer,
    Kind,
    Place,
    Plan,
    Problem,
    Route,
    ServiceRequest,
    Visit,
    Zone,
)
from scheduling.policy import CostRates, Policy
from scheduling.zones import request_zone

BACKUP_STEP = "Verify the customer's data backup is done"
BACKUP_WARNING = (
    "WARNING: the customer has NOT confirmed a data backup (POLICY.md 1). "
    "Do not touch the system until a backup is done and checked."
)
# POLICY.md 3: on-site service covers install/configure/guidance, troubleshooting and
# upgrades; every one of them touches the customer's system, so each starts with the backup.
BACKUP_KINDS = frozenset({Kind.ONSITE_SERVICE})


class ItineraryError(ValueError):
    """A plan that does not match its problem (unknown request, customer or engineer)."""


class TravelMode(StrEnum):
    """How a leg is travelled (POLICY.md 5: car/taxi in city and suburbs, rail out of town)."""

    CAR = "car"
    RAIL = "rail"

    @property
    def label(self) -> str:
        """Words for people: what to book or take."""
        return "car/taxi" if self is TravelMode.CAR else "inter-city rail/road"


class VisitChange(StrEnum):
    """How a visit differs from the last itinerary issued to the engineer."""

    NEW = "new"  # not in the last issued itinerary (or cancelled there)
    MOVED = "moved"  # its day, time or place in the day's order changed
    UPDATED = "updated"  # same slot, other details changed (contact, checklist, ...)
    UNCHANGED = "unchanged"


def plain_hours(hours: Decimal) -> Decimal:
    """`hours` without trailing zeros (2.50 -> 2.5, 3.00 -> 3), so an itinerary reads the
    same whether the request came from a file or from the database (which keeps 2 places).
    """
    return hours.quantize(Decimal(1)) if hours == hours.to_integral() else hours.normalize()


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One step of the work; `warning` is non-empty when the step is at risk."""

    text: str
    warning: str = ""


@dataclass(frozen=True, slots=True)
class TravelLeg:
    """A journey from one place to the next, as planned."""

    from_label: str
    to_label: str
    from_lat: float
    from_lon: float
    to_lat: float
    to_lon: float
    km: float
    minutes: int
    mode: TravelMode
    depart: datetime
    arrive: datetime


@dataclass(frozen=True, slots=True)
class Stop:
    """One visit of the day, in route order (`order` starts at 1)."""

    order: int
    request_ref: str
    session: int
    sessions: int
    arrival: datetime
    start: datetime
    end: datetime
    customer_id: str
    customer_name: str
    address: str
    city: str
    zone: Zone | None
    lat: float
    lon: float
    contact_name: str
    contact_phone: str
    kind: Kind
    subtype: str
    work: str
    from_version: str | None
    to_version: str | None
    module: str | None
    duration_hours: Decimal
    deadline: datetime | None
    late: bool
    pinned: bool
    emergency: bool
    notes: str
    leg: TravelLeg
    checklist: tuple[ChecklistItem, ...]
    lunch_break: tuple[datetime, datetime] | None = None  # the office's break that day

    @property
    def key(self) -> tuple[str, int]:
        """Identity of the visit across re-plans: (request_ref, session)."""
        return (self.request_ref, self.session)

    @property
    def warnings(self) -> tuple[str, ...]:
        """The checklist's warnings, in order."""
        return tuple(item.warning for item in self.checklist if item.warning)

    @property
    def lunch_included(self) -> bool:
        """True when the engineer takes the lunch break on site, inside the work's start
        to end (POLICY.md 4): a visit that pauses for it, or one long enough to hold it.
        Without the day's break known, when the work takes longer than the hours asked."""
        if self.lunch_break is not None:
            return self.start < self.lunch_break[0] and self.lunch_break[1] < self.end
        return self.end - self.start > timedelta(hours=float(self.duration_hours))


@dataclass(frozen=True, slots=True)
class DayItinerary:
    """One engineer-day: from `start_place` through `stops` to `end_place`."""

    day: date
    departure: datetime
    start_place: Place
    stops: tuple[Stop, ...]
    return_leg: TravelLeg
    return_at: datetime
    end_place: Place
    start_label: str = ""  # the places in words ("home", "hotel near ...")
    end_label: str = ""

    @property
    def travel_only(self) -> bool:
        """True for a day of travel without visits (to or from an out-of-town hotel)."""
        return not self.stops

    @property
    def lodging(self) -> Place | None:
        """The hotel where the engineer sleeps after this day, or None when going home."""
        return self.end_place if self.end_place.kind == "hotel" else None

    @property
    def travel_km(self) -> float:
        """Kilometres travelled this day, the way back included."""
        return sum(s.leg.km for s in self.stops) + self.return_leg.km


@dataclass(frozen=True, slots=True)
class EngineerItinerary:
    """Everything one engineer is to do over the plan's horizon, day by day."""

    engineer_id: str
    engineer_name: str
    email: str
    phone: str
    office_id: str
    office_name: str
    timezone: str
    days: tuple[DayItinerary, ...]

    @property
    def stops(self) -> tuple[Stop, ...]:
        """Every stop of every day, in time order."""
        return tuple(stop for day in self.days for stop in day.stops)

    @property
    def tz(self) -> ZoneInfo:
        """The zone the engineer's times are shown in (the office's)."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class CancelledVisit:
    """A visit of the last issued itinerary that the new plan no longer holds."""

    request_ref: str
    session: int
    day: date
    start: datetime
    customer_name: str
    address: str


@dataclass(frozen=True, slots=True)
class ItineraryDiff:
    """What changed for one engineer since the last issued itinerary."""

    first_issue: bool
    changes: dict[tuple[str, int], VisitChange]
    was: dict[tuple[str, int], str]  # for moved visits: where/when they were, in words
    cancelled: tuple[CancelledVisit, ...]
    what: dict[tuple[str, int], str] = field(default_factory=dict)  # updated: what changed

    def change(self, key: tuple[str, int]) -> VisitChange:
        """The change of the visit `key` (unchanged when unknown)."""
        return self.changes.get(key, VisitChange.UNCHANGED)

    @property
    def counts(self) -> dict[str, int]:
        """Visits per change, cancelled included."""
        out = {c.value: 0 for c in VisitChange}
        for change in self.changes.values():
            out[change.value] += 1
        out["cancelled"] = len(self.cancelled)
        return out


def leg_mode(a: LegEnd, b: LegEnd, km: float, rates: CostRates) -> TravelMode:
    """The mode of a leg from `a` to `b`, by the rule finance bills it with
    (:func:`scheduling.cost_legs.billed_leg`): a fare is rail/inter-city, a distance is by car
    or taxi. Between two customers the cheaper of their zones bills the leg, so a leg from
    an out-of-town customer back to a city one is still a train ride."""
    item, _ = billed_leg(a, b, km, rates)
    return TravelMode.RAIL if item == "fare" else TravelMode.CAR


def checklist(
    request: ServiceRequest, customer: Customer, session: int
) -> tuple[ChecklistItem, ...]:
    """The steps of the work of one visit, by kind.

    On-site service (install, configure, troubleshoot, upgrade) always starts with verifying
    the customer's data backup (POLICY.md 1, seed 二.3), flagged with a warning when the
    request is not `backup_confirmed`. Training lists its session and materials; a health
    check ends with the report to leave.
    """
    items: list[ChecklistItem] = []
    version = customer.product_version
    if request.kind in BACKUP_KINDS:
        items.append(ChecklistItem(BACKUP_STEP, "" if request.backup_confirmed else BACKUP_WARNING))
        subtype = request.subtype.lower()
        if subtype == "upgrade":
            target = request.target_version or "the agreed version"
            what = f"module {request.module}" if request.module else "HRHIS"
            items.append(ChecklistItem(f"Upgrade {what} from {version} to {target}"))
            items.append(ChecklistItem("Check the data and the interfaces after the upgrade"))
        elif subtype == "install":
            items.append(ChecklistItem(f"Install HRHIS {version} and check it starts"))
        elif subtype == "configure":
            items.append(ChecklistItem("Configure as requested and walk the customer through it"))
        elif subtype == "troubleshoot":
            items.append(ChecklistItem("Reproduce the reported problem, fix it, test the fix"))
        else:
            items.append(ChecklistItem(f"Do the requested work: {request.subtype}"))
        if request.notes:
            items.append(ChecklistItem(f"Request notes: {request.notes}"))
        items.append(ChecklistItem("Have the customer sign the service report"))
    elif request.kind == Kind.TRAINING:
        items.append(ChecklistItem(f"Training session {session} of {request.sessions}"))
        items.append(
            ChecklistItem(
                f"Bring the materials: HRHIS {version} training slides and handbook, "
                "exercise data set, attendance sheet"
            )
        )
        if request.notes:
            items.append(ChecklistItem(f"Request notes: {request.notes}"))
        items.append(ChecklistItem("Have the attendance sheet signed"))
        if session == request.sessions:
            items.append(ChecklistItem("Collect feedback and hand over the training record"))
    else:  # health check (POLICY.md 3, seed 五.8)
        items.append(ChecklistItem(f"Run the health-check routine on HRHIS {version}"))
        items.append(ChecklistItem("Check backups, disk space, logs, interfaces and licences"))
        if request.notes:
            items.append(ChecklistItem(f"Request notes: {request.notes}"))
        items.append(
            ChecklistItem(
                "Leave the health-check report with the customer's contact and get it signed"
            )
        )
    return tuple(items)


def work_summary(request: ServiceRequest, customer: Customer, session: int) -> str:
    """A one-line description of the work, e.g. 'On-site upgrade 9.00 → 9.12'."""
    if request.kind == Kind.ONSITE_SERVICE:
        text = f"On-site service: {request.subtype}"
        if request.subtype.lower() == "upgrade":
            text += f" {customer.product_version} → {request.target_version or '?'}"
            if request.module:
                text += f" (module {request.module})"
        return text
    # the subtype is worth saying only when it adds to the kind (intake defaults it to it)
    detail = "" if request.subtype in ("", request.kind.value) else f" ({request.subtype})"
    if request.kind == Kind.TRAINING:
        return f"Training{detail}, session {session} of {request.sessions}"
    return f"Health check{detail}"


def build_itineraries(plan: Plan, problem: Problem, policy: Policy) -> list[EngineerItinerary]:
    """One itinerary per engineer who has visits in `plan`, sorted by engineer id.

    Each planned day follows the plan's route (departure, stops in `visit_keys` order, way
    back to home or hotel). Days whose visits have no route in the plan get one built from
    the visits in time order, starting and ending at the engineer's home (or office), so no
    planned visit is ever left out. Times are shown in the zone of the engineer's office.
    Raises `ItineraryError` when a visit names a request, customer or engineer the problem
    does not hold.
    """
    context = _Context(problem, policy)
    calendars = {o.office_id: calendar_for(o, policy) for o in problem.offices}
    engineers = {e.engineer_id: e for e in problem.engineers}
    visits = {(v.engineer_id, v.request_ref, v.session): v for v in plan.visits}

    routes: dict[tuple[str, date], Route] = {}
    for route in plan.routes:
        # a route without visits is a travel day (to or from an out-of-town hotel)
        routes[(route.engineer_id, route.day)] = route
    by_day: dict[tuple[str, date], list[Visit]] = defaultdict(list)
    for visit in plan.visits:
        by_day[(visit.engineer_id, visit.day)].append(visit)

    out: list[EngineerItinerary] = []
    for engineer_id in sorted({eid for eid, _ in by_day} | {eid for eid, _ in routes}):
        engineer = engineers.get(engineer_id)
        if engineer is None:
            raise ItineraryError(f"plan has visits for engineer {engineer_id!r}, unknown")
        office = _office(problem, engineer)
        tz = ZoneInfo(office.timezone if office else policy.general.timezone)
        home_city = office.city if office else ""
        calendar = calendars.get(office.office_id) if office else None
        days = []
        engineer_days = {d for eid, d in by_day if eid == engineer_id}
        engineer_days |= {d for eid, d in routes if eid == engineer_id}
        for day in sorted(engineer_days):
            route = routes.get((engineer_id, day)) or _route_from_visits(
                engineer, office, by_day[(engineer_id, day)], policy
            )
            day_visits = []
            for request_ref, session in route.visit_keys:
                visit = visits.get((engineer_id, request_ref, session))
                if visit is None:
                    raise ItineraryError(
                        f"route of {engineer_id} on {day} names visit {request_ref} "
                        f"session {session}, which the plan does not hold"
                    )
                day_visits.append(visit)
            left_out = {v.key for v in by_day[(engineer_id, day)]} - set(route.visit_keys)
            if left_out:
                raise ItineraryError(
                    f"plan visits {sorted(left_out)} of {engineer_id} on {day} are in no route"
                )
            lunch = calendar.shift(day).lunch if calendar is not None else None
            days.append(_day(route, day_visits, context, home_city, tz, lunch))
        out.append(
            EngineerItinerary(
                engineer_id=engineer.engineer_id,
                engineer_name=engineer.name,
                email=engineer.email,
                phone=engineer.phone,
                office_id=engineer.office_id,
                office_name=office.name if office else engineer.office_id,
                timezone=str(tz.key),
                days=tuple(days),
            )
        )
    return out


def _office(problem: Problem, engineer: Engineer):
    try:
        return problem.office(engineer.office_id)
    except KeyError:
        return None


def _home(engineer: Engineer, office) -> Place:
    if engineer.home_lat is not None and engineer.home_lon is not None:
        return Place("home", engineer.home_lat, engineer.home_lon, "home")
    if office is not None:
        return Place("office", office.lat, office.lon, office.name)
    raise ItineraryError(
        f"engineer {engineer.engineer_id} has no home coordinates and office "
        f"{engineer.office_id!r} is unknown: cannot place the start of the day"
    )


def _route_from_visits(engineer: Engineer, office, day_visits: list[Visit], policy: Policy):
    """A route for visits the plan gave no route: home → visits by start time → home."""
    ordered = sorted(day_visits, key=lambda v: (v.start, v.request_ref, v.session))
    home = _home(engineer, office)
    first, last = ordered[0], ordered[-1]
    return Route(
        engineer_id=engineer.engineer_id,
        day=first.day,
        start_place=home,
        end_place=home,
        visit_keys=tuple(v.key for v in ordered),
        departure=first.arrival - timedelta(minutes=first.travel_minutes),
        return_at=last.end,
        return_km=0.0,
        return_minutes=0,
    )


class _Context:
    """Look-ups shared by every day: requests, customers, zones, cities of places."""

    def __init__(self, problem: Problem, policy: Policy) -> None:
        self.problem = problem
        self.policy = policy
        self.requests = {r.request_ref: r for r in problem.requests}
        self.customers = {c.customer_id: c for c in problem.customers}
        self.assessments = {a.request_ref: a for a in problem.assessments}

    def zone(self, request_ref: str, customer: Customer) -> Zone | None:
        # the zone intake decided, else the customer's own or derived one (POLICY.md 4)
        assessment = self.assessments.get(request_ref)
        try:
            return request_zone(assessment, customer, self.problem.offices, self.policy)
        except ValueError:
            return None

    def place_city(self, place: Place, home_city: str) -> str:
        # as finance does (scheduling.costs): a hotel is in the town of the nearest known
        # customer or office; home and office are in the engineer's office city
        if place.kind != "hotel":
            return home_city
        known = [(c.lat, c.lon, c.city, c.customer_id) for c in self.problem.customers]
        known += [(o.lat, o.lon, o.city, o.office_id) for o in self.problem.offices]
        nearest = min(
            known,
            key=lambda k: (haversine_km(place.lat, place.lon, k[0], k[1]), k[3]),
            default=None,
        )
        return nearest[2] if nearest is not None else home_city

    def place_label(self, place: Place, home_city: str) -> str:
        """Words for a place: 'home', the office's name, 'hotel near <customer>, <city>'.

        A label the planner wrote as a code ("hotel:C0038", "home:E005") is put in words;
        any other label (a hotel's real name) is kept as it is.
        """
        kind, _, ref = place.label.partition(":")
        if place.label and kind != place.kind:
            return place.label
        if place.kind == "home":
            return "home"
        if place.kind == "office":
            for office in self.problem.offices:
                if office.office_id == ref:
                    return office.name
            return place.label or "office"
        if place.kind == "hotel":
            customer = self.customers.get(ref)
            if customer is not None:
                return f"hotel near {customer.name}, {customer.city}"
            return f"hotel in {self.place_city(place, home_city)}"
        return place.label or place.kind


def _day(
    route: Route,
    day_visits: list[Visit],
    ctx: _Context,
    home_city: str,
    tz: ZoneInfo,
    lunch: tuple[datetime, datetime] | None = None,
) -> DayItinerary:
    policy = ctx.policy
    stops: list[Stop] = []
    start_label = ctx.place_label(route.start_place, home_city)
    end_label = ctx.place_label(route.end_place, home_city)
    here_label = start_label
    rates = policy.costs.rates_on(route.day)
    here_end = place_end(route.start_place, ctx.place_city(route.start_place, home_city), home_city)
    here = (route.start_place.lat, route.start_place.lon)
    for order, visit in enumerate(day_visits, start=1):
        request = ctx.requests.get(visit.request_ref)
        if request is None:
            raise ItineraryError(f"plan visits request {visit.request_ref!r}, unknown")
        customer = ctx.customers.get(request.customer_id)
        if customer is None:
            raise ItineraryError(
                f"request {request.request_ref} names customer {request.customer_id!r}, unknown"
            )
        arrival = visit.arrival.astimezone(tz)
        zone = ctx.zone(request.request_ref, customer)
        there = customer_end(zone, customer.city)
        depart = (
            route.departure if order == 1 else arrival - timedelta(minutes=visit.travel_minutes)
        )
        leg = TravelLeg(
            from_label=here_label,
            to_label=customer.name,
            from_lat=here[0],
            from_lon=here[1],
            to_lat=customer.lat,
            to_lon=customer.lon,
            km=visit.travel_km,
            minutes=visit.travel_minutes,
            mode=leg_mode(here_end, there, visit.travel_km, rates),
            depart=depart.astimezone(tz),
            arrive=arrival,
        )
        assessment = ctx.assessments.get(request.request_ref)
        deadline = visit.deadline or (assessment.deadline if assessment else None)
        upgrade = request.subtype.lower() == "upgrade"
        stops.append(
            Stop(
                order=order,
                request_ref=request.request_ref,
                session=visit.session,
                sessions=request.sessions,
                arrival=arrival,
                start=visit.start.astimezone(tz),
                end=visit.end.astimezone(tz),
                customer_id=customer.customer_id,
                customer_name=customer.name,
                address=customer.address,
                city=customer.city,
                zone=zone,
                lat=customer.lat,
                lon=customer.lon,
                contact_name=customer.contact_name,
                contact_phone=customer.contact_phone,
                kind=request.kind,
                subtype=request.subtype,
                work=work_summary(request, customer, visit.session),
                from_version=customer.product_version if upgrade else None,
                to_version=request.target_version if upgrade else None,
                module=request.module,
                duration_hours=plain_hours(request.duration_hours),
                deadline=deadline.astimezone(tz) if deadline else None,
                late=visit.late,
                pinned=visit.pinned,
                emergency=request.emergency,
                notes=request.notes,
                leg=leg,
                checklist=checklist(request, customer, visit.session),
                lunch_break=lunch,
            )
        )
        here_label = customer.name
        here_end = there
        here = (customer.lat, customer.lon)
    return_leg = TravelLeg(
        from_label=here_label,
        to_label=end_label,
        from_lat=here[0],
        from_lon=here[1],
        to_lat=route.end_place.lat,
        to_lon=route.end_place.lon,
        km=route.return_km,
        minutes=route.return_minutes,
        mode=leg_mode(
            here_end,
            place_end(route.end_place, ctx.place_city(route.end_place, home_city), home_city),
            route.return_km,
            rates,
        ),
        depart=(route.return_at - timedelta(minutes=route.return_minutes)).astimezone(tz),
        arrive=route.return_at.astimezone(tz),
    )
    return DayItinerary(
        day=route.day,
        departure=route.departure.astimezone(tz),
        start_place=route.start_place,
        stops=tuple(stops),
        return_leg=return_leg,
        return_at=route.return_at.astimezone(tz),
        end_place=route.end_place,
        start_label=start_label,
        end_label=end_label,
    )
