"""Mending a routing search's answer under the planner's own timing.

The routing model is stricter than the planner about lunch (an engineer may drive
through the break in a plan, not in the model: :func:`scheduling.planner_rules.lunch_breaks`),
and its search is cut short by the budget. Both leave visits out, or late, that fit an
engineer-day on time as the planner times it (:func:`scheduling.planner_start.retime`).
:func:`insert_dropped` puts the left-out visits back and :func:`move_late` moves late ones
where they are on time, most urgent first, never missing a deadline the plan met;
:func:`eject_late` makes room for a late visit by moving one other visit out of its way.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from scheduling.planner_model import Context, Task, Vehicle
from scheduling.planner_start import deadline_weight, edf_key, retime
from scheduling.routing import RoutingSolution

Stops = list[tuple[int, int]]  # (node, start) per visit of one route


class _Routes:
    """A solution's routes being mended: each route re-timed by the planner's rules when
    first looked at or changed."""

    def __init__(self, ctx: Context, inst, vehicles: Sequence[Vehicle], solution) -> None:
        self.ctx, self.inst, self.vehicles, self.solution = ctx, inst, vehicles, solution
        self.routes = [list(r) for r in solution.routes]
        self._timed: dict[int, Stops] = {}

    def task(self, node: int) -> Task:
        return self.inst.live[node - self.inst.first]

    def time(self, v: int, route: list[int]) -> Stops | None:
        """`route` on vehicle `v` as the planner times it; None when a visit does not fit."""
        stops = retime(self.ctx, self.inst, [self.vehicles[v]], [route])[0]
        return stops if len(stops) == len(route) else None

    def stops(self, v: int) -> Stops | None:
        if v not in self._timed:
            self._timed[v] = self.time(v, self.routes[v]) or []
        return self._timed[v] if len(self._timed[v]) == len(self.routes[v]) else None

    def set(self, v: int, route: list[int], stops: Stops) -> None:
        self.routes[v], self._timed[v] = route, stops

    def missed(self, stops: Stops) -> int:
        """Priority-weighted deadlines missed on one timed route."""
        late = (node for node, start in stops if self.late(node, start))
        return sum(deadline_weight(self.task(node)) for node in late)

    def late(self, node: int, start: int) -> bool:
        """True when the visit at `node` starting at `start` misses a deadline that counts."""
        task = self.task(node)
        deadline = task.deadline_min
        return deadline is not None and deadline_weight(task) > 0 and start > deadline

    def late_visits(self) -> list[int]:
        """The unpinned visits that miss a deadline that counts, as their routes are timed."""
        return [
            node
            for v in range(len(self.routes))
            for node, start in (self.stops(v) or [])
            if self.late(node, start) and self.task(node).pinned is None
        ]

    def places(
        self, node: int, base: dict[int, list[int]], by: int | None = None
    ) -> Iterator[tuple]:
        """Every fitting insertion of `node`: (added misses on the route, added km, vehicle,
        position, new route, its stops), over the vehicles that may take it (only those
        whose shift starts by minute `by`, when given); `base` overrides a vehicle's
        current route."""
        inst = self.inst
        for v in inst.allowed[self.task(node).key]:
            if by is not None and self.vehicles[v].shift.start > by:
                continue
            route = base.get(v, self.routes[v])
            current = self.time(v, route) if v in base else self.stops(v)
            if current is None:
                continue  # the route does not fit the planner's timing as it is
            home = inst.depot_of[self.vehicles[v].start_point.key]
            end = inst.depot_of[self.vehicles[v].end_point.key]
            missed_now = self.missed(current)
            for pos in range(len(route) + 1):
                candidate = [*route[:pos], node, *route[pos:]]
                stops = self.time(v, candidate)
                if stops is None:
                    continue
                prev = route[pos - 1] if pos else home
                nxt = route[pos] if pos < len(route) else end
                km = inst.km[prev, node] + inst.km[node, nxt] - inst.km[prev, nxt]
                delta = self.missed(stops) - missed_now
                yield delta, float(km), v, pos, candidate, stops

    def solution_now(self, dropped: list[int]) -> RoutingSolution:
        """The mended solution: changed routes re-timed, the others as they were."""
        old = self.solution
        start_times = dict(old.start_times)
        departures = list(old.departures)
        for v, route in enumerate(self.routes):
            if route == old.routes[v]:
                continue
            stops = self._timed[v]
            start_times.update(stops)
            if stops:
                home = self.inst.depot_of[self.vehicles[v].start_point.key]
                departures[v] = stops[0][1] - int(self.inst.minutes[home, stops[0][0]])
        return dataclasses.replace(
            old, routes=self.routes, start_times=start_times, departures=departures, dropped=dropped
        )


def insert_dropped(
    ctx: Context, inst, vehicles: Sequence[Vehicle], solution: RoutingSolution
) -> RoutingSolution:
    """`solution` with its dropped visits inserted where the planner's timing fits them,
    earliest deadline first.

    A visit goes where the priority-weighted deadlines missed grow least (its own counted
    as missed while it is out; never more misses than before), then where it adds the
    fewest km. Routes that change are re-timed; the others keep their times.
    """
    if not solution.dropped:
        return solution
    mend = _Routes(ctx, inst, vehicles, solution)
    left: list[int] = []
    for node in sorted(solution.dropped, key=lambda n: edf_key(mend.task(n))):
        own = deadline_weight(mend.task(node))
        places = [] if mend.task(node).pinned else mend.places(node, {})
        best = min((p for p in places if p[0] - own <= 0), default=None, key=_order)
        if best is None:
            left.append(node)
        else:
            mend.set(best[2], best[4], best[5])
    if len(left) == len(solution.dropped):
        return solution
    return mend.solution_now(left)


def move_late(
    ctx: Context, inst, vehicles: Sequence[Vehicle], solution: RoutingSolution
) -> RoutingSolution:
    """`solution` with each late visit (as the planner times its route) moved, earliest
    deadline first, to the place where it is on time and the plan misses the fewest
    priority-weighted deadlines, fewest added km next; only moves that miss fewer
    deadlines in total are made."""
    mend = _Routes(ctx, inst, vehicles, solution)
    late = mend.late_visits()
    where = {node: v for v, route in enumerate(mend.routes) for node in route}
    moved = False
    for node in sorted(late, key=lambda n: edf_key(mend.task(n))):
        v0 = where[node]
        was = mend.stops(v0)
        without = [n for n in mend.routes[v0] if n != node]
        rest = mend.time(v0, without)
        if was is None or rest is None or not mend.late(node, dict(was)[node]):
            continue  # on time by now (an earlier move made room), or not movable
        freed = mend.missed(rest) - mend.missed(was)  # negative: the late visit is out
        on_time = (
            p
            for p in mend.places(node, {v0: without})
            if not mend.late(node, dict(p[5])[node]) and p[0] + freed < 0
        )
        best = min(on_time, default=None, key=_order)
        if best is None:
            continue
        if best[2] != v0:
            mend.set(v0, without, rest)
            where[node] = best[2]
        mend.set(best[2], best[4], best[5])
        moved = True
    return mend.solution_now(list(solution.dropped)) if moved else solution


def eject_late(
    ctx: Context,
    inst,
    vehicles: Sequence[Vehicle],
    solution: RoutingSolution,
    until: float,
) -> RoutingSolution:
    """`solution` with late or left-out visits put on time by moving other visits out of
    their way, earliest deadline first, until `until` (monotonic clock).

    The visit takes the place of one visit x on an engineer-day that meets its deadline,
    and x goes where it fits best on another day (on time if it was); failing that, x
    takes the place of a visit y elsewhere in turn, and y goes where it fits. A move is
    made only when the plan then misses fewer priority-weighted deadlines, or plans one
    more visit missing no more; among such moves the one that misses fewest, then the
    one whose last displaced visit adds the fewest km where it lands. Where
    :func:`move_late` and :func:`insert_dropped` find every on-time day full, this frees
    one.
    """
    mend = _Routes(ctx, inst, vehicles, solution)
    late = mend.late_visits()
    dropped = list(solution.dropped)
    out = [node for node in dropped if mend.task(node).pinned is None]
    where = {node: v for v, route in enumerate(mend.routes) for node in route}
    moved = False
    for node in sorted(late + out, key=lambda n: edf_key(mend.task(n))):
        if time.monotonic() > until:
            break
        v0 = where.get(node)
        if v0 is not None:
            was = mend.stops(v0)
            if was is None or not mend.late(node, dict(was)[node]):
                continue  # on time by now (an earlier move made room), or not re-timable
        best = _best_ejection(mend, node, v0, until)
        if best is None:
            continue
        _, changes, placed = best
        for v, (route, stops) in changes.items():
            mend.set(v, route, stops)
        where.update(placed)
        if v0 is None:
            dropped.remove(node)
        moved = True
    return mend.solution_now(dropped) if moved else solution


class _Opening(NamedTuple):
    """`node` put on time on vehicle `v` in place of visit `x`, which still needs a place."""

    node: int
    v: int
    x: int
    gain: int  # misses added on the routes changed so far (negative: fewer), x left out
    base: dict[int, list[int]]  # the changed routes, as `_Routes.places` takes them
    changes: dict[int, tuple[list[int], Stops]]  # the changed routes with their stops
    by: int | None  # the minute by which x's new day must start (see `_by`)


def _best_ejection(mend: _Routes, node: int, v0: int | None, until: float):
    """The best move of `node`, late on vehicle `v0` or left out (`v0` None), onto a
    vehicle meeting its deadline in place of one visit x, x placed elsewhere; failing
    that, x in place of a visit y elsewhere, y placed elsewhere: (key, {vehicle: its new
    route and stops}, {node: its new vehicle}), or None when none misses fewer
    priority-weighted deadlines (or, for a left-out visit, as few)."""
    bar = 1 if v0 is None else 0  # planning a left-out visit is worth it at equal misses
    openings = list(_openings(mend, node, v0, bar))
    for moves in (_x_placed, _x_in_place_of_y):
        best = None
        for gain, km, changes, placed in moves(mend, openings, until):
            if gain < bar and (best is None or (gain, km) < best[0]):
                best = ((gain, km), changes, placed)
        if best is not None:
            return best
    return None


def _openings(mend: _Routes, node: int, v0: int | None, bar: int) -> Iterator[_Opening]:
    """Every place on a vehicle meeting `node`'s deadline that one visit x must leave,
    when x placed anywhere on time could still make the move worth it."""
    task = mend.task(node)
    if v0 is None:
        before0, without, rest = deadline_weight(task), [], []
    else:
        without = [n for n in mend.routes[v0] if n != node]
        rest = mend.time(v0, without)
        if rest is None:
            return
        before0 = mend.missed(mend.stops(v0) or [])
    for v in mend.inst.allowed[task.key]:
        if task.deadline_min is not None and mend.vehicles[v].shift.start > task.deadline_min:
            continue
        route, current = (without, rest) if v == v0 else (mend.routes[v], mend.stops(v))
        if current is None:
            continue
        # Misses on the routes that change, before, and after taking `node` out of v0.
        before = before0 + (0 if v == v0 else mend.missed(current))
        kept = 0 if v0 in (None, v) else mend.missed(rest)
        first = {} if v0 in (None, v) else {v0: (without, rest)}
        for x, missed_v, new_route, new_stops in _in_place_of(mend, node, v, route):
            gain = kept + missed_v - before
            if gain >= bar:
                continue  # even x placed on time would not be better
            base = {w: r for w, (r, _) in first.items()} | {v: new_route}
            changes = first | {v: (new_route, new_stops)}
            yield _Opening(node, v, x, gain, base, changes, _by(mend, x, current))


def _x_placed(mend: _Routes, openings: list[_Opening], until: float) -> Iterator[tuple]:
    """(gain, km, changes, placed) of each opening with x inserted on another day; stops
    at `until`."""
    for op in openings:
        if time.monotonic() > until:
            return
        for delta, km, w, _, x_route, x_stops in mend.places(op.x, op.base, op.by):
            if w != op.v:
                changes = op.changes | {w: (x_route, x_stops)}
                yield op.gain + delta, km, changes, {op.node: op.v, op.x: w}


def _x_in_place_of_y(mend: _Routes, openings: list[_Opening], until: float) -> Iterator[tuple]:
    """(gain, km, changes, placed) of each opening with x on time on another day in place
    of a visit y, y inserted on a third; stops at `until`."""
    for op in openings:
        for w in mend.inst.allowed[mend.task(op.x).key]:
            if w == op.v or (op.by is not None and mend.vehicles[w].shift.start > op.by):
                continue
            if time.monotonic() > until:
                return
            route_w = op.base.get(w, mend.routes[w])
            current_w = mend.time(w, route_w) if w in op.base else mend.stops(w)
            if current_w is None:
                continue
            for y, missed_w, new_w, stops_w in _in_place_of(mend, op.x, w, route_w):
                if y == op.node:
                    continue
                gain = op.gain + missed_w - mend.missed(current_w)
                base = op.base | {w: new_w}
                for delta, km, u, _, y_route, y_stops in mend.places(
                    y, base, _by(mend, y, current_w)
                ):
                    if u not in (op.v, w):
                        changes = op.changes | {w: (new_w, stops_w), u: (y_route, y_stops)}
                        yield gain + delta, km, changes, {op.node: op.v, op.x: w, y: u}


def _in_place_of(mend: _Routes, node: int, v: int, route: list[int]) -> Iterator[tuple]:
    """For each unpinned visit x of `route` (vehicle `v`): x, and `node` on time in its
    place where the day then misses fewest deadlines: (x, misses, new route, stops)."""
    for x in route:
        if mend.task(x).pinned is not None:
            continue
        short = [n for n in route if n != x]
        fits = (
            (mend.missed(stops), pos, candidate, stops)
            for pos in range(len(short) + 1)
            for candidate in [[*short[:pos], node, *short[pos:]]]
            for stops in [mend.time(v, candidate)]
            if stops is not None and not mend.late(node, dict(stops)[node])
        )
        taken = min(fits, default=None, key=lambda f: f[:2])
        if taken is not None:
            yield x, taken[0], taken[2], taken[3]


def _by(mend: _Routes, x: int, stops: Stops) -> int | None:
    """The minute by which a day must start to keep `x` (timed in `stops`) on time: its
    deadline if it is on time now, else None (anywhere will do)."""
    deadline = mend.task(x).deadline_min
    on_time = not mend.late(x, dict(stops)[x])
    return deadline if on_time and deadline is not None else None


def _order(place: tuple) -> tuple:
    return place[:4]  # fewest added misses, fewest added km, then vehicle and position
