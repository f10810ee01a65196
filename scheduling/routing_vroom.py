"""VROOM (``pyvroom``) as a first-solution source for :mod:`scheduling.routing`.

VROOM builds very good VRPTW solutions fast; OR-Tools' guided local search then improves
them under the full model (soft lateness, span costs, planner-specific constraints that
VROOM does not know about). Only the features VROOM models are passed on: matrices,
service times, hard windows, vehicle start/end/windows, allowed vehicles (as skills),
breaks, capacities, fixed costs and drop penalties (as priorities).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from scheduling.routing import RoutingData

__all__ = ["build_vroom_input", "vroom_routes"]


def build_vroom_input(data: RoutingData):
    """A ``vroom.Input`` equivalent to ``data`` (without soft lateness and span costs)."""
    import vroom

    problem = vroom.Input()
    problem.set_durations_matrix("car", np.asarray(data.time, dtype=np.int64))
    problem.set_costs_matrix("car", np.asarray(data.cost, dtype=np.int64))
    depots = set(data.starts) | set(data.ends)
    m = data.num_vehicles

    # VROOM skills are "vehicle must hold all job skills": one skill per distinct set of
    # allowed vehicles expresses "any of these vehicles".
    skill_of: dict[frozenset[int], int] = {}
    vehicle_skills: list[set[int]] = [set() for _ in range(m)]
    job_skills: dict[int, set[int]] = {}
    if data.allowed_vehicles is not None:
        for node, allowed in enumerate(data.allowed_vehicles):
            if allowed is None or node in depots:
                continue
            key = frozenset(int(v) for v in allowed)
            if key not in skill_of:
                skill_of[key] = len(skill_of) + 1
                for v in key:
                    vehicle_skills[v].add(skill_of[key])
            job_skills[node] = {skill_of[key]}

    fixed = data.vehicle_fixed_cost
    for v in range(m):
        lo, hi = data.vehicle_windows[v]
        breaks = []
        if data.breaks is not None:
            for k, (b_lo, b_hi, dur) in enumerate(data.breaks[v]):
                breaks.append(
                    vroom.Break(k + 1, [vroom.TimeWindow(int(b_lo), int(b_hi))], int(dur))
                )
        kwargs = {}
        if data.capacity is not None:
            kwargs["capacity"] = [int(data.capacity[v])]
        f = fixed if isinstance(fixed, int) else fixed[v]
        problem.add_vehicle(
            vroom.Vehicle(
                v,
                start=int(data.starts[v]),
                end=int(data.ends[v]),
                skills=vehicle_skills[v] or None,
                time_window=vroom.TimeWindow(int(lo), int(hi)),
                breaks=breaks,
                costs=vroom.VehicleCosts(fixed=int(f)),
                **kwargs,
            )
        )

    penalties = [p for p in (data.drop_penalty or []) if p is not None]
    top = max(penalties, default=1) or 1
    for node in range(data.num_nodes):
        if node in depots:
            continue
        lo, hi = data.windows[node]
        priority = 100
        if data.drop_penalty is not None and data.drop_penalty[node] is not None:
            priority = min(99, int(99 * data.drop_penalty[node] / top))
        kwargs = {}
        if data.demand is not None:
            kwargs["delivery"] = vroom.Amount([int(data.demand[node])])
        problem.add_job(
            vroom.Job(
                node,
                location=node,
                default_service=int(data.service[node]),
                time_windows=[vroom.TimeWindow(int(lo), int(hi))],
                skills=job_skills.get(node),
                priority=priority,
                **kwargs,
            )
        )
    return problem


def vroom_routes(
    data: RoutingData, timeout_s: float | None = None, exploration_level: int = 5, threads: int = 1
) -> list[list[int]]:
    """Solve ``data`` with VROOM and return its routes per vehicle (nodes in order)."""
    problem = build_vroom_input(data)
    timeout = None if timeout_s is None else timedelta(seconds=timeout_s)
    solution = problem.solve(
        exploration_level=exploration_level, nb_threads=threads, timeout=timeout
    )
    routes: list[list[int]] = [[] for _ in range(data.num_vehicles)]
    frame = solution.routes
    if "id" not in frame.columns:  # no job on any route: pyvroom's table has no id column
        return routes
    jobs = frame[frame["type"] == "job"]
    for vehicle, node in zip(jobs["vehicle_id"], jobs["id"], strict=True):
        routes[int(vehicle)].append(int(node))
    return routes
