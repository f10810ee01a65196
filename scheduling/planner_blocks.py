"""Booking whole-day blocks for many requests at once, with OR-Tools CP-SAT.

A multi-day training needs one engineer on consecutive working days; booked one by one,
the first trainings take the days a later one cannot do without. :func:`choose_blocks`
takes every candidate block of every request and picks at most one per request so that no
engineer-day is used twice, maximising the total value of the blocks booked. The greedy
booking is given as a hint and kept when the solver does not beat it, so the result is
never worse than the greedy one. The search is single-threaded and bounded by
deterministic time: the same input always gives the same booking.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Protocol, TypeVar

from ortools.sat.python import cp_model

# Deterministic time units for the search. On this kind of machine one unit took 2-3 s
# of wall time on the 500-request scenarios (900-1,400 candidate blocks), and 2 units
# improved on 0.5 only in the last digits (demand and distance ties): BENCHMARKS.md.
BOOKING_EFFORT = 0.5


class _Booking(Protocol):
    request_ref: str
    engineer_id: str
    days: tuple[date, ...]


B = TypeVar("B", bound=_Booking)


def choose_blocks(
    options: Mapping[str, Sequence[B]],
    greedy: Mapping[str, B],
    value: Callable[[B], int],
    effort: float = BOOKING_EFFORT,
) -> dict[str, B] | None:
    """The best set of blocks, at most one per request of `options`, no engineer-day used
    twice, by total `value` (positive integers); None when it is not better than `greedy`
    (the blocks the greedy pass booked, keyed by request)."""
    model = cp_model.CpModel()
    chosen: dict[str, list[tuple[cp_model.IntVar, B]]] = {}
    users: dict[tuple[str, date], list[cp_model.IntVar]] = defaultdict(list)
    terms = []
    for ref, blocks in options.items():
        chosen[ref] = []
        for index, block in enumerate(blocks):
            var = model.new_bool_var(f"{ref}#{index}")
            chosen[ref].append((var, block))
            for day in block.days:
                users[(block.engineer_id, day)].append(var)
            terms.append(value(block) * var)
            hinted = greedy.get(ref)
            model.add_hint(var, hinted is not None and _same(hinted, block))
        model.add_at_most_one(var for var, _ in chosen[ref])
    for used in users.values():
        if len(used) > 1:
            model.add_at_most_one(used)
    model.maximize(sum(terms))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = effort
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    if solver.objective_value <= sum(value(block) for block in greedy.values()):
        return None
    return {
        ref: block for ref, pairs in chosen.items() for var, block in pairs if solver.value(var)
    }


def _same(a: _Booking, b: _Booking) -> bool:
    return a.engineer_id == b.engineer_id and a.days == b.days
