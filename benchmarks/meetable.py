"""How many deadlines any plan can meet together: an upper bound (issue 4).

A deadline that is met when its request is planned alone (:func:`benchmarks.field.
meetable_alone`) may still be impossible to meet together with the others: four engineers
in an office hold the training skill and thirty training days are due there in one week.
:func:`together_bound` bounds the number of deadlines every plan must miss, so a
benchmark can tell a planner's avoidable misses from the unavoidable ones.

The bound is exact about whole-day work and generous about everything else. A *long*
session is one that two of cannot share an engineer-day (twice its minutes exceed the
shift): a training day, a 6-hour job. CP-SAT finds the most requests with long sessions
that can be on time together, where

- every session of a request goes to one engineer holding every required skill, on
  consecutive working days of their calendar (POLICY.md 3, 4), each a shift they work
  (an overtime shift only for an emergency) inside the customer's dates, after the
  request was received (:func:`scheduling.planner_model.session_start`) and arriving by
  the deadline (on the engineer's first shift of the horizon, after the drive from home;
  before any other, they may have slept next to the customer);
- the engineer can get there: a day's route never leaves the shift and a night away is
  spent next to a customer (POLICY.md 4), so every leg of a journey from home through
  customers' sites is at most one shift long, and sites beyond every such chain are out
  of reach;
- an engineer-day holds at most one long session.

Every other meetable request counts as met. Each rule above holds in every plan that
follows the policy (the validator checks the first and the last), so no such plan meets
more deadlines than the bound, and CP-SAT's proven objective bound is valid even when
its search stops early.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from scheduling.model import Problem
from scheduling.planner_model import (
    Context,
    Task,
    build_context,
    engineer_shifts,
    make_tasks,
    session_start,
)
from scheduling.policy import Policy
from scheduling.travel import GreatCircleTravel, Point, TravelProvider


@dataclass(frozen=True, slots=True)
class Bound:
    """At most `upper` of the `meetable` deadlines can be met together; `proven` when
    CP-SAT closed its gap (some assignment of the relaxation meets exactly `upper`)."""

    meetable: int
    upper: int
    proven: bool

    @property
    def unavoidable(self) -> int:
        """Meetable deadlines that every plan misses."""
        return self.meetable - self.upper


def _components(near: np.ndarray) -> np.ndarray:
    """Connected-component label per node of a symmetric boolean adjacency matrix."""
    labels = np.full(len(near), -1)
    for node in range(len(near)):
        if labels[node] >= 0:
            continue
        labels[node] = node
        frontier = np.array([node])
        while frontier.size:
            found = near[frontier].any(axis=0) & (labels < 0)
            labels[found] = node
            frontier = np.flatnonzero(found)
    return labels


def _reach(ctx: Context, sites: list[Point]) -> dict[str, set[str]]:
    """Per engineer, the customer sites (point keys) a journey of legs no longer than
    their longest shift can reach from home through other sites. A leg counts in either
    direction (generous, so the bound stays valid for a one-way matrix file)."""
    homes = {eid: ctx.home(eid) for eid in ctx.shifts}
    points = sites + list(homes.values())
    _, minutes = ctx.travel.matrix(points)
    minutes = np.minimum(minutes, minutes.T)
    n = len(sites)
    labels_by_limit: dict[int, np.ndarray] = {}
    out: dict[str, set[str]] = {}
    for k, (eid, shifts) in enumerate(ctx.shifts.items()):
        longest = max((s.end - s.start for s in shifts.values()), default=0)
        if longest not in labels_by_limit:
            labels_by_limit[longest] = _components(minutes[:n, :n] <= longest)
        labels = labels_by_limit[longest]
        first_legs = minutes[n + k, :n] <= longest
        reached = np.isin(labels, labels[first_legs])
        out[eid] = {sites[i].key for i in np.flatnonzero(reached)}
    return out


def _long_blocks(ctx: Context, sessions: list[Task], eid: str):
    """Every run of consecutive shifts of `eid` on which `sessions` can all be on time
    (see the module docstring), as tuples of shift starts."""
    calendar = ctx.calendar_of(eid)
    shifts = ctx.shifts[eid]
    drive = ctx.travel.leg(ctx.home(eid), sessions[0].point)[1]
    # only the first shift of the horizon surely starts at home: before any other, the
    # engineer may have slept next to the customer
    opening = next(iter(shifts), None)
    for first in shifts:
        days, day = [first], first
        while len(days) < len(sessions):
            day = calendar.next_working_day(day)
            days.append(day)
        if all(d in shifts for d in days) and all(
            _on_time(task, shifts[day], drive if k == 0 and first == opening else 0)
            for k, (task, day) in enumerate(zip(sessions, days, strict=True))
        ):
            yield tuple(shifts[d].start for d in days)


def _on_time(task: Task, shift, drive: int) -> bool:
    """True when `task` can start on `shift`, reached `drive` minutes after its start, and
    arrive by its deadline (an overtime shift only for an emergency)."""
    arrival = shift.start + drive
    if shift.overtime and not task.emergency:
        return False
    return arrival <= task.deadline_min and session_start(task, shift, arrival) is not None


def together_bound(
    problem: Problem,
    policy: Policy,
    meetable: set[str],
    seconds: float = 30.0,
    travel: TravelProvider | None = None,
) -> Bound:
    """An upper bound on how many of the `meetable` requests' deadlines one plan can meet
    together (see the module docstring). Valid whatever the time limit."""
    ctx = build_context(problem, policy, travel or GreatCircleTravel(policy))
    ctx.shifts = {e.engineer_id: engineer_shifts(ctx, e) for e in problem.engineers}
    tasks, _ = make_tasks(ctx)
    due = [t for t in tasks if t.request_ref in meetable and t.deadline_min is not None]
    by_ref: dict[str, list[Task]] = defaultdict(list)
    for t in due:
        by_ref[t.request_ref].append(t)
    longest = max(
        (s.end - s.start for shifts in ctx.shifts.values() for s in shifts.values()), default=0
    )
    long = {ref: sorted(ts, key=lambda t: t.session) for ref, ts in by_ref.items()
            if 2 * ts[0].service > longest}  # fmt: skip
    reach = _reach(ctx, list({t.point.key: t.point for t in tasks}.values()))

    model = cp_model.CpModel()
    others = len(meetable) - len(long)  # counted as met
    met = []
    holders: dict[tuple[str, int], list[cp_model.IntVar]] = defaultdict(list)
    for ref, sessions in long.items():
        first = sessions[0]
        options = []
        for eid in first.engineers:
            if first.point.key not in reach[eid]:
                continue
            for starts in _long_blocks(ctx, sessions, eid):
                var = model.new_bool_var(f"{ref}:{eid}:{starts[0]}")
                options.append(var)
                for start in starts:
                    holders[eid, start].append(var)
        if not options:  # cannot happen for a request on time alone; generous if it does
            others += 1
            continue
        chosen = model.new_bool_var(f"met:{ref}")
        model.add(sum(options) == chosen)
        met.append(chosen)
    for used in holders.values():
        model.add_at_most_one(used)
    model.maximize(sum(met))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 1
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Bound(len(meetable), len(meetable), False)
    upper = others + int(solver.best_objective_bound + 1e-6)
    return Bound(len(meetable), min(len(meetable), upper), status == cp_model.OPTIMAL)


__all__ = ["Bound", "together_bound"]
