"""Baselines the planner is measured against on the field scenarios (issue 4).

Both baselines start from the planner's own preparation (:func:`scheduling.planner.prepare`:
unplannable requests answered, multi-day trainings and overnight trips booked), so they
differ from the planner only in how the day visits are routed over engineer-days:

- :func:`greedy_plan`: what a dispatcher does by hand: requests in earliest-deadline-first
  order, each appended to the route of the engineer-day that can take it soonest, the
  engineer nearest to where they would come from first.
- :func:`vroom_plan`: pyvroom (VROOM) on the same instance, engineer-days as vehicles,
  skills as VROOM skills, lunch as a VROOM break, drop penalties as priorities (VROOM has
  no soft deadlines). Its sequences are re-timed under the planner's rules, dropping a
  visit that no longer fits.

Every baseline plan is checked by the same independent validator.
"""

from __future__ import annotations

import time as _time

from scheduling.model import Plan, Problem, Route, Unassigned, Visit
from scheduling.planner import (
    Instance,
    Prepared,
    finish,
    leg_ends,
    prepare,
    routing_instance,
    tasks_by_node,
)
from scheduling.planner_result import routes_from_solution
from scheduling.planner_rules import lunch_breaks, travel_cost, visit_dropped
from scheduling.planner_start import (
    greedy_sequences,
    timed_solution,
    vroom_on_time_sequences,
    vroom_sequences,
)
from scheduling.policy import Policy
from scheduling.routing import RoutingData
from scheduling.travel import GreatCircleTravel, TravelProvider


def _timed(
    prepared: Prepared, inst: Instance, sequences: list[list[int]], reason: str
) -> tuple[list[Visit], list[Route], list[Unassigned]]:
    """Visits and routes for per-vehicle node sequences, timed by the planner's rules
    (earliest start, lunch, shift) as the planner reports its own; visits that do not fit
    are dropped and listed unassigned with `reason`."""
    ctx, vehicles = prepared.ctx, prepared.vehicles
    solution = timed_solution(ctx, inst, vehicles, sequences, "baseline")
    nodes = tasks_by_node(inst)
    visits, routes = routes_from_solution(
        ctx, solution, vehicles, nodes, inst.depot_of, inst.km, inst.minutes
    )
    unassigned = list(inst.unassigned)
    for node in solution.dropped:
        unassigned.append(Unassigned(nodes[node].request_ref, "no_capacity", reason))
    return visits, routes, unassigned


def greedy_plan(
    problem: Problem, policy: Policy, travel: TravelProvider | None = None, seed: int = 0
) -> Plan:
    """The dispatcher's earliest-deadline-first, nearest-engineer plan, validated."""
    began = _time.monotonic()
    prepared = prepare(problem, policy, travel or GreatCircleTravel(policy))
    inst = routing_instance(prepared.ctx, prepared.routable, prepared.vehicles)
    sequences = greedy_sequences(prepared.ctx, inst, prepared.vehicles)
    visits, routes, unassigned = _timed(
        prepared, inst, sequences, "greedy dispatcher: no engineer-day could take it"
    )
    return finish(prepared, visits, routes, unassigned, seed, began)


def vroom_plan(
    problem: Problem,
    policy: Policy,
    travel: TravelProvider | None = None,
    seed: int = 0,
    seconds: float = 30.0,
    exploration_level: int = 5,
    deadlines: bool = False,
    threads: int = 1,
) -> Plan:
    """pyvroom on the same engineer-day instance, re-timed and validated. With
    `deadlines`, VROOM must meet every deadline it can (see the module docstring); half of
    the budget goes to each of its two solves. VROOM searches on `threads` threads."""
    began = _time.monotonic()
    prepared = prepare(problem, policy, travel or GreatCircleTravel(policy))
    ctx = prepared.ctx
    inst = routing_instance(ctx, prepared.routable, prepared.vehicles)
    n = inst.first + len(inst.live)
    horizon = ctx.horizon
    data = RoutingData(
        time=inst.minutes,
        cost=travel_cost(inst.km, leg_ends(ctx, inst, prepared.vehicles), policy, problem.start),
        service=[0] * inst.first + [t.service for t in inst.live],
        windows=[(0, horizon)] * inst.first + [(t.earliest, t.latest) for t in inst.live],
        starts=[inst.depot_of[v.start_point.key] for v in prepared.vehicles],
        ends=[inst.depot_of[v.end_point.key] for v in prepared.vehicles],
        vehicle_windows=[(v.shift.start, v.shift.end) for v in prepared.vehicles],
        horizon=horizon,
        allowed_vehicles=[None] * inst.first + [inst.allowed[t.key] for t in inst.live],
        drop_penalty=[None] * inst.first + [visit_dropped(t, policy, horizon) for t in inst.live],
        breaks=lunch_breaks(prepared.vehicles),
    )
    assert data.num_nodes == n
    sequences: list[list[int]] = [[] for _ in prepared.vehicles]
    if inst.live:
        remaining = max(1.0, seconds - (_time.monotonic() - began))
        if deadlines:
            sequences = vroom_on_time_sequences(data, inst, remaining, exploration_level, threads)
        else:
            sequences = vroom_sequences(data, remaining, exploration_level, threads)
    visits, routes, unassigned = _timed(
        prepared, inst, sequences, "VROOM baseline: left unplanned or no longer fits"
    )
    return finish(prepared, visits, routes, unassigned, seed, began)


__all__ = ["greedy_plan", "vroom_plan"]
