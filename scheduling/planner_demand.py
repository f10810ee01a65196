"""How much the single visits still to plan need each engineer-day, for the booking passes.

Trainings and overnight trips are booked before routing, each on whole engineer-days. Two
engineers free on the same days are not worth the same: booking the only network engineer
of an office for a PMS training leaves the office's network calls due that week without
anyone. :func:`day_demand` estimates, for every engineer-day, the minutes of single visits
that could be served on time only by engineer-days like it: each visit spreads its minutes
evenly over the engineer-days that could take it by its deadline (the skilled engineers'
working days from when it can start to its deadline; after that when the deadline cannot
be met). The booking passes prefer, among equally timely choices, the engineer-days with
the least demand.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from scheduling.planner_model import Context, Task

DayDemand = dict[tuple[str, date], float]


def day_demand(ctx: Context, tasks: list[Task]) -> DayDemand:
    """Minutes of `tasks` (single visits) expected to need each (engineer, day), summed."""
    demand: DayDemand = defaultdict(float)
    for task in tasks:
        if task.sessions > 1 or task.pinned is not None:
            continue
        due = task.latest if task.deadline_min is None else min(task.latest, task.deadline_min)
        pairs = _pairs(ctx, task, due)
        if not pairs:  # the deadline cannot be met: any later day will do
            pairs = _pairs(ctx, task, task.latest)
        for pair in pairs:
            demand[pair] += task.service / len(pairs)
    return demand


def _pairs(ctx: Context, task: Task, due: int) -> list[tuple[str, date]]:
    return [
        (eid, day)
        for eid in task.engineers
        for day, shift in ctx.shifts[eid].items()
        if not shift.overtime and shift.start <= due and shift.end >= task.earliest + task.service
    ]


def demand_on(demand: DayDemand, engineer_id: str, days: tuple[date, ...] | list[date]) -> float:
    """Demand on an engineer's days (0 for days nobody needs)."""
    return sum(demand.get((engineer_id, day), 0.0) for day in days)
