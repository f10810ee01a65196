"""Cutting one planning problem into independent ones (one per office) and joining the plans.

Each office's engineers serve that office's customers (the assessment's serving office), so
the offices' routing problems share nothing and can be solved side by side: on threads of one
machine, or on a Dask cluster. Plain data in, plain data out; no Prefect here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from scheduling.geo import haversine_km
from scheduling.model import Customer, Office, Plan, Problem

# KPIs that are shares or rates cannot be summed over parts: they are re-weighted by the
# parts' visit counts; durations of parallel solves take the longest.
_MEAN_MARKERS = ("share", "utilisation", "utilization", "rate", "ratio", "mean", "avg")
_MAX_MARKERS = ("seconds", "solve")


def serving_office(customer: Customer, offices: Sequence[Office]) -> str:
    """The customer's office: explicit on the record, else the nearest office."""
    if customer.office_id:
        return customer.office_id
    nearest = min(
        offices, key=lambda o: (haversine_km(customer.lat, customer.lon, o.lat, o.lon), o.office_id)
    )
    return nearest.office_id


def split_by_office(problem: Problem) -> list[Problem]:
    """One sub-problem per office that has engineers or requests, in office-id order.

    A request goes to the office its assessment names, else to its customer's serving office.
    Pinned and previous visits, unavailability and overtime follow their engineer. Offices
    with neither engineers nor requests are left out; a problem with one office comes back
    whole.
    """
    if len(problem.offices) <= 1:
        return [problem]
    customers = {c.customer_id: c for c in problem.customers}
    assessments = {a.request_ref: a for a in problem.assessments}
    engineer_office = {e.engineer_id: e.office_id for e in problem.engineers}

    def request_office(ref: str, customer_id: str) -> str | None:
        assessment = assessments.get(ref)
        if assessment is not None and assessment.office_id:
            return assessment.office_id
        customer = customers.get(customer_id)
        return None if customer is None else serving_office(customer, problem.offices)

    requests_by_office = defaultdict(list)
    for request in problem.requests:
        requests_by_office[request_office(request.request_ref, request.customer_id)].append(request)
    parts = []
    for office in sorted(problem.offices, key=lambda o: o.office_id):
        oid = office.office_id
        engineers = tuple(e for e in problem.engineers if e.office_id == oid)
        requests = tuple(requests_by_office.get(oid, ()))
        if not engineers and not requests:
            continue
        refs = {r.request_ref for r in requests}
        ids = {e.engineer_id for e in engineers}
        customer_ids = {r.customer_id for r in requests}
        parts.append(
            Problem(
                offices=(office,),
                engineers=engineers,
                customers=tuple(c for c in problem.customers if c.customer_id in customer_ids),
                requests=requests,
                assessments=tuple(a for a in problem.assessments if a.request_ref in refs),
                start=problem.start,
                pinned=tuple(
                    v for v in problem.pinned if engineer_office.get(v.engineer_id) == oid
                ),
                unavailable=tuple(u for u in problem.unavailable if u.engineer_id in ids),
                overtime=tuple(o for o in problem.overtime if o.engineer_id in ids),
                previous=tuple(
                    v for v in problem.previous if engineer_office.get(v.engineer_id) == oid
                ),
            )
        )
    # A request whose office is not in the problem still reaches a planner, which reports it
    # unassigned with its own reason rather than this split losing it.
    planned_offices = {part.offices[0].office_id for part in parts}
    orphans = tuple(
        r
        for oid, rs in sorted(requests_by_office.items(), key=lambda kv: str(kv[0]))
        if oid not in planned_offices
        for r in rs
    )
    if orphans and parts:
        refs = {r.request_ref for r in orphans}
        ids = {r.customer_id for r in orphans}
        first = parts[0]
        parts[0] = replace(
            first,
            customers=first.customers
            + tuple(
                c for c in problem.customers if c.customer_id in ids and c not in first.customers
            ),
            requests=first.requests + orphans,
            assessments=first.assessments
            + tuple(a for a in problem.assessments if a.request_ref in refs),
        )
    return parts or [problem]


def merge_kpis(plans: Sequence[Plan]) -> dict[str, float | int | str]:
    """The parts' KPIs as one set: counts and amounts summed, shares weighted by visits."""
    if len(plans) == 1:
        return dict(plans[0].kpis)
    merged: dict[str, float | int | str] = {}
    weights = [max(1, len(p.visits)) for p in plans]
    keys = sorted({k for p in plans for k in p.kpis})
    for key in keys:
        values = [(p.kpis.get(key), w) for p, w in zip(plans, weights, strict=True)]
        numbers = [
            (v, w) for v, w in values if isinstance(v, int | float) and not isinstance(v, bool)
        ]
        if len(numbers) != len([v for v, _ in values if v is not None]):
            merged[key] = next(str(v) for v, _ in values if v is not None)
        elif any(marker in key for marker in _MEAN_MARKERS):
            total = sum(w for _, w in numbers)
            merged[key] = sum(v * w for v, w in numbers) / total if total else 0.0
        elif any(marker in key for marker in _MAX_MARKERS):
            merged[key] = max(v for v, _ in numbers)
        else:
            merged[key] = sum(v for v, _ in numbers)
    merged["parts"] = len(plans)
    return merged


def merge_plans(plans: Sequence[Plan]) -> Plan:
    """One plan from the parts' plans: visits, routes and unassigned in a stable order."""
    if len(plans) == 1:
        return plans[0]
    visits = sorted(
        (v for p in plans for v in p.visits), key=lambda v: (v.engineer_id, v.start, v.key)
    )
    routes = sorted((r for p in plans for r in p.routes), key=lambda r: (r.engineer_id, r.day))
    unassigned = sorted(
        (u for p in plans for u in p.unassigned), key=lambda u: (u.request_ref, u.session or 0)
    )
    created = [p.created_at for p in plans if p.created_at is not None]
    return Plan(
        visits=tuple(visits),
        routes=tuple(routes),
        unassigned=tuple(unassigned),
        kpis=merge_kpis(plans),
        seed=plans[0].seed,
        created_at=max(created) if created else None,
    )
