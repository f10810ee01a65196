"""Plans in and out of the database: visits, routes and unassigned requests.

Times come back in the time zone of the engineer's office. Exactly one plan is `active`. A
new plan is written as `building`, and only once it is complete is the previous active plan
flipped to `superseded` and the new one to `active`, in the same transaction: readers never
see a half-written plan or no plan at all.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from scheduling.model import Place, Plan, Route, Unassigned, Visit
from scheduling.store.localtime import engineer_zones, local
from scheduling.store.models import PlanRouteRow, PlanRow, UnassignedRow, VisitRow

VISIT_STATES = ("planned", "confirmed", "in_progress", "done", "cancelled")
# Field states a new plan must not forget: the engineer is committed or has been there.
COMMITTED_STATES = ("confirmed", "in_progress", "done")


def _visit(row: VisitRow, zone: ZoneInfo | None) -> Visit:
    return Visit(
        request_ref=row.request_ref,
        engineer_id=row.engineer_id,
        day=row.day,
        arrival=local(row.arrival, zone),
        start=local(row.start, zone),
        end=local(row.end, zone),
        travel_km=row.travel_km,
        travel_minutes=row.travel_minutes,
        deadline=local(row.deadline, zone),
        late=row.late,
        session=row.session,
        pinned=row.pinned,
        lodging=row.lodging,
    )


def _route(row: PlanRouteRow, zone: ZoneInfo | None) -> Route:
    return Route(
        engineer_id=row.engineer_id,
        day=row.day,
        start_place=Place(row.start_kind, row.start_lat, row.start_lon, row.start_label),
        end_place=Place(row.end_kind, row.end_lat, row.end_lon, row.end_label),
        visit_keys=tuple((str(ref), int(session)) for ref, session in row.visit_keys),
        departure=local(row.departure, zone),
        return_at=local(row.return_at, zone),
        return_km=row.return_km,
        return_minutes=row.return_minutes,
    )


def _plan(session: Session, row: PlanRow) -> Plan:
    zones = engineer_zones(session)
    visits = session.scalars(
        select(VisitRow)
        .where(VisitRow.plan_id == row.plan_id)
        .order_by(VisitRow.engineer_id, VisitRow.day, VisitRow.start, VisitRow.id)
    )
    routes = session.scalars(
        select(PlanRouteRow)
        .where(PlanRouteRow.plan_id == row.plan_id)
        .order_by(PlanRouteRow.engineer_id, PlanRouteRow.day)
    )
    unassigned = session.scalars(
        select(UnassignedRow).where(UnassignedRow.plan_id == row.plan_id).order_by(UnassignedRow.id)
    )
    return Plan(
        visits=tuple(_visit(v, zones.get(v.engineer_id)) for v in visits),
        routes=tuple(_route(r, zones.get(r.engineer_id)) for r in routes),
        unassigned=tuple(
            Unassigned(u.request_ref, u.reason_code, u.reason, u.session) for u in unassigned
        ),
        kpis=dict(row.kpis or {}),
        seed=row.seed,
        created_at=row.created_at,
    )


def active_plan_id(session: Session) -> int | None:
    """The id of the active plan, or None before the first plan."""
    return session.scalar(select(PlanRow.plan_id).where(PlanRow.status == "active"))


def active_plan(session: Session) -> Plan | None:
    """The active plan, or None before the first plan."""
    row = session.scalars(select(PlanRow).where(PlanRow.status == "active")).first()
    return None if row is None else _plan(session, row)


def plan_by_id(session: Session, plan_id: int) -> Plan | None:
    """The plan with this id whatever its status, or None."""
    row = session.get(PlanRow, plan_id)
    return None if row is None else _plan(session, row)


def plan_status(session: Session, plan_id: int) -> str | None:
    """ "building", "active" or "superseded"; None for an unknown id."""
    return session.scalar(select(PlanRow.status).where(PlanRow.plan_id == plan_id))


def visit_states(session: Session, plan_id: int | None = None) -> dict[tuple[str, int], str]:
    """Field state of each visit of a plan (default: the active one), by (request_ref, session)."""
    plan_id = active_plan_id(session) if plan_id is None else plan_id
    if plan_id is None:
        return {}
    rows = session.execute(
        select(VisitRow.request_ref, VisitRow.session, VisitRow.state).where(
            VisitRow.plan_id == plan_id
        )
    )
    return {(ref, number): state for ref, number, state in rows}


def save_plan(session: Session, plan: Plan, horizon_start: date) -> int:
    """Store `plan` and make it the active plan, atomically; returns its id.

    The plan is inserted as `building`; then the previous active plan becomes `superseded`
    and this one `active`, in the caller's transaction (the previous plan stays active until
    the new one is complete). A visit the previous plan had confirmed, in progress or done
    keeps that state when the new plan keeps it with the same engineer on the same day.
    """
    previous_id = active_plan_id(session)
    carried = {key: state for key, state in _committed(session, previous_id).items()}
    row = PlanRow(
        created_at=plan.created_at or datetime.now(UTC),
        seed=plan.seed,
        status="building",
        # JSON column: a Decimal or date KPI is kept as its text rather than failing the save.
        kpis=json.loads(json.dumps(plan.kpis, default=str)),
        horizon_start=horizon_start,
    )
    session.add(row)
    session.flush()
    for visit in plan.visits:
        state = "planned"
        kept = carried.get(visit.key)
        if kept is not None and kept[0] == (visit.engineer_id, visit.day):
            state = kept[1]
        session.add(_visit_row(row.plan_id, visit, state))
    for route in plan.routes:
        session.add(_route_row(row.plan_id, route))
    for item in plan.unassigned:
        session.add(
            UnassignedRow(
                plan_id=row.plan_id,
                request_ref=item.request_ref,
                session=item.session,
                reason_code=item.reason_code,
                reason=item.reason,
            )
        )
    session.flush()
    if previous_id is not None:
        session.execute(
            update(PlanRow).where(PlanRow.plan_id == previous_id).values(status="superseded")
        )
        session.flush()
    row.status = "active"
    session.flush()
    return row.plan_id


def _committed(
    session: Session, plan_id: int | None
) -> dict[tuple[str, int], tuple[tuple[str, date], str]]:
    """Committed visits of a plan: key -> ((engineer, day), state)."""
    if plan_id is None:
        return {}
    rows = session.scalars(
        select(VisitRow).where(VisitRow.plan_id == plan_id, VisitRow.state.in_(COMMITTED_STATES))
    )
    return {(r.request_ref, r.session): ((r.engineer_id, r.day), r.state) for r in rows}


def _visit_row(plan_id: int, visit: Visit, state: str) -> VisitRow:
    return VisitRow(
        plan_id=plan_id,
        request_ref=visit.request_ref,
        session=visit.session,
        engineer_id=visit.engineer_id,
        day=visit.day,
        arrival=visit.arrival,
        start=visit.start,
        end=visit.end,
        travel_km=float(visit.travel_km),
        travel_minutes=int(visit.travel_minutes),
        deadline=visit.deadline,
        late=visit.late,
        pinned=visit.pinned,
        lodging=visit.lodging,
        state=state,
    )


def _route_row(plan_id: int, route: Route) -> PlanRouteRow:
    return PlanRouteRow(
        plan_id=plan_id,
        engineer_id=route.engineer_id,
        day=route.day,
        start_kind=route.start_place.kind,
        start_lat=route.start_place.lat,
        start_lon=route.start_place.lon,
        start_label=route.start_place.label,
        end_kind=route.end_place.kind,
        end_lat=route.end_place.lat,
        end_lon=route.end_place.lon,
        end_label=route.end_place.label,
        visit_keys=[[ref, number] for ref, number in route.visit_keys],
        departure=route.departure,
        return_at=route.return_at,
        return_km=float(route.return_km),
        return_minutes=int(route.return_minutes),
    )


def set_visit_state(session: Session, request_ref: str, session_no: int, state: str) -> None:
    """Set the field state of one visit of the active plan (planned, confirmed, in_progress,
    done, cancelled). ValueError for an unknown state, KeyError if the active plan has no
    such visit.
    """
    if state not in VISIT_STATES:
        raise ValueError(f"visit state {state!r}: expected one of {', '.join(VISIT_STATES)}")
    plan_id = active_plan_id(session)
    row = None
    if plan_id is not None:
        row = session.scalars(
            select(VisitRow).where(
                VisitRow.plan_id == plan_id,
                VisitRow.request_ref == request_ref,
                VisitRow.session == session_no,
            )
        ).first()
    if row is None:
        raise KeyError(f"no visit {request_ref} session {session_no} in the active plan")
    row.state = state
    session.flush()
