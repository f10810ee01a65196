"""The field benchmark's yardstick: which deadlines are meetable, and the share met."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from benchmarks.baselines import greedy_plan, vroom_plan
from benchmarks.field import meetable_alone, met, scenario
from benchmarks.meetable import together_bound
from scheduling.kpis import due_refs
from scheduling.model import Engineer, Kind, Office, Problem, Zone
from scheduling.planner import plan
from scheduling.policy import Policy, load_policy
from scheduling.validate import assert_valid
from tests.scheduling import plan_cases as hand
from tests.scheduling.plan_cases import MONDAY, training_away_problem

POLICY = load_policy()


def test_meetable_deadlines_are_due_and_met_when_planned_alone():
    """Every meetable request has a deadline and is on time planned on its own; a request
    left out (unskilled, out of reach) is not meetable, and the share met of a plan counts
    late and unplanned requests as missed."""
    problem = scenario(40, 5, seed=2, policy=POLICY, load="steady")
    meetable = meetable_alone(problem, POLICY)
    due = due_refs(problem)
    assert meetable and meetable < due  # some deadlines nobody can meet on these data
    requests = {r.request_ref: r for r in problem.requests}
    for assessment in problem.assessments:
        if assessment.request_ref not in meetable:
            continue
        alone = replace(
            problem, requests=(requests[assessment.request_ref],), assessments=(assessment,)
        )
        result = greedy_plan(alone, POLICY)
        assert_valid(result, alone, POLICY)
        assert met(result, {assessment.request_ref}) == 1.0
    full = greedy_plan(problem, POLICY)
    assert_valid(full, problem, POLICY)
    late_or_missing = {v.request_ref for v in full.visits if v.late}
    late_or_missing |= {u.request_ref for u in full.unassigned}
    expected = len(meetable - late_or_missing) / len(meetable)
    assert met(full, meetable) == expected


def test_baselines_report_visits_on_a_training_travel_day_as_the_planner_does():
    """The dispatcher and VROOM route the city calls on the days the engineer travels to
    and from a training's hotel (shared preparation), and report them as the planner does:
    the last visit before the hotel night flagged lodging, the plan valid."""
    planner = POLICY.planner.model_copy(update={"horizon_working_days": 4})
    policy = POLICY.model_copy(update={"planner": planner})
    problem = training_away_problem()
    for result in (greedy_plan(problem, policy), vroom_plan(problem, policy, seconds=1)):
        assert_valid(result, problem, policy)
        visits = {v.request_ref: v for v in result.visits}
        assert visits["R1"].day == MONDAY and visits["R1"].lodging
        assert not result.unassigned


def test_vroom_given_the_deadlines_meets_one_it_misses_without_them():
    """Monday holds either two short city calls the customers accept only that day, or
    the suburban job due that evening with one of them. Given only the customers' dates,
    VROOM plans all three and the suburban job runs late on Tuesday; given the deadlines
    it keeps that job on time and leaves a city call out."""
    planner = POLICY.planner.model_copy(update={"horizon_working_days": 2})
    policy = POLICY.model_copy(update={"planner": planner})
    monday_only = (MONDAY, MONDAY)
    requests = [
        hand.request("A", "C3", hours="3"),
        hand.request("B", "C1", hours="1.5", window=monday_only),
        hand.request("C", "C2", hours="1.5", window=monday_only),
    ]
    tuesday_evening = hand.at(MONDAY + timedelta(days=1), 18)
    case = hand.problem(
        requests,
        [
            hand.assessment("A", hand.at(MONDAY, 18), priority=8, zone=Zone.SUBURBAN),
            hand.assessment("B", tuesday_evening, priority=1),
            hand.assessment("C", tuesday_evening, priority=1),
        ],
        [hand.engineer("E1", {"pms"})],
    )
    blind = vroom_plan(case, policy, seconds=1)
    due = vroom_plan(case, policy, seconds=1, deadlines=True)
    for result in (blind, due):
        assert_valid(result, case, policy)
    late = {v.request_ref for v in blind.visits if v.late}
    assert late == {"A"} and not blind.unassigned
    visits = {v.request_ref: v for v in due.visits}
    assert visits["A"].day == MONDAY and not visits["A"].late
    assert len(due.unassigned) == 1 and due.unassigned[0].request_ref in {"B", "C"}


GUANGZHOU = Office("GZ", "Guangzhou office", "Guangzhou", "CN", 23.1291, 113.2644)


def _two_trainings(second_trainer: Engineer | None) -> tuple[Problem, Policy]:
    """Two two-day trainings in the city, each accepted only on Monday-Tuesday and due
    Tuesday evening; one trainer in Shanghai and maybe a second one."""
    planner = POLICY.planner.model_copy(update={"horizon_working_days": 4})
    policy = POLICY.model_copy(update={"planner": planner})
    days = (MONDAY, MONDAY + timedelta(days=1))
    trainings = [
        hand.request(ref, cid, hours="7", kind=Kind.TRAINING, sessions=2, skills={"training"},
                     window=days)
        for ref, cid in (("T1", "C1"), ("T2", "C2"))
    ]  # fmt: skip
    due = hand.at(days[1], 18)
    trainers = [hand.engineer("E1", {"training"})]
    if second_trainer is not None:
        trainers.append(second_trainer)
    case = hand.problem(
        trainings, [hand.assessment(r.request_ref, due) for r in trainings], trainers
    )
    return replace(case, offices=(hand.SHANGHAI, GUANGZHOU)), policy


def test_bound_counts_trainings_one_trainer_cannot_give_on_the_same_days():
    """Each training is on time planned alone, but one trainer cannot give both on the
    same two days: one deadline is unavoidably missed. A second trainer in Shanghai makes
    both meetable; one in Guangzhou (19 hours away, more than a shift) does not."""
    cases = {
        "alone": (None, 1),
        "second in Shanghai": (hand.engineer("E2", {"training"}), 0),
        "second in Guangzhou": (hand.engineer("E2", {"training"}, office="GZ"), 1),
    }
    for name, (second, unavoidable) in cases.items():
        case, policy = _two_trainings(second)
        meetable = meetable_alone(case, policy)
        assert meetable == {"T1", "T2"}, name
        bound = together_bound(case, policy, meetable)
        assert (bound.unavoidable, bound.proven) == (unavoidable, True), name
        result = greedy_plan(case, policy)
        assert_valid(result, case, policy)
        assert round(met(result, meetable) * 2) == 2 - unavoidable, name


def test_no_plan_meets_more_deadlines_than_the_bound():
    """On a generated scenario where some deadlines compete, the dispatcher's and the
    planner's plans meet at most as many meetable deadlines as the bound allows."""
    problem = scenario(60, 5, seed=3, policy=POLICY, load="backlog")
    meetable = meetable_alone(problem, POLICY)
    bound = together_bound(problem, POLICY, meetable)
    assert bound.proven and bound.unavoidable > 0  # the trainings compete here
    for result in (greedy_plan(problem, POLICY), plan(problem, POLICY, seed=1, time_limit=3)):
        assert_valid(result, problem, POLICY)
        assert round(met(result, meetable) * len(meetable)) <= bound.upper
