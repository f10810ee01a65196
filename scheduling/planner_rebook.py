"""Making room for a stranded overnight trip by moving booked trainings (issue 4).

Trips are booked after the trainings (:mod:`scheduling.planner_trips`), so a one-day
training in a far suburb, which needs a trainer on two consecutive working days (the
session, then the way home from the hotel), can find every trainer's days taken by
trainings that could just as well have gone on other days or to another trainer: the
trainings are booked just in time, on the latest days that meet their deadlines.

:func:`rebook_for_trips` takes each such stranded visit, most urgent first, and looks for
a skilled engineer's pair of days that would hold it on time once the trainings booked on
them (one or two) are booked again, each still on time: on days nobody has booked, or on
the days of one more training that goes to free days in turn (a chain two moves deep).
The move is made only when all of that holds, so no deadline is missed that was met
before; among the possible moves, the one moving fewest trainings, then losing least
``block_value`` (the trainings' new days least needed by single visits), is made.
Trainings' candidate blocks are built once per request, on any days, and filtered by the
days still free, so a chain costs set look-ups, not bookings (0.5 s for the 79 stranded
visits of the steady 2,000/150 scenario).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import NamedTuple

from scheduling.planner_model import Context, Task, nearest_engineers
from scheduling.planner_training import Block, every_block
from scheduling.planner_trips import _Trip

Cell = tuple[str, date]


def rebook_for_trips(
    ctx: Context,
    stranded: list[Task],
    blocks: list[Block],
    groups: dict[str, list[Task]],
    busy: set[Cell],
    value: Callable[[Block], int],
) -> tuple[list[Block], list[Task]]:
    """Book trips for `stranded` visits (each needing an overnight stay) by moving the
    training blocks of `blocks` whose sessions are `groups[request_ref]`; return the new
    list of blocks and the visits still stranded. `busy` is kept up to date.

    Only visits with a deadline are tried, and a trip is booked only when it arrives by
    that deadline and every training it displaces is booked again on time: no deadline
    met before is missed after. Blocks not in `groups` (trips, pinned days) never move.
    """
    rebooking = _Rebooking(ctx, blocks, groups, busy, value)
    left: list[Task] = []
    for task in sorted(stranded, key=_urgency):
        if not tried(task) or not rebooking.book(task):
            left.append(task)
    return rebooking.blocks, left


def tried(task: Task) -> bool:
    """True for the stranded visits :func:`rebook_for_trips` tries to make room for: those
    with a deadline (an expired request has none to meet)."""
    return task.deadline_min is not None and not task.expired


def _urgency(task: Task) -> tuple:
    deadline = task.deadline_min if task.deadline_min is not None else 10**9
    return (deadline, -task.priority, task.request_ref)


def _cells(block: Block) -> list[Cell]:
    return [(block.engineer_id, d) for d in block.days]


class _Option(NamedTuple):
    block: Block
    cells: frozenset[Cell]
    value: int


class _Rebooking:
    def __init__(self, ctx, blocks, groups, busy, value) -> None:
        self.ctx, self.groups, self.busy, self.value = ctx, groups, busy, value
        self.blocks: list[Block] = list(blocks)
        self._options: dict[str, list[_Option]] = {}

    def options(self, ref: str) -> list[_Option]:
        """Every on-time block of training `ref` for its nearest skilled engineers, on any
        days (built once; callers keep those whose days are free)."""
        if ref not in self._options:
            group = self.groups[ref]
            self._options[ref] = [
                _Option(b, frozenset(_cells(b)), self.value(b))
                for eid in nearest_engineers(self.ctx, group[0])
                for b in every_block(self.ctx, group, eid)
                if not b.late_minutes
            ]
        return self._options[ref]

    def book(self, task: Task) -> bool:
        """Book a trip for `task`, moving trainings out of its way; False when none is."""
        found = self._best_move(task)
        if found is None:
            return False
        trip, moved = found
        for old, _ in moved:
            self.blocks.remove(old)
            self.busy.difference_update(_cells(old))
        for _, new in moved:
            self.blocks.append(new)
            self.busy.update(_cells(new))
        self.blocks.append(trip.block())
        self.busy.update((trip.eid, d) for d in trip.days)
        return True

    def _best_move(self, task: Task) -> tuple[_Trip, list[tuple[Block, Block]]] | None:
        """The trip for `task` and the (old, new) training blocks it needs moved."""
        ctx, busy = self.ctx, self.busy
        owner = {c: b for b in self.blocks if b.request_ref in self.groups for c in _cells(b)}
        best: tuple | None = None
        for eid in nearest_engineers(ctx, task):
            calendar = ctx.calendar_of(eid)
            shifts = ctx.shifts[eid]
            for day, shift in shifts.items():
                nxt = calendar.next_working_day(day)
                if shift.overtime or nxt not in shifts or shifts[nxt].overtime:
                    continue
                cells = [(eid, day), (eid, nxt)]
                taken = [c for c in cells if c in busy]
                if any(c not in owner for c in taken):
                    continue  # a trip or a pinned day: never moved
                displaced = list(dict.fromkeys(owner[c] for c in taken))
                if any(b.late_minutes for b in displaced):
                    continue
                trip = _Trip(ctx, eid, (day, nxt))
                if not trip.try_add(task) or trip.late_visits():
                    continue
                moved = self._moved(displaced, owner, set(cells))
                if moved is None:
                    continue
                # Fewest trainings moved, then the days single visits need least.
                worth = sum(self.value(new) - self.value(old) for old, new in moved)
                score = (len(moved), -worth, -day.toordinal(), eid)
                if best is None or score < best[0]:
                    best = (score, trip, moved)
        return None if best is None else (best[1], best[2])

    def _moved(
        self, displaced: list[Block], owner: dict[Cell, Block], claimed: set[Cell]
    ) -> list[tuple[Block, Block]] | None:
        """Each displaced training booked again on time, on free days or on the days of
        one other training that goes to free days in turn; None when one cannot be."""
        gone = {b.request_ref for b in displaced}
        taken = (self.busy - {c for b in displaced for c in _cells(b)}) | claimed
        fixed = set(claimed)  # days the new bookings hold: never moved again
        moved: list[tuple[Block, Block]] = []
        for old in displaced:
            free = self._free(old.request_ref, taken)
            if free:
                chain = [(old, max(free, key=lambda o: o.value).block)]
            else:
                chain = self._chain(old, owner, gone, taken, fixed)
                if chain is None:
                    return None
            for before, _ in chain:
                gone.add(before.request_ref)
                taken.difference_update(c for c in _cells(before) if c not in fixed)
            for _, after in chain:
                taken.update(_cells(after))
                fixed.update(_cells(after))
            moved.extend(chain)
        return moved

    def _chain(self, old, owner, gone, taken, fixed) -> list[tuple[Block, Block]] | None:
        """`old` on the days of one other movable training, which goes to free days."""
        best: tuple | None = None
        for new in self.options(old.request_ref):
            holders = [owner.get(c) for c in new.cells & taken]
            if not holders or any(h is None for h in holders) or not new.cells.isdisjoint(fixed):
                continue  # free (no chain needed), a trip's or pinned day, or a new booking's
            other = holders[0]
            if {h.request_ref for h in holders} != {other.request_ref}:
                continue
            if other.request_ref in gone or other.late_minutes:
                continue
            free = self._free(other.request_ref, taken, frozenset(_cells(other)), new.cells)
            if not free:
                continue
            then = max(free, key=lambda o: o.value)
            worth = new.value + then.value
            if best is None or worth > best[0]:
                best = (worth, [(old, new.block), (other, then.block)])
        return None if best is None else best[1]

    def _free(
        self,
        ref: str,
        taken: set[Cell],
        freed: frozenset[Cell] = frozenset(),
        claimed: frozenset[Cell] = frozenset(),
    ) -> list[_Option]:
        """The options of `ref` on days not `taken` (or `freed`) and not `claimed`."""
        return [
            o
            for o in self.options(ref)
            if o.cells.isdisjoint(claimed)
            and (o.cells.isdisjoint(taken) or o.cells & taken <= freed)
        ]
