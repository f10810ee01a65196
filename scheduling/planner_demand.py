"""How much the single visits still to plan need each engineer-day, for the booking passes.

Trainings and overnight trips are booked before routing, each on whole engineer-days. Two
engineers free on the same days are not worth the same: booking the only network engineer
of an office for a PMS training leaves the office's network calls due that week without
anyone. :func:`day_demand` estimates, for every engineer-day, the minutes of single visits
that could be served on time only by engineer-days like it: each visit spreads its minutes
evenly over the engineer-days that could take it by its deadline (the working days, from
when it can start to its deadline, of the skilled engineers who can do it as a day trip
from home; after the deadline when it cannot be met). A visit nobody can do in a day
(an overnight trip) spreads over every skilled engineer's days. The booking passes
prefer, among equally timely choices, the engineer-days with the least demand.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from scheduling.planner_model import Context, Task, day_trip_fits, day_trippers

DayDemand = dict[tuple[str, date], float]


def day_demand(ctx: Context, tasks: list[Task]) -> DayDemand:
    """Minutes of `tasks` (single visits) expected to need each (engineer, day), summed."""
    demand: DayDemand = defaultdict(float)
    for task in tasks:
        if task.sessions > 1 or task.pinned is not None:
            continue
        due = task.latest if task.deadline_min is None else min(task.latest, task.deadline_min)
        reach = day_trippers(ctx, task) or None  # None: an overnight trip
        pairs = _pairs(ctx, task, due, reach)
        if not pairs:  # the deadline cannot be met: any later day will do
            pairs = _pairs(ctx, task, task.latest, reach)
        for pair in pairs:
            demand[pair] += task.service / len(pairs)
    return demand


def _pairs(
    ctx: Context, task: Task, due: int, reach: dict[str, tuple[int, int]] | None
) -> list[tuple[str, date]]:
    return [
        (eid, day)
        for eid in (task.engineers if reach is None else reach)
        for day, shift in ctx.shifts[eid].items()
        if not shift.overtime
        and shift.start <= due
        and shift.end >= task.earliest + task.service
        and (reach is None or day_trip_fits(task, shift, *reach[eid]))
    ]


def demand_on(demand: DayDemand, engineer_id: str, days: tuple[date, ...] | list[date]) -> float:
    """Demand on an engineer's days (0 for days nobody needs)."""
    return sum(demand.get((engineer_id, day), 0.0) for day in days)
