"""Why a visit is not in the plan: the reason code and the sentence a dispatcher reads.

Codes (plan.json ``unassigned``): ``outside_window`` (the customer's dates hold no usable
shift), ``deadline_unreachable`` (nobody can be there by the deadline, and nothing was
free to plan it late), ``no_capacity`` (skilled engineers exist, but their days are
taken). Each function answers for one point where the planner gives up on a visit.
"""

from __future__ import annotations

from scheduling.planner_model import Context, Task, Vehicle, day_trip_fits, day_trippers
from scheduling.planner_rebook import tried
from scheduling.planner_rules import earliest_arrival


def no_vehicle_reason(ctx: Context, task: Task) -> tuple[str, str]:
    """A visit no free engineer-day can take at all."""
    request = ctx.requests[task.request_ref]
    if request.window_start is not None or request.window_end is not None:
        inside = any(
            shift.start <= task.latest and task.earliest + task.service <= shift.end
            for eid in task.engineers
            for shift in ctx.shifts[eid].values()
            if not shift.overtime or task.emergency
        )
        if not inside:
            return (
                "outside_window",
                f"the customer's dates {request.window_start or '…'} to "
                f"{request.window_end or '…'} hold no working shift of a skilled engineer "
                "in the horizon",
            )
    soonest = _soonest_from_home(ctx, task)
    if task.deadline_min is not None and soonest is not None and soonest > task.deadline_min:
        return _unreachable(ctx, task, soonest)
    return (
        "no_capacity",
        "no skilled engineer has a free shift that can hold the visit in the horizon",
    )


def _soonest_from_home(ctx: Context, task: Task) -> int | None:
    """The earliest arrival of any skilled engineer leaving home at a shift's start, on a
    shift that could hold the visit, whatever is already booked."""
    arrivals = [
        max(task.earliest, shift.start + there)
        for eid, (there, back) in day_trippers(ctx, task).items()
        for shift in ctx.shifts[eid].values()
        if (task.emergency or not shift.overtime) and day_trip_fits(task, shift, there, back)
    ]
    return min(arrivals, default=None)


def _unreachable(ctx: Context, task: Task, earliest: int) -> tuple[str, str]:
    return (
        "deadline_unreachable",
        f"the deadline {task.deadline.isoformat()} is earlier than the earliest possible "
        f"arrival {ctx.at(earliest).isoformat()}, and no capacity was left to plan it late",
    )


def stranded_reason(ctx: Context, task: Task) -> tuple[str, str]:
    """An out-of-town visit no overnight trip could take (not even by moving the trainings
    booked on a skilled engineer's days, :mod:`scheduling.planner_rebook`)."""
    request = ctx.requests[task.request_ref]
    moved = ", even moving the trainings and one-visit trips booked on them to other days on time"
    if not tried(task):
        moved = ""
    if request.window_start is not None or request.window_end is not None:
        return (
            "outside_window",
            "no skilled engineer has two consecutive free working days for an overnight trip "
            f"inside the customer's dates {request.window_start or '…'} to "
            f"{request.window_end or '…'}{moved}",
        )
    return (
        "no_capacity",
        "out of town beyond a day trip, and no skilled engineer has two consecutive free "
        f"working days for an overnight trip in the horizon{moved}",
    )


def dropped_reason(ctx: Context, task: Task, vehicles: list[Vehicle]) -> tuple[str, str]:
    """A visit the routing search left out; `vehicles` are the engineer-days allowed it."""
    if task.expired:
        return (
            "no_capacity",
            "expired request (no service commitment): planned only after every entitled "
            "one, and no capacity was left in the horizon",
        )
    earliest = earliest_arrival(ctx, task, vehicles)
    if task.deadline_min is not None and earliest is not None and earliest > task.deadline_min:
        return _unreachable(ctx, task, earliest)
    return ("no_capacity", "no capacity left in the horizon for this visit")
