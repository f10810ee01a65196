"""First solutions for the routing search: a dispatcher's greedy plan or VROOM's routes.

OR-Tools' own insertion heuristics ignore deadlines until local search finds them; a
first solution that already serves the most urgent visits first gives guided local search
a much better starting point. Every sequence is re-timed under the planner's rules
(earliest start, lunch, shift, back home in time) and a visit that does not fit is left
out, so the first solution is feasible for the model by construction.
"""

from __future__ import annotations

import dataclasses
import time as _time
from collections.abc import Sequence

from scheduling.planner_model import Context, Task, Vehicle, session_end, session_start
from scheduling.routing import RoutingSolution


def edf_key(task: Task) -> tuple:
    """Dispatching order: pinned first, expired last, then earliest deadline, highest
    priority."""
    deadline = task.deadline_min if task.deadline_min is not None else 10**9
    return (task.pinned is None, task.expired, deadline, -task.priority, task.request_ref)


def _start(ctx: Context, task: Task, vehicle: Vehicle, arrival: int) -> int | None:
    if task.pinned is not None:
        fixed = ctx.minute(task.pinned.start)
        return fixed if arrival <= fixed else None
    return session_start(task, vehicle.shift, arrival)


def _arrive(clock: int, minutes: int, lunch: tuple[int, int] | None) -> int:
    """The end of a drive of `minutes` from `clock`, later by the break when it runs into
    a `lunch` break still to take (the routing model's reading: no lunch on the road)."""
    if lunch is not None and clock <= lunch[0] < clock + minutes:
        return clock + minutes + lunch[1] - lunch[0]
    return clock + minutes


def retime(
    ctx: Context,
    inst,
    vehicles: Sequence[Vehicle],
    sequences: Sequence[Sequence[int]],
    model_lunch: bool = False,
) -> list[list[tuple[int, int]]]:
    """Per vehicle, the (node, start) pairs of `sequences` that fit in order under the
    planner's rules; nodes that do not fit are left out.

    With `model_lunch`, under the routing model's stricter reading of the lunch break
    too: the break is not taken while driving (a leg that would run into it arrives the
    break's length later), so the routes are a start OR-Tools can read (one infeasible route makes
    it refuse the whole start)."""
    out: list[list[tuple[int, int]]] = []
    for v, sequence in enumerate(sequences):
        vehicle = vehicles[v]
        shift = vehicle.shift
        home = inst.depot_of[vehicle.start_point.key]
        end = inst.depot_of[vehicle.end_point.key]
        lunch = shift.lunch if model_lunch else None
        taken = lunch is None  # the break already fell in a wait or inside a visit
        stops: list[tuple[int, int]] = []
        prev, clock = home, shift.start
        for node in sequence:
            task = inst.live[node - inst.first]
            arrival = _arrive(clock, int(inst.minutes[prev, node]), None if taken else lunch)
            start = _start(ctx, task, vehicle, arrival)
            if start is None:
                continue
            finish = session_end(task, shift, start)
            now_taken = taken or (lunch is not None and (start >= lunch[0] or finish > lunch[0]))
            back = int(inst.minutes[node, end])
            if _arrive(finish, back, None if now_taken else lunch) > shift.end:
                continue
            stops.append((node, start))
            prev, clock, taken = node, finish, now_taken
        out.append(stops)
    return out


def greedy_sequences(ctx: Context, inst, vehicles: Sequence[Vehicle]) -> list[list[int]]:
    """Earliest deadline first; each visit appended to the engineer-day that can start it
    soonest, the nearest engineer breaking ties (a dispatcher's manual plan)."""
    state: list[tuple[int, int]] = []  # (last node, clock) per vehicle
    ends = []
    for vehicle in vehicles:
        state.append((inst.depot_of[vehicle.start_point.key], vehicle.shift.start))
        ends.append(inst.depot_of[vehicle.end_point.key])
    sequences: list[list[int]] = [[] for _ in vehicles]
    order = sorted(range(len(inst.live)), key=lambda i: edf_key(inst.live[i]))
    for i in order:
        task = inst.live[i]
        node = inst.first + i
        best = None
        for v in inst.allowed[task.key]:
            vehicle = vehicles[v]
            last, clock = state[v]
            start = _start(ctx, task, vehicle, clock + int(inst.minutes[last, node]))
            if start is None:
                continue
            finish = session_end(task, vehicle.shift, start)
            if finish + int(inst.minutes[node, ends[v]]) > vehicle.shift.end:
                continue
            score = (start, float(inst.km[last, node]), v)
            if best is None or score < best[0]:
                best = (score, v, finish)
        if best is not None:
            _, v, finish = best
            sequences[v].append(node)
            state[v] = (node, finish)
    return sequences


def vroom_sequences(
    data, seconds: float, exploration_level: int = 5, threads: int = 1
) -> list[list[int]]:
    """VROOM's routes for a RoutingData that carries allowed vehicles and lunch breaks,
    searched on `threads` threads."""
    from scheduling.routing_vroom import vroom_routes

    return vroom_routes(
        data, timeout_s=seconds, exploration_level=exploration_level, threads=threads
    )


def vroom_on_time_sequences(
    data, inst, seconds: float, exploration_level: int = 5, threads: int = 1
) -> list[list[int]]:
    """VROOM's routes meeting every deadline it can. VROOM has no soft deadlines, so it
    solves twice: first with each visit's deadline as its latest start (where that still
    leaves a window), then, keeping the visits it placed on their vehicles and on time,
    with the others back to their own windows. Half of `seconds` goes to the first solve."""
    began = _time.monotonic()
    on_time = _on_time_data(data, inst)
    first = vroom_sequences(on_time, seconds / 2, exploration_level, threads)
    rest = max(0.5, seconds - (_time.monotonic() - began))
    return vroom_sequences(_keeping(data, on_time, first), rest, exploration_level, threads)


def _on_time_data(data, inst):
    """`data` with each deadline as the latest start of its visits, where it leaves a
    window (a deadline already past stays soft: VROOM is not given it)."""
    windows = list(data.windows)
    for node, task in enumerate(inst.live, start=inst.first):
        lo, hi = windows[node]
        if task.deadline_min is not None and lo <= task.deadline_min < hi:
            windows[node] = (lo, task.deadline_min)
    return dataclasses.replace(data, windows=windows)


def _keeping(data, on_time, routes: list[list[int]]):
    """`data` for the second solve: the visits of `routes` (solved on `on_time`) stay on
    their vehicle, inside their on-time window and mandatory; the others keep `data`'s."""
    windows = list(data.windows)
    allowed = list(data.allowed_vehicles or [None] * data.num_nodes)
    penalty = list(data.drop_penalty or [None] * data.num_nodes)
    for vehicle, route in enumerate(routes):
        for node in route:
            windows[node] = on_time.windows[node]
            allowed[node] = [vehicle]
            penalty[node] = None
    return dataclasses.replace(
        data, windows=windows, allowed_vehicles=allowed, drop_penalty=penalty
    )


def timed_solution(
    ctx: Context,
    inst,
    vehicles: Sequence[Vehicle],
    sequences: Sequence[Sequence[int]],
    status: str,
    model_lunch: bool = False,
) -> RoutingSolution:
    """`sequences` (nodes per vehicle) re-timed by the planner's rules (:func:`retime`), in
    the routing core's solution format: a start for the search, or a plan as it is. Visits
    that no longer fit are dropped (pinned ones included: the caller decides)."""
    timed = retime(ctx, inst, vehicles, sequences, model_lunch)
    placed = {node for stops in timed for node, _ in stops}
    departures = []
    for v, stops in enumerate(timed):
        home = inst.depot_of[vehicles[v].start_point.key]
        departures.append(
            stops[0][1] - int(inst.minutes[home, stops[0][0]]) if stops else vehicles[v].shift.start
        )
    return RoutingSolution(
        routes=[[node for node, _ in stops] for stops in timed],
        start_times={node: start for stops in timed for node, start in stops},
        departures=departures,
        returns=[v.shift.end for v in vehicles],
        dropped=[inst.first + i for i in range(len(inst.live)) if inst.first + i not in placed],
        objective=0,
        status=status,
        seconds=0.0,
    )


def model_routes(
    ctx: Context, inst, vehicles: Sequence[Vehicle], routes: Sequence[Sequence[int]]
) -> list[list[int]]:
    """`routes` without the visits the routing model cannot hold where they are (lunch
    taken on the road, :func:`retime`): a start OR-Tools reads."""
    return [[node for node, _ in r] for r in retime(ctx, inst, vehicles, routes, True)]


def missed_deadlines(inst, solution: RoutingSolution) -> int:
    """Priority-weighted count of the deadlines `solution` misses: a visit starting after
    its deadline, or left out. Issue 4's first criterion, used to choose between starts
    and to keep a search that ended worse than its start from replacing it (the objective
    prices minutes late, not misses)."""
    missed = 0
    for offset, task in enumerate(inst.live):
        start = solution.start_times.get(inst.first + offset)
        if start is None or (task.deadline_min is not None and start > task.deadline_min):
            missed += deadline_weight(task)
    return missed


def deadline_weight(task: Task) -> int:
    """What missing `task`'s deadline counts for in :func:`missed_deadlines`: its priority
    (at least 1); 0 without a deadline or for an expired request."""
    return max(1, task.priority) if task.deadline_min is not None and not task.expired else 0
