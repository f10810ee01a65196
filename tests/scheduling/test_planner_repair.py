"""Starts the routing model can read, and visits it left out put back under the
planner's timing.

The case: E1 (home at the Shanghai office) does A (2 h, in the city, 8 min away) then B
(3 h, in the suburbs, 85 min from A, 90 min from home). As the planner times it, A ends
11:08 and the engineer drives through lunch to start B at 13:00 and be home at 17:30. The
routing model takes lunch off the road: B could only start 13:33 and E1 would be home at
18:03, after the shift.
"""

from __future__ import annotations

import random

import pytest

from scheduling.planner import prepare, routing_instance, routing_model
from scheduling.planner_repair import eject_late, insert_dropped, move_late
from scheduling.planner_start import model_routes, retime, timed_solution
from scheduling.policy import load_policy
from scheduling.travel import GreatCircleTravel
from tests.scheduling.plan_cases import MONDAY, assessment, at, engineer, problem, request

POLICY = load_policy()
ONE_DAY = POLICY.model_copy(
    update={"planner": POLICY.planner.model_copy(update={"horizon_working_days": 1})}
)
TWO_DAYS = POLICY.model_copy(
    update={"planner": POLICY.planner.model_copy(update={"horizon_working_days": 2})}
)


def two_visit_day(deadline_a=None, deadline_b=None, hours_a="2", hours_b="3", engineers=1):
    """(ctx, instance, vehicles, node of A, node of B) for Monday: E1's (and E2's...)."""
    reqs = [request("A", "C1", hours=hours_a), request("B", "C3", hours=hours_b)]
    prob = problem(
        reqs,
        [
            assessment("A", deadline_a or at(MONDAY, 18)),
            assessment("B", deadline_b or at(MONDAY, 18)),
        ],
        [engineer(f"E{i}", {"pms"}) for i in range(1, engineers + 1)],
    )
    prepared = prepare(prob, ONE_DAY, GreatCircleTravel(ONE_DAY))
    inst = routing_instance(prepared.ctx, prepared.routable, prepared.vehicles)
    node = {t.request_ref: inst.first + i for i, t in enumerate(inst.live)}
    return prepared.ctx, inst, prepared.vehicles, node["A"], node["B"]


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def test_the_planner_drives_through_lunch_the_model_does_not():
    """A then B fits E1's day as the planner times it (B at 13:00); under the model's
    reading B no longer fits, so the start handed to OR-Tools leaves it out."""
    ctx, inst, vehicles, a, b = two_visit_day()
    stops = retime(ctx, inst, vehicles, [[a, b]])[0]
    assert [(n, clock(s)) for n, s in stops] == [(a, "09:08"), (b, "13:00")]
    assert model_routes(ctx, inst, vehicles, [[a, b]]) == [[a]]


def test_the_model_reads_the_start_it_is_given_only_without_lunch_on_the_road():
    """OR-Tools refuses a start with B after A (it falls back to its own first
    solution) and reads the model-timed one."""
    ctx, inst, vehicles, a, b = two_visit_day()
    core = routing_model(ctx, inst, vehicles, seed=0, limit=2, solution_limit=1)
    assert core.solve([[a, b]]).first_solution_source != "initial_routes"
    core = routing_model(ctx, inst, vehicles, seed=0, limit=2, solution_limit=1)
    read = core.solve(model_routes(ctx, inst, vehicles, [[a, b]]))
    assert read.first_solution_source == "initial_routes"


def test_a_left_out_visit_is_put_back_where_the_planner_fits_it():
    """With B left out, the repair puts it after A at 13:00 and re-times that route."""
    ctx, inst, vehicles, a, b = two_visit_day()
    only_a = timed_solution(ctx, inst, vehicles, [[a]], "test")
    assert only_a.dropped == [b]
    repaired = insert_dropped(ctx, inst, vehicles, only_a)
    assert repaired.routes == [[a, b]] and repaired.dropped == []
    assert clock(repaired.start_times[b]) == "13:00"
    assert clock(repaired.departures[0]) == "09:00"


def test_a_visit_is_not_put_back_where_it_makes_a_met_deadline_missed():
    """A due 9:30 and B 2 h long: B fits before A too (as short a drive in total) but
    would make A late, so B goes after A."""
    ctx, inst, vehicles, a, b = two_visit_day(deadline_a=at(MONDAY, 9, 30), hours_b="2")
    assert len(retime(ctx, inst, vehicles, [[b, a]])[0]) == 2
    repaired = insert_dropped(ctx, inst, vehicles, timed_solution(ctx, inst, vehicles, [[a]], "t"))
    assert repaired.routes == [[a, b]]
    assert repaired.start_times[a] <= inst.live[a - inst.first].deadline_min


def test_a_visit_that_fits_nowhere_stays_out():
    """With A lasting 5 h, B fits neither before nor after it: it stays left out and the
    solution is unchanged."""
    ctx, inst, vehicles, a, b = two_visit_day(hours_a="5")
    only_a = timed_solution(ctx, inst, vehicles, [[a]], "test")
    assert only_a.dropped == [b]
    assert insert_dropped(ctx, inst, vehicles, only_a) is only_a


def test_a_late_visit_moves_to_where_it_is_on_time():
    """E1 does B then A, A due 10:00 and late: A moves ahead of B (on time at 9:08),
    the cheaper of that and E2's free day."""
    ctx, inst, vehicles, a, b = two_visit_day(deadline_a=at(MONDAY, 10), hours_b="2", engineers=2)
    start = timed_solution(ctx, inst, vehicles, [[b, a], []], "test")
    assert start.start_times[a] > inst.live[a - inst.first].deadline_min
    moved = move_late(ctx, inst, vehicles, start)
    assert moved.routes == [[a, b], []]
    assert clock(moved.start_times[a]) == "09:08"


def test_a_late_visit_moves_to_another_engineer_when_its_own_day_cannot_hold_it():
    """As above, but B must start by 10:00 too (a first would make B late): A moves to
    E2's free day instead."""
    ctx, inst, vehicles, a, b = two_visit_day(
        deadline_a=at(MONDAY, 10), deadline_b=at(MONDAY, 10, 30), hours_b="2", engineers=2
    )
    start = timed_solution(ctx, inst, vehicles, [[b, a], []], "test")
    moved = move_late(ctx, inst, vehicles, start)
    assert moved.routes == [[b], [a]]
    assert clock(moved.start_times[a]) == "09:08"
    assert clock(moved.departures[1]) == "09:00"


def test_a_late_visit_stays_where_moving_it_makes_another_late():
    """One engineer, B then A with A due 10:00: A first would be on time but make B (due
    13:00) late; the plan would miss as many deadlines, so nothing moves."""
    ctx, inst, vehicles, a, b = two_visit_day(deadline_a=at(MONDAY, 10), deadline_b=at(MONDAY, 11))
    start = timed_solution(ctx, inst, vehicles, [[b, a]], "test")
    assert move_late(ctx, inst, vehicles, start) is start


def two_days(reqs, deadlines, engineers, routes_of):
    """(ctx, inst, vehicles, node per ref, start, vehicle index per (engineer,
    weekday)) over Monday and Tuesday; the start has `routes_of[(engineer, weekday)]`
    (refs in order) and leaves the rest out."""
    prob = problem(
        reqs,
        [assessment(r.request_ref, d) for r, d in zip(reqs, deadlines, strict=True)],
        engineers,
    )
    prepared = prepare(prob, TWO_DAYS, GreatCircleTravel(TWO_DAYS))
    ctx, vehicles = prepared.ctx, prepared.vehicles
    inst = routing_instance(ctx, prepared.routable, vehicles)
    node = {t.request_ref: inst.first + i for i, t in enumerate(inst.live)}
    slot = {(v.engineer_id, v.day.weekday()): i for i, v in enumerate(vehicles)}
    routes: list[list[int]] = [[] for _ in vehicles]
    for where, refs in routes_of.items():
        routes[slot[where]] = [node[r] for r in refs]
    start = timed_solution(ctx, inst, vehicles, routes, "test")
    return ctx, inst, vehicles, node, start, slot


def crowded_monday(others: int = 1, a_planned: bool = True):
    """A (2 h in the city, pos: only E1 has the skill) due Monday 10:00, B (4 h in the
    suburbs, pms) due Monday 18:00: A and B do not fit one day. The start has B on E1's
    Monday and A late on E1's Tuesday (or left out); `others` engineers (pms) are free.
    (ctx, inst, vehicles, a, b, start, vehicle index per (engineer, weekday))."""
    ctx, inst, vehicles, node, start, slot = two_days(
        [request("A", "C1", hours="2", skills={"pos"}), request("B", "C3", hours="4")],
        [at(MONDAY, 10), at(MONDAY, 18)],
        [
            engineer("E1", {"pms", "pos"}),
            *(engineer(f"E{i}", {"pms"}) for i in range(2, others + 2)),
        ],
        {("E1", 0): ["B"], ("E1", 1): ["A"] if a_planned else []},
    )
    return ctx, inst, vehicles, node["A"], node["B"], start, slot


def test_a_late_visit_takes_the_place_of_one_that_can_go_elsewhere():
    """A is late on Tuesday and E1's Monday cannot hold A besides B, so moving A alone
    finds nothing; making room does: A on E1's Monday, B on E2's, both on time."""
    ctx, inst, vehicles, a, b, start, slot = crowded_monday()
    assert start.start_times[a] > inst.live[a - inst.first].deadline_min
    assert len(retime(ctx, inst, vehicles, [[a, b]])[0]) == 1
    assert move_late(ctx, inst, vehicles, start) is start
    moved = eject_late(ctx, inst, vehicles, start, until=float("inf"))
    assert moved.routes[slot["E1", 0]] == [a] and moved.routes[slot["E2", 0]] == [b]
    assert moved.routes[slot["E1", 1]] == []
    for node in (a, b):
        assert moved.start_times[node] <= inst.live[node - inst.first].deadline_min


def test_a_left_out_visit_takes_the_place_of_one_that_can_go_elsewhere():
    """As above with A left out: it is planned on E1's Monday, on time, B on E2's."""
    ctx, inst, vehicles, a, b, start, slot = crowded_monday(a_planned=False)
    assert start.dropped == [a]
    moved = eject_late(ctx, inst, vehicles, start, until=float("inf"))
    assert moved.dropped == []
    assert moved.routes[slot["E1", 0]] == [a] and moved.routes[slot["E2", 0]] == [b]
    for node in (a, b):
        assert moved.start_times[node] <= inst.live[node - inst.first].deadline_min


def test_room_is_made_two_moves_away():
    """A (pos: E1 only) due Monday 10:00 is late on E1's Tuesday; E1's Monday holds B
    (database: E1 and E2), E2's holds C (pms: E2 and E3), all in the suburbs but A, and
    no day holds two of them. B has nowhere else to go on Monday but E2's place: C goes
    to E3, B to E2, A to E1, all on time."""
    ctx, inst, vehicles, node, start, slot = two_days(
        [
            request("A", "C1", hours="2", skills={"pos"}),
            request("B", "C3", hours="4", skills={"database"}),
            request("C", "C3", hours="4", skills={"pms"}),
        ],
        [at(MONDAY, 10), at(MONDAY, 18), at(MONDAY, 18)],
        [
            engineer("E1", {"pos", "database"}),
            engineer("E2", {"database", "pms"}),
            engineer("E3", {"pms"}),
        ],
        {("E1", 0): ["B"], ("E2", 0): ["C"], ("E1", 1): ["A"]},
    )
    moved = eject_late(ctx, inst, vehicles, start, until=float("inf"))
    assert [moved.routes[slot[e, 0]] for e in ("E1", "E2", "E3")] == [
        [node["A"]],
        [node["B"]],
        [node["C"]],
    ]
    assert not any(moved.routes[slot[e, 1]] for e in ("E1", "E2", "E3"))
    for n in node.values():
        assert moved.start_times[n] <= inst.live[n - inst.first].deadline_min


def test_room_is_not_made_by_making_another_visit_late():
    """Without E2, B could only go to E1's Tuesday, late: the plan would miss as many
    deadlines, so nothing moves."""
    ctx, inst, vehicles, a, b, start, slot = crowded_monday(others=0)
    assert start.routes[slot["E1", 0]] == [b] and start.routes[slot["E1", 1]] == [a]
    assert start.start_times[a] > inst.live[a - inst.first].deadline_min
    assert eject_late(ctx, inst, vehicles, start, until=float("inf")) is start


@pytest.mark.parametrize("case", range(40))
def test_every_model_timed_start_is_read_by_the_model(case):
    """Whatever the visits' lengths and order, a day re-timed the model's way (lunch off
    the road, long visits holding it) is a start OR-Tools reads."""
    rng = random.Random(case)
    places = ["C1", "C2", "C3", "C3", "C5"]  # the suburb (85-90 min away) twice as likely
    reqs = [
        request(f"V{i}", rng.choice(places), hours=str(rng.choice([1.5, 2, 2.5, 3, 4])))
        for i in range(rng.randint(2, 3))
    ]
    prob = problem(
        reqs, [assessment(r.request_ref, at(MONDAY, 18)) for r in reqs], [engineer("E1", {"pms"})]
    )
    prepared = prepare(prob, ONE_DAY, GreatCircleTravel(ONE_DAY))
    ctx, vehicles = prepared.ctx, prepared.vehicles
    inst = routing_instance(ctx, prepared.routable, vehicles)
    order = [inst.first + i for i in range(len(inst.live))]
    rng.shuffle(order)
    start = model_routes(ctx, inst, vehicles, [order])
    assert start[0] or not retime(ctx, inst, vehicles, [order])[0]
    core = routing_model(ctx, inst, vehicles, seed=0, limit=2, solution_limit=1)
    assert core.solve(start).first_solution_source == "initial_routes"
