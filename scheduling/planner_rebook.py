"""Booking the overnight visits the trip booking left stranded (issue 4).

Trips are booked after the trainings (:mod:`scheduling.planner_trips`), one way only: the
visit on the first day, the night at a hotel next to it, the way home the next day. Two
kinds of visit are left without one:

- a full-day session in a far suburb, which cannot start early enough after the drive
  out to end within the shift: it needs the other way, the drive out and the night the
  day before, and the session from the hotel in the morning;
- a visit whose customer accepts only days every skilled engineer has given to
  trainings, booked just in time on the latest days that meet their deadlines, when
  they could as well have gone on other days or to another trainer.

:func:`rebook_for_trips` books them with OR-Tools CP-SAT: every on-time way of doing each
stranded visit with a night away (either way of travelling, as a training's block:
:func:`scheduling.planner_training.every_block`) on any skilled engineer's days, and
every on-time block of the trainings in their way, of the trainings in those trainings'
way, and so on (``DEPTH`` levels), no engineer-day used twice; a trip booked for one
visit may move as a one-day training does. Each of those keeps exactly one on-time
block, so no deadline met before is missed after; pinned days, trips of several visits,
late blocks and blocks further away never move. The most stranded
visits are booked (the most urgent first), then the fewest trainings move, then the days
are the latest and those single visits need least (``block_value``). The travel day is left
to the routing search, which may plan visits on it, as for a training.
"""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from typing import NamedTuple

from ortools.sat.python import cp_model

from scheduling.planner_demand import DayDemand, demand_on
from scheduling.planner_model import Context, Task, nearest_engineers, one_night
from scheduling.planner_training import Block, block_value, every_block

Cell = tuple[str, date]

DEPTH = 3  # levels of trainings in each other's way that may move
# Deterministic time units (single-threaded searches, so the same input gives the same
# booking): for the most trips, then for the choice of days with that many.
MOST_EFFORT = 0.2
CHOICE_EFFORT = 0.3
# Keeping a training where it is outweighs every preference between its days
# (block_value's timing, demand and kilometre parts).
_STAY = 10**6
# A training moves only onto days single visits need at most this many minutes more than
# its own (day_demand): unbounded, the moves pushed trainings into the first week and
# made Chengdu's short visits late (steady 500/40, seeds 1-4, when introduced: 40 missed
# meetable deadlines; 37 with this bound, 60 with no training moved).
MOVE_SLACK_MINUTES = 120
_SERVED = 1000  # a trip, above any difference in priority between two


def rebook_for_trips(
    ctx: Context,
    stranded: list[Task],
    blocks: list[Block],
    groups: dict[str, list[Task]],
    busy: set[Cell],
    demand: DayDemand,
) -> tuple[list[Block], list[Task]]:
    """Book trips for `stranded` visits (each needing an overnight stay), either way of
    travelling, moving the training blocks of `blocks` whose sessions are
    `groups[request_ref]` where needed; return the new list of blocks and the visits
    still stranded. `busy` is kept up to date; `demand` is how much single visits need
    each engineer-day (:func:`scheduling.planner_demand.day_demand`).

    Only visits with a deadline are tried, and a trip is booked only when it arrives by
    that deadline and every block it displaces is booked again on time: no deadline met
    before is missed after. Blocks not in `groups` (pinned days, trips of several
    visits) and late blocks never move; the caller puts a one-visit trip in `groups`
    (its one task) to let it move as a one-day training does.
    """
    candidates = [t for t in stranded if tried(t)]
    if not candidates:
        return blocks, stranded
    movable = {b.request_ref: b for b in blocks if b.request_ref in groups and not b.late_minutes}
    owner = {c: ref for ref, b in movable.items() for c in _cells(b)}
    fixed = busy - owner.keys()
    trips = {t.key: _trips(ctx, t, fixed, demand) for t in candidates}
    options = _Options(ctx, groups, movable, demand)
    wanted = {c for options_of in trips.values() for trip in options_of for c in trip.cells}
    involved = _involved(options, owner, wanted)
    outside = fixed | {c for c, ref in owner.items() if ref not in involved}
    moved: dict[str, Block] = {}
    booked: dict[tuple, _Option] = {}
    for part_trainings, part_trips in _parts(
        {ref: options.on_time(ref, outside) for ref in sorted(involved)},
        {k: [tr for tr in ts if tr.cells.isdisjoint(outside)] for k, ts in trips.items()},
    ):
        chosen = _solve(part_trainings, part_trips, {t.key: t for t in candidates})
        if chosen is not None:
            moved.update(chosen[0])
            booked.update(chosen[1])
    new_blocks = [moved.get(b.request_ref, b) for b in blocks]
    for ref in moved:
        busy.difference_update(_cells(movable[ref]))
    for block in moved.values():
        busy.update(_cells(block))
    for trip in booked.values():
        new_blocks.append(trip.block)
        busy.update(trip.cells)
    return new_blocks, [t for t in stranded if t.key not in booked]


def tried(task: Task) -> bool:
    """True for the stranded visits :func:`rebook_for_trips` tries to make room for: those
    with a deadline (an expired request has none to meet)."""
    return task.deadline_min is not None and not task.expired


def _cells(block: Block) -> list[Cell]:
    return [(block.engineer_id, d) for d in block.days]


class _Option(NamedTuple):
    block: Block
    cells: frozenset[Cell]
    value: int


def _on_time_blocks(ctx: Context, group: list[Task]):
    """Every on-time block of `group` (a training's sessions, or one visit) for its nearest
    skilled engineers, on any days; never over days off for one visit."""
    for eid in nearest_engineers(ctx, group[0]):
        for block in every_block(ctx, group, eid):
            if not block.late_minutes and (len(group) > 1 or _no_days_off(block)):
                yield block


def _trips(ctx: Context, task: Task, fixed: set[Cell], demand: DayDemand) -> list[_Option]:
    """Every on-time way for a skilled engineer to do `task` with a night at the hotel
    next to the customer (the session, then the way home the next day; or the way there
    the day before, then the session), on no day of `fixed` and never over days off
    (:func:`scheduling.planner_model.one_night`). The travel day is left to the routing
    search, as a training's is. On the same days the session before the night is worth
    more than after it (a day to spare)."""
    return [
        _Option(
            block,
            frozenset(_cells(block)),
            block_value(ctx, block, demand) - (block.visits[0].day - block.days[0]).days,
        )
        for block in _on_time_blocks(ctx, [task])
        if fixed.isdisjoint(_cells(block))
    ]


def _no_days_off(block: Block) -> bool:
    """True when `block`'s days follow each other: one visit is never worth a weekend at
    the hotel (a training of several days may be, :func:`planner_training.block_value`)."""
    return all(one_night(a, b) for a, b in pairwise(block.days))


class _Options:
    """On-time blocks of the movable bookings (trainings, one-visit trips), built once
    per booking on any days."""

    def __init__(self, ctx: Context, groups, movable: dict[str, Block], demand) -> None:
        self.ctx, self.groups, self.movable, self.demand = ctx, groups, movable, demand
        self._all: dict[str, list[_Option]] = {}

    def every(self, ref: str) -> list[_Option]:
        """The training's current block first, then its other on-time blocks for its
        nearest skilled engineers."""
        if ref not in self._all:
            current = self.movable[ref]
            most = self._needed(current) + MOVE_SLACK_MINUTES
            self._all[ref] = [self._option(current)] + [
                self._option(b)
                for b in _on_time_blocks(self.ctx, self.groups[ref])
                if (b.engineer_id, b.days) != (current.engineer_id, current.days)
                and self._needed(b) <= most
            ]
        return self._all[ref]

    def _option(self, block: Block) -> _Option:
        return _Option(block, frozenset(_cells(block)), block_value(self.ctx, block, self.demand))

    def _needed(self, block: Block) -> float:
        return demand_on(self.demand, block.engineer_id, block.days)

    def on_time(self, ref: str, outside: set[Cell]) -> list[_Option]:
        """The options of `ref` on no day of `outside` (the current block always)."""
        every = self.every(ref)
        return every[:1] + [o for o in every[1:] if o.cells.isdisjoint(outside)]


def _involved(options: _Options, owner: dict[Cell, str], wanted: set[Cell]) -> set[str]:
    """The trainings holding days in `wanted`, those holding days they could move to, and
    so on, ``DEPTH`` levels deep."""
    frontier = {owner[c] for c in wanted if c in owner}
    involved = set(frontier)
    for _ in range(DEPTH - 1):
        reached = {
            owner[c] for ref in frontier for o in options.every(ref) for c in o.cells if c in owner
        }
        frontier = reached - involved
        involved |= frontier
    return involved


def _parts(
    trainings: dict[str, list[_Option]], trips: dict[tuple, list[_Option]]
) -> list[tuple[dict[str, list[_Option]], dict[tuple, list[_Option]]]]:
    """The trainings and trips split into groups that share no engineer-day, keeping
    only the groups with a trip: each is solved alone (smaller models, answered sooner)."""
    parent: dict = {}

    def find(node):
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    items = [(("training", ref), opts) for ref, opts in trainings.items()]
    items += [(("trip", key), opts) for key, opts in trips.items() if opts]
    for node, opts in items:
        for option in opts:
            for cell in option.cells:
                parent[find(cell)] = find(node)
    parts: dict = {}
    for (kind, name), opts in items:
        part = parts.setdefault(find((kind, name)), ({}, {}))
        part[kind == "trip"][name] = opts
    return [part for part in parts.values() if part[1]]


def _solve(
    trainings: dict[str, list[_Option]],
    trips: dict[tuple, list[_Option]],
    tasks: dict[tuple, Task],
) -> tuple[dict[str, Block], dict[tuple, _Option]] | None:
    """CP-SAT: the trainings' new blocks (moved ones only) and the trips booked; None when
    no trip can be. First each stranded visit, most urgent first, takes its best trip on
    days still free; from there CP-SAT books the most trips (priority breaking ties);
    then, with those trips, the fewest trainings move and the days are the latest and
    those single visits need least (``block_value``)."""
    model = cp_model.CpModel()
    x = {
        ref: [(model.new_bool_var(f"{ref}#{i}"), o) for i, o in enumerate(opts)]
        for ref, opts in trainings.items()
    }
    y = {
        key: [(model.new_bool_var(f"{key}@{j}"), o) for j, o in enumerate(opts)]
        for key, opts in trips.items()
        if opts
    }
    if not y:
        return None
    for pairs in x.values():
        model.add_exactly_one(var for var, _ in pairs)
    served = {}
    for key, pairs in y.items():
        served[key] = model.new_bool_var(f"served:{key}")
        model.add(sum(var for var, _ in pairs) == served[key])
    users: dict[Cell, list[cp_model.IntVar]] = {}
    for pairs in (*x.values(), *y.values()):
        for var, option in pairs:
            for cell in sorted(option.cells):  # not set order: hashing varies by process
                users.setdefault(cell, []).append(var)
    for used in users.values():
        if len(used) > 1:
            model.add_at_most_one(used)
    pairs_all = [pair for pairs in (*x.values(), *y.values()) for pair in pairs]
    # The booking as it stands: every training on its current block, no trip.
    values = {var.index: int(i == 0) for pairs in x.values() for i, (var, _) in enumerate(pairs)}
    values.update((var.index, 0) for pairs in y.values() for var, _ in pairs)
    used = {c for var, o in pairs_all if values[var.index] for c in o.cells}
    booked: list[tuple] = []
    for key in sorted(served, key=lambda k: _urgency(tasks[k])):
        free = max(
            (pair for pair in y[key] if pair[1].cells.isdisjoint(used)),
            key=lambda pair: pair[1].value,
            default=None,
        )
        if free is not None:
            values[free[0].index] = 1
            used |= free[1].cells
            booked.append(key)
    # Then the most trips (the most urgent first), from those.
    _hint(model, pairs_all, values)
    weight = {k: _SERVED + tasks[k].priority for k in served}
    model.maximize(sum(weight[k] * served[k] for k in served))
    solver = _solver(MOST_EFFORT)
    found = solver.solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    if found and solver.objective_value > sum(weight[k] for k in booked):
        values = {var.index: solver.value(var) for var, _ in pairs_all}
        booked = [k for k in served if solver.value(served[k])]
    if not booked:
        return None
    for key in booked:
        model.add(served[key] == 1)
    _hint(model, pairs_all, values)
    kept = []
    for pairs in x.values():
        base = pairs[0][1].value  # the current block
        kept += [(o.value - base + (_STAY if i == 0 else 0)) * v for i, (v, o) in enumerate(pairs)]
    model.maximize(sum(kept) + sum(o.value * v for pairs in y.values() for v, o in pairs))
    solver = _solver(CHOICE_EFFORT)
    if solver.solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        values = {var.index: solver.value(var) for var, _ in pairs_all}
    return (
        {ref: o.block for ref, pairs in x.items() for i, (v, o) in enumerate(pairs)
         if i and values[v.index]},
        {key: o for key, pairs in y.items() for v, o in pairs if values[v.index]},
    )  # fmt: skip


def _hint(model: cp_model.CpModel, pairs, values: dict[int, int]) -> None:
    model.clear_hints()
    for var, _ in pairs:
        model.add_hint(var, values[var.index])


def _urgency(task: Task) -> tuple:
    return (task.deadline_min, -task.priority, task.request_ref)


def _solver(effort: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = effort
    # Measured on the 500- and 2,000-request scenarios: presolving cost ~0.1 s a model
    # and closed none, while the LP with the one-per-day cliques closed nearly all of
    # them at once (the default level left a third unproven after 0.2 units).
    solver.parameters.cp_model_presolve = False
    solver.parameters.linearization_level = 2
    return solver
