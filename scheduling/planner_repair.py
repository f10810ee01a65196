"""Putting back visits a routing search left out, under the planner's own timing.

The routing model is stricter than the planner about lunch (an engineer may drive
through the break in a plan, not in the model: :func:`scheduling.planner_rules.lunch_breaks`),
and its search is cut short by the budget. Both leave visits out that still fit an
engineer-day as the planner times it. :func:`insert_dropped` inserts them, most urgent
first, where they fit without missing any deadline the route met.
"""

from __future__ import annotations

from collections.abc import Sequence

from scheduling.planner_model import Context, Task, Vehicle
from scheduling.planner_start import edf_key, retime
from scheduling.routing import RoutingSolution


def _weight(task: Task) -> int:
    return max(1, task.priority) if task.deadline_min is not None and not task.expired else 0


def _missed(inst, stops: list[tuple[int, int]]) -> int:
    """Priority-weighted deadlines missed on one timed route."""
    missed = 0
    for node, start in stops:
        task = inst.live[node - inst.first]
        if task.deadline_min is not None and start > task.deadline_min:
            missed += _weight(task)
    return missed


def insert_dropped(
    ctx: Context, inst, vehicles: Sequence[Vehicle], solution: RoutingSolution
) -> RoutingSolution:
    """`solution` with its dropped visits inserted where the planner's timing
    (:func:`scheduling.planner_start.retime`) fits them, earliest deadline first.

    A visit goes where the priority-weighted deadlines missed grow least (its own counted
    as missed while it is out; never more misses than before), then where it adds the
    fewest km. Routes that change are re-timed; the others keep their times.
    """
    if not solution.dropped:
        return solution
    routes = [list(r) for r in solution.routes]
    timed: dict[int, list[tuple[int, int]]] = {}

    def route_times(v: int) -> list[tuple[int, int]]:
        if v not in timed:
            timed[v] = retime(ctx, inst, [vehicles[v]], [routes[v]])[0]
        return timed[v]

    inserted: set[int] = set()
    for node in sorted(solution.dropped, key=lambda n: edf_key(inst.live[n - inst.first])):
        task = inst.live[node - inst.first]
        if task.pinned is not None:
            continue
        best: tuple | None = None
        for v in inst.allowed[task.key]:
            route = routes[v]
            if len(route_times(v)) != len(route):
                continue  # the route does not fit the planner's timing as it is
            before = _missed(inst, route_times(v)) + _weight(task)
            home = inst.depot_of[vehicles[v].start_point.key]
            end = inst.depot_of[vehicles[v].end_point.key]
            for pos in range(len(route) + 1):
                candidate = [*route[:pos], node, *route[pos:]]
                stops = retime(ctx, inst, [vehicles[v]], [candidate])[0]
                if len(stops) != len(candidate):
                    continue
                delta = _missed(inst, stops) - before
                if delta > 0:
                    continue
                prev = route[pos - 1] if pos else home
                nxt = route[pos] if pos < len(route) else end
                extra = inst.km[prev, node] + inst.km[node, nxt] - inst.km[prev, nxt]
                score = (delta, float(extra), v, pos)
                if best is None or score < best[0]:
                    best = (score, v, candidate, stops)
        if best is not None:
            _, v, candidate, stops = best
            routes[v], timed[v] = candidate, stops
            inserted.add(node)
    if not inserted:
        return solution
    start_times = dict(solution.start_times)
    departures = list(solution.departures)
    for v, stops in timed.items():
        if routes[v] == solution.routes[v]:
            continue
        start_times.update(stops)
        first, start = stops[0]
        home = inst.depot_of[vehicles[v].start_point.key]
        departures[v] = start - int(inst.minutes[home, first])
    return RoutingSolution(
        routes=routes,
        start_times=start_times,
        departures=departures,
        returns=list(solution.returns),
        dropped=[n for n in solution.dropped if n not in inserted],
        objective=solution.objective,
        status=solution.status,
        seconds=solution.seconds,
        breaks=solution.breaks,
        first_solution_source=solution.first_solution_source,
    )
