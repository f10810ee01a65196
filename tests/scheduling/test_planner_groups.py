"""A large office searched in groups of neighbouring engineers from its start."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from benchmarks.baselines import greedy_plan
from scheduling import planner
from scheduling.planner_groups import engineer_groups, group_count, split_by_group
from scheduling.policy import load_policy
from scheduling.routing import RoutingSolution
from scheduling.validate import assert_valid
from tests.scheduling.plan_cases import MONDAY, assessment, at, engineer, problem, request

POLICY = load_policy()


def test_an_office_splits_so_that_each_group_holds_about_the_pairs_allowed():
    """Pairs shrink with the square of the groups: 4x the pairs, 2 groups."""
    assert group_count(25_000, 25_000) == 1
    assert group_count(100_000, 25_000) == 2
    assert group_count(300_000, 25_000) == 4


def fake(points: dict[str, list[tuple[float, float]]]):
    """An instance, vehicles and a solution: each engineer (home at 0, 0) one vehicle
    visiting `points[engineer]` in order, and one task nobody visits at (9, 9)."""
    tasks, routes, vehicles = [], [], []
    for eid, spots in points.items():
        vehicles.append(SimpleNamespace(engineer_id=eid, start_point=SimpleNamespace(lat=0, lon=0)))
        route = []
        for lat, lon in spots:
            route.append(len(tasks) + 1)
            tasks.append(
                SimpleNamespace(
                    key=(f"{eid}{len(route)}", 1), point=SimpleNamespace(lat=lat, lon=lon)
                )
            )
        routes.append(route)
    tasks.append(SimpleNamespace(key=("X", 1), point=SimpleNamespace(lat=9, lon=9)))
    dropped = len(tasks)
    inst = SimpleNamespace(
        first=1,
        live=tasks,
        allowed={t.key: [] for t in tasks},
    )
    solution = RoutingSolution(routes, {}, [], [], [dropped], 0, "test", 0.0)
    return inst, vehicles, solution


def test_engineers_working_in_the_same_direction_share_a_group():
    """E1 and E3 work north of home, E2 and E4 south: two groups, one per direction (not
    by engineer id)."""
    inst, vehicles, solution = fake(
        {"E1": [(5, 0), (6, 1)], "E2": [(-5, 0)], "E3": [(4, -1)], "E4": [(-6, 1)]}
    )
    groups = engineer_groups(inst, vehicles, solution, 2)
    assert sorted(groups) == [["E1", "E3"], ["E2", "E4"]]


def test_tasks_follow_their_start_route_and_a_left_out_one_the_most_engineer_days():
    """A routed task goes with its route's group, in its route's order; the task the
    start left out goes to the group holding most of the vehicles that can take it."""
    inst, vehicles, solution = fake({"A": [(1, 0), (2, 0)], "B": [(-1, 0)], "C": [(-2, 0)]})
    inst.allowed[("X", 1)] = [0, 1, 2]  # A's vehicle, B's and C's
    parts = split_by_group(inst, vehicles, solution, [["A"], ["B", "C"]])
    (tasks_a, fleet_a, keys_a), (tasks_bc, fleet_bc, keys_bc) = parts
    assert [t.key for t in tasks_a] == [("A1", 1), ("A2", 1)]
    assert fleet_a == [0] and keys_a == [[("A1", 1), ("A2", 1)]]
    assert [t.key for t in tasks_bc] == [("B1", 1), ("C1", 1), ("X", 1)]
    assert fleet_bc == [1, 2] and keys_bc == [[("B1", 1)], [("C1", 1)]]


def test_an_office_searched_in_groups_gives_a_valid_plan_no_worse_than_its_start(monkeypatch):
    """Four engineers and twelve city visits due over two days, every group a single
    engineer: each group is searched from the dispatcher's routes, the plan is valid,
    every request is planned or answered, and no deadline the start met is missed."""
    customers = ["C1", "C2", "C3", "C5"]
    tuesday = MONDAY + timedelta(days=1)
    reqs = [request(f"R{i}", customers[i % 4], hours="2") for i in range(12)]
    due = [at(MONDAY if i < 6 else tuesday, 18) for i in range(12)]
    prob = problem(
        reqs,
        [assessment(r.request_ref, d) for r, d in zip(reqs, due, strict=True)],
        [engineer(f"E{i}", {"pms"}) for i in range(1, 5)],
    )
    greedy = POLICY.planner.model_copy(update={"first_solution": "greedy"})
    policy = POLICY.model_copy(update={"planner": greedy})
    monkeypatch.setattr(planner, "GROUP_PAIRS", 1)
    calls = []
    real = planner._route_part

    def spy(ctx, tasks, vehicles, seed, limit, solution_limit, start_keys=None):
        calls.append((len({v.engineer_id for v in vehicles}), start_keys is not None))
        return real(ctx, tasks, vehicles, seed, limit, solution_limit, start_keys)

    monkeypatch.setattr(planner, "_route_part", spy)
    result = planner.plan(prob, policy, seed=0, time_limit=8, solution_limit=100)
    assert_valid(result, prob, policy)
    assert calls[0] == (4, False)
    assert sorted(calls[1:]) == [(1, True)] * 4
    answered = {v.request_ref for v in result.visits} | {u.request_ref for u in result.unassigned}
    assert answered == {r.request_ref for r in reqs}

    start = greedy_plan(prob, policy)
    assert result.kpis["on_time_share"] >= start.kpis["on_time_share"]
    assert result.kpis["requests_planned"] >= start.kpis["requests_planned"]


def test_a_groups_vroom_start_is_mended_before_it_is_compared_with_its_part(monkeypatch):
    """Every group tries VROOM's routes given the deadlines against its part of the
    dispatcher's plan. Routes that leave every visit out would miss all the deadlines;
    mended as the search's result is (the visits put back where they fit on time), they
    miss none, as many as the part, so they are the start and the part the alternative."""
    customers = ["C1", "C2", "C3", "C5"]
    reqs = [request(f"R{i}", customers[i % 4], hours="2") for i in range(8)]
    prob = problem(
        reqs,
        [assessment(r.request_ref, at(MONDAY + timedelta(days=1), 18)) for r in reqs],
        [engineer(f"E{i}", {"pms"}) for i in range(1, 3)],
    )
    monkeypatch.setattr(planner, "GROUP_PAIRS", 1)
    monkeypatch.setattr(
        planner, "vroom_on_time_sequences", lambda data, inst, seconds: [[] for _ in data.starts]
    )
    chosen = []
    real = planner._choose_start

    def spy(ctx, inst, vehicles, initial, greedy, *args, **kwargs):
        begin, alternatives, core = real(ctx, inst, vehicles, initial, greedy, *args, **kwargs)
        if kwargs.get("group_part"):
            chosen.append((len(begin.dropped), len(alternatives)))
        return begin, alternatives, core

    monkeypatch.setattr(planner, "_choose_start", spy)
    result = planner.plan(prob, POLICY, seed=0, time_limit=8, solution_limit=100)
    assert_valid(result, prob, POLICY)
    assert chosen and all(c == (0, 1) for c in chosen)
    assert not result.unassigned and not any(v.late for v in result.visits)
