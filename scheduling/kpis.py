"""Key figures of a plan: what a dispatcher and the benchmarks read first."""

from __future__ import annotations

from decimal import Decimal

from scheduling.calendars import calendar_for
from scheduling.costs import plan_trips
from scheduling.model import Plan, Problem, RequestStatus
from scheduling.planner_model import service_minutes
from scheduling.policy import Policy


def due_refs(problem: Problem) -> set[str]:
    """References of the entitled requests with a deadline: those the on-time share counts."""
    return {
        a.request_ref
        for a in problem.assessments
        if a.status is RequestStatus.ACCEPTED and a.deadline is not None
    }


def on_time_share(plan: Plan, problem: Problem) -> float:
    """Entitled requests with a deadline whose every visit is on time, over all entitled
    requests with a deadline (an unplanned one counts as missed); 1.0 when there are none."""
    due = due_refs(problem)
    if not due:
        return 1.0
    planned: dict[str, bool] = {}
    for visit in plan.visits:
        if visit.request_ref in due:
            planned[visit.request_ref] = planned.get(visit.request_ref, True) and not visit.late
    missing = {u.request_ref for u in plan.unassigned}
    on_time = sum(1 for ref, ok in planned.items() if ok and ref not in missing)
    return on_time / len(due)


def travel_cost(plan: Plan, problem: Problem, policy: Policy) -> Decimal:
    """Customer-paid travel cost of the plan, priced as finance prices it (costs.py)."""
    return sum((trip.total for trip in plan_trips(plan, problem, policy)), Decimal("0.00"))


def utilisation(plan: Plan, problem: Problem, policy: Policy) -> float:
    """Minutes of work on site over the minutes of all engineers' working shifts (lunch
    excluded) in the horizon. A visit counts its requested duration: one that pauses for
    lunch lasts an hour longer, start to end, without more work (POLICY.md 4)."""
    requests = {r.request_ref: r for r in problem.requests}
    on_site = sum(service_minutes(requests[v.request_ref]) for v in plan.visits)
    available = 0.0
    offices = {o.office_id: o for o in problem.offices}
    for engineer in problem.engineers:
        calendar = calendar_for(offices[engineer.office_id], policy)
        for day in calendar.working_days_from(problem.start, policy.planner.horizon_working_days):
            if any(
                u.engineer_id == engineer.engineer_id and u.start <= day <= u.end
                for u in problem.unavailable
            ):
                continue
            shift = calendar.shift(day)
            minutes = (shift.end - shift.start).total_seconds() / 60
            if shift.lunch:
                minutes -= (shift.lunch[1] - shift.lunch[0]).total_seconds() / 60
            available += minutes
    return round(on_site / available, 4) if available else 0.0


def plan_kpis(
    plan: Plan, problem: Problem, policy: Policy, seconds: float
) -> dict[str, float | int | str]:
    """on_time_share, visits_planned, requests_planned, unassigned, travel_km, travel_cost
    (Decimal as a string), engineer_utilisation, lodging_nights and solve_seconds."""
    km = sum(v.travel_km for v in plan.visits) + sum(r.return_km for r in plan.routes)
    return {
        "on_time_share": round(on_time_share(plan, problem), 4),
        "visits_planned": len(plan.visits),
        "requests_planned": len({v.request_ref for v in plan.visits}),
        "unassigned": len({u.request_ref for u in plan.unassigned}),
        "travel_km": round(km, 1),
        "travel_cost": str(travel_cost(plan, problem, policy)),
        "engineer_utilisation": utilisation(plan, problem, policy),
        "lodging_nights": sum(1 for r in plan.routes if r.end_place.kind == "hotel"),
        "solve_seconds": round(seconds, 2),
    }
