"""The field benchmark's equal-service yardstick: a plan's travel cost for a set of requests."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from benchmarks.baselines import greedy_plan
from benchmarks.field import scenario, with_shared_cost
from benchmarks.shared_cost import planned_in_full, shared_cost
from scheduling.model import Zone
from scheduling.policy import load_policy
from scheduling.validate import assert_valid
from tests.scheduling import plan_cases as hand
from tests.scheduling.plan_cases import MONDAY

POLICY = load_policy()


def test_with_every_planned_request_it_is_the_plans_travel_cost():
    """Nothing left out, nothing re-measured: the plan's own travel cost, to the cent."""
    problem = scenario(40, 5, seed=2, policy=POLICY, load="steady")
    result = greedy_plan(problem, POLICY)
    assert_valid(result, problem, POLICY)
    refs = planned_in_full(result)
    assert refs and len(refs) < len(problem.requests)
    assert shared_cost(result, problem, POLICY, refs) == Decimal(result.kpis["travel_cost"])


def _city_and_suburb():
    """One engineer, a city call and a suburban call the customers accept only on Monday:
    one route from home through both and back."""
    monday = (MONDAY, MONDAY)
    requests = [hand.request("A", "C1", window=monday), hand.request("B", "C3", window=monday)]
    due = hand.at(MONDAY + timedelta(days=1), 18)
    return hand.problem(
        requests,
        [hand.assessment("A", due), hand.assessment("B", due, zone=Zone.SUBURBAN)],
        [hand.engineer("E1", {"pms"})],
    )


def test_a_route_without_a_left_out_stop_costs_what_the_other_stop_alone_costs():
    """Restricted to one of its two stops (the first or the last one removed), the route
    costs what the plan of that request alone costs: the leg over the removed stop is
    measured again, from home or back home."""
    problem = _city_and_suburb()
    both = greedy_plan(problem, POLICY)
    assert_valid(both, problem, POLICY)
    assert [len(r.visit_keys) for r in both.routes if r.visit_keys] == [2]
    requests = {r.request_ref: r for r in problem.requests}
    assessments = {a.request_ref: a for a in problem.assessments}
    for ref in ("A", "B"):
        alone = replace(problem, requests=(requests[ref],), assessments=(assessments[ref],))
        single = greedy_plan(alone, POLICY)
        assert_valid(single, alone, POLICY)
        expected = Decimal(single.kpis["travel_cost"])
        assert shared_cost(both, problem, POLICY, {ref}) == expected
    assert shared_cost(both, problem, POLICY, {"A", "B"}) == Decimal(both.kpis["travel_cost"])
    assert shared_cost(both, problem, POLICY, set()) == Decimal("0.00")


def test_each_solver_is_priced_for_the_requests_every_solver_planned():
    """``shared`` is the number of requests both plans hold in full, and each plan's
    ``shared_cost`` is its cost for those; the plan that holds only them is unchanged."""
    problem = _city_and_suburb()
    both = greedy_plan(problem, POLICY)
    only_a = greedy_plan(replace(problem, requests=problem.requests[:1],
                                 assessments=problem.assessments[:1]), POLICY)  # fmt: skip
    rows = with_shared_cost(
        problem, POLICY, [({"travel_cost": "x"}, both), ({"travel_cost": "y"}, only_a)]
    )
    assert [r["shared"] for r in rows] == [1, 1]
    assert rows[1]["shared_cost"] == only_a.kpis["travel_cost"]
    assert Decimal(rows[0]["shared_cost"]) == Decimal(only_a.kpis["travel_cost"])
    assert list(rows[0]) == ["travel_cost", "shared", "shared_cost"]
