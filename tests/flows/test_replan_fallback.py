"""The plan flow's fallback: pins the planner cannot keep give way to the fewer pins of
the fallback problem, and the plan says so."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from prefect import flow

from flows.plan_flow import RELAXED, solve
from scheduling.model import Visit
from scheduling.policy import load_policy
from scheduling.validate import assert_valid
from tests.scheduling.plan_cases import MONDAY, at, basic_problem

pytestmark = pytest.mark.usefixtures("prefect_harness")
POLICY = load_policy()


def _pinned(ref: str, start_hour: int) -> Visit:
    start = at(MONDAY, start_hour)
    return Visit(
        request_ref=ref,
        engineer_id="E1",
        day=MONDAY,
        arrival=start,
        start=start,
        end=start + timedelta(hours=2),
        travel_km=0.0,
        travel_minutes=0,
        deadline=None,
        late=False,
        pinned=True,
    )


@flow(validate_parameters=False)
def _solve(problem, fallback):
    return solve(problem, POLICY, 0, 5, "none", 200, fallback)


def test_pins_that_cannot_hold_give_way_to_the_fallback_and_the_plan_says_so():
    """Two visits pinned at the same hour for the same engineer cannot both stand: the
    fallback (no pins) is planned instead, the plan carries `pins_relaxed`, and it is
    valid against the problem returned with it."""
    problem = basic_problem()
    clash = replace(problem, pinned=(_pinned("R1", 10), _pinned("R3", 10)))
    plan, used = _solve(clash, problem)
    assert plan.kpis[RELAXED] == 1
    assert used.pinned == ()
    assert not plan.unassigned
    assert_valid(plan, used, POLICY)


def test_without_a_fallback_pins_that_cannot_hold_fail_the_run():
    problem = basic_problem()
    clash = replace(problem, pinned=(_pinned("R1", 10), _pinned("R3", 10)))
    with pytest.raises(Exception, match="pinned"):
        _solve(clash, None)
