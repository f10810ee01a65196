"""Splitting an office too large to search whole into groups of neighbouring engineers.

At 2,000 requests an office holds ~600 visits and ~500 engineer-days: OR-Tools takes
longer than the office's whole budget just to read a start of that size (measured: over
10 s), so no search ran at all (BENCHMARKS.md, field scenarios). Searched in groups of a
dozen engineers each, from the start's own routes, every group's search is small enough
to move visits between its engineers' days and re-order their routes. The groups follow the
start: engineers whose visits lie in the same direction from the office share a group, so
the visits they could swap are inside one search.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scheduling.planner_model import Task, Vehicle
from scheduling.routing import RoutingSolution


def group_count(pairs: int, most: int) -> int:
    """How many groups an office of `pairs` visit x vehicle pairs splits into so that each
    holds at most about `most` pairs: the pairs shrink with the square of the groups
    (visits and vehicles both split). 1 when the whole office fits."""
    if pairs <= most:
        return 1
    return math.ceil(math.sqrt(pairs / most))


def engineer_groups(
    inst, vehicles: Sequence[Vehicle], solution: RoutingSolution, count: int
) -> list[list[str]]:
    """`count` groups of engineers (ids, sorted) of about equal size, each a sector of
    directions from the engineers' mean home: an engineer's direction is the mean of the
    visits `solution` gives it (its home when it has none)."""
    points: dict[str, list[tuple[float, float]]] = {}
    homes: dict[str, tuple[float, float]] = {}
    for v, vehicle in enumerate(vehicles):
        eid = vehicle.engineer_id
        homes.setdefault(eid, (vehicle.start_point.lat, vehicle.start_point.lon))
        for node in solution.routes[v] if v < len(solution.routes) else ():
            task = inst.live[node - inst.first]
            points.setdefault(eid, []).append((task.point.lat, task.point.lon))
    centre_lat = sum(lat for lat, _ in homes.values()) / len(homes)
    centre_lon = sum(lon for _, lon in homes.values()) / len(homes)

    def bearing(eid: str) -> float:
        spots = points.get(eid) or [homes[eid]]
        lat = sum(p[0] for p in spots) / len(spots)
        lon = sum(p[1] for p in spots) / len(spots)
        return math.atan2(lat - centre_lat, lon - centre_lon)

    ordered = sorted(homes, key=lambda eid: (bearing(eid), eid))
    count = max(1, min(count, len(ordered)))
    size, extra = divmod(len(ordered), count)
    groups, at = [], 0
    for g in range(count):
        take = size + (1 if g < extra else 0)
        groups.append(sorted(ordered[at : at + take]))
        at += take
    return groups


def split_by_group(
    inst, vehicles: Sequence[Vehicle], solution: RoutingSolution, groups: list[list[str]]
) -> list[tuple[list[Task], list[int], list[list[tuple]]]]:
    """Per group: its tasks, its vehicles (indices into `vehicles`) and, per vehicle, the
    task keys `solution` routes there in order. A task goes to the group its start route
    is in; a task the start leaves out goes to the group owning most of the engineer-days
    that can take it (the first such group on a tie)."""
    group_of = {eid: g for g, members in enumerate(groups) for eid in members}
    tasks: list[list[Task]] = [[] for _ in groups]
    fleet: list[list[int]] = [[] for _ in groups]
    starts: list[list[list[tuple]]] = [[] for _ in groups]
    placed: set[int] = set()
    for v, vehicle in enumerate(vehicles):
        g = group_of[vehicle.engineer_id]
        fleet[g].append(v)
        route = solution.routes[v] if v < len(solution.routes) else []
        starts[g].append([inst.live[node - inst.first].key for node in route])
        for node in route:
            tasks[g].append(inst.live[node - inst.first])
            placed.add(node)
    for offset, task in enumerate(inst.live):
        if inst.first + offset in placed:
            continue
        votes = [0] * len(groups)
        for v in inst.allowed[task.key]:
            votes[group_of[vehicles[v].engineer_id]] += 1
        tasks[max(range(len(groups)), key=lambda g: (votes[g], -g))].append(task)
    return list(zip(tasks, fleet, starts, strict=True))
