"""The `replan` flow: something happened in the field; change the plan as little as possible.

Events a dispatcher reports:

- `engineer_unavailable`: an engineer cannot work from `start_date` to `end_date` (ill, leave);
- `emergency`: a new urgent request (`request`), optionally with an overtime shift opened;
- `overran`: a visit took `overrun_minutes` longer than planned;
- `cancelled`: a visit did not take place and must be planned again;
- `withdrawn`: the customer withdrew the request.

The recipe: record the event in the database, then pin every visit of the active plan the event
does not touch (and everything already started, done or in progress, per `now`), so the
planner only places the freed visits and the open requests around them; save, and report what
moved. Under the same lock as `plan`: one plan or replan at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from prefect import flow, get_run_logger, task

from flows import artifacts
from flows.intake_flow import RequestForm, intake_flow
from flows.locking import plan_lock
from flows.plan_flow import PlanOutcome, plan_and_publish
from flows.retries import db_task_options
from flows.settings import resolve_database_url, task_runner
from scheduling.model import OvertimeShift, Plan, Problem, Unavailability, Visit
from scheduling.policy import Policy, load_policy


class Event(StrEnum):
    ENGINEER_UNAVAILABLE = "engineer_unavailable"
    EMERGENCY = "emergency"
    OVERRAN = "overran"
    CANCELLED = "cancelled"
    WITHDRAWN = "withdrawn"


class BadEvent(ValueError):
    """An event that lacks what it needs (which engineer, which visit...)."""


# --- which visits an event frees --------------------------------------------------------------


def freed_by(
    event: Event,
    previous: Sequence[Visit],
    *,
    engineer_id: str | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    request_ref: str | None = None,
    session: int = 1,
    office_engineers: Iterable[str] = (),
    until: date | None = None,
) -> set[tuple[str, int]]:
    """The keys of the previous plan's visits that `event` lets the planner move.

    Unavailability frees that engineer's visits in the period; an overrun frees the rest of
    that engineer's day after the visit; a cancelled visit frees itself; an emergency frees
    the visits of its office's engineers up to its deadline day `until` (room must be made);
    a withdrawal frees nothing (its visit simply disappears).
    """
    if event is Event.ENGINEER_UNAVAILABLE:
        last = end_date or start_date
        return {
            v.key
            for v in previous
            if v.engineer_id == engineer_id and start_date <= v.day <= last  # type: ignore[operator]
        }
    if event is Event.OVERRAN:
        ran = next((v for v in previous if v.key == (request_ref, session)), None)
        if ran is None:
            return set()
        return {
            v.key
            for v in previous
            if v.engineer_id == ran.engineer_id and v.day == ran.day and v.start > ran.start
        }
    if event is Event.CANCELLED:
        return {(request_ref, session)}  # type: ignore[arg-type]
    if event is Event.EMERGENCY:
        engineers = set(office_engineers)
        return {
            v.key
            for v in previous
            if v.engineer_id in engineers and (until is None or v.day <= until)
        }
    return set()


def pin_unaffected(
    problem: Problem,
    freed: set[tuple[str, int]],
    overrun: Visit | None = None,
    *,
    now: datetime,
    keep_unaffected: bool = True,
) -> Problem:
    """The problem with every previous visit pinned except the freed ones.

    Visits the field has committed to (confirmed, in progress, done: `problem.pinned`) stay
    pinned even when freed if they have started by `now`; an unaffected visit that has
    started is pinned in any case. Visits of requests no longer open (withdrawn, done) are
    dropped. An overrun visit is pinned with its longer end (its request's duration grows to
    match), so what follows it moves. The freed visits
    leave `previous` too, so the planner's warm start is exactly the pinned routes, which
    stay feasible (a route minus some stops is never longer). With `keep_unaffected` False
    (the fallback), unaffected visits are not pinned but stay in `previous` as the warm start.
    """
    open_refs = {r.request_ref for r in problem.requests}
    # A confirmed visit of an engineer now ill is freed too; one already started is not.
    pinned: dict[tuple[str, int], Visit] = {
        v.key: v for v in problem.pinned if v.key not in freed or v.start < now
    }
    for visit in problem.previous:
        if visit.request_ref not in open_refs or visit.key in pinned:
            continue
        # A freed visit is not pinned by the clock: the event is why it did not happen as
        # planned (the engineer was ill, or still at the visit that overran).
        if visit.key not in freed and (keep_unaffected or visit.start < now):
            pinned[visit.key] = replace(visit, pinned=True)
    requests = problem.requests
    if overrun is not None and overrun.key in pinned:
        pinned[overrun.key] = replace(overrun, pinned=True)
        # The planner times a visit by its request's duration: lengthen it by the overrun, so
        # the pinned visit and the planner agree on when the engineer is free again.
        hours = Decimal(int((overrun.end - overrun.start).total_seconds() // 60)) / 60
        requests = tuple(
            replace(r, duration_hours=hours) if r.request_ref == overrun.request_ref else r
            for r in requests
        )
        problem = replace(problem, requests=requests)
    kept = tuple(sorted(pinned.values(), key=_order))
    if keep_unaffected:
        return replace(problem, pinned=kept, previous=kept)
    start = tuple(
        v
        for v in problem.previous
        if v.request_ref in open_refs and v.key not in freed and v.key not in pinned
    )
    return replace(problem, pinned=kept, previous=tuple(sorted(kept + start, key=_order)))


def _order(visit: Visit) -> tuple:
    return (visit.engineer_id, visit.start, visit.key)


def _where(visit: Visit, zone: Any) -> str:
    start = visit.start.astimezone(zone)
    return f"{visit.engineer_id} {start:%a %Y-%m-%d %H:%M}"


def diff_visits(before: Sequence[Visit], after: Plan, zone: Any = None) -> list[dict[str, Any]]:
    """What changed from `before` (the previous plan's visits) to `after`, one row per visit.

    `change` is `moved` (other engineer or other time), `added` (newly planned), `unplanned`
    (was planned, now unassigned) or `removed` (withdrawn or no longer open). Unchanged visits
    are not listed.
    """
    old = {v.key: v for v in before}
    new = {v.key: v for v in after.visits}
    unassigned = {(u.request_ref, u.session or 1) for u in after.unassigned}
    rows = []
    for key in sorted(old.keys() | new.keys()):
        was, now = old.get(key), new.get(key)
        if was is not None and now is not None:
            if was.engineer_id == now.engineer_id and was.start == now.start:
                continue
            change = "moved"
        elif now is not None:
            change = "added"
        else:
            change = "unplanned" if key in unassigned else "removed"
        rows.append(
            {
                "request_ref": key[0],
                "session": key[1],
                "change": change,
                "before": _where(was, zone) if was else "",
                "after": _where(now, zone) if now else "",
                "engineer_before": was.engineer_id if was else None,
                "engineer_after": now.engineer_id if now else None,
            }
        )
    return rows


# --- recording the event ------------------------------------------------------------------------


@task(name="record-event", **db_task_options())
def record_event(
    database_url: str,
    event: Event,
    engineer_id: str | None,
    start_date: date | None,
    end_date: date | None,
    request_ref: str | None,
    session: int,
    reason: str,
    overtime_day: date | None,
) -> None:
    """Store the event: an absence, an overtime shift, a visit's state, a withdrawal."""
    from scheduling.store.db import ensure_database, session_scope
    from scheduling.store.repository import (
        get_engineer,
        record_overtime,
        record_unavailability,
        set_visit_state,
        withdraw_request,
    )

    engine = ensure_database(database_url)
    try:
        with session_scope(engine) as db:
            if engineer_id and get_engineer(db, engineer_id) is None:
                raise BadEvent(f"unknown engineer {engineer_id!r}")
            if event is Event.ENGINEER_UNAVAILABLE:
                record_unavailability(
                    db,
                    Unavailability(engineer_id, start_date, end_date or start_date, reason),  # type: ignore[arg-type]
                )
            elif event is Event.EMERGENCY and overtime_day is not None:
                record_overtime(db, OvertimeShift(engineer_id, overtime_day))  # type: ignore[arg-type]
            elif event is Event.OVERRAN:
                set_visit_state(db, request_ref, session, "in_progress")  # type: ignore[arg-type]
            elif event is Event.CANCELLED:
                set_visit_state(db, request_ref, session, "cancelled")  # type: ignore[arg-type]
            elif event is Event.WITHDRAWN:
                withdraw_request(db, request_ref, reason or "withdrawn by the customer")  # type: ignore[arg-type]
    except KeyError as exc:
        raise BadEvent(f"{event.value}: {exc.args[0] if exc.args else exc}") from None
    finally:
        engine.dispose()


def check_event(
    event: Event,
    engineer_id: str | None,
    start_date: date | None,
    request_ref: str | None,
    request: RequestForm | None,
    overrun_minutes: int | None,
    overtime_day: date | None,
) -> None:
    """Raise :class:`BadEvent` naming what is missing for `event`."""
    needs: dict[Event, list[tuple[str, Any]]] = {
        Event.ENGINEER_UNAVAILABLE: [("engineer_id", engineer_id), ("start_date", start_date)],
        Event.EMERGENCY: [("request", request)],
        Event.OVERRAN: [("request_ref", request_ref), ("overrun_minutes", overrun_minutes)],
        Event.CANCELLED: [("request_ref", request_ref)],
        Event.WITHDRAWN: [("request_ref", request_ref)],
    }
    missing = [name for name, value in needs[event] if value in (None, "")]
    if event is Event.EMERGENCY and overtime_day is not None and not engineer_id:
        missing.append("engineer_id (who works the overtime shift)")
    if missing:
        raise BadEvent(f"event {event.value} needs {', '.join(missing)}")


# --- the flow -----------------------------------------------------------------------------------


def _adjuster(
    event: Event,
    now: datetime,
    *,
    engineer_id: str | None,
    start_date: date | None,
    end_date: date | None,
    request_ref: str | None,
    session: int,
    overrun_minutes: int | None,
    emergency_ref: str | None,
    seen: list[Visit],
) -> tuple[Callable[[Problem], Problem], Callable[[Problem], Problem]]:
    """The problem adjustments for `event`: (strict, relaxed); `seen` receives the active
    plan's visits. Strict pins every visit the event does not touch; relaxed, the fallback,
    pins only committed and started ones and starts from the rest of the previous plan."""

    def scope(problem: Problem) -> tuple[set[tuple[str, int]], Visit | None]:
        previous = problem.previous
        office_engineers: list[str] = []
        until = None
        if emergency_ref is not None:
            assessment = next(
                (a for a in problem.assessments if a.request_ref == emergency_ref), None
            )
            if assessment is not None:
                office_engineers = [
                    e.engineer_id for e in problem.engineers if e.office_id == assessment.office_id
                ]
                until = assessment.deadline.date() if assessment.deadline else None
        freed = freed_by(
            event,
            previous,
            engineer_id=engineer_id,
            start_date=start_date,
            end_date=end_date,
            request_ref=request_ref,
            session=session,
            office_engineers=office_engineers,
            until=until,
        )
        overrun = None
        if event is Event.OVERRAN and overrun_minutes:
            ran = next((v for v in previous if v.key == (request_ref, session)), None)
            if ran is not None:
                overrun = replace(ran, end=ran.end + timedelta(minutes=overrun_minutes))
        return freed, overrun

    def adjust(problem: Problem) -> Problem:
        seen.extend(problem.previous)
        return pin_unaffected(problem, *scope(problem), now=now)

    def relax(problem: Problem) -> Problem:
        freed, overrun = scope(problem)
        return pin_unaffected(problem, freed, overrun, now=now, keep_unaffected=False)

    return adjust, relax


@flow(
    name="replan",
    task_runner=task_runner(),
    description="Re-plan after a field event, moving as few visits as possible.",
)
def replan_flow(
    event: Event,
    engineer_id: str | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    request_ref: str | None = None,
    session: int = 1,
    overrun_minutes: int | None = None,
    request: RequestForm | None = None,
    overtime_day: date | None = None,
    reason: str = "",
    now: datetime | None = None,
    output: str | None = None,
    seed: int = 0,
    time_limit: float | None = None,
    database_url: str | None = None,
    policy_path: str | None = None,
    partition: str = "office",
    itineraries: bool = True,
) -> PlanOutcome:
    """Record `event`, re-plan from `now` (default: the current time) and report what moved.

    Raises `BadEvent` when the event lacks what it needs, `PlanBusy` when another plan or
    replan is running.
    """
    event = Event(event)
    check_event(event, engineer_id, start_date, request_ref, request, overrun_minutes, overtime_day)
    policy: Policy = load_policy(policy_path)
    moment = now or datetime.now(policy.general.tz)
    url = resolve_database_url(database_url)
    logger = get_run_logger()
    before: list[Visit] = []
    with plan_lock(url, "replan"):
        emergency_ref = None
        if event is Event.EMERGENCY:
            form = request.model_copy(update={"emergency": True})  # type: ignore[union-attr]
            if form.received_at is None:
                form = form.model_copy(update={"received_at": moment})
            taken = intake_flow(request=form, database_url=url, policy_path=policy_path)
            if taken.refused:
                raise BadEvent(f"emergency request refused: {taken.rows[0].get('reason')}")
            emergency_ref = form.request_ref
        record_event(
            url,
            event,
            engineer_id,
            start_date,
            end_date,
            request_ref,
            session,
            reason,
            overtime_day,
        )
        adjust, relax = _adjuster(
            event,
            moment,
            engineer_id=engineer_id,
            start_date=start_date,
            end_date=end_date,
            request_ref=request_ref,
            session=session,
            overrun_minutes=overrun_minutes,
            emergency_ref=emergency_ref,
            seen=before,
        )
        outcome, _, plan = plan_and_publish(
            database_url=url,
            policy=policy,
            start=moment.date(),
            output=output,
            seed=seed,
            time_limit=time_limit,
            partition=partition,
            itineraries=itineraries,
            title=f"Re-plan after {event.value} ({moment.isoformat(timespec='minutes')})",
            now=moment,
            adjust=adjust,
            relax=relax,
        )
    moves = diff_visits(before, plan, policy.general.tz)
    artifacts.publish_moves(moves, event.value)
    logger.info("Re-plan after %s: %d visit(s) changed", event.value, len(moves))
    return replace(outcome, moves=tuple(moves))
