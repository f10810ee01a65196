"""The planner's rules: one function per constraint or objective term.

Each docstring says whether the rule is hard (a plan breaking it is never returned) or soft
(it costs what it says, in objective units). Objective units are customer-paid cents times
``weights.travel_cost_per_yuan / 100``; the weights come from the policy file, in the order
of issue 4: deadlines met >> visits planned >> travel cost >> overtime and workload.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import numpy as np

from scheduling.cost_legs import LegEnd, city_key
from scheduling.model import Zone
from scheduling.planner_model import (
    Context,
    ShiftSpan,
    Task,
    Vehicle,
    day_trip_fits,
    spans_lunch,
)
from scheduling.policy import Policy
from scheduling.routing import RoutingCore


def late_cost_per_minute(task: Task, policy: Policy, meetable: bool = True) -> int:
    """Soft: each minute a visit starts past its deadline costs ``late_per_priority x
    priority / 60`` (the weight is per hour late) when the deadline can be met, and
    ``late_unmeetable_per_priority x priority / 60`` when no engineer can arrive in time:
    such a visit is still planned as early as possible, but never at the expense of a
    deadline that can be met."""
    weights = policy.planner.weights
    per_hour = weights.late_per_priority if meetable else weights.late_unmeetable_per_priority
    return max(1, math.ceil(per_hour * max(1, task.priority) / 60))


def deadline_missed(task: Task, policy: Policy, meetable: bool = True) -> tuple[int, int] | None:
    """Soft: (deadline minute, cost per minute late) for an entitled request; None for an
    expired one (POLICY.md 1: no SLA deadline). A deadline already past counts from the
    horizon start."""
    if task.deadline_min is None:
        return None
    return max(0, task.deadline_min), late_cost_per_minute(task, policy, meetable)


def visit_dropped(task: Task, policy: Policy, horizon: int) -> int:
    """Soft: an unplanned visit costs ``unplanned_per_priority x priority`` plus the
    largest possible lateness cost, so planning late always beats not planning; an expired
    request costs only ``unplanned_expired``, so it is planned after every entitled one."""
    weights = policy.planner.weights
    if task.expired:
        return max(1, weights.unplanned_expired)
    lateness = late_cost_per_minute(task, policy) * horizon
    return weights.unplanned_per_priority * max(1, task.priority) + lateness


def travel_cost(km: np.ndarray, ends: Sequence[LegEnd], policy: Policy, day: date) -> np.ndarray:
    """Soft: customer-paid travel of each arc as finance bills its distance or fare
    (:func:`scheduling.cost_legs.leg_billing`, POLICY.md 5), in objective units. `ends` are the
    nodes as billing sees them: a leg is priced in the farther zone of its ends, a leg
    between two customers in the cheaper of their zones, and an out-of-town leg between two
    cities at the rail rate (inside one town, at the city rate). Lodging and allowances are
    per day, not per arc: the trip booking decides them. Fare tables are not consulted (the
    per-km rail rate stands in). The rates in force on the horizon's first day are used for
    the whole horizon."""
    rates = policy.costs.rates_on(day)
    scale = policy.planner.weights.travel_cost_per_yuan  # objective units per yuan
    zone_index = {Zone.CITY: 0, Zone.SUBURBAN: 1, Zone.OUT_OF_TOWN: 2}
    zones = np.array([zone_index[e.zone] for e in ends], dtype=np.int64)
    city_ids: dict[str, int] = {}
    cities = np.array([city_ids.setdefault(city_key(e.city), len(city_ids)) for e in ends])
    customer = np.array([e.customer for e in ends], dtype=bool)
    same = cities[:, None] == cities[None, :]
    city, suburban, rail = (
        float(rates.city_per_km),
        float(rates.suburban_per_km),
        float(rates.rail_per_km),
    )

    def rate(zone: np.ndarray) -> np.ndarray:
        return np.where(zone == 0, city, np.where(zone == 1, suburban, np.where(same, city, rail)))

    za, zb = zones[:, None], zones[None, :]
    farther = rate(np.maximum(za, zb))
    cheaper = np.minimum(rate(za), rate(zb))
    per_km = np.where(customer[:, None] & customer[None, :], cheaper, farther)
    return np.rint(np.asarray(km, dtype=float) * per_km * scale).astype(np.int64)


def can_serve(task: Task, vehicle: Vehicle, there: int, back: int) -> bool:
    """Hard: the engineer holds every required skill (POLICY.md 3), the shift can hold the
    visit inside the customer's dates, and overtime shifts serve emergencies only
    (POLICY.md 4), with the travel there and back (`there`, `back` minutes) in the shift."""
    shift = vehicle.shift
    if vehicle.engineer_id not in task.engineers:
        return False
    if shift.overtime and not task.emergency:
        return False
    if task.pinned is not None:
        return vehicle.kind == "day" and (vehicle.engineer_id, vehicle.day) == (
            task.pinned.engineer_id,
            task.pinned.day,
        )
    return day_trip_fits(task, shift, there, back)


def restrict_vehicles(core: RoutingCore, node: int, allowed: list[int]) -> None:
    """Hard: the visit may only ride the listed vehicles (or stay unplanned)."""
    core.routing.VehicleVar(core.node_index(node)).SetValues([-1, *allowed])


def lunch_breaks(vehicles: Sequence[Vehicle]) -> list[list[tuple[int, int, int]]]:
    """Hard (POLICY.md 4 lunch): each engineer-day with a lunch break stops for it at its
    fixed time, while waiting or inside a visit, which then ends the break later
    (:func:`scheduling.planner_model.session_end`). As routing-core breaks (start window,
    duration) per vehicle; no work starts during the break. The break does not overlap
    travel in the model, which is therefore at times stricter than the planner's own
    timing (the engineer may drive through lunch there); every plan is valid under both."""
    out = []
    for vehicle in vehicles:
        lunch = vehicle.shift.lunch
        out.append([(lunch[0], lunch[0], lunch[1] - lunch[0])] if lunch else [])
    return out


def long_visit(task: Task, shifts: set[ShiftSpan]) -> int:
    """The lunch minutes a visit holds inside its own time: a visit longer than the
    longest lunch-free stretch (:func:`spans_lunch`) contains the whole break and does
    not last longer for it. 0 for any other visit."""
    lengths = {s.lunch[1] - s.lunch[0] for s in shifts if s.lunch and spans_lunch(task.service, s)}
    return max(lengths, default=0)


def lunch_break(core: RoutingCore, node: int, task: Task, shifts: set[ShiftSpan]) -> None:
    """Hard (POLICY.md 4 lunch): a visit longer than the longest lunch-free stretch
    contains the whole break (its model service is shortened by the break, which the
    vehicle's break interval adds back). Other visits need nothing here: the break
    interval pauses them (:func:`lunch_breaks`)."""
    cumul = core.time_dimension.CumulVar(core.node_index(node))
    for shift in sorted(shifts, key=lambda s: (s.start, s.end, s.lunch or (0, 0))):
        if shift.lunch is None or not spans_lunch(task.service, shift):
            continue
        l0, l1 = shift.lunch
        if l1 - task.service - 1 >= shift.start:
            cumul.RemoveInterval(shift.start, l1 - task.service - 1)
        cumul.RemoveInterval(l0 + 1, shift.end)


def pinned_visit(core: RoutingCore, node: int, start: int) -> None:
    """Hard: a pinned visit keeps its engineer-day (see :func:`can_serve`) and its start."""
    core.time_dimension.CumulVar(core.node_index(node)).SetRange(start, start)


def overtime_and_workload(core: RoutingCore, vehicles: list[Vehicle], policy: Policy) -> None:
    """Soft: every minute an engineer is out costs ``balance_per_minute`` (short, even
    days), and on an overtime shift ``overtime_per_minute`` more."""
    weights = policy.planner.weights
    for v, vehicle in enumerate(vehicles):
        coefficient = weights.balance_per_minute
        if vehicle.shift.overtime:
            coefficient += weights.overtime_per_minute
        if coefficient:
            core.time_dimension.SetSpanCostCoefficientForVehicle(int(coefficient), v)


def earliest_arrival(ctx: Context, task: Task, vehicles: list[Vehicle]) -> int | None:
    """The earliest minute any allowed engineer-day could put someone on site."""
    best = None
    for vehicle in vehicles:
        there = ctx.travel.leg(vehicle.start_point, task.point)[1]
        back = ctx.travel.leg(task.point, vehicle.end_point)[1]
        if not can_serve(task, vehicle, there, back):
            continue
        arrival = max(task.earliest, vehicle.shift.start + there)
        best = arrival if best is None else min(best, arrival)
    return best
