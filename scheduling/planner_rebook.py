"""Making room for a stranded overnight trip by moving booked trainings (issue 4).

Trips are booked after the trainings (:mod:`scheduling.planner_trips`), so a one-day
training in a far suburb, which needs a trainer on two consecutive working days (the
session, then the way home from the hotel), can find every trainer's days taken by
trainings that could just as well have gone on other days or to another trainer: the
trainings are booked just in time, on the latest days that meet their deadlines.

:func:`rebook_for_trips` takes each such stranded visit, most urgent first, and looks for
a skilled engineer's pair of days that would hold it on time once the trainings booked on
them (one or two) are booked again elsewhere, each still on time, on
days nobody has booked. The move is made only when all of that holds, so no deadline is
missed that was met before; among the possible moves, the one whose new training days
are least needed by single visits (their ``block_value``) is made.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from scheduling.planner_model import Context, Task
from scheduling.planner_training import Block, _blocks
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
    blocks = list(blocks)
    left: list[Task] = []
    for task in sorted(stranded, key=_urgency):
        if task.deadline_min is None or task.expired:
            left.append(task)
            continue
        found = _best_move(ctx, task, blocks, groups, busy, value)
        if found is None:
            left.append(task)
            continue
        trip, moved = found
        for old, new in moved:
            blocks.remove(old)
            busy.difference_update(_cells(old))
            blocks.append(new)
        busy.update(c for _, new in moved for c in _cells(new))
        booked = trip.block()
        blocks.append(booked)
        busy.update((trip.eid, d) for d in trip.days)
    return blocks, left


def _urgency(task: Task) -> tuple:
    deadline = task.deadline_min if task.deadline_min is not None else 10**9
    return (deadline, -task.priority, task.request_ref)


def _cells(block: Block) -> list[Cell]:
    return [(block.engineer_id, d) for d in block.days]


def _best_move(
    ctx: Context,
    task: Task,
    blocks: list[Block],
    groups: dict[str, list[Task]],
    busy: set[Cell],
    value: Callable[[Block], int],
) -> tuple[_Trip, list[tuple[Block, Block]]] | None:
    """The trip for `task` and the (old, new) training blocks it needs moved, or None."""
    owner = {c: b for b in blocks if b.request_ref in groups for c in _cells(b)}
    best: tuple | None = None
    for eid in _nearest(ctx, task):
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
            moved = _moved(ctx, displaced, groups, busy, set(cells), value)
            if moved is None:
                continue
            # Fewest trainings moved, then the days single visits need least.
            score = (len(moved), -sum(value(new) for _, new in moved), -day.toordinal(), eid)
            if best is None or score < best[0]:
                best = (score, trip, moved)
    return None if best is None else (best[1], best[2])


def _moved(
    ctx: Context,
    displaced: list[Block],
    groups: dict[str, list[Task]],
    busy: set[Cell],
    claimed: set[Cell],
    value: Callable[[Block], int],
) -> list[tuple[Block, Block]] | None:
    """Each displaced training booked again on time on days neither busy (once the
    displaced ones are freed) nor `claimed`; None when one of them cannot be."""
    free_busy = (busy - {c for b in displaced for c in _cells(b)}) | claimed
    moved = []
    for old in displaced:
        group = groups[old.request_ref]
        options = [
            b
            for eid in _nearest(ctx, group[0])
            for b in _blocks(ctx, group, eid, free_busy)
            if not b.late_minutes
        ]
        if not options:
            return None
        new = max(options, key=value)
        free_busy |= set(_cells(new))
        moved.append((old, new))
    return moved


def _nearest(ctx: Context, task: Task) -> list[str]:
    """The skilled engineers the bookings consider for `task`: the nearest few."""
    limit = ctx.policy.planner.training_candidate_engineers
    nearest = sorted(task.engineers, key=lambda e: (ctx.travel.leg(ctx.home(e), task.point)[0], e))
    return nearest[:limit]
