"""The independent validator accepts planner output and rejects deliberately broken plans,
one test per rule."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from scheduling.model import Kind, Plan, Visit, Zone
from scheduling.planner import plan
from scheduling.policy import load_policy
from scheduling.validate import InvalidPlan, assert_valid, validate_plan
from tests.scheduling.plan_cases import (
    MONDAY,
    assessment,
    at,
    basic_problem,
    engineer,
    problem,
    request,
)

POLICY = load_policy()


@pytest.fixture(scope="module")
def basic():
    prob = basic_problem()
    result = plan(prob, POLICY, time_limit=5, solution_limit=200)
    assert validate_plan(result, prob, POLICY) == []
    return prob, result


@pytest.fixture(scope="module")
def overnight():
    prob = problem(
        [request("R1", "C4", hours="3")],
        [assessment("R1", at(MONDAY, 18), zone=Zone.OUT_OF_TOWN)],
        [engineer("E1", {"pms"})],
    )
    result = plan(prob, POLICY, time_limit=5, solution_limit=200)
    assert validate_plan(result, prob, POLICY) == []
    return prob, result


@pytest.fixture(scope="module")
def training():
    window = (MONDAY, MONDAY + timedelta(days=4))
    prob = problem(
        [request("T1", "C1", hours="7", kind=Kind.TRAINING, sessions=2, window=window)],
        [assessment("T1", at(window[1], 18))],
        [engineer("E1", {"pms"})],
    )
    result = plan(prob, POLICY, time_limit=5, solution_limit=200)
    assert validate_plan(result, prob, POLICY) == []
    return prob, result


def rules(prob, broken: Plan) -> set[str]:
    return {v.rule for v in validate_plan(broken, prob, POLICY)}


def messages(prob, broken: Plan) -> set[str]:
    return {v.message for v in validate_plan(broken, prob, POLICY)}


def change_visit(result: Plan, ref: str, session: int = 1, **changes) -> Plan:
    visits = tuple(
        dataclasses.replace(v, **changes) if v.key == (ref, session) else v for v in result.visits
    )
    return dataclasses.replace(result, visits=visits)


def shifted(visit: Visit, minutes: int) -> dict:
    delta = timedelta(minutes=minutes)
    return {
        "arrival": visit.arrival + delta,
        "start": visit.start + delta,
        "end": visit.end + delta,
    }


def visit_of(result: Plan, ref: str, session: int = 1) -> Visit:
    return next(v for v in result.visits if v.key == (ref, session))


def test_assert_valid_raises_listing_the_broken_rules(basic):
    """assert_valid raises InvalidPlan naming each broken rule."""
    prob, result = basic
    broken = change_visit(result, "R1", late=True)
    with pytest.raises(InvalidPlan, match="deadlines"):
        assert_valid(broken, prob, POLICY)


def test_rejects_a_request_neither_planned_nor_unassigned(basic):
    """Dropping a visit without listing it as unassigned breaks 'requests'."""
    prob, result = basic
    broken = dataclasses.replace(
        result, visits=tuple(v for v in result.visits if v.request_ref != "R3")
    )
    assert "requests" in rules(prob, broken)


def test_rejects_an_engineer_without_the_skills(basic):
    """Giving the database request to an engineer without that skill breaks 'skills'."""
    prob, result = basic
    assert "skills" in rules(prob, change_visit(result, "R2", engineer_id="E1"))


def test_rejects_work_outside_the_shift(basic):
    """A route leaving home at 07:00 breaks 'shifts'."""
    prob, result = basic
    route = result.routes[0]
    early = dataclasses.replace(route, departure=route.departure.replace(hour=7, minute=0))
    broken = dataclasses.replace(result, routes=(early, *result.routes[1:]))
    assert "shifts" in rules(prob, broken)


def test_rejects_a_visit_starting_during_lunch(basic):
    """A 2-hour visit moved to 12:30-14:30 breaks 'lunch': no work starts in the break."""
    prob, result = basic
    visit = visit_of(result, "R2")
    moved = at(visit.day, 12, 30) - visit.start
    broken = change_visit(result, "R2", **shifted(visit, int(moved.total_seconds() // 60)))
    assert "lunch" in rules(prob, broken)


def test_rejects_a_visit_working_through_lunch(basic):
    """A 2-hour visit at 11:30 pauses for lunch and ends at 14:30; ending at 13:30 (working
    through the break) breaks 'travel' (end is not start + duration + the break)."""
    prob, result = basic
    visit = visit_of(result, "R2")
    moved = at(visit.day, 11, 30) - visit.start
    broken = change_visit(result, "R2", **shifted(visit, int(moved.total_seconds() // 60)))
    assert "end is not start + duration" in messages(prob, broken)


def test_rejects_overlapping_visits(basic):
    """Two routes for the same engineer-day break 'overlaps'."""
    prob, result = basic
    broken = dataclasses.replace(result, routes=(*result.routes, result.routes[0]))
    assert "overlaps" in rules(prob, broken)


def test_rejects_times_that_do_not_add_up(basic):
    """Arriving 5 minutes before previous end + travel breaks 'travel'."""
    prob, result = basic
    visit = visit_of(result, "R2")
    broken = change_visit(result, "R2", arrival=visit.arrival - timedelta(minutes=5))
    assert "travel" in rules(prob, broken)


def test_rejects_a_visit_outside_the_customer_window(basic):
    """A visit on a day after the customer's last acceptable date breaks 'windows'."""
    prob, result = basic
    day = visit_of(result, "R1").day
    reqs = tuple(
        dataclasses.replace(
            r, window_start=day - timedelta(days=5), window_end=day - timedelta(days=1)
        )
        if r.request_ref == "R1"
        else r
        for r in prob.requests
    )
    assert "windows" in rules(dataclasses.replace(prob, requests=reqs), result)


def test_rejects_a_wrong_late_flag(basic):
    """An on-time visit flagged late breaks 'deadlines'."""
    prob, result = basic
    assert "deadlines" in rules(prob, change_visit(result, "R1", late=True))


def test_rejects_a_moved_pinned_visit(basic):
    """A pinned visit planned an hour later than pinned breaks 'pinned'."""
    prob, result = basic
    visit = visit_of(result, "R1")
    pinned_prob = dataclasses.replace(prob, pinned=(dataclasses.replace(visit, pinned=True),))
    broken = change_visit(result, "R1", pinned=True, **shifted(visit, 60))
    assert "pinned" in rules(pinned_prob, broken)


def test_rejects_training_sessions_on_non_consecutive_days(training):
    """Session 2 a working day too late breaks 'trainings'."""
    prob, result = training
    visit = visit_of(result, "T1", 2)
    later = {k: v + timedelta(days=1) for k, v in shifted(visit, 0).items()}
    broken = change_visit(result, "T1", 2, day=visit.day + timedelta(days=1), **later)
    assert "trainings" in rules(prob, broken)


def test_rejects_a_hotel_night_without_the_next_day(overnight):
    """Removing the drive home from the hotel breaks 'hotels'."""
    prob, result = overnight
    first = min(r.day for r in result.routes)
    broken = dataclasses.replace(result, routes=tuple(r for r in result.routes if r.day == first))
    assert "hotels" in rules(prob, broken)
