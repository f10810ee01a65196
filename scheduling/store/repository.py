"""The storage API the rest of fieldplan calls: plain `scheduling.model` objects in and out.

ORM rows never leave `scheduling.store`. Functions take an open `Session` and flush, never
commit: the caller's `session_scope` decides the transaction. This module gathers the
functions of `reference`, `requests`, `planning_input` and `plans`, and assembles a
planning :class:`~scheduling.model.Problem` from them.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from scheduling.model import Problem, RequestStatus
from scheduling.policy import Policy
from scheduling.store.planning_input import (
    list_overtime,
    list_unavailability,
    record_overtime,
    record_unavailability,
)
from scheduling.store.plans import (
    COMMITTED_STATES,
    VISIT_STATES,
    active_plan,
    active_plan_id,
    plan_by_id,
    plan_status,
    save_plan,
    set_visit_state,
    visit_states,
)
from scheduling.store.reference import (
    UpsertCounts,
    get_customer,
    get_engineer,
    get_office,
    list_calendar_days,
    list_customers,
    list_engineers,
    list_offices,
    upsert_calendar_day,
    upsert_customers,
    upsert_engineers,
    upsert_offices,
)
from scheduling.store.requests import (
    RequestChange,
    get_request,
    is_planned,
    list_requests,
    request_changes,
    store_request,
    withdraw_request,
)

__all__ = [
    "COMMITTED_STATES",
    "OPEN_STATUSES",
    "VISIT_STATES",
    "RequestChange",
    "UpsertCounts",
    "active_plan",
    "active_plan_id",
    "get_customer",
    "get_engineer",
    "get_office",
    "get_request",
    "is_planned",
    "list_calendar_days",
    "list_customers",
    "list_engineers",
    "list_offices",
    "list_overtime",
    "list_requests",
    "list_unavailability",
    "load_problem",
    "plan_by_id",
    "plan_status",
    "record_overtime",
    "record_unavailability",
    "request_changes",
    "save_plan",
    "set_visit_state",
    "store_request",
    "upsert_calendar_day",
    "upsert_customers",
    "upsert_engineers",
    "upsert_offices",
    "visit_states",
    "withdraw_request",
]

# Requests the planner must place: entitled ones and expired ones (planned last, POLICY.md 1).
OPEN_STATUSES = (RequestStatus.ACCEPTED, RequestStatus.EXPIRED)


def load_problem(session: Session, start: date, policy: Policy | None = None) -> Problem:
    """Everything the planner needs for a horizon starting on `start`, as plain data.

    Requests: open ones (accepted or expired, never withdrawn, held or refused) except those
    whose every session is done in the active plan. Pinned: the active plan's visits that are
    confirmed, in progress or done, for those requests. Previous: all the active plan's
    visits (warm start). Unavailability and overtime: those still relevant on or after
    `start`. `policy` is accepted for callers that pass it; nothing here depends on it.
    """
    del policy
    plan = active_plan(session)
    states = visit_states(session)
    open_pairs = list_requests(session, OPEN_STATUSES)
    done = _done_sessions(states)
    pairs = [(r, a) for r, a in open_pairs if done.get(r.request_ref, 0) < r.sessions]
    refs = {r.request_ref for r, _ in pairs}
    previous = plan.visits if plan is not None else ()
    pinned = tuple(
        v for v in previous if v.request_ref in refs and states.get(v.key) in COMMITTED_STATES
    )
    return Problem(
        offices=tuple(list_offices(session)),
        engineers=tuple(list_engineers(session)),
        customers=tuple(list_customers(session)),
        requests=tuple(r for r, _ in pairs),
        assessments=tuple(a for _, a in pairs),
        start=start,
        pinned=pinned,
        unavailable=tuple(list_unavailability(session, since=start)),
        overtime=tuple(list_overtime(session, since=start)),
        previous=tuple(previous),
    )


def _done_sessions(states: dict[tuple[str, int], str]) -> dict[str, int]:
    """How many sessions of each request the active plan has done."""
    done: dict[str, int] = {}
    for (ref, _session), state in states.items():
        if state == "done":
            done[ref] = done.get(ref, 0) + 1
    return done
