"""Which visits a field event frees, what stays pinned, and how moves are reported."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from flows.replan_flow import BadEvent, Event, check_event, diff_visits, freed_by, pin_unaffected
from scheduling.model import (
    Channel,
    Kind,
    Plan,
    Problem,
    ServiceRequest,
    Unassigned,
    Urgency,
    Visit,
)

TZ = ZoneInfo("Asia/Shanghai")
MON = date(2026, 11, 30)


def visit(ref: str, engineer: str, day: date, hour: int) -> Visit:
    """A one-hour visit at `hour` on `day`."""
    at = datetime(day.year, day.month, day.day, hour, tzinfo=TZ)
    return Visit(ref, engineer, day, at, at, at + timedelta(hours=1), 3.0, 10, None, False)


def open_request(ref: str) -> ServiceRequest:
    """An open two-hour request."""
    received = datetime(2026, 11, 27, 10, tzinfo=TZ)
    return ServiceRequest(
        ref,
        "C1",
        Kind.ONSITE_SERVICE,
        "troubleshoot",
        Urgency.P2,
        Channel.WEB,
        received,
        Decimal("2"),
    )


TUE = MON + timedelta(days=1)
PREVIOUS = (
    visit("A", "E1", MON, 9),
    visit("B", "E1", MON, 11),
    visit("C", "E1", MON, 14),
    visit("D", "E1", TUE, 9),
    visit("E", "E2", MON, 9),
)


def test_unavailability_frees_that_engineers_visits_in_the_period_only():
    """An engineer ill on Monday frees their Monday visits, not Tuesday's, not others'."""
    freed = freed_by(Event.ENGINEER_UNAVAILABLE, PREVIOUS, engineer_id="E1", start_date=MON)
    assert freed == {("A", 1), ("B", 1), ("C", 1)}


def test_overrun_frees_the_rest_of_that_day_only():
    """A visit that overran frees the same engineer's later visits of that day."""
    freed = freed_by(Event.OVERRAN, PREVIOUS, request_ref="B")
    assert freed == {("C", 1)}


def test_cancelled_frees_itself_and_withdrawn_frees_nothing():
    """A cancelled visit is planned again; a withdrawn request's visit just disappears."""
    assert freed_by(Event.CANCELLED, PREVIOUS, request_ref="D") == {("D", 1)}
    assert freed_by(Event.WITHDRAWN, PREVIOUS, request_ref="D") == set()


def test_emergency_frees_its_office_up_to_its_deadline_day():
    """An emergency frees its office's engineers' visits up to its deadline's day."""
    freed = freed_by(Event.EMERGENCY, PREVIOUS, office_engineers=["E1"], until=MON)
    assert freed == {("A", 1), ("B", 1), ("C", 1)}


def test_pinning_keeps_started_and_unaffected_visits_and_drops_closed_requests():
    """Untouched visits are pinned; freed ones only if committed and started; closed ones go."""
    problem = Problem(
        offices=(),
        engineers=(),
        customers=(),
        requests=tuple(open_request(ref) for ref in "ABCE"),  # D was withdrawn
        assessments=(),
        start=MON,
        previous=PREVIOUS,
    )
    now = datetime(2026, 11, 30, 10, 30, tzinfo=TZ)  # A has started
    overrun = replace(PREVIOUS[1], end=PREVIOUS[1].end + timedelta(minutes=90))
    freed = {("A", 1), ("B", 1), ("C", 1)}
    pinned = pin_unaffected(problem, freed, now=now)
    assert {v.request_ref for v in pinned.pinned} == {"E"}
    assert all(v.pinned for v in pinned.pinned)
    # A visit the field confirmed and started stays, even on the day its engineer fell ill.
    committed = replace(problem, pinned=(replace(PREVIOUS[0], pinned=True),))
    assert {v.request_ref for v in pin_unaffected(committed, freed, now=now).pinned} == {"A", "E"}
    longer = pin_unaffected(problem, {("C", 1)}, overrun, now=now)
    assert {v.request_ref: v.end for v in longer.pinned}["B"] == overrun.end


def test_fallback_pins_only_started_visits_and_warm_starts_from_the_rest():
    """The fallback pins what has started; unaffected visits are only the starting point."""
    problem = Problem(
        offices=(),
        engineers=(),
        customers=(),
        requests=tuple(open_request(ref) for ref in "ABCDE"),
        assessments=(),
        start=MON,
        previous=PREVIOUS,
    )
    now = datetime(2026, 11, 30, 10, 30, tzinfo=TZ)
    relaxed = pin_unaffected(problem, {("C", 1)}, now=now, keep_unaffected=False)
    assert {v.request_ref for v in relaxed.pinned} == {"A", "E"}
    assert {v.request_ref for v in relaxed.previous} == {"A", "B", "D", "E"}


def test_moves_report_moved_added_unplanned_and_removed():
    """The report lists each changed visit with where it was and where it is now."""
    after = Plan(
        visits=(
            visit("A", "E1", MON, 9),  # unchanged: not listed
            visit("B", "E2", MON, 11),  # other engineer
            visit("F", "E2", TUE, 9),  # new request
        ),
        routes=(),
        unassigned=(Unassigned("C", "no_capacity", "full"),),
    )
    rows = {r["request_ref"]: r for r in diff_visits(PREVIOUS[:4], after, TZ)}
    assert {k: r["change"] for k, r in rows.items()} == {
        "B": "moved",
        "C": "unplanned",
        "D": "removed",
        "F": "added",
    }
    assert rows["B"]["before"] == "E1 Mon 2026-11-30 11:00"
    assert rows["B"]["after"] == "E2 Mon 2026-11-30 11:00"


def test_an_event_without_what_it_needs_is_bad_input():
    """An illness without the engineer, an overrun without minutes: refused, named."""
    with pytest.raises(BadEvent, match="engineer_id"):
        check_event(Event.ENGINEER_UNAVAILABLE, None, MON, None, None, None, None)
    with pytest.raises(BadEvent, match="overrun_minutes"):
        check_event(Event.OVERRAN, None, None, "B", None, None, None)
