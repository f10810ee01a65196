"""Customer-paid travel costs of a plan: every engineer-day route is one trip (POLICY.md 5).

A trip goes from the route's start place (home, office or a hotel) through its stops to its
end place. Its cost items, at the rates in force on the trip's day
(`policy.costs.rates_on(day)`, so a rate change on 1 March applies to trips from 1 March):

- ``distance``: car/taxi km at the zone's rate, tagged ``city`` or ``suburban``;
- ``fare``: out-of-town legs, per km at ``rail_per_km`` (tag ``rail``) or, when a fare table
  (`fares.csv`: from_city,to_city,fare) knows the two cities, that fare (tag ``table``);
- ``lodging``: one night when the route ends at a hotel;
- ``allowance``: one day away when the route touches an out-of-town customer or starts or
  ends at a hotel.

Zone of a leg, decided by the customers it leads from and to
(:func:`scheduling.cost_legs.leg_billing`, where the leg rules live):

- from or to the start or end place: the farther zone of its two ends (:func:`leg_zone`,
  city < suburban < out of town), where home and office count as city and a hotel in
  another city than the engineer's office as out of town;
- between two customers: either customer's zone, whichever bills the leg cheaper (a city
  -> suburban hop at the city rate; out of town <-> city as an inter-city fare). This is
  what guarantees that one trip never costs more than the customers' stand-alone trips
  (triangle inequality, each customer's part at its own rate).

Both rules are symmetric: a road costs the same both ways. The customer's zone is the one
intake decided (its assessment), else :func:`scheduling.zones.zone_of`. An out-of-town leg
between two places of the same city (hotel -> customer in that town) is local travel:
``distance`` at the city rate, not a fare (:func:`leg_item`).

Kinds (POLICY.md 3): on-site service, training and health checks all bill their travel;
the training itself is free and never appears here; remote work is never planned, so it
never has a trip. Only travel is priced in this module; how a trip's cost is split over
its customers into billable lines is :mod:`scheduling.cost_lines`.

Money is `Decimal`, quantized to the cent with ROUND_HALF_UP once per item. Distances are
floats (km from the planner or from great-circle geometry); each leg's km is converted
exactly once, as `Decimal(str(round(km, 3)))` (to the metre), and summed as Decimal, so no
float ever reaches an amount.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise

from scheduling.allocation import (
    JOURNEY_PROPORTIONAL_STANDALONE,
    PROPORTIONAL_STANDALONE,
    allocate,
)
from scheduling.cost_legs import (
    ITEMS,
    CostError,
    DistanceFn,
    FareTable,
    Leg,
    LegEnd,
    customer_end,
    leg_billing,
    leg_of,
    money,
    per_km_rates,
    place_city,
    place_end,
    road_km,
)
from scheduling.model import Customer, Kind, Place, Plan, Problem, Route, Visit, Zone
from scheduling.planner_model import ShiftSpan, day_trip_fits
from scheduling.policy import CostRates, Policy
from scheduling.travel import GreatCircleTravel
from scheduling.zones import request_zone

# The method a day without visits is split with, for each per-trip method.
JOURNEY_METHODS = {PROPORTIONAL_STANDALONE: JOURNEY_PROPORTIONAL_STANDALONE}


@dataclass(frozen=True, slots=True)
class CostItem:
    """One priced item of a trip: e.g. 42.318 km of city distance at 2.60 = 110.03."""

    item: str  # distance | fare | lodging | allowance
    tag: str  # city|suburban for distance, rail|table for fare, "" otherwise
    quantity: Decimal  # km, legs (table fares), nights or days
    unit_rate: Decimal | None  # None for table fares of different amounts
    amount: Decimal

    @property
    def key(self) -> str:
        """The item's name within its trip: ``distance:city``, ``fare:rail``, ``lodging``."""
        return f"{self.item}:{self.tag}" if self.tag else self.item


@dataclass(frozen=True, slots=True)
class TripStop:
    """A visit the trip served, with what billing needs to trace it."""

    request_ref: str
    session: int
    customer_id: str
    kind: Kind
    zone: Zone


@dataclass(frozen=True, slots=True)
class Trip:
    """One engineer-day: its priced items and each customer's stand-alone cost."""

    trip_id: str
    engineer_id: str
    day: date
    start_kind: str
    end_kind: str
    stops: tuple[TripStop, ...]
    items: tuple[CostItem, ...]
    standalone: tuple[tuple[str, Decimal], ...]  # (customer_id, cost), by customer id
    currency: str
    # Journeys (engineer-days chained by hotel nights): the id of the journey's first trip,
    # "" for a trip that is a journey of its own. A day without visits (or one its own
    # customers cannot carry) is billed to the journey's customers: `standalone` then holds
    # their stand-alone *journey* costs (the weights), `caps` what each may still pay,
    # `journey_refs` the requests they were served.
    journey_id: str = ""
    caps: tuple[tuple[str, Decimal], ...] = ()
    journey_refs: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def travel_only(self) -> bool:
        """True for a day of a journey without visits (to or from a hotel)."""
        return not self.stops

    @property
    def journey_billed(self) -> bool:
        """True for a day split over its journey's customers (:attr:`caps` set)."""
        return self.travel_only or bool(self.caps)

    @property
    def total(self) -> Decimal:
        """The trip cost: the sum of its items."""
        return sum((i.amount for i in self.items), Decimal("0.00"))

    @property
    def customers(self) -> tuple[str, ...]:
        """The customers served, sorted by id."""
        return tuple(c for c, _ in self.standalone)

    def requests_of(self, customer_id: str) -> tuple[str, ...]:
        """The request refs of `customer_id` served on this trip, sorted and unique; for a
        journey's customer not served that day, those served on its journey."""
        here = tuple(sorted({s.request_ref for s in self.stops if s.customer_id == customer_id}))
        return here or dict(self.journey_refs).get(customer_id, ())


def trip_id(engineer_id: str, day: date) -> str:
    """The stable id of an engineer-day trip, the same across re-plans: ``E07-2026-11-24``."""
    return f"{engineer_id}-{day.isoformat()}"


class _Priced:
    """Accumulates legs into items: km summed per (item, tag), then rounded once per item."""

    def __init__(self, rates: CostRates, fares: FareTable | None) -> None:
        self.rates, self.fares = rates, fares
        self.km: dict[tuple[str, str], Decimal] = {}
        self.table: list[Decimal] = []
        self.nights = 0
        self.days = 0

    def leg(self, leg: Leg) -> None:
        key, _, table = leg_billing(
            leg.zones, leg.km, leg.from_city, leg.to_city, self.rates, self.fares
        )
        if table is not None:
            self.table.append(table)
            return
        self.km[key] = self.km.get(key, Decimal(0)) + leg.km

    def items(self) -> tuple[CostItem, ...]:
        per_km = per_km_rates(self.rates)
        out = [
            CostItem(item, tag, km, per_km[item, tag], money(km * per_km[item, tag]))
            for (item, tag), km in self.km.items()
            if km > 0
        ]
        if self.table:
            unit = self.table[0] if len(set(self.table)) == 1 else None
            out.append(
                CostItem("fare", "table", Decimal(len(self.table)), unit, money(sum(self.table)))
            )
        if self.nights:
            n = Decimal(self.nights)
            out.append(
                CostItem(
                    "lodging",
                    "",
                    n,
                    self.rates.lodging_per_night,
                    money(n * self.rates.lodging_per_night),
                )
            )
        if self.days:
            n = Decimal(self.days)
            out.append(
                CostItem(
                    "allowance",
                    "",
                    n,
                    self.rates.daily_allowance,
                    money(n * self.rates.daily_allowance),
                )
            )
        return tuple(sorted(out, key=lambda i: (ITEMS.index(i.item), i.tag)))


class _Context:
    """Lookups shared by every trip of one plan."""

    def __init__(self, problem: Problem, policy: Policy, distance: DistanceFn) -> None:
        self.policy, self.distance = policy, distance
        self.requests = {r.request_ref: r for r in problem.requests}
        self.customers = {c.customer_id: c for c in problem.customers}
        self.assessments = {a.request_ref: a for a in problem.assessments}
        self.engineers = {e.engineer_id: e for e in problem.engineers}
        self.offices = {o.office_id: o for o in problem.offices}
        self._cities: dict[tuple, str] = {}

    def stop(self, request_ref: str, session: int) -> tuple[TripStop, Customer]:
        request = self.requests.get(request_ref)
        if request is None:
            raise CostError(f"plan visits request {request_ref!r}, unknown to the problem")
        customer = self.customers.get(request.customer_id)
        if customer is None:
            raise CostError(f"request {request_ref} names unknown customer {request.customer_id!r}")
        return TripStop(
            request_ref,
            session,
            customer.customer_id,
            request.kind,
            self.zone(request_ref, customer),
        ), customer

    def zone(self, request_ref: str, customer: Customer) -> Zone:
        offices = tuple(self.offices.values())
        try:
            return request_zone(self.assessments.get(request_ref), customer, offices, self.policy)
        except ValueError as exc:
            raise CostError(f"zone of customer {customer.customer_id}: {exc}") from None

    def place_city(self, place: Place, home_city: str) -> str:
        # A hotel's town is a search over every customer, and a trip's hotel is on two
        # routes or more: remembered (2,000-request plans price ~3,500 route ends).
        key = (place.kind, place.lat, place.lon, home_city)
        if key not in self._cities:
            self._cities[key] = place_city(
                place, home_city, self.customers.values(), self.offices.values()
            )
        return self._cities[key]

    def home_city(self, engineer_id: str) -> str:
        engineer = self.engineers.get(engineer_id)
        if engineer is None:
            raise CostError(f"plan routes unknown engineer {engineer_id!r}")
        office = self.offices.get(engineer.office_id)
        if office is None:
            raise CostError(f"engineer {engineer_id} names unknown office {engineer.office_id!r}")
        return office.city.strip()


def price_trip(
    route: Route,
    visit_km: Mapping[tuple[str, int], float],
    problem: Problem,
    policy: Policy,
    *,
    fares: FareTable | None = None,
    distance: DistanceFn | None = None,
    nights: int = 1,
    _context: _Context | None = None,
) -> Trip | None:
    """Price one route as a trip, or None when it has no stop and touches no hotel.

    A route that ends at a hotel pays `nights` nights there (more than one when the
    engineer's next working day is after days off) and an allowance for each day away
    until then.

    `visit_km` maps each visit key to its `travel_km` from the previous stop (the planner's
    km); the last leg is the route's `return_km`. Stand-alone costs use `distance` (default
    :func:`road_km`) for start -> customer -> end, at the same rates and zone rules.
    A route without visits to or from a hotel (a travel day of an out-of-town journey) is
    priced with no customer: :func:`plan_trips` names who pays it (its journey's customers).
    """
    if not route.visit_keys and "hotel" not in (route.start_place.kind, route.end_place.kind):
        return None  # an idle day at home: no travel made for anybody
    ctx = _context or _Context(problem, policy, distance or road_km(policy))
    rates = policy.costs.rates_on(route.day)
    pairs = [ctx.stop(ref, session) for ref, session in route.visit_keys]
    stops = tuple(s for s, _ in pairs)
    served = {c.customer_id: c for _, c in pairs}
    home = ctx.home_city(route.engineer_id)
    start_city = ctx.place_city(route.start_place, home)
    end_city = ctx.place_city(route.end_place, home)
    away_places = route.start_place.kind == "hotel" or route.end_place.kind == "hotel"
    lodging = max(1, nights) if route.end_place.kind == "hotel" else 0

    # Each end of a leg: (zone, city). Home and office are city; a hotel is out of town
    # when it is in another city than the engineer's office.
    start_end = place_end(route.start_place, start_city, home)
    final_end = place_end(route.end_place, end_city, home)
    priced = _Priced(rates, fares)
    previous = start_end
    for stop, customer in pairs:
        km = visit_km.get((stop.request_ref, stop.session))
        if km is None:
            raise CostError(
                f"route {trip_id(route.engineer_id, route.day)} lists visit "
                f"{stop.request_ref}#{stop.session} that the plan does not hold"
            )
        here = customer_end(stop.zone, customer.city)
        priced.leg(leg_of(km, previous, here))
        previous = here
    priced.leg(leg_of(route.return_km, previous, final_end))
    priced.nights = lodging
    away = away_places or any(s.zone is Zone.OUT_OF_TOWN for s in stops)
    priced.days = max(1, lodging) if away else 0

    standalone: dict[str, Decimal] = {}
    for customer_id, customer in sorted(served.items()):
        zone = next(s.zone for s in stops if s.customer_id == customer_id)
        solo = _Priced(rates, fares)
        there = ctx.distance(
            route.start_place.lat, route.start_place.lon, customer.lat, customer.lon
        )
        back = ctx.distance(customer.lat, customer.lon, route.end_place.lat, route.end_place.lon)
        here = customer_end(zone, customer.city)
        solo.leg(leg_of(there, start_end, here))
        solo.leg(leg_of(back, here, final_end))
        solo.nights = lodging
        solo.days = max(1, lodging) if away_places or zone is Zone.OUT_OF_TOWN else 0
        standalone[customer_id] = sum((i.amount for i in solo.items()), Decimal("0.00"))

    return Trip(
        trip_id=trip_id(route.engineer_id, route.day),
        engineer_id=route.engineer_id,
        day=route.day,
        start_kind=route.start_place.kind,
        end_kind=route.end_place.kind,
        stops=stops,
        items=priced.items(),
        standalone=tuple(sorted(standalone.items())),
        currency=policy.general.currency,
    )


def plan_trips(
    plan: Plan,
    problem: Problem,
    policy: Policy,
    *,
    fares: FareTable | None = None,
    distance: DistanceFn | None = None,
) -> tuple[Trip, ...]:
    """Every trip of `plan`, priced, sorted by (day, engineer): the plan's travel costs.

    Engineer-days chained by hotel nights form a journey (:func:`journeys`); a day of a
    journey without visits is a trip too, billed to the customers served on the journey's
    other days, and so is the part of a day its own customers cannot carry
    (:func:`_bill_journey`). Raises CostError when a route names a visit,
    request, customer or engineer the plan or problem does not hold, and PolicyError when
    no rate is in force on a trip's day.
    """
    ctx = _Context(problem, policy, distance or road_km(policy))
    visit_km = {v.key: v.travel_km for v in plan.visits}
    chains = journeys(plan.routes)
    # Nights at the hotel until the journey's next day: three from a Friday to a Monday.
    nights = {
        (a.engineer_id, a.day): (b.day - a.day).days for chain in chains for a, b in pairwise(chain)
    }
    priced: dict[tuple[str, date], Trip] = {}
    for route in sorted(plan.routes, key=lambda r: (r.day, r.engineer_id)):
        key = (route.engineer_id, route.day)
        if key in priced:
            raise CostError("the plan has two routes for the same engineer and day")
        trip = price_trip(
            route, visit_km, problem, policy, fares=fares, nights=nights.get(key, 1), _context=ctx
        )
        if trip is not None:
            priced[key] = trip
    visits = {v.key: v for v in plan.visits}
    for chain in chains:
        trips = [priced[r.engineer_id, r.day] for r in chain if (r.engineer_id, r.day) in priced]
        if len(trips) < 2:
            continue
        billed = _bill_journey(chain, trips, visits, ctx, fares)
        for trip in billed:
            priced[trip.engineer_id, trip.day] = trip
    return tuple(priced[k] for k in sorted(priced, key=lambda k: (k[1], k[0])))


def _same_place(a: Place, b: Place) -> bool:
    return abs(a.lat - b.lat) < 1e-6 and abs(a.lon - b.lon) < 1e-6


def journeys(routes: Iterable[Route]) -> list[list[Route]]:
    """The plan's routes chained into journeys, each in date order: a route that ends at a
    hotel and the engineer's next route that starts at that hotel belong to one journey.
    Every route is in exactly one journey (most journeys are one day). Sorted by (engineer,
    first day), so the result never depends on the order of the plan's routes."""
    by_engineer: dict[str, list[Route]] = defaultdict(list)
    for route in routes:
        by_engineer[route.engineer_id].append(route)
    out: list[list[Route]] = []
    for engineer_id in sorted(by_engineer):
        chain: list[Route] = []
        for route in sorted(by_engineer[engineer_id], key=lambda r: r.day):
            last = chain[-1] if chain else None
            if (
                last is not None
                and last.end_place.kind == "hotel"
                and route.start_place.kind == "hotel"
                and _same_place(last.end_place, route.start_place)
            ):
                chain.append(route)
            else:
                if chain:
                    out.append(chain)
                chain = [route]
        if chain:
            out.append(chain)
    return out


def _bill_journey(
    chain: Sequence[Route],
    trips: Sequence[Trip],
    visits: Mapping[tuple[str, int], Visit],
    ctx: _Context,
    fares: FareTable | None,
) -> list[Trip]:
    """The journey's trips with its id and, where a day's own customers cannot carry the
    day, its payers: the customers served on the journey's other days.

    Each customer of the journey has a stand-alone *journey* cost (:func:`_standalone_journey`,
    the weight) and pays at most that over the whole journey. Days with visits are billed
    first, in date order: each to its own customers as a trip of its own, unless one of
    them would then pass what a journey made for it alone costs (a customer near home seen
    on the way to or from the hotel: the fare and the night are not its). Such a day, and
    every day without visits (after them, in date order), is split with the journey method
    over the day's customers and the journey's others, each capped at its stand-alone
    journey minus what it already pays (never below zero; a day's own customer also at its
    stand-alone trip that day).
    """
    journey_id = trips[0].trip_id
    method = ctx.policy.costs.allocation
    served: dict[str, list[TripStop]] = defaultdict(list)
    days_of: dict[str, set[date]] = defaultdict(set)
    for trip in trips:
        for stop in trip.stops:
            served[stop.customer_id].append(stop)
            days_of[stop.customer_id].add(trip.day)
    weights: dict[str, Decimal] = {}
    for customer_id, stops in sorted(served.items()):
        work: dict[date, int] = defaultdict(int)
        for stop in stops:
            visit = visits.get((stop.request_ref, stop.session))
            if visit is not None:
                work[visit.day] += int((visit.end - visit.start).total_seconds() // 60)
        weights[customer_id] = _standalone_journey(
            chain[0].start_place,
            chain[-1].end_place,
            chain[0].engineer_id,
            ctx.customers[customer_id],
            stops[0].zone,
            min(days_of[customer_id]),
            len(days_of[customer_id]),
            _days_between(days_of[customer_id]),
            max(work.values(), default=0),
            ctx,
            fares,
        )
    refs = tuple(
        (c, tuple(sorted({s.request_ref for s in stops}))) for c, stops in sorted(served.items())
    )
    paid: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))

    def room(customer_id: str) -> Decimal:
        return max(Decimal("0.00"), weights[customer_id] - paid[customer_id])

    billed: dict[date, Trip] = {}
    shared: list[Trip] = []
    for trip in trips:
        own = dict(trip.standalone)
        if not trip.stops or any(room(c) < cost for c, cost in own.items()):
            shared.append(trip)
            continue
        billed[trip.day] = _with(trip, journey_id=journey_id)
        for customer_id, amount in allocate(trip.total, own, method).amounts:
            paid[customer_id] += amount
    for trip in shared:
        own = dict(trip.standalone)
        caps = {c: min(own.get(c, room(c)), room(c)) for c in weights}
        trip = _with(
            trip,
            journey_id=journey_id,
            standalone=tuple(sorted(weights.items())),
            caps=tuple(sorted(caps.items())),
            journey_refs=refs,
        )
        if weights:
            allocation = allocate(trip.total, weights, JOURNEY_PROPORTIONAL_STANDALONE, caps=caps)
            for customer_id, amount in allocation.amounts:
                paid[customer_id] += amount
        billed[trip.day] = trip
    return [billed[trip.day] for trip in trips]


def _with(trip: Trip, **changes) -> Trip:
    fields = {name: getattr(trip, name) for name in Trip.__dataclass_fields__}
    return Trip(**(fields | changes))


def _standalone_journey(
    start: Place,
    end: Place,
    engineer_id: str,
    customer: Customer,
    zone: Zone,
    first_day: date,
    days: int,
    days_off: int,
    work_minutes: int,
    ctx: _Context,
    fares: FareTable | None,
) -> Decimal:
    """What a journey made for `customer` alone would cost (POLICY.md 5), at the rates of
    the first day it was visited, from the journey's start place to its end place.

    It works `days` days there, with `days_off` days between them (a weekend inside a
    training: spent at the hotel when it stays), the longest `work_minutes` on site each
    day. Whether a day
    holds the way out, the work and the way back is decided by the planner's own rule
    (:func:`_day_fits`). When it does, the journey is the cheaper of commuting every day
    and staying ``days - 1`` nights. When it does not, the engineer sleeps at a hotel at the
    customer's door after each working day, comes back the day after the last unless the
    last day's work and the way back fit one day, and goes out the day before the first
    unless the way out and the first day's work fit one day. Each day is priced and rounded
    on its own, like the journey's own days.
    """
    policy = ctx.policy
    rates = policy.costs.rates_on(first_day)
    home = ctx.home_city(engineer_id)
    a = place_end(start, ctx.place_city(start, home), home)
    b = place_end(end, ctx.place_city(end, home), home)
    here = customer_end(zone, customer.city)
    there = ctx.distance(start.lat, start.lon, customer.lat, customer.lon)
    back = ctx.distance(customer.lat, customer.lon, end.lat, end.lon)
    timing = GreatCircleTravel(policy)
    minutes_there = int(timing.minutes_for_km(there))
    minutes_back = int(timing.minutes_for_km(back))
    fits = _day_fits(policy, first_day, minutes_there, work_minutes, minutes_back)
    away = zone is Zone.OUT_OF_TOWN or "hotel" in (start.kind, end.kind)

    def day(legs: tuple[tuple[float, LegEnd, LegEnd], ...], night: bool, allowance: bool):
        # each day is priced and rounded on its own, as the journey's trips are
        priced = _Priced(rates, fares)
        for km, x, y in legs:
            priced.leg(leg_of(km, x, y))
        priced.nights, priced.days = int(night), int(allowance)
        return sum((i.amount for i in priced.items()), Decimal("0.00"))

    out, home_again = (there, a, here), (back, here, b)

    def stay(nights: int) -> Decimal:
        if nights == 0:
            return day((out, home_again), False, away)
        # out and work, a night at the customer's door each evening, back on the last day
        return (
            day((out,), True, True)
            + (nights - 1) * day((), True, True)
            + day((home_again,), False, True)
        )

    if fits:
        return min(stay(days - 1 + days_off), days * day((out, home_again), False, away))
    day_before = not _day_fits(policy, first_day, minutes_there, work_minutes, 0)
    day_after = not _day_fits(policy, first_day, 0, work_minutes, minutes_back)
    if days == 1 and not (day_before or day_after):
        day_after = True  # out or back fits alone, not both: back the next morning
    return stay(days - 1 + days_off + day_before + day_after)


def _days_between(days: set[date]) -> int:
    """Calendar days strictly between the first and the last of `days` that are not in it."""
    return (max(days) - min(days)).days + 1 - len(days)


@dataclass(frozen=True, slots=True)
class _Work:
    """What `planner_model.session_start` reads of a task: minutes on site, no window."""

    service: int
    earliest: int = 0
    latest: int = 10**9


def _day_fits(policy: Policy, day: date, there: int, work: int, back: int) -> bool:
    """True when one working day (policy hours, POLICY.md 4 lunch rule) holds leaving at its
    start, `there` minutes of travel, `work` minutes on site and `back` minutes of travel:
    the planner's rule for booking a hotel night (`planner_model.day_trip_fits`), reused
    so that a stand-alone journey needs a night exactly when the planner would book one."""
    hours = policy.working_hours

    def minute(t) -> int:
        return t.hour * 60 + t.minute

    lunch = (minute(hours.lunch_start), minute(hours.lunch_end)) if hours.lunch_break else None
    shift = ShiftSpan(day, minute(hours.start), minute(hours.end), lunch)
    return day_trip_fits(_Work(work), shift, there, back)  # type: ignore[arg-type]
