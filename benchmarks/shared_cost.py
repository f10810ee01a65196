"""Travel cost on equal service: what each plan costs for the requests every solver planned.

A solver that leaves requests out saves their travel, so comparing plans by their whole
travel cost rewards planning less. :func:`shared_cost` prices one plan with only the
visits of a given set of requests (in practice: those every compared solver planned in
full, :func:`planned_in_full`), each route keeping its order and its other stops. A leg
whose two ends are unchanged keeps the planner's km; a leg that now skips a removed stop
is measured as finance measures a stand-alone leg (:func:`scheduling.cost_legs.road_km`).
With every planned request kept, it is the plan's own travel cost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal

from scheduling.cost_legs import road_km
from scheduling.costs import plan_trips
from scheduling.model import Place, Plan, Problem, Route, Visit
from scheduling.policy import Policy


def planned_in_full(result: Plan) -> set[str]:
    """Refs of the requests `result` plans with every visit (no session left out)."""
    partly = {u.request_ref for u in result.unassigned}
    return {v.request_ref for v in result.visits} - partly


def shared_cost(result: Plan, problem: Problem, policy: Policy, refs: Iterable[str]) -> Decimal:
    """Travel cost of `result` restricted to the visits of `refs`, priced as
    :func:`scheduling.costs.plan_trips` prices a plan (same items, rates and journeys)."""
    keep = set(refs)
    restricted = _restrict(result, problem, policy, keep)
    trips = plan_trips(restricted, problem, policy)
    return sum((t.total for t in trips), Decimal("0.00"))


def _restrict(result: Plan, problem: Problem, policy: Policy, keep: set[str]) -> Plan:
    km = road_km(policy)
    customers = {c.customer_id: c for c in problem.customers}
    where = {r.request_ref: customers[r.customer_id] for r in problem.requests}
    visits = {v.key: v for v in result.visits}

    def place(key: tuple[str, int] | None, end: Place) -> tuple[float, float]:
        if key is None:
            return end.lat, end.lon
        customer = where[key[0]]
        return customer.lat, customer.lon

    kept_visits: list[Visit] = []
    routes: list[Route] = []
    for route in result.routes:
        kept = [k for k in route.visit_keys if k[0] in keep]
        previous_old: tuple[str, int] | None = None  # the stop before, in the plan
        previous_new: tuple[str, int] | None = None  # the stop before, restricted
        for key in route.visit_keys:
            if key[0] in keep:
                visit = visits[key]
                if previous_old != previous_new:
                    a = place(previous_new, route.start_place)
                    b = place(key, route.start_place)
                    visit = replace(visit, travel_km=km(*a, *b))
                kept_visits.append(visit)
                previous_new = key
            previous_old = key
        return_km = route.return_km
        if previous_old != previous_new:
            a = place(previous_new, route.start_place)
            return_km = km(*a, route.end_place.lat, route.end_place.lon)
        routes.append(replace(route, visit_keys=tuple(kept), return_km=return_km))
    return replace(result, visits=tuple(kept_visits), routes=tuple(routes))
