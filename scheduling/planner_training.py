"""Trainings, booked as whole blocks of consecutive working days before routing.

A training of N sessions needs the same engineer on N consecutive working days of the
engineer's office calendar (POLICY.md 3, 4), each session a full day on site. Such a block
leaves no room for other visits on those days, so the planner books it first, among the
nearest skilled engineers: the latest block that still ends by the deadline (just in
time: the first days of the horizon go to the visits due first), else the earliest late
one. A greedy pass in deadline order is improved by booking all trainings at once
(:mod:`scheduling.planner_blocks`). The routing search then plans everything else around
the booked engineer-days.

Out of town, the engineer sleeps at a hotel next to the customer whenever going home and
coming back the next morning would not fit in the shifts; a travel day before the first
session (or after the last) is added when the customer cannot be reached (or left) on the
session day itself. Such a travel day is left to the routing search, which may plan visits
on the way (a day's work before going to the hotel). A day's route never leaves the shift.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from scheduling.model import Place, Route, Visit
from scheduling.planner_blocks import choose_blocks
from scheduling.planner_demand import DayDemand, demand_on
from scheduling.planner_model import (
    Context,
    Task,
    TravelDay,
    nearest_engineers,
    session_end,
    session_start,
)
from scheduling.travel import Point


@dataclass(frozen=True, slots=True)
class Block:
    """A booked training: its visits, the engineer-day routes it uses and its cost."""

    request_ref: str
    engineer_id: str
    visits: tuple[Visit, ...]
    routes: tuple[Route, ...]
    days: tuple[date, ...]
    late_minutes: int
    km: float
    travel_days: tuple[TravelDay, ...] = ()  # booked days left to the routing search


def _place(point: Point, kind: str) -> Place:
    return Place(kind, point.lat, point.lon, point.key)


class _Builder:
    def __init__(self, ctx: Context, tasks: list[Task], engineer_id: str) -> None:
        self.ctx = ctx
        self.tasks = sorted(tasks, key=lambda t: t.session)
        self.eid = engineer_id
        self.home = ctx.home(engineer_id)
        first = self.tasks[0]
        self.site = first.point
        self.hotel = Point(f"hotel:{first.customer_id}", first.point.lat, first.point.lon)
        self.out = ctx.travel.leg(self.home, self.site)
        self.back = ctx.travel.leg(self.site, self.home)

    def build(self, days: list[date], before: date | None, after: date | None) -> Block | None:
        ctx, shifts = self.ctx, self.ctx.shifts[self.eid]
        visits: list[Visit] = []
        routes: list[Route] = []
        used = list(days)
        journeys: list[TravelDay] = []
        at_hotel = False
        late = 0
        km = 0.0
        if before is not None:
            shift = shifts[before]
            if shift.start + self.out[1] > shift.end:
                return None
            journeys.append(TravelDay(self.eid, before, self.home, self.hotel))
            used.insert(0, before)
            km += self.out[0]
            at_hotel = True
        for k, (task, day) in enumerate(zip(self.tasks, days, strict=True)):
            shift = shifts[day]
            leg = (0.0, 0) if at_hotel else self.out
            start = session_start(task, shift, shift.start + leg[1])
            if start is None:
                return None
            departure = start - leg[1]
            end = session_end(task, shift, start)
            last = k == len(self.tasks) - 1
            go_home = end + self.back[1] <= shift.end
            if go_home and not last:
                nxt = shifts[days[k + 1]]
                go_home = session_start(self.tasks[k + 1], nxt, nxt.start + self.out[1]) is not None
            if last and not go_home and after is None:
                return None
            arrival = start if at_hotel else departure + leg[1]
            if task.deadline_min is not None and arrival > task.deadline_min:
                late += arrival - task.deadline_min
            visit = Visit(
                request_ref=task.request_ref,
                engineer_id=self.eid,
                day=day,
                arrival=ctx.at(arrival),
                start=ctx.at(start),
                end=ctx.at(end),
                travel_km=round(leg[0], 3),
                travel_minutes=leg[1],
                deadline=task.deadline,
                late=task.deadline_min is not None and arrival > task.deadline_min,
                session=task.session,
                pinned=False,
                lodging=not go_home,
            )
            visits.append(visit)
            start_place = self.hotel if at_hotel else self.home
            end_point = self.home if go_home else self.hotel
            back = self.back if go_home else (0.0, 0)
            route = Route(
                engineer_id=self.eid,
                day=day,
                start_place=_place(start_place, "hotel" if at_hotel else "home"),
                end_place=_place(end_point, "home" if go_home else "hotel"),
                visit_keys=(visit.key,),
                departure=ctx.at(departure),
                return_at=ctx.at(end + back[1]),
                return_km=round(back[0], 3),
                return_minutes=back[1],
            )
            routes.append(route)
            km += leg[0] + back[0]
            at_hotel = not go_home
        if at_hotel:
            if after is None:
                return None
            shift = shifts[after]
            if shift.start + self.back[1] > shift.end:
                return None
            journeys.append(TravelDay(self.eid, after, self.hotel, self.home))
            used.append(after)
            km += self.back[0]
        return Block(
            self.tasks[0].request_ref,
            self.eid,
            tuple(visits),
            tuple(routes),
            tuple(used),
            late,
            km,
            tuple(journeys),
        )


def book_trainings(
    ctx: Context,
    tasks: list[Task],
    busy: set[tuple[str, date]],
    demand: DayDemand | None = None,
) -> tuple[list[Block], dict[str, tuple[str, str]]]:
    """Book every unpinned training of `tasks` (the sessions of multi-day trainings, and
    the single visits the caller books as one-day blocks); return the blocks and, for
    those that found no block, (reason code, sentence). `busy` gains the booked
    engineer-days.

    A greedy pass (deadline order, each training on its best block) gives a first booking;
    :func:`scheduling.planner_blocks.choose_blocks` then books all of them at once over
    every candidate block, so that one training's just-in-time days do not crowd out
    another whose customer accepts only those days. Block value, in this order: booked,
    on time, just in time (latest days), least needed by single visits (`demand`,
    :mod:`scheduling.planner_demand`), fewest kilometres.
    """
    demand = demand or {}
    pinned_days = set(busy)  # before this booking: the candidates may use any other day
    by_ref: dict[str, list[Task]] = {}
    for task in tasks:
        by_ref.setdefault(task.request_ref, []).append(task)
    order = sorted(
        by_ref.values(),
        key=lambda ts: (
            ts[0].expired,
            ts[0].deadline_min if ts[0].deadline_min is not None else 10**9,
            -ts[0].priority,
            ts[0].request_ref,
        ),
    )
    blocks: list[Block] = []
    failed: dict[str, tuple[str, str]] = {}
    options: dict[str, list[Block]] = {}
    for group in order:
        first = group[0]
        ref = first.request_ref
        if any(t.pinned is not None for t in group):
            failed[ref] = (
                "pinned_partial",
                "some sessions are pinned: the remaining sessions are left to the dispatcher",
            )
            continue
        if first.expired:
            failed[ref] = (
                "no_capacity",
                "expired: a multi-day training books engineers' whole days, so it is only "
                "planned for entitled customers; listed for sales follow-up",
            )
            continue
        candidates = nearest_engineers(ctx, first)
        best: tuple | None = None
        options[ref] = []
        for eid in candidates:
            found = _best_for_engineer(ctx, group, eid, busy)
            options[ref].extend(_blocks(ctx, group, eid, pinned_days))
            if found is not None:
                late = found.late_minutes > 0
                when = found.days[0].toordinal() * (1 if late else -1)
                needed = demand_on(demand, eid, found.days)
                score = (late, when, found.late_minutes, round(needed), found.km, eid)
                if best is None or score < best[0]:
                    best = (score, found)
        if best is None:
            failed[ref] = _no_block(first)
            continue
        block = best[1]
        blocks.append(block)
        busy.update((block.engineer_id, d) for d in block.days)
    chosen = choose_blocks(
        options,
        {b.request_ref: b for b in blocks},
        lambda b: block_value(ctx, b, demand),
    )
    if chosen is not None:
        for block in blocks:
            busy.difference_update((block.engineer_id, d) for d in block.days)
        blocks = [chosen[ref] for ref in options if ref in chosen]
        for block in blocks:
            busy.update((block.engineer_id, d) for d in block.days)
            failed.pop(block.request_ref, None)
        for group in order:
            ref = group[0].request_ref
            if ref in options and ref not in chosen:  # another booking was worth more
                failed[ref] = _no_block(group[0])
    return blocks, failed


def _no_block(task: Task) -> tuple[str, str]:
    days = (
        "a free working day"
        if task.sessions == 1
        else f"{task.sessions} consecutive free working days"
    )
    return (
        "no_capacity",
        f"no skilled engineer has {days} reaching the customer inside its window in the horizon",
    )


def block_value(ctx: Context, block: Block, demand: DayDemand) -> int:
    """What booking `block` is worth (integer, higher is better): on time first, then the
    fewest days off spent at a hotel (a training over a weekend by an engineer who cannot
    go home between sessions), then the latest days (just in time), then the least demand
    by single visits, then kilometres."""
    day = (block.days[0] - ctx.problem.start).days
    if block.late_minutes:
        timing = -min(block.late_minutes, 10**5) * 10 - 1000 * day
    else:
        timing = 10**7 - 10**6 * min(days_off_away(block), 9) + 1000 * day
    return (
        10**8
        + timing
        - round(demand_on(demand, block.engineer_id, block.days))
        - round(block.km / 10)
    )


def days_off_away(block: Block) -> int:
    """Days off the engineer spends at the hotel inside `block`: from each of its days
    that ends at the hotel (a session, or the travel day before the first) to its next
    day."""
    days = sorted(block.days)
    to_hotel = [r.day for r in block.routes if r.end_place.kind == "hotel"]
    to_hotel += [t.day for t in block.travel_days if t.day == days[0]]  # the way out
    return sum((days[days.index(day) + 1] - day).days - 1 for day in to_hotel if day != days[-1])


def _blocks(ctx: Context, group: list[Task], eid: str, busy: set[tuple[str, date]]) -> list[Block]:
    """Every block of `eid` for the training `group` on days not in `busy`: one per first day."""
    days = [d for d, s in ctx.shifts[eid].items() if not s.overtime]
    return list(_blocks_from(ctx, group, eid, busy, range(len(days))))


def every_block(ctx: Context, group: list[Task], eid: str) -> list[Block]:
    """Every block of `eid` for the training `group`, whoever holds the days: for each
    first day, each way of travelling the shifts allow (without travel days; else with
    one before the first session or one after the last; else with both) that no other
    way beats on fewer days. A caller keeps those whose days are free; unlike
    :func:`_blocks`, nothing is left out because a day was busy."""
    days = [d for d, s in ctx.shifts[eid].items() if not s.overtime]
    builder = _Builder(ctx, group, eid)
    found = []
    for i in range(len(days)):
        run, before, after = _run_at(ctx, eid, days, i, len(group))
        if any(d not in days for d in run):
            continue
        after = after if after in days else None
        for ways in ([(None, None)], [(before, None), (None, after)], [(before, after)]):
            built = [builder.build(run, *way) for way in dict.fromkeys(ways)]
            built = [b for b in built if b is not None]
            if built:
                found.extend(built)
                break
    return found


def _best_for_engineer(
    ctx: Context, group: list[Task], eid: str, busy: set[tuple[str, date]]
) -> Block | None:
    days = [d for d, s in ctx.shifts[eid].items() if not s.overtime]
    # Just in time: the latest days that still end by the deadline leave the first days
    # to the visits due first; when none is on time, the earliest days.
    on_time = next(
        (
            b
            for b in _blocks_from(ctx, group, eid, busy, reversed(range(len(days))))
            if not b.late_minutes
        ),
        None,
    )
    return (
        on_time
        if on_time is not None
        else next(_blocks_from(ctx, group, eid, busy, range(len(days))), None)
    )


def _blocks_from(ctx: Context, group: list[Task], eid: str, busy: set[tuple[str, date]], order):
    """Blocks of `eid` for `group` starting on the days at the indices `order`, in order."""
    shifts = ctx.shifts[eid]
    days = [d for d, s in shifts.items() if not s.overtime]
    builder = _Builder(ctx, group, eid)

    def free(day: date | None) -> bool:
        return (
            day is not None
            and day in shifts
            and not shifts[day].overtime
            and ((eid, day) not in busy)
        )

    for i in order:
        run, before, after = _run_at(ctx, eid, days, i, len(group))
        if not all(free(d) for d in run):
            continue
        for use_before in (False, True):
            if use_before and not free(before):
                continue
            block = builder.build(
                run, before if use_before else None, after if free(after) else None
            )
            if block is not None:
                yield block
                break


def _run_at(
    ctx: Context, eid: str, days: list[date], i: int, n: int
) -> tuple[list[date], date | None, date]:
    """The `n` consecutive working days of `eid` from ``days[i]``, the working day just
    before them when it is in `days` (else None), and the working day just after."""
    calendar = ctx.calendar_of(eid)
    run = [days[i]]
    while len(run) < n:
        run.append(calendar.next_working_day(run[-1]))
    before = days[i - 1] if i > 0 else None
    if before is not None and calendar.next_working_day(before) != days[i]:
        before = None
    return run, before, calendar.next_working_day(run[-1])
