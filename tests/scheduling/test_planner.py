"""The planner on small hand-made problems whose right answer is known; every plan is
re-checked by the independent validator."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from scheduling.model import Kind, Office, OvertimeShift, RequestStatus, Urgency, Visit, Zone
from scheduling.planner import plan
from scheduling.policy import load_policy
from scheduling.validate import assert_valid
from tests.scheduling.plan_cases import (
    MONDAY,
    assessment,
    at,
    basic_problem,
    engineer,
    problem,
    request,
    training_away_problem,
)

POLICY = load_policy()


def short_horizon(days: int):
    """The default policy with a horizon of `days` working days."""
    planner = POLICY.planner.model_copy(update={"horizon_working_days": days})
    return POLICY.model_copy(update={"planner": planner})


def solve(prob, policy=POLICY, seed: int = 0):
    """Plan with a small, machine-independent budget and run the validator."""
    result = plan(prob, policy, seed=seed, time_limit=5, solution_limit=200)
    assert_valid(result, prob, policy)
    return result


def by_ref(result) -> dict[str, Visit]:
    return {v.request_ref: v for v in result.visits}


def test_everything_fits_on_the_first_day():
    """Three nearby requests with two engineers are all planned on time on day one."""
    result = solve(basic_problem())
    assert not result.unassigned
    assert {v.day for v in result.visits} == {MONDAY}
    assert not any(v.late for v in result.visits)
    assert result.kpis["on_time_share"] == 1.0


def test_request_only_one_engineer_can_do_goes_to_that_engineer():
    """A request needing a skill only E2 holds is planned for E2."""
    result = solve(basic_problem())
    assert by_ref(result)["R2"].engineer_id == "E2"


def test_deadline_met_only_by_an_overnight_stay():
    """Nanjing (5.5 h away) due Monday 18:00: the engineer works there Monday afternoon,
    sleeps at a hotel and drives home Tuesday."""
    reqs = [request("R1", "C4", hours="3")]
    prob = problem(
        reqs,
        [assessment("R1", at(MONDAY, 18), zone=Zone.OUT_OF_TOWN)],
        [engineer("E1", {"pms"})],
    )
    result = solve(prob)
    visit = by_ref(result)["R1"]
    assert visit.day == MONDAY and not visit.late and visit.lodging
    tuesday = MONDAY + timedelta(days=1)
    routes = {r.day: r for r in result.routes}
    assert routes[MONDAY].end_place.kind == "hotel"
    assert routes[tuesday].start_place == routes[MONDAY].end_place
    assert routes[tuesday].end_place.kind == "home"
    assert result.kpis["lodging_nights"] == 1


def test_a_trip_goes_to_the_engineer_the_single_visits_need_least():
    """Nanjing due Monday 18:00 (a trip Monday-Tuesday) and two long network jobs in the
    city the customers accept only Monday-Tuesday. E1 and E2 can both make the trip; only
    E1 holds the network skill (the old tie-break, engineer id, sent E1): E2 goes."""
    tuesday = MONDAY + timedelta(days=1)
    reqs = [
        request("R1", "C4", hours="3"),
        request("N1", "C1", hours="6", skills={"network"}, window=(MONDAY, tuesday)),
        request("N2", "C2", hours="6", skills={"network"}, window=(MONDAY, tuesday)),
    ]
    prob = problem(
        reqs,
        [
            assessment("R1", at(MONDAY, 18), zone=Zone.OUT_OF_TOWN),
            assessment("N1", at(tuesday, 18)),
            assessment("N2", at(tuesday, 18)),
        ],
        [engineer("E1", {"pms", "network"}), engineer("E2", {"pms"})],
    )
    result = solve(prob, short_horizon(2))
    assert not result.unassigned and not any(v.late for v in result.visits)
    visits = by_ref(result)
    assert visits["R1"].engineer_id == "E2" and visits["R1"].lodging
    assert {visits["N1"].engineer_id, visits["N2"].engineer_id} == {"E1"}


def test_a_trip_starts_a_day_early_when_its_town_needs_both_days_by_the_deadline():
    """Two 3-hour jobs in Nanjing (5.5 h away), both due Tuesday 18:00, one engineer. Only
    one fits an afternoon after the drive, so the just-in-time trip (Tuesday-Wednesday)
    left the second for Wednesday, late: the trip goes Monday-Tuesday and both are on
    time."""
    tuesday = MONDAY + timedelta(days=1)
    reqs = [request("R1", "C4", hours="3"), request("R2", "C4", hours="3")]
    prob = problem(
        reqs,
        [assessment(r.request_ref, at(tuesday, 18), zone=Zone.OUT_OF_TOWN) for r in reqs],
        [engineer("E1", {"pms"})],
    )
    result = solve(prob)
    assert not result.unassigned and not any(v.late for v in result.visits)
    assert sorted(v.day for v in result.visits) == [MONDAY, tuesday]


def test_trip_waits_for_its_deadline_so_the_city_visit_due_first_is_on_time():
    """One engineer; Nanjing due Wednesday 18:00, a full-day city job due Monday 18:00 and
    another due Tuesday 18:00. Booking the trip on Monday would make both city jobs late;
    the trip goes Wednesday-Thursday and every visit is on time."""
    tuesday, wednesday = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
    reqs = [
        request("R1", "C4", hours="3"),
        request("R2", "C1", hours="7"),
        request("R3", "C2", hours="7"),
    ]
    prob = problem(
        reqs,
        [
            assessment("R1", at(wednesday, 18), zone=Zone.OUT_OF_TOWN),
            assessment("R2", at(MONDAY, 18)),
            assessment("R3", at(tuesday, 18)),
        ],
        [engineer("E1", {"pms"})],
    )
    result = solve(prob)
    visits = by_ref(result)
    assert not result.unassigned
    assert not any(v.late for v in result.visits), [(v.request_ref, v.day) for v in visits.values()]
    assert visits["R1"].day == wednesday and visits["R1"].lodging
    assert {visits["R2"].day, visits["R3"].day} == {MONDAY, tuesday}


def test_training_waits_for_its_deadline_so_the_visits_due_first_are_on_time():
    """One engineer; a two-day training the customer accepts all week (due Friday) and two
    full-day visits due Monday and Tuesday: the training goes Thursday-Friday."""
    tuesday, thursday, friday = (MONDAY + timedelta(days=d) for d in (1, 3, 4))
    reqs = [
        request(
            "T1",
            "C5",
            hours="7",
            kind=Kind.TRAINING,
            sessions=2,
            skills={"training"},
            window=(MONDAY, friday),
        ),
        request("R1", "C1", hours="7"),
        request("R2", "C2", hours="7"),
    ]
    prob = problem(
        reqs,
        [
            assessment("T1", at(friday, 18)),
            assessment("R1", at(MONDAY, 18)),
            assessment("R2", at(tuesday, 18)),
        ],
        [engineer("E1", {"pms", "training"})],
    )
    result = solve(prob)
    assert not result.unassigned and not any(v.late for v in result.visits)
    sessions = sorted((v for v in result.visits if v.request_ref == "T1"), key=lambda v: v.session)
    assert [v.day for v in sessions] == [thursday, friday]
    assert {by_ref(result)["R1"].day, by_ref(result)["R2"].day} == {MONDAY, tuesday}


def test_trainings_are_booked_together_so_a_narrow_window_is_not_crowded_out():
    """One engineer, two 2-day trainings due Friday: T1's customer accepts the whole week,
    T2's only Thursday-Friday. Booked one at a time in deadline order, T1 would take its
    just-in-time days Thursday-Friday and leave T2 nothing; both are planned on time."""
    thursday, friday = MONDAY + timedelta(days=3), MONDAY + timedelta(days=4)
    training = {"hours": "7", "kind": Kind.TRAINING, "sessions": 2, "skills": {"training"}}
    reqs = [
        request("T1", "C1", window=(MONDAY, friday), **training),
        request("T2", "C2", window=(thursday, friday), **training),
    ]
    prob = problem(
        reqs,
        [assessment("T1", at(friday, 18)), assessment("T2", at(friday, 18))],
        [engineer("E1", {"training"})],
    )
    result = solve(prob)
    assert not result.unassigned and not any(v.late for v in result.visits)
    days = {
        ref: sorted(v.day for v in result.visits if v.request_ref == ref) for ref in ("T1", "T2")
    }
    assert days["T2"] == [thursday, friday]
    assert days["T1"][-1] < thursday


def _trainings_for_one_trainer(*specs: tuple[str, str, tuple[date, date], date, int]):
    """One trainer, 7-hour trainings: each spec is (ref, customer, window, due day,
    sessions), due at 18:00; the far-suburb customers (C3, C6) are suburban."""
    training = {"hours": "7", "kind": Kind.TRAINING, "skills": {"training"}}
    return problem(
        [request(ref, cid, sessions=n, window=window, **training)
         for ref, cid, window, _, n in specs],
        [assessment(ref, at(due, 18), zone=Zone.SUBURBAN if cid in ("C3", "C6") else Zone.CITY)
         for ref, cid, _, due, _ in specs],
        [engineer("E1", {"training"})],
    )  # fmt: skip


def _training_and_trip(t1_window: tuple[date, date]):
    """One trainer, a 5-day horizon: T1, a two-day city training due Friday, and F1, a
    one-day training in a far suburb (an overnight stay: the session, then the way home)
    the customer accepts only Thursday-Friday, due Friday."""
    thursday, friday = MONDAY + timedelta(days=3), MONDAY + timedelta(days=4)
    training = {"hours": "7", "kind": Kind.TRAINING, "skills": {"training"}}
    reqs = [
        request("T1", "C1", sessions=2, window=t1_window, **training),
        request("F1", "C3", window=(thursday, friday), **training),
    ]
    due = at(friday, 18)
    prob = problem(
        reqs,
        [assessment("T1", due), assessment("F1", due, zone=Zone.SUBURBAN)],
        [engineer("E1", {"training"})],
    )
    return prob, short_horizon(5)


def test_a_training_moves_to_earlier_days_to_make_room_for_an_overnight_trip():
    """T1 is booked just in time on Thursday-Friday, before trips are booked; the trip
    for F1 needs those days, so T1 moves earlier in the week and both are on time."""
    thursday = MONDAY + timedelta(days=3)
    prob, policy = _training_and_trip((MONDAY, MONDAY + timedelta(days=4)))
    result = solve(prob, policy)
    assert not result.unassigned and not any(v.late for v in result.visits)
    trip = by_ref(result)["F1"]
    assert (trip.day, trip.lodging) == (thursday, True)
    assert max(v.day for v in result.visits if v.request_ref == "T1") < thursday


def test_the_training_in_the_way_moves_onto_another_trainings_day_which_moves_too():
    """As above, but T1 (two days, Tuesday-Friday) has only Tuesday-Wednesday left, where
    T2 (one day, Monday-Wednesday) is booked just in time on Wednesday: T2 goes to Monday,
    T1 to Tuesday-Wednesday, and F1's trip to Thursday."""
    tuesday, wednesday, thursday, friday = (MONDAY + timedelta(days=d) for d in (1, 2, 3, 4))
    prob = _trainings_for_one_trainer(
        ("T1", "C1", (tuesday, friday), friday, 2),
        ("T2", "C2", (MONDAY, wednesday), wednesday, 1),
        ("F1", "C3", (thursday, friday), friday, 1),
    )
    result = solve(prob, short_horizon(5))
    assert not result.unassigned and not any(v.late for v in result.visits)
    days = {
        ref: sorted(v.day for v in result.visits if v.request_ref == ref)
        for ref in ("T1", "T2", "F1")
    }
    assert days == {"T2": [MONDAY], "T1": [tuesday, wednesday], "F1": [thursday]}


def test_a_training_that_cannot_move_on_time_keeps_its_days():
    """The same, but T1's customer accepts only Thursday-Friday: moving it would make it
    late, so it keeps its days and F1 is listed as unassigned with the reason."""
    thursday = MONDAY + timedelta(days=3)
    prob, policy = _training_and_trip((thursday, MONDAY + timedelta(days=4)))
    result = solve(prob, policy)
    assert [u.request_ref for u in result.unassigned] == ["F1"]
    reason = result.unassigned[0].reason
    assert "overnight trip" in reason and "even moving the trainings and one-visit trips" in reason
    assert sorted(v.day for v in result.visits) == [thursday, thursday + timedelta(days=1)]
    assert not any(v.late for v in result.visits)


def test_trainings_move_three_deep_to_make_room_for_an_overnight_trip():
    """One trainer. T3, T2 and T1 (one day each, due Tuesday, Wednesday and Thursday, each
    accepted from the day before) are booked just in time on Tuesday-Thursday; F1's trip
    fits only Thursday-Friday. T1 goes to Wednesday, T2 to Tuesday, T3 to Monday: a chain
    three moves deep, and every deadline is met."""
    tuesday, wednesday, thursday, friday = (MONDAY + timedelta(days=d) for d in (1, 2, 3, 4))
    prob = _trainings_for_one_trainer(
        ("T3", "C1", (MONDAY, tuesday), tuesday, 1),
        ("T2", "C2", (tuesday, wednesday), wednesday, 1),
        ("T1", "C1", (wednesday, thursday), thursday, 1),
        ("F1", "C3", (thursday, friday), friday, 1),
    )
    result = solve(prob, short_horizon(5))
    assert not result.unassigned and not any(v.late for v in result.visits)
    days = {v.request_ref: v.day for v in result.visits}
    assert days == {"T3": MONDAY, "T2": tuesday, "T1": wednesday, "F1": thursday}


def test_a_booked_one_visit_trip_moves_to_make_room_for_another():
    """One trainer, one-day trainings in two far suburbs, both due Friday: FA's customer
    accepts Wednesday-Friday, FB's only Thursday. The trip booking gives FA its
    just-in-time days, the session on Thursday and the way home on Friday, and strands
    FB (another town: no trip serves both); FA's trip then moves to Wednesday's session
    and FB gets Thursday."""
    wednesday, thursday, friday = (MONDAY + timedelta(days=d) for d in (2, 3, 4))
    prob = _trainings_for_one_trainer(
        ("FA", "C3", (wednesday, friday), friday, 1),
        ("FB", "C6", (thursday, thursday), friday, 1),
    )
    result = solve(prob, short_horizon(5))
    assert not result.unassigned and not any(v.late for v in result.visits)
    sessions = by_ref(result)
    assert (sessions["FA"].day, sessions["FB"].day) == (wednesday, thursday)


@pytest.mark.parametrize("horizon", [5, 10])
def test_a_far_training_on_a_friday_goes_with_the_night_before(horizon):
    """F1, a one-day training in a far suburb, accepted only on Friday. With a five-day
    horizon there is no next working day to come home on; with ten, the way home on
    Monday would keep the trainer at the hotel three nights for one visit. Either way the
    trainer drives out on Thursday, sleeps at the hotel and holds the session on Friday,
    on time, then goes home."""
    thursday, friday = MONDAY + timedelta(days=3), MONDAY + timedelta(days=4)
    prob = _trainings_for_one_trainer(("F1", "C3", (friday, friday), friday, 1))
    result = solve(prob, short_horizon(horizon))
    assert not result.unassigned
    (session,) = result.visits
    assert (session.day, session.late, session.lodging) == (friday, False, False)
    assert [r.day for r in result.routes if r.end_place.kind == "hotel"] == [thursday]


def test_a_training_that_needs_hotel_nights_goes_before_the_weekend_when_it_can():
    """A two-day training in a far suburb (a night at the hotel after each session), due
    Monday, accepted from Wednesday. Just in time would be Friday and Monday, with the
    weekend at the hotel; it goes on the latest days without it, Thursday-Friday, and
    the trainer is home for the weekend."""
    wednesday, thursday, friday = (MONDAY + timedelta(days=d) for d in (2, 3, 4))
    next_monday = MONDAY + timedelta(days=7)
    prob = _trainings_for_one_trainer(("T1", "C3", (wednesday, next_monday), next_monday, 2))
    result = solve(prob, short_horizon(10))
    assert not result.unassigned and not any(v.late for v in result.visits)
    assert sorted(v.day for v in result.visits) == [thursday, friday]
    nights = sorted(r.day for r in result.routes if r.end_place.kind == "hotel")
    assert nights and all(day < friday for day in nights)


def test_a_training_goes_to_the_engineer_the_single_visits_need_least():
    """Two trainers free all week; only E1 also holds the network skill, and two long
    network visits are due Thursday-Friday. The training takes E2 on its just-in-time days
    (the old tie-break, engineer id, took E1), leaving E1 to the network visits."""
    wednesday, thursday, friday = (MONDAY + timedelta(days=d) for d in (2, 3, 4))
    reqs = [
        request(
            "T1", "C5", hours="7", kind=Kind.TRAINING, sessions=2, skills={"training"},
            window=(wednesday, friday),
        ),
        request("N1", "C1", hours="6", skills={"network"}, window=(thursday, friday)),
        request("N2", "C2", hours="6", skills={"network"}, window=(thursday, friday)),
    ]  # fmt: skip
    prob = problem(
        reqs,
        [
            assessment("T1", at(friday, 18)),
            assessment("N1", at(friday, 18)),
            assessment("N2", at(friday, 18)),
        ],
        [engineer("E1", {"training", "network"}), engineer("E2", {"training"})],
    )
    result = solve(prob)
    assert not result.unassigned and not any(v.late for v in result.visits)
    assert {v.engineer_id for v in result.visits if v.request_ref == "T1"} == {"E2"}
    assert {v.engineer_id for v in result.visits if v.request_ref != "T1"} == {"E1"}


def test_single_visits_need_only_the_engineers_who_can_reach_them():
    """E2 is the only database engineer within a day trip of a 6-hour database visit due
    Thursday-Friday (eight more sit in Guangzhou); E1's network visit has E3 in town too.
    Spreading each visit over every skilled engineer made E2's days look the least needed
    (the database visit shared with nine), and the training took them: the training goes
    to E1, and every visit is on time."""
    wednesday, thursday, friday = (MONDAY + timedelta(days=d) for d in (2, 3, 4))
    reqs = [
        request(
            "T1", "C5", hours="7", kind=Kind.TRAINING, sessions=2, skills={"training"},
            window=(thursday, friday),
        ),
        request("D1", "C1", hours="6", skills={"database"}, window=(thursday, friday)),
        request("N1", "C2", hours="2", skills={"network"}, window=(thursday, friday)),
    ]  # fmt: skip
    far = [engineer(f"G{i}", {"database"}, office="GZ") for i in range(8)]
    prob = problem(
        reqs,
        [assessment(r.request_ref, at(friday, 18)) for r in reqs],
        [
            engineer("E1", {"training", "network"}),
            engineer("E2", {"training", "database"}),
            engineer("E3", {"network"}),
            *far,
        ],
    )
    guangzhou = Office("GZ", "Guangzhou office", "Guangzhou", "CN", 23.1291, 113.2644)
    prob = replace(prob, offices=(*prob.offices, guangzhou))
    result = solve(prob)
    assert not result.unassigned and not any(v.late for v in result.visits)
    assert {v.engineer_id for v in result.visits if v.request_ref == "T1"} == {"E1"}
    assert by_ref(result)["D1"].engineer_id == "E2"
    assert wednesday < by_ref(result)["D1"].day


def test_a_full_day_visit_is_booked_just_in_time_like_a_training():
    """A 7-hour one-session training leaves no room for another visit that day: it is
    booked before routing, with the trainings, on its latest on-time day (Tuesday),
    leaving Monday to the short calls. (At 500 requests the routing search, filling days
    with short visits first, left many such visits without a whole free day: BENCHMARKS.)"""
    tuesday = MONDAY + timedelta(days=1)
    reqs = [
        request(
            "T1", "C5", hours="7", kind=Kind.TRAINING, skills={"training"},
            window=(MONDAY, tuesday),
        )
    ]  # fmt: skip
    reqs += [request(f"R{i}", c, hours="2") for i, c in enumerate(["C1", "C2", "C3", "C1"])]
    prob = problem(
        reqs,
        [assessment(r.request_ref, at(tuesday, 18)) for r in reqs],
        [engineer("E1", {"training", "pms"}), engineer("E2", {"pms"})],
    )
    result = solve(prob, short_horizon(2))
    assert not result.unassigned and not any(v.late for v in result.visits)
    training = by_ref(result)["T1"]
    assert (training.engineer_id, training.day) == ("E1", tuesday)
    assert [v.request_ref for v in result.visits if v.day == tuesday and v.engineer_id == "E1"] == [
        "T1"
    ]


def test_the_full_day_length_is_the_policy_owners():
    """``planner.full_day_hours`` decides which single visits are booked whole-day before
    routing: a 7-hour training is at the default 6 h, and is left to the routing search
    when the policy says 8."""
    from scheduling.planner import prepare
    from scheduling.travel import GreatCircleTravel

    reqs = [request("T1", "C5", hours="7", kind=Kind.TRAINING, skills={"training"})]
    prob = problem(
        reqs, [assessment("T1", at(MONDAY + timedelta(days=4), 18))], [engineer("E1", {"training"})]
    )
    booked = prepare(prob, POLICY, GreatCircleTravel(POLICY))
    assert [v.request_ref for v in booked.visits] == ["T1"] and not booked.routable
    planner = POLICY.planner.model_copy(update={"full_day_hours": 8})
    longer = POLICY.model_copy(update={"planner": planner})
    routed = prepare(prob, longer, GreatCircleTravel(longer))
    assert not routed.visits and [t.request_ref for t in routed.routable] == ["T1"]


def test_the_day_back_from_a_hotel_still_takes_visits_near_home():
    """One engineer; Nanjing (overnight) due Monday, and a city visit the customer accepts
    only on Tuesday: the engineer drives back from the hotel Tuesday morning and does the
    city visit in the afternoon, on the route that starts at the hotel."""
    tuesday = MONDAY + timedelta(days=1)
    reqs = [request("R1", "C4", hours="3"), request("R2", "C1", window=(tuesday, tuesday))]
    prob = problem(
        reqs,
        [
            assessment("R1", at(MONDAY, 18), zone=Zone.OUT_OF_TOWN),
            assessment("R2", at(tuesday, 18)),
        ],
        [engineer("E1", {"pms"})],
        start=MONDAY,
    )
    result = solve(prob, short_horizon(2))
    visits = by_ref(result)
    assert not result.unassigned
    assert visits["R1"].day == MONDAY and visits["R1"].lodging
    assert visits["R2"].day == tuesday and not visits["R2"].late
    route = next(r for r in result.routes if r.day == tuesday)
    assert route.start_place.kind == "hotel" and route.visit_keys == (("R2", 1),)
    assert result.kpis["lodging_nights"] == 1


def test_the_travel_days_of_a_training_away_still_take_visits_near_home():
    """One engineer; a two-day training in Nanjing (5.5 h away) on Tuesday-Wednesday needs
    the Monday to get there and the Thursday to come back. A city visit due Monday is done
    before leaving for the hotel, and one the customer accepts only on Thursday after
    getting back (before, both days were travel only: one visit late, one unplanned)."""
    tuesday, wednesday, thursday = (MONDAY + timedelta(days=d) for d in (1, 2, 3))
    prob = training_away_problem()
    result = solve(prob, short_horizon(4))
    visits = by_ref(result)
    assert not result.unassigned and not any(v.late for v in result.visits)
    assert sorted(v.day for v in result.visits if v.request_ref == "T1") == [tuesday, wednesday]
    routes = {r.day: r for r in result.routes}
    assert visits["R1"].day == MONDAY and visits["R1"].lodging
    assert routes[MONDAY].visit_keys == (("R1", 1),)
    assert routes[MONDAY].end_place.kind == "hotel"
    assert visits["R2"].day == thursday and not visits["R2"].lodging
    assert routes[thursday].start_place.kind == "hotel"
    assert routes[thursday].visit_keys == (("R2", 1),)
    assert result.kpis["lodging_nights"] == 3


def test_a_three_hour_visit_due_before_noon_starts_in_the_morning_and_pauses_for_lunch():
    """One engineer, a 3-hour call due Monday 10:30. It cannot end before the 12:00 break
    after the drive, so the engineer starts it by 10:30, stops for lunch 12:00-13:00 and
    finishes an hour later (before, a visit never overlapped lunch: it waited for 13:00 and
    was late)."""
    prob = problem(
        [request("R1", "C1", hours="3")],
        [assessment("R1", at(MONDAY, 10, 30))],
        [engineer("E1", {"pms"})],
    )
    result = solve(prob, short_horizon(1))
    visit = by_ref(result)["R1"]
    assert not visit.late and visit.start <= at(MONDAY, 10, 30) < visit.end
    assert visit.end - visit.start == timedelta(hours=4)  # three on site, one for lunch
    # Utilisation counts the three hours of work over the day's eight (lunch excluded).
    assert result.kpis["engineer_utilisation"] == round(180 / 480, 4)


def test_training_over_a_weekend_continues_on_the_next_working_day():
    """A two-session training with a window Friday-Monday runs Friday and Monday, same
    engineer."""
    thursday = MONDAY + timedelta(days=3)
    friday, next_monday = thursday + timedelta(days=1), thursday + timedelta(days=4)
    reqs = [
        request(
            "T1",
            "C1",
            hours="7",
            kind=Kind.TRAINING,
            sessions=2,
            skills={"training"},
            window=(friday, next_monday),
        )
    ]
    prob = problem(
        reqs,
        [assessment("T1", at(next_monday, 18))],
        [engineer("E1", {"training"}), engineer("E2", {"pms"})],
        start=thursday,
    )
    result = solve(prob)
    sessions = sorted(result.visits, key=lambda v: v.session)
    assert [(v.session, v.day) for v in sessions] == [(1, friday), (2, next_monday)]
    assert {v.engineer_id for v in sessions} == {"E1"}


def test_make_up_saturday_is_used():
    """Saturday 2026-02-14 is an official make-up working day in CN: a request whose
    customer accepts only that date is planned on it."""
    saturday = date(2026, 2, 14)
    reqs = [request("R1", "C1", received=at(date(2026, 2, 12), 10), window=(saturday, saturday))]
    prob = problem(
        reqs,
        [assessment("R1", at(saturday, 18))],
        [engineer("E1", {"pms"})],
        start=date(2026, 2, 13),
    )
    result = solve(prob)
    assert by_ref(result)["R1"].day == saturday


def test_pinned_visits_stay_where_they_are():
    """A pinned visit keeps engineer, day and times while the rest is planned around it."""
    base = basic_problem()
    tuesday = MONDAY + timedelta(days=1)
    pin = Visit(
        request_ref="R1",
        engineer_id="E2",
        day=tuesday,
        arrival=at(tuesday, 14),
        start=at(tuesday, 14),
        end=at(tuesday, 16),
        travel_km=0.0,
        travel_minutes=0,
        deadline=at(MONDAY + timedelta(days=2), 18),
        late=False,
        pinned=True,
    )
    prob = problem(base.requests, base.assessments, base.engineers, pinned=(pin,))
    result = solve(prob)
    visit = by_ref(result)["R1"]
    assert (visit.engineer_id, visit.day, visit.start, visit.end) == (
        "E2",
        tuesday,
        pin.start,
        pin.end,
    )
    assert visit.pinned


def test_expired_request_is_planned_only_after_entitled_ones():
    """With room for one 4-hour visit, the entitled request is planned and the expired one
    is listed as unassigned for lack of capacity."""
    reqs = [request("OLD", "C1", hours="4"), request("NEW", "C2", hours="4")]
    prob = problem(
        reqs,
        [
            assessment("OLD", None, status=RequestStatus.EXPIRED, priority=0),
            assessment("NEW", at(MONDAY, 18), priority=1),
        ],
        [engineer("E1", {"pms"})],
    )
    result = solve(prob, short_horizon(1))
    assert set(by_ref(result)) == {"NEW"}
    assert [(u.request_ref, u.reason_code) for u in result.unassigned] == [("OLD", "no_capacity")]


def test_same_seed_gives_the_same_plan():
    """Planning twice with the same seed and solution limit gives the same visits."""
    first = solve(basic_problem(), seed=7)
    second = solve(basic_problem(), seed=7)
    assert first.visits == second.visits and first.routes == second.routes


def test_unassigned_when_no_engineer_has_the_skills():
    """A request needing a skill nobody holds is unassigned: no_skilled_engineer."""
    reqs = [request("R1", "C1", skills={"welding"})]
    prob = problem(reqs, [assessment("R1", at(MONDAY, 18))], [engineer("E1", {"pms"})])
    result = solve(prob)
    assert [(u.request_ref, u.reason_code) for u in result.unassigned] == [
        ("R1", "no_skilled_engineer")
    ]


def test_unassigned_when_the_deadline_is_before_the_earliest_arrival():
    """A low-priority suburban request due 09:05 on the only day, crowded out by a
    full-day top-priority one, is unassigned: deadline_unreachable."""
    reqs = [request("BIG", "C1", hours="7"), request("LOW", "C3", hours="3")]
    prob = problem(
        reqs,
        [
            assessment("BIG", at(MONDAY, 18), priority=24),
            assessment("LOW", at(MONDAY, 9, 5), priority=1, zone=Zone.SUBURBAN),
        ],
        [engineer("E1", {"pms"})],
    )
    result = solve(prob, short_horizon(1))
    assert set(by_ref(result)) == {"BIG"}
    assert [(u.request_ref, u.reason_code) for u in result.unassigned] == [
        ("LOW", "deadline_unreachable")
    ]


def test_unassigned_when_the_horizon_has_no_capacity():
    """Two 4-hour visits (afternoon only) and one engineer-day: the lower priority one
    gets no_capacity."""
    reqs = [request("A", "C1", hours="4"), request("B", "C2", hours="4")]
    prob = problem(
        reqs,
        [assessment("A", at(MONDAY, 18), priority=8), assessment("B", at(MONDAY, 18), priority=2)],
        [engineer("E1", {"pms"})],
    )
    result = solve(prob, short_horizon(1))
    assert set(by_ref(result)) == {"A"}
    assert [(u.request_ref, u.reason_code) for u in result.unassigned] == [("B", "no_capacity")]


def test_unassigned_when_the_customer_window_lies_outside_the_horizon():
    """A customer accepting only dates after the horizon: outside_window."""
    later = MONDAY + timedelta(days=40)
    reqs = [request("R1", "C1", window=(later, later + timedelta(days=2)))]
    prob = problem(reqs, [assessment("R1", at(later, 18))], [engineer("E1", {"pms"})])
    result = solve(prob)
    assert [(u.request_ref, u.reason_code) for u in result.unassigned] == [("R1", "outside_window")]


def test_overtime_shift_serves_emergencies_only():
    """On a Saturday overtime shift the emergency is planned; a normal request asking for
    the same Saturday is not."""
    saturday = MONDAY + timedelta(days=5)
    reqs = [
        request("EMG", "C1", window=(saturday, saturday), emergency=True, urgency=Urgency.P1),
        request("STD", "C2", window=(saturday, saturday)),
    ]
    prob = problem(
        reqs,
        [assessment("EMG", at(saturday, 18)), assessment("STD", at(saturday, 18))],
        [engineer("E1", {"pms"})],
        overtime=(OvertimeShift("E1", saturday),),
    )
    result = solve(prob)
    assert by_ref(result)["EMG"].day == saturday
    assert "STD" not in by_ref(result)
    assert [u.request_ref for u in result.unassigned] == ["STD"]


@pytest.mark.parametrize("status", [RequestStatus.HELD, RequestStatus.REFUSED])
def test_requests_intake_did_not_accept_are_listed_not_planned(status):
    """Held or refused requests are never planned; they are listed with their status."""
    reqs = [request("R1", "C1")]
    prob = problem(reqs, [assessment("R1", None, status=status)], [engineer("E1", {"pms"})])
    result = solve(prob)
    assert not result.visits
    assert [(u.request_ref, u.reason_code) for u in result.unassigned] == [("R1", str(status))]


@pytest.mark.parametrize("start", ["greedy", "vroom", "vroom_on_time"])
def test_other_first_solutions_give_valid_complete_plans(start):
    """Starting the search from the greedy dispatcher or from VROOM (given the deadlines
    or not) still plans everything, validly."""
    planner = POLICY.planner.model_copy(update={"first_solution": start})
    result = solve(basic_problem(), POLICY.model_copy(update={"planner": planner}))
    assert not result.unassigned and len(result.visits) == 3


def test_the_start_missing_fewer_weighted_deadlines_wins_over_a_lower_objective(monkeypatch):
    """Large instances start from VROOM's routes or the dispatcher's. Here VROOM (faked)
    does the short low-priority call first and is 10 minutes late at the two-hour
    high-priority one; the dispatcher does them in deadline order and is 95 minutes late
    at the low-priority one. Minutes late times priority favour VROOM's start; the
    issue's first criterion, deadlines met weighted by priority, the dispatcher's."""
    from scheduling import planner

    def vroom_short_first(data, seconds):
        nodes = [n for n in range(data.num_nodes) if data.service[n] > 0]
        return [sorted(nodes, key=lambda n: data.service[n])]

    monkeypatch.setattr(planner, "vroom_sequences", vroom_short_first)
    reqs = [request("H", "C1", hours="2"), request("L", "C2", hours="0.25")]
    prob = problem(
        reqs,
        [
            assessment("H", at(MONDAY, 9, 30), priority=4),
            assessment("L", at(MONDAY, 9, 45), priority=1),
        ],
        [engineer("E1", {"pms"})],
    )
    policy = short_horizon(1)
    policy = policy.model_copy(
        update={"planner": policy.planner.model_copy(update={"first_solution": "vroom"})}
    )
    result = plan(prob, policy, seed=0, time_limit=5, solution_limit=1)  # the start itself
    assert_valid(result, prob, policy)
    visits = by_ref(result)
    assert not visits["H"].late and visits["L"].late
    assert visits["H"].start < visits["L"].start


def test_a_search_without_any_solution_returns_the_dispatchers_plan(monkeypatch):
    """When OR-Tools finds nothing within the budget, the greedy plan is returned, never
    nothing."""
    from scheduling import routing

    def fail(self, initial_routes=None, alternatives=()):
        raise routing.NoSolution("budget exhausted")

    monkeypatch.setattr(routing.RoutingCore, "solve", fail)
    result = solve(basic_problem())
    assert len(result.visits) == 3


@pytest.mark.parametrize("start", ["greedy", "auto"])
def test_the_search_never_returns_less_than_its_start_or_the_dispatchers_plan(monkeypatch, start):
    """When the search ends worse than the start it was given, or than the dispatcher's
    plan whatever the start (here: a search that drops everything), that plan is the
    answer: deadlines met first, unplanned counting as missed."""
    from scheduling import routing

    def drop_all(self, initial_routes=None, alternatives=()):
        m = self.data.num_vehicles
        return routing.RoutingSolution(
            routes=[[] for _ in range(m)],
            start_times={},
            departures=[0] * m,
            returns=[0] * m,
            dropped=list(self.customers),
            objective=0,
            status="success",
            seconds=0.0,
        )

    monkeypatch.setattr(routing.RoutingCore, "solve", drop_all)
    planner = POLICY.planner.model_copy(update={"first_solution": start})
    result = solve(basic_problem(), POLICY.model_copy(update={"planner": planner}))
    assert not result.unassigned and len(result.visits) == 3


def test_previous_plan_warm_start_keeps_a_valid_plan():
    """Re-planning with the last plan as a warm start gives a valid plan that still
    serves every request."""
    first = solve(basic_problem())
    base = basic_problem()
    again = problem(base.requests, base.assessments, base.engineers, previous=first.visits)
    result = solve(again)
    assert not result.unassigned
    assert {v.key for v in result.visits} == {v.key for v in first.visits}


def test_pinned_visit_on_a_day_without_shift_is_kept_as_is():
    """A pinned visit on a Saturday (done under an old arrangement) stays in the plan
    unchanged, and the rest is planned around it."""
    base = basic_problem()
    saturday = MONDAY + timedelta(days=5)
    pin = Visit(
        request_ref="R3",
        engineer_id="E1",
        day=saturday,
        arrival=at(saturday, 10),
        start=at(saturday, 10),
        end=at(saturday, 12),
        travel_km=0.0,
        travel_minutes=0,
        deadline=at(MONDAY + timedelta(days=2), 18),
        late=True,
        pinned=True,
    )
    prob = problem(base.requests, base.assessments, base.engineers, pinned=(pin,))
    result = solve(prob)
    visit = by_ref(result)["R3"]
    assert (visit.engineer_id, visit.day, visit.start, visit.end) == (
        "E1",
        saturday,
        pin.start,
        pin.end,
    )
    assert {"R1", "R2"} <= set(by_ref(result))


def test_auto_starts_from_vroom_given_the_deadlines_and_the_search_reads_it(monkeypatch):
    """With the "auto" first solution an office searched whole starts from VROOM's routes
    given the deadlines (when they miss no more deadlines than the dispatcher's plan),
    and the routing search reads that start; an office searched in groups starts from
    the dispatcher's plan, and VROOM is asked only for each group's engineers."""
    from scheduling import planner
    from scheduling.routing import RoutingCore

    sources, asked = [], []
    real_solve, real_vroom = RoutingCore.solve, planner.vroom_on_time_sequences

    def spy_solve(self, initial_routes=None, alternatives=()):
        found = real_solve(self, initial_routes, alternatives)
        sources.append((initial_routes is not None, found.first_solution_source))
        return found

    def spy_vroom(data, inst, seconds):
        asked.append((len(inst.live), data.num_vehicles))
        return real_vroom(data, inst, seconds)

    monkeypatch.setattr(RoutingCore, "solve", spy_solve)
    monkeypatch.setattr(planner, "vroom_on_time_sequences", spy_vroom)
    solve(basic_problem())
    ((tasks, office_vehicles),) = asked
    assert tasks == 3
    assert sources == [(True, "initial_routes")]

    asked.clear()
    monkeypatch.setattr(planner, "GROUP_PAIRS", 1)
    result = solve(basic_problem())
    assert asked and all(vehicles < office_vehicles for _, vehicles in asked)
    assert not result.unassigned
