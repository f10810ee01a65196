"""The planner: one pure, seeded entry point from a Problem to a validated Plan.

:func:`plan` (issue 4) books multi-day trainings as blocks of consecutive days
(:mod:`scheduling.planner_training`), then routes every other visit with OR-Tools through
the shared routing core (:mod:`scheduling.routing`) over engineer-day vehicles and one-night
trips (:mod:`scheduling.planner_model`), with the constraints and objective terms of
:mod:`scheduling.planner_rules`. The plan is checked by the independent validator
(:mod:`scheduling.validate`) before it is returned.

Determinism: the same problem, policy and seed give the same plan when the search stops on
``solution_limit``; under a time limit alone, the best plan found depends on the machine's
speed (OR-Tools' search itself is deterministic).
"""

from __future__ import annotations

import dataclasses
import time as _time
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

import numpy as np

from scheduling.cost_legs import LegEnd, customer_end, place_end
from scheduling.kpis import plan_kpis
from scheduling.model import Place, Plan, Problem, Route, Unassigned, Visit
from scheduling.planner_demand import day_demand
from scheduling.planner_groups import engineer_groups, group_count, split_by_group
from scheduling.planner_model import (
    Context,
    Task,
    Vehicle,
    build_context,
    make_tasks,
    make_vehicles,
    spans_lunch,
)
from scheduling.planner_parallel import can_fork, run_side_by_side, shares
from scheduling.planner_reasons import dropped_reason, no_vehicle_reason, stranded_reason
from scheduling.planner_rebook import rebook_for_trips
from scheduling.planner_repair import eject_late, insert_dropped, move_late
from scheduling.planner_result import (
    empty_travel_days,
    fixed_routes,
    routes_from_solution,
    unassigned_entry,
)
from scheduling.planner_rules import (
    can_serve,
    deadline_missed,
    long_visit,
    lunch_break,
    lunch_breaks,
    overtime_and_workload,
    pinned_visit,
    restrict_vehicles,
    travel_cost,
    visit_dropped,
)
from scheduling.planner_start import (
    greedy_sequences,
    missed_deadlines,
    model_routes,
    timed_solution,
    vroom_on_time_sequences,
    vroom_sequences,
)
from scheduling.planner_training import book_trainings
from scheduling.planner_trips import book_trips, needs_overnight
from scheduling.policy import Policy
from scheduling.routing import (
    NoSolution,
    RoutingCore,
    RoutingData,
    RoutingParams,
    RoutingSolution,
)
from scheduling.travel import GreatCircleTravel, Point, TravelProvider

__all__ = [
    "Instance",
    "PlanningError",
    "Prepared",
    "finish",
    "leg_ends",
    "plan",
    "prepare",
    "routing_instance",
    "tasks_by_node",
]


# Below this share of an office's budget left after building the starts, the search is
# skipped (measured at 2,000/150: a 0.5 s search limit took 1.5 s and improved nothing).
SEARCH_MIN_SHARE = 0.25

# An office with more visit x vehicle pairs than this is searched in groups of engineers
# from its start (scheduling/planner_groups.py): OR-Tools takes longer to read a start of
# 2,000 requests' office (~300,000 pairs) than the budget (measured: over 10 s), and a
# 500/40 office (~22,000 pairs) searches well whole.
GROUP_PAIRS = 25_000


class PlanningError(RuntimeError):
    """The planner could not produce a valid plan (e.g. pinned visits that conflict)."""


@dataclass
class Prepared:
    """Everything decided before the routing search: the context, the visits still to
    route over the free engineer-day vehicles, and what is already booked or answered."""

    ctx: Context
    routable: list[Task]
    vehicles: list[Vehicle]
    visits: list[Visit] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    unassigned: list[Unassigned] = field(default_factory=list)


def prepare(problem: Problem, policy: Policy, travel: TravelProvider) -> Prepared:
    """Tasks and vehicles for the routing search, after answering unplannable requests and
    booking pinned days, multi-day trainings and overnight trips."""
    ctx = build_context(problem, policy, travel)
    tasks, rejected = make_tasks(ctx)
    unassigned = [unassigned_entry(ref, code, text) for ref, (code, text) in rejected.items()]

    # Pinned visits the search cannot hold (training sessions, days without a shift) stay
    # exactly as they are, and their engineer-days are taken.
    pass_through = [t for t in tasks if t.pinned is not None and not _routable_pin(ctx, t)]
    kept = {t.key for t in pass_through}
    extra_pins = [v for v in problem.pinned if v.request_ref not in ctx.requests]
    pinned_visits, pinned_routes = fixed_routes(ctx, [t.pinned for t in pass_through] + extra_pins)
    busy = {(v.engineer_id, v.day) for v in pinned_visits}

    single = [t for t in tasks if t.sessions == 1 and t.key not in kept]
    far = [t for t in single if needs_overnight(ctx, t)]
    far_keys = {t.key for t in far}
    full_days = [t for t in single if _full_day(t, policy) and t.key not in far_keys]
    full_keys = {t.key for t in full_days}
    booked = far_keys | full_keys  # as trips or as one-day blocks, not routed
    trainings = [t for t in tasks if t.sessions > 1 and t.key not in kept] + full_days
    demand = day_demand(ctx, [t for t in single if t.key not in full_keys])
    blocks, failed = book_trainings(ctx, trainings, busy, demand)
    for ref, (code, text) in failed.items():
        sessions = [t.session for t in trainings if t.request_ref == ref]
        partial = any(t.request_ref == ref for t in pass_through)
        for session in sessions if partial else [None]:
            unassigned.append(unassigned_entry(ref, code, text, session))

    trips, stranded = book_trips(ctx, far, busy, demand)
    groups: dict[str, list[Task]] = {}
    for task in trainings:
        groups.setdefault(task.request_ref, []).append(task)
    far_by_key = {t.key: t for t in far}
    for trip in trips:  # a one-visit trip may move like a one-day training
        if len(trip.visits) == 1 and trip.visits[0].key in far_by_key:
            groups[trip.request_ref] = [far_by_key[trip.visits[0].key]]
    blocks, stranded = rebook_for_trips(
        ctx,
        stranded,
        blocks + trips,
        groups,
        busy,
        demand,
    )
    for task in stranded:
        unassigned.append(unassigned_entry(task.request_ref, *stranded_reason(ctx, task)))
    prepared = Prepared(
        ctx=ctx,
        routable=[t for t in single if t.key not in booked],
        vehicles=make_vehicles(ctx, busy, [t for b in blocks for t in b.travel_days]),
        visits=list(pinned_visits),
        routes=list(pinned_routes),
        unassigned=unassigned,
    )
    for block in blocks:
        prepared.visits.extend(block.visits)
        prepared.routes.extend(block.routes)
    return prepared


def finish(
    prepared: Prepared,
    visits: list[Visit],
    routes: list[Route],
    unassigned: list[Unassigned],
    seed: int,
    began: float,
) -> Plan:
    """The Plan: routed and booked visits together (and the trips' return days the search
    left empty), KPIs, checked by the validator.

    Raises :class:`PlanningError` listing the broken rules when the plan is invalid.
    """
    ctx = prepared.ctx
    visits = prepared.visits + visits
    routes = prepared.routes + routes
    routes += empty_travel_days(ctx, prepared.vehicles, routes)
    unassigned = prepared.unassigned + unassigned
    result = Plan(
        visits=tuple(sorted(visits, key=lambda v: (v.day, v.engineer_id, v.start, v.key))),
        routes=tuple(sorted(routes, key=lambda r: (r.day, r.engineer_id))),
        unassigned=tuple(sorted(unassigned, key=lambda u: (u.request_ref, u.session or 0))),
        seed=seed,
        created_at=datetime.now(ctx.tz).replace(microsecond=0),
    )
    kpis = plan_kpis(result, ctx.problem, ctx.policy, _time.monotonic() - began)
    result = Plan(result.visits, result.routes, result.unassigned, kpis, seed, result.created_at)

    from scheduling.validate import validate_plan

    violations = validate_plan(result, ctx.problem, ctx.policy, ctx.travel)
    if violations:
        listed = "\n  ".join(str(v) for v in violations[:20])
        raise PlanningError(
            f"the planner produced an invalid plan ({len(violations)}):\n  {listed}"
        )
    return result


def plan(
    problem: Problem,
    policy: Policy,
    seed: int = 0,
    time_limit: float | None = None,
    travel: TravelProvider | None = None,
    solution_limit: int | None = None,
    workers: int | None = None,
) -> Plan:
    """Plan every open request of `problem` under `policy`; never returns an invalid plan.

    Every request ends up either in ``visits`` (all its sessions) or in ``unassigned``
    with a reason code and sentence. `time_limit` defaults to
    ``policy.planner.time_limit_seconds``; the best plan found in it is returned.
    `solution_limit` stops the search after that many improving solutions, which makes the
    result independent of the machine's speed. `workers` (default
    ``policy.planner.workers``) is how many processes the independent searches (one per
    office, or per group of engineers) may run in side by side. Raises
    :class:`PlanningError` when pinned visits cannot be kept or the plan fails validation.
    """
    began = _time.monotonic()
    if workers is not None:
        settings = policy.planner.model_copy(update={"workers": workers})
        policy = policy.model_copy(update={"planner": settings})
    travel = travel or GreatCircleTravel(policy)
    limit = policy.planner.time_limit_seconds if time_limit is None else time_limit
    prepared = prepare(problem, policy, travel)
    # The booking passes used part of the budget; the search gets the rest (at least 1 s),
    # less what pricing and validating the plan will take (~0.25 ms a visit at 2,000
    # requests, measured; 0.4 ms kept).
    finishing = min(0.1 * limit, 0.0004 * (len(prepared.routable) + len(prepared.visits)))
    remaining = max(1.0, limit - (_time.monotonic() - began) - finishing)
    visits, routes, dropped = _route(
        prepared.ctx, prepared.routable, prepared.vehicles, seed, remaining, solution_limit
    )
    return finish(prepared, visits, routes, dropped, seed, began)


def _full_day(task: Task, policy: Policy) -> bool:
    """A single visit booked like a one-day training (``planner.full_day_hours`` or
    longer): it fills its day (nothing else fits around it, and the routing search,
    filling days with short visits first, rarely leaves a whole day free for it). Pinned
    and expired ones stay with the search."""
    long_enough = task.service >= policy.planner.full_day_hours * 60
    return long_enough and task.pinned is None and not task.expired


def _routable_pin(ctx: Context, task: Task) -> bool:
    pin = task.pinned
    shift = ctx.shifts.get(pin.engineer_id, {}).get(pin.day)
    return task.sessions == 1 and shift is not None


@dataclass
class Instance:
    """The routing instance: depots then live tasks as nodes, travel between them, and
    the vehicles each task may ride (skills, shift, lunch, customer dates)."""

    depot_of: dict[str, int]
    first: int  # node of the first task
    live: list[Task]
    allowed: dict[tuple[str, int], list[int]]
    soonest: dict[tuple[str, int], int]  # earliest possible arrival per task
    km: np.ndarray
    minutes: np.ndarray
    unassigned: list[Unassigned]


def routing_instance(ctx: Context, tasks: list[Task], vehicles: list[Vehicle]) -> Instance:
    """Nodes, travel matrices and allowed vehicles; tasks no vehicle can take are answered
    (unassigned with a reason) instead of entering the search."""
    depot_points: dict[str, Point] = {}
    for vehicle in vehicles:
        depot_points.setdefault(vehicle.start_point.key, vehicle.start_point)
        depot_points.setdefault(vehicle.end_point.key, vehicle.end_point)
    depots = list(depot_points.values())
    depot_of = {p.key: i for i, p in enumerate(depots)}
    first = len(depots)
    all_km, all_minutes = ctx.travel.matrix(depots + [t.point for t in tasks])
    all_minutes = np.asarray(all_minutes, dtype=np.int64)
    allowed: dict[tuple[str, int], list[int]] = {t.key: [] for t in tasks}
    soonest: dict[tuple[str, int], int] = {}
    starts = np.array([depot_of[v.start_point.key] for v in vehicles], dtype=np.int64)
    ends = np.array([depot_of[v.end_point.key] for v in vehicles], dtype=np.int64)
    lengths = np.array([v.shift.end - v.shift.start for v in vehicles], dtype=np.int64)
    overtime = np.array([v.shift.overtime for v in vehicles], dtype=bool)
    engineer_ids = sorted({v.engineer_id for v in vehicles})
    index_of = {eid: i for i, eid in enumerate(engineer_ids)}
    engineer_of = np.array([index_of[v.engineer_id] for v in vehicles], dtype=np.int64)
    for i, task in enumerate(tasks):
        there = all_minutes[starts, first + i]
        back = all_minutes[first + i, ends]
        # can_serve's cheap tests in vectors, for every vehicle at once: skills, overtime
        # for emergencies only, and (but for a pinned visit, which keeps its own day) the
        # way there, the time on site and the way back inside the shift.
        skilled = np.array([e in task.engineers for e in engineer_ids], dtype=bool)
        ok = skilled[engineer_of] & (task.emergency | ~overtime)
        if task.pinned is None:
            ok &= there + task.service + back <= lengths
        fits = np.flatnonzero(ok)
        for v in fits.tolist():
            vehicle = vehicles[v]
            if can_serve(task, vehicle, int(there[v]), int(back[v])):
                allowed[task.key].append(v)
                arrival = max(task.earliest, vehicle.shift.start + int(there[v]))
                soonest[task.key] = min(soonest.get(task.key, arrival), arrival)
    unassigned: list[Unassigned] = []
    live: list[Task] = []
    keep = list(range(first))
    for i, task in enumerate(tasks):
        if allowed[task.key]:
            live.append(task)
            keep.append(first + i)
            continue
        if task.pinned is not None:
            raise PlanningError(
                f"pinned visit {task.request_ref}#{task.session} on {task.pinned.day} for "
                f"{task.pinned.engineer_id}: that engineer has no shift that day"
            )
        code, text = no_vehicle_reason(ctx, task)
        unassigned.append(unassigned_entry(task.request_ref, code, text))
    return Instance(
        depot_of=depot_of,
        first=first,
        live=live,
        allowed=allowed,
        soonest=soonest,
        km=np.asarray(all_km, dtype=float)[np.ix_(keep, keep)],
        minutes=all_minutes[np.ix_(keep, keep)],
        unassigned=unassigned,
    )


def _route(
    ctx: Context,
    tasks: list[Task],
    vehicles: list[Vehicle],
    seed: int,
    limit: float,
    solution_limit: int | None,
) -> tuple[list[Visit], list, list[Unassigned]]:
    """Route the single visits over the vehicles, one independent search per office;
    (visits, routes, unassigned).

    Engineers of different offices are hundreds of km apart, so almost no visit can be
    reached by two offices' engineers within a shift: each visit goes to the office owning
    most of the engineer-days that can take it, and each office is searched on its own
    with a share of the budget proportional to its visits (smaller models search far
    better in the same time), side by side when ``planner.workers`` allows.
    """
    began = _time.monotonic()
    whole = routing_instance(ctx, tasks, vehicles)
    if not whole.live:
        return [], [], whole.unassigned
    office_of = {e.engineer_id: e.office_id for e in ctx.problem.engineers}
    parts: dict[str, list[Task]] = {}
    for task in whole.live:
        votes: dict[str, int] = {}
        for v in whole.allowed[task.key]:
            office = office_of[vehicles[v].engineer_id]
            votes[office] = votes.get(office, 0) + 1
        office = min(votes, key=lambda o: (-votes[o], o))
        parts.setdefault(office, []).append(task)
    searches = [
        (parts[office], [v for v in vehicles if office_of[v.engineer_id] == office], None)
        for office in sorted(parts)
    ]
    found = _search_parts(ctx, searches, seed, began + limit, solution_limit)
    return found[0], found[1], whole.unassigned + found[2]


def _search_parts(
    ctx: Context,
    searches: list[tuple[list[Task], list[Vehicle], list[list[tuple]] | None]],
    seed: int,
    deadline: float,
    solution_limit: int | None,
) -> tuple[list[Visit], list, list[Unassigned]]:
    """(tasks, vehicles, start keys) searched by :func:`_route_part` until `deadline`
    (monotonic clock); their visits, routes and unassigned together, in the order given.

    With ``planner.workers`` above 1 the searches run side by side in that many processes
    (:mod:`scheduling.planner_parallel`), each with its share of the processes' time, and
    otherwise one after another, each with a share of the time left proportional to its
    tasks."""
    sizes = [len(tasks) for tasks, _, _ in searches]
    workers = ctx.policy.planner.workers
    if can_fork(workers, len(searches)):
        budgets = shares(sizes, max(0.5, deadline - _time.monotonic()), workers)

        def job(i: int):
            tasks, fleet, start_keys = searches[i]
            limit = max(0.5, min(budgets[i], deadline - _time.monotonic()))
            return _route_part(ctx, tasks, fleet, seed, limit, solution_limit, start_keys)

        found = run_side_by_side([partial(job, i) for i in range(len(searches))], sizes, workers)
    else:
        found = []
        total = sum(sizes)
        for tasks, fleet, start_keys in searches:
            left = max(0.5, deadline - _time.monotonic())
            share = max(0.5, left * len(tasks) / total)
            total -= len(tasks)
            found.append(_route_part(ctx, tasks, fleet, seed, share, solution_limit, start_keys))
    visits: list[Visit] = []
    routes: list = []
    unassigned: list[Unassigned] = []
    for got in found:
        visits.extend(got[0])
        routes.extend(got[1])
        unassigned.extend(got[2])
    return visits, routes, unassigned


def _route_part(
    ctx: Context,
    tasks: list[Task],
    vehicles: list[Vehicle],
    seed: int,
    limit: float,
    solution_limit: int | None,
    start_keys: list[list[tuple]] | None = None,
) -> tuple[list[Visit], list, list[Unassigned]]:
    """One routing search over `tasks` and `vehicles`; (visits, routes, unassigned).

    `start_keys` (per vehicle, task keys in order) is the start when given; otherwise the
    previous plan's routes, or the configured first solution. An office of more than
    :data:`GROUP_PAIRS` visit x vehicle pairs is searched in groups of engineers from its
    start."""
    began = _time.monotonic()  # building the model counts against `limit` too
    inst = routing_instance(ctx, tasks, vehicles)
    unassigned = inst.unassigned
    if not inst.live:
        return [], [], unassigned
    live, first, depot_of, allowed = inst.live, inst.first, inst.depot_of, inst.allowed
    km, minutes = inst.km, inst.minutes
    if start_keys is not None:
        node_of = {t.key: first + i for i, t in enumerate(live)}
        initial = [[node_of[k] for k in keys if k in node_of] for keys in start_keys]
    else:
        initial = _warm_start(ctx, live, vehicles, first)
    # The dispatcher's plan (earliest deadline first): a start, and a floor the plan never
    # falls below by missed deadlines (it met more than the search on some generated
    # scenarios: BENCHMARKS.md, field scenarios of generator seeds 2-4).
    greedy = timed_solution(ctx, inst, vehicles, greedy_sequences(ctx, inst, vehicles), "greedy")
    groups = group_count(len(live) * len(vehicles), GROUP_PAIRS)
    begin, alternatives, core = _choose_start(
        ctx, inst, vehicles, initial, greedy, seed, limit, solution_limit, groups > 1,
        group_part=start_keys is not None,
    )  # fmt: skip
    if begin is not None and start_keys is None and groups > 1 and not _drops_pin(inst, begin):
        ends = began + limit
        return _route_groups(ctx, inst, vehicles, begin, groups, seed, ends, solution_limit)
    if begin is not None and limit - (_time.monotonic() - began) < SEARCH_MIN_SHARE * limit:
        # Too little time left for the search to improve a start of this size, and
        # OR-Tools overruns short limits on large models (or returns nothing when even
        # reading the start takes longer): the start is the answer.
        solution = _keeping_pins(inst, begin)
    else:
        core = core or routing_model(ctx, inst, vehicles, seed, limit, solution_limit)
        left = limit * (1 - EJECT_SHARE) - (_time.monotonic() - began)
        core.params = dataclasses.replace(core.params, time_limit_s=max(0.5, left))
        try:
            solution = core.solve(
                None if begin is None else model_routes(ctx, inst, vehicles, begin.routes),
                [model_routes(ctx, inst, vehicles, a) for a in alternatives],
            )
        except NoSolution:
            # No first solution within the budget (a very large instance): the
            # dispatcher's greedy plan is returned rather than nothing (issue 4).
            solution = _keeping_pins(inst, greedy)
    solution = _mended(
        ctx, inst, vehicles, solution, max(0.1, began + limit - _time.monotonic()), solution_limit
    )
    # Never worse by the first criterion (deadlines met, unplanned visits counting as
    # missed) than its own start, which the search may not have used, or the dispatcher's.
    for floor in (begin, greedy):
        if (
            floor is not None
            and not _drops_pin(inst, floor)
            and missed_deadlines(inst, floor) < missed_deadlines(inst, solution)
        ):
            solution = floor

    nodes = tasks_by_node(inst)
    visits, routes = routes_from_solution(ctx, solution, vehicles, nodes, depot_of, km, minutes)
    for node in solution.dropped:
        task = nodes[node]
        code, text = dropped_reason(ctx, task, [vehicles[v] for v in allowed[task.key]])
        unassigned.append(unassigned_entry(task.request_ref, code, text))
    return visits, routes, unassigned


# The share of an office's budget a VROOM start may take (the rest is the search's).
VROOM_SHARE = 0.3
# The share of an office's (or group's) budget kept from the search for :func:`eject_late`
# (it took up to 0.7 s of ~10 s per office on the backlog 500/40 scenarios).
EJECT_SHARE = 0.08


def _choose_start(
    ctx: Context,
    inst: Instance,
    vehicles: list[Vehicle],
    initial: list[list[int]] | None,
    greedy: RoutingSolution,
    seed: int,
    limit: float,
    solution_limit: int | None,
    grouped: bool = False,
    group_part: bool = False,
) -> tuple[RoutingSolution | None, list[list[list[int]]], RoutingCore | None]:
    """The search's start, other starts OR-Tools may try, and the routing model when
    choosing had to build it. `initial` (given keys or the previous plan's routes) comes
    first; else the policy's first solution: the dispatcher's plan (`greedy`), VROOM's
    routes (`vroom`; `vroom_on_time` gives VROOM the deadlines), or None for OR-Tools'
    own cheapest insertion. Any VROOM start is kept only when it misses no more deadlines
    than the dispatcher's plan. "auto" is `vroom_on_time`, or `greedy` for an office
    searched in groups (`grouped`); a group of such an office (`group_part`, `initial`
    its part of the office's start) tries VROOM given the deadlines, mended as the
    search's result is (:func:`_mended`), against that part."""
    start = ctx.policy.planner.first_solution
    auto = start == "auto"
    if auto:
        # On the backlog 500/40 scenarios of generator seeds 1-3, VROOM given the
        # deadlines ends with 11-32 fewer missed deadlines than the dispatcher's plan,
        # which ends with fewer than OR-Tools' cheapest insertion; the same on the steady
        # loads. An office searched in groups is too large for the whole-office model the
        # VROOM start needs (BENCHMARKS.md, field scenarios).
        start = "greedy" if grouped else "vroom_on_time"
    other = greedy  # what a VROOM start must not miss more deadlines than
    if initial is not None:
        other = timed_solution(ctx, inst, vehicles, initial, "start")
        if not (group_part and auto):
            return other, [], None
        start = "vroom_on_time"
    if start == "greedy":
        return greedy, [], None
    if start not in ("vroom", "vroom_on_time"):
        return None, [], None
    core = routing_model(ctx, inst, vehicles, seed, limit, solution_limit)
    data = _vroom_data(core.data, inst, vehicles)
    if start == "vroom":
        vroom_routes = vroom_sequences(data, VROOM_SHARE * limit)
    else:
        vroom_routes = vroom_on_time_sequences(data, inst, VROOM_SHARE * limit)
    vroom = timed_solution(ctx, inst, vehicles, vroom_routes, "vroom")
    if group_part:
        # Against its part of the dispatcher's plan a group's VROOM routes, mended as the
        # search's result will be, miss no more deadlines in most groups of the 2,000/150
        # scenarios (before mending, in none); the search then starts from cheaper routes.
        vroom = _mended(ctx, inst, vehicles, vroom, EJECT_SHARE * limit, solution_limit)
    # VROOM's routes may still miss more (without the deadlines; or with them, where it
    # left out what the dispatcher plans late): the start is the one missing fewer
    # (priority-weighted), on a tie VROOM's with the dispatcher's as an alternative.
    missed_vroom, missed_other = missed_deadlines(inst, vroom), missed_deadlines(inst, other)
    if missed_vroom == missed_other:
        return vroom, [other.routes], core
    return (vroom if missed_vroom < missed_other else other), [], core


def _mended(
    ctx: Context,
    inst: Instance,
    vehicles: list[Vehicle],
    solution: RoutingSolution,
    seconds: float,
    solution_limit: int | None,
) -> RoutingSolution:
    """`solution` with its misses mended as the planner times visits, in at most
    `seconds` (to the end under a solution limit, so a plan stays independent of speed)."""
    # The model takes lunch off the road, the plan need not: what the search left out, or
    # late, may still fit on time as the planner times it.
    solution = move_late(ctx, inst, vehicles, insert_dropped(ctx, inst, vehicles, solution))
    # Room for a late visit on a day that meets its deadline, made by moving other visits
    # away: what the search's local moves seldom reach (BENCHMARKS.md, seventh session).
    until = float("inf") if solution_limit is not None else _time.monotonic() + seconds
    return eject_late(ctx, inst, vehicles, solution, until)


def _route_groups(
    ctx: Context,
    inst: Instance,
    vehicles: list[Vehicle],
    begin: RoutingSolution,
    count: int,
    seed: int,
    deadline: float,
    solution_limit: int | None,
) -> tuple[list[Visit], list, list[Unassigned]]:
    """`inst` searched in `count` groups of engineers (:mod:`scheduling.planner_groups`),
    each from `begin`'s routes, until `deadline` (monotonic clock); each group's plan is
    never worse than its part of `begin` by missed deadlines, so neither is the whole."""
    groups = engineer_groups(inst, vehicles, begin, count)
    searches = [
        (tasks, [vehicles[v] for v in fleet], keys)
        for tasks, fleet, keys in split_by_group(inst, vehicles, begin, groups)
        if tasks
    ]
    found = _search_parts(ctx, searches, seed, deadline, solution_limit)
    return found[0], found[1], inst.unassigned + found[2]


def routing_model(
    ctx: Context,
    inst: Instance,
    vehicles: list[Vehicle],
    seed: int,
    limit: float,
    solution_limit: int | None = None,
) -> RoutingCore:
    """The routing model of `inst` over `vehicles`: every hard rule (skills, shifts,
    lunch, customer dates, pinned visits) and the objective (deadlines, planned visits,
    customer-paid travel, overtime and workload), searched for at most `limit` seconds."""
    policy = ctx.policy
    live, first, depot_of, allowed, soonest = (
        inst.live,
        inst.first,
        inst.depot_of,
        inst.allowed,
        inst.soonest,
    )
    horizon = ctx.horizon
    cost = travel_cost(inst.km, leg_ends(ctx, inst, vehicles), policy, ctx.problem.start)
    # A long visit holds the lunch break inside its time: the model's service leaves it
    # out, and the vehicle's break interval puts it back (planner_rules.lunch_break).
    held = [long_visit(t, {vehicles[v].shift for v in allowed[t.key]}) for t in live]
    data = RoutingData(
        time=inst.minutes,
        cost=cost,
        service=[0] * first + [t.service - h for t, h in zip(live, held, strict=True)],
        windows=[(0, horizon)] * first + [(t.earliest, t.latest) for t in live],
        starts=[depot_of[v.start_point.key] for v in vehicles],
        ends=[depot_of[v.end_point.key] for v in vehicles],
        vehicle_windows=[(v.shift.start, v.shift.end) for v in vehicles],
        horizon=horizon,
        drop_penalty=[None] * first
        + [None if t.pinned is not None else visit_dropped(t, policy, horizon) for t in live],
        soft_latest=[None] * first
        + [
            deadline_missed(t, policy, t.deadline_min is None or soonest[t.key] <= t.deadline_min)
            for t in live
        ],
        breaks=lunch_breaks(vehicles),
        break_visit=[0] * (first + len(live)),
    )
    params = RoutingParams(
        time_limit_s=max(0.5, limit),
        seed=seed,
        first_solution="auto",
        solution_limit=solution_limit,
    )
    core = RoutingCore(data, params)
    for offset, task in enumerate(live):
        node = first + offset
        choices = allowed[task.key]
        if held[offset]:  # only where the break is inside the visit, as the model has it
            choices = [v for v in choices if spans_lunch(task.service, vehicles[v].shift)]
        restrict_vehicles(core, node, choices)
        lunch_break(core, node, task, {vehicles[v].shift for v in choices})
        if task.pinned is not None:
            pinned_visit(core, node, ctx.minute(task.pinned.start))
    overtime_and_workload(core, vehicles, policy)
    return core


def leg_ends(ctx: Context, inst: Instance, vehicles: list[Vehicle]) -> list[LegEnd]:
    """The instance's nodes as billing sees them (:mod:`scheduling.costs`): a home is in
    its office's city; a hotel is out of town unless in the engineer's office city; a
    customer has its zone."""
    ends: list[LegEnd | None] = [None] * (inst.first + len(inst.live))
    for vehicle in vehicles:
        home_city = ctx.offices[ctx.engineers[vehicle.engineer_id].office_id].city
        for point in (vehicle.start_point, vehicle.end_point):
            kind, _, ident = point.key.partition(":")
            city = ctx.customers[ident].city if kind == "hotel" else home_city
            place = Place(kind if kind in ("home", "hotel") else "home", point.lat, point.lon)
            ends[inst.depot_of[point.key]] = place_end(place, city, home_city)
    for offset, task in enumerate(inst.live):
        customer = ctx.customers[task.customer_id]
        ends[inst.first + offset] = customer_end(ctx.zone(task.request_ref), customer.city)
    return ends  # type: ignore[return-value]


def _keeping_pins(inst: Instance, solution: RoutingSolution) -> RoutingSolution:
    """`solution`, when it keeps every pinned visit; else :class:`PlanningError`."""
    task = _drops_pin(inst, solution)
    if task is not None:
        raise PlanningError(
            f"no plan keeps pinned visit {task.request_ref}#{task.session} within the budget"
        )
    return solution


def _drops_pin(inst: Instance, solution: RoutingSolution) -> Task | None:
    """The first pinned visit `solution` leaves out, if any."""
    dropped = set(solution.dropped)
    for offset, task in enumerate(inst.live):
        if task.pinned is not None and inst.first + offset in dropped:
            return task
    return None


def tasks_by_node(inst: Instance) -> dict[int, Task]:
    """The instance's visit nodes and their tasks."""
    return {inst.first + i: t for i, t in enumerate(inst.live)}


def _vroom_data(data: RoutingData, inst: Instance, vehicles: list[Vehicle]) -> RoutingData:
    """The routing data with what VROOM needs and OR-Tools gets otherwise: allowed
    vehicles (VROOM skills), and a tie-break towards earlier days. The lunch breaks are in
    `data` already (VROOM keeps them off its jobs; the re-timing then lets a visit pause
    for lunch)."""
    allowed = [None] * inst.first + [inst.allowed[t.key] for t in inst.live]
    # Engineer-days cost the same to VROOM; one objective unit a day (a cent at the
    # default weights) breaks its ties towards the earlier day, as a dispatcher would (the
    # routing objective has no such term).
    first_day = min((v.day for v in vehicles), default=None)
    fixed = [(v.day - first_day).days for v in vehicles] if first_day else 0
    return dataclasses.replace(data, allowed_vehicles=allowed, vehicle_fixed_cost=fixed)


def _warm_start(
    ctx: Context, tasks: list[Task], vehicles: list[Vehicle], first: int
) -> list[list[int]] | None:
    """Initial routes from the previous plan's visits on the same engineer-days."""
    if not ctx.problem.previous:
        return None
    node_of = {t.key: first + i for i, t in enumerate(tasks)}
    vehicle_of = {(v.engineer_id, v.day): i for i, v in enumerate(vehicles) if v.kind == "day"}
    routes: list[list[tuple]] = [[] for _ in vehicles]
    for visit in ctx.problem.previous:
        node = node_of.get(visit.key)
        v = vehicle_of.get((visit.engineer_id, visit.day))
        if node is not None and v is not None:
            routes[v].append((visit.start, node))
    if not any(routes):
        return None
    return [[node for _, node in sorted(r)] for r in routes]
