"""Overnight trips for out-of-town work no engineer can do in a day, booked before routing.

Issue 4: "an engineer can stay overnight near the customer (lodging counted) and start the
next day from there; a day's route never exceeds the shift". A visit that no skilled
engineer can reach, do and come home from within one shift (out of town, or a long visit
in a far suburb) is served by a one-night trip:
day 1 home -> visits in that town -> hotel (next to the last visit); day 2 hotel -> more
visits in the town -> home, on the engineer's next working day.

Trips are built greedily, the way a dispatcher would: towns in order of their most urgent
visit; for the most urgent open visit of a town, the nearest skilled engineers with two
consecutive free working days are tried; each trip takes as many of the town's visits
(nearest first) as fit in the two shifts. A trip goes on the *latest* days that still meet
its first visit's deadline and as many of the others' (just in time; two jobs due the
same day that do not fit one afternoon go a day earlier): out-of-town deadlines are three
working days away while city ones are two, so booking trips on the first days would take
the engineers the city visits need then. A visit whose deadline cannot be met goes as
early as possible. A return day with no visit booked is left to the routing search as a
travel day that starts at the hotel (in the trip's block), so the engineer can still work
on the way home or after getting back. The routing search then plans everything else
around the booked engineer-days. (Side constraints linking engineer-day vehicles inside
OR-Tools cripple its insertion heuristics, hence this split.)
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from scheduling.model import Route, Visit
from scheduling.planner_demand import DayDemand, demand_on
from scheduling.planner_model import (
    Context,
    ShiftSpan,
    Task,
    TravelDay,
    day_trippers,
    nearest_engineers,
    one_night,
    session_end,
    session_start,
)
from scheduling.planner_training import Block, _place
from scheduling.travel import Point


def needs_overnight(ctx: Context, task: Task) -> bool:
    """True for a visit no skilled engineer can do as a day trip from home within one
    working shift (travel there, the visit with the lunch rule, travel back): far out of
    town, or a long visit in a far suburb."""
    if task.sessions > 1 or task.pinned is not None:
        return False
    return not day_trippers(ctx, task)


class _Trip:
    """One candidate trip being filled: two days of one engineer."""

    def __init__(self, ctx: Context, eid: str, days: tuple[date, date]) -> None:
        self.ctx, self.eid, self.days = ctx, eid, days
        self.home = ctx.home(eid)
        self.stops: list[list[tuple[Task, int, int, int]]] = [[], []]  # (task, arrival, start, end)

    def _fits_day(self, k: int, tasks: list[Task], start_point: Point) -> list | None:
        """Schedule `tasks` in order on day k from `start_point`; None when they do not fit."""
        shift: ShiftSpan = self.ctx.shifts[self.eid][self.days[k]]
        point, clock = start_point, shift.start
        out = []
        for task in tasks:
            minutes = self.ctx.travel.leg(point, task.point)[1]
            arrival = clock + minutes
            start = session_start(task, shift, arrival)
            if start is None:
                return None
            end = session_end(task, shift, start)
            out.append((task, arrival, start, end))
            point, clock = task.point, end
        if k == 1 and clock + self.ctx.travel.leg(point, self.home)[1] > shift.end:
            return None
        return out

    def hotel(self) -> Point:
        last = self.stops[0][-1][0]
        return Point(f"hotel:{last.customer_id}", last.point.lat, last.point.lon)

    def try_add(self, task: Task) -> bool:
        """Append `task` to day 1 if it fits, else to day 2; True when it was added."""
        if self.eid not in task.engineers:
            return False
        day1 = self._fits_day(0, [s[0] for s in self.stops[0]] + [task], self.home)
        if day1 is not None and self._day2_ok(day1):
            self.stops[0] = day1
            if self.stops[1]:
                self.stops[1] = self._fits_day(1, [s[0] for s in self.stops[1]], self.hotel())
            return True
        if not self.stops[0]:
            return False
        day2 = self._fits_day(1, [s[0] for s in self.stops[1]] + [task], self.hotel())
        if day2 is not None:
            self.stops[1] = day2
            return True
        return False

    def late_visits(self) -> int:
        """How many of the trip's visits arrive after their deadline."""
        return sum(
            1
            for day in self.stops
            for task, arrival, *_ in day
            if task.deadline_min is not None and arrival > task.deadline_min
        )

    def _day2_ok(self, day1: list) -> bool:
        last = day1[-1][0]
        hotel = Point(f"hotel:{last.customer_id}", last.point.lat, last.point.lon)
        return self._fits_day(1, [s[0] for s in self.stops[1]], hotel) is not None

    def block(self) -> Block:
        """The booked trip as visits and its routes: both days, or only the first when the
        second has no visit (it is then a travel day left to the routing search)."""
        ctx = self.ctx
        hotel = self.hotel()
        visits: list[Visit] = []
        routes: list[Route] = []
        late = 0
        km_total = 0.0
        legs = ((self.home, hotel), (hotel, self.home))
        with_return = bool(self.stops[1])
        for k, (start_point, end_point) in enumerate(legs if with_return else legs[:1]):
            day = self.days[k]
            shift = ctx.shifts[self.eid][day]
            point = start_point
            keys = []
            stops = self.stops[k]
            departure = shift.start
            if stops:
                first = stops[0]
                departure = first[2] - ctx.travel.leg(start_point, first[0].point)[1]
            clock = departure
            for position, (task, _, start, end) in enumerate(stops):
                km, minutes = ctx.travel.leg(point, task.point)
                arrival = clock + minutes
                is_late = task.deadline_min is not None and arrival > task.deadline_min
                late += max(0, arrival - task.deadline_min) if is_late else 0
                visits.append(
                    Visit(
                        request_ref=task.request_ref,
                        engineer_id=self.eid,
                        day=day,
                        arrival=ctx.at(arrival),
                        start=ctx.at(start),
                        end=ctx.at(end),
                        travel_km=round(km, 3),
                        travel_minutes=minutes,
                        deadline=task.deadline,
                        late=is_late,
                        session=task.session,
                        lodging=k == 0 and position == len(stops) - 1,
                    )
                )
                keys.append(task.key)
                km_total += km
                point, clock = task.point, end
            km, minutes = ctx.travel.leg(point, end_point)
            km_total += km
            routes.append(
                Route(
                    engineer_id=self.eid,
                    day=day,
                    start_place=_place(start_point, "hotel" if k == 1 else "home"),
                    end_place=_place(end_point, "hotel" if k == 0 else "home"),
                    visit_keys=tuple(keys),
                    departure=ctx.at(departure),
                    return_at=ctx.at(clock + minutes),
                    return_km=round(km, 3),
                    return_minutes=minutes,
                )
            )
        return Block(
            self.stops[0][0][0].request_ref,
            self.eid,
            tuple(visits),
            tuple(routes),
            self.days,
            late,
            km_total,
            () if with_return else (TravelDay(self.eid, self.days[1], hotel, self.home),),
        )


def book_trips(
    ctx: Context,
    tasks: list[Task],
    busy: set[tuple[str, date]],
    demand: DayDemand | None = None,
) -> tuple[list[Block], list[Task]]:
    """Book one-night trips for `tasks` (all needing an overnight stay); return the blocks
    and the tasks no trip could take. `busy` gains the booked engineer-days, return days
    included (they are no longer home-to-home days).

    A task left without a trip is often one with few possible days (a customer's narrow
    dates) whose days a more urgent trip took: the booking is redone with the stranded
    tasks first (up to ``REBOOK_ROUNDS`` times) and kept when it strands fewer tasks
    without booking more late visits. Among equally timely trips serving as many visits,
    the engineer whose days single visits need least (`demand`) goes.
    """
    demand = demand or {}
    best = _book(ctx, tasks, set(busy), set(), demand)
    for _ in range(REBOOK_ROUNDS):
        if not best[1]:
            break
        first = {t.key for t in best[1]}
        again = _book(ctx, tasks, set(busy), first, demand)
        if (len(again[1]), _late_visits(again[0])) >= (len(best[1]), _late_visits(best[0])):
            break
        best = again
    blocks, left, taken = best
    busy.update(taken)
    return blocks, left


REBOOK_ROUNDS = 2


def _late_visits(blocks: list[Block]) -> int:
    return sum(1 for block in blocks for visit in block.visits if visit.late)


def _book(
    ctx: Context,
    tasks: list[Task],
    busy: set[tuple[str, date]],
    first: set[tuple[str, int]],
    demand: DayDemand,
) -> tuple[list[Block], list[Task], set[tuple[str, date]]]:
    """One greedy booking pass, the tasks whose keys are in `first` before the others."""
    by_town: dict[str, list[Task]] = defaultdict(list)
    for task in tasks:
        by_town[ctx.customers[task.customer_id].city.strip() or task.customer_id].append(task)

    def urgency(task: Task) -> tuple:
        deadline = task.deadline_min if task.deadline_min is not None else 10**9
        return (task.key not in first, task.expired, deadline, -task.priority, task.request_ref)

    for group in by_town.values():
        group.sort(key=urgency)
    towns = sorted(by_town, key=lambda town: urgency(by_town[town][0]))
    blocks: list[Block] = []
    left: list[Task] = []
    for town in towns:
        open_tasks = list(by_town[town])
        while open_tasks:
            seed = open_tasks[0]
            trip = _best_trip(ctx, seed, open_tasks, busy, demand)
            if trip is None:
                left.append(seed)
                open_tasks.pop(0)
                continue
            served = {t.key for day in trip.stops for t, *_ in day}
            open_tasks = [t for t in open_tasks if t.key not in served]
            blocks.append(trip.block())
            busy.update((trip.eid, d) for d in trip.days)
    return blocks, left, busy


def _best_trip(
    ctx: Context, seed: Task, town_tasks: list[Task], busy, demand: DayDemand
) -> _Trip | None:
    best: tuple | None = None
    for rank, eid in enumerate(nearest_engineers(ctx, seed)):
        calendar = ctx.calendar_of(eid)
        days = [d for d, s in ctx.shifts[eid].items() if not s.overtime and (eid, d) not in busy]
        for day in days:
            nxt = calendar.next_working_day(day)
            if nxt not in days or not one_night(day, nxt):
                continue
            trip = _Trip(ctx, eid, (day, nxt))
            if not trip.try_add(seed):
                continue
            rest = sorted(
                (t for t in town_tasks if t.key != seed.key),
                key=lambda t: (ctx.travel.leg(seed.point, t.point)[0], t.request_ref),
            )
            for task in rest:
                trip.try_add(task)
            arrival = next(s[1] for d in trip.stops for s in d if s[0].key == seed.key)
            late = seed.deadline_min is not None and arrival > seed.deadline_min
            count = sum(len(d) for d in trip.stops)
            # On time: the latest such days (just in time); late: the earliest days.
            when = day.toordinal() if late else -day.toordinal()
            demanded = round(demand_on(demand, eid, trip.days))
            score = (late, trip.late_visits(), when, -count, demanded, rank)
            if best is None or score < best[0]:
                best = (score, trip)
    return best[1] if best else None
