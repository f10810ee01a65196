"""Tests of the itinerary content model: what an engineer is told to do, day by day."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from scheduling.cost_legs import LegEnd
from scheduling.itineraries import (
    BACKUP_STEP,
    ItineraryError,
    TravelMode,
    build_itineraries,
    leg_mode,
)
from scheduling.model import Kind, Place, Plan, Route, Zone
from scheduling.policy import load_policy
from tests.scheduling.itinerary_cases import FRI, MON, SH, THU, make_plan, problem


@pytest.fixture(scope="module")
def policy():
    return load_policy()


@pytest.fixture(scope="module")
def itineraries(policy):
    return {it.engineer_id: it for it in build_itineraries(make_plan(), problem(), policy)}


def test_each_engineer_gets_only_their_visits_and_contacts(itineraries):
    """An engineer's itinerary holds only that engineer's visits and their customers."""
    e1, e2 = itineraries["E1"], itineraries["E2"]
    assert [s.key for s in e1.stops] == [("R0001", 1), ("R0002", 1), ("R0003", 1), ("R0003", 2)]
    assert [s.key for s in e2.stops] == [("R0004", 1), ("R0005", 1)]
    assert {s.customer_id for s in e1.stops} == {"C1", "C2", "C3"}
    assert {s.contact_phone for s in e2.stops} == {"+86 21 5555 0404", "+86 21 5555 0505"}


def test_days_follow_the_route_with_departure_and_return(itineraries):
    """Each day starts at the route's place and time, lists stops in order, and ends there."""
    e1 = itineraries["E1"]
    assert [d.day for d in e1.days] == [THU, FRI, MON]
    thu = e1.days[0]
    assert thu.departure.strftime("%H:%M") == "09:05"
    assert thu.start_place.kind == "home"
    assert [s.order for s in thu.stops] == [1, 2]
    assert thu.stops[0].arrival.strftime("%H:%M") == "09:30"
    assert thu.stops[1].end.strftime("%H:%M") == "17:00"
    assert thu.return_at.strftime("%H:%M") == "17:30"
    assert thu.stops[1].leg.from_label == "Bund Grand Hotel"
    assert thu.stops[1].leg.km == 85.0 and thu.stops[1].leg.minutes == 70


def test_times_are_in_the_office_zone(itineraries):
    """Every time shown to the engineer is in the zone of their office (Asia/Shanghai)."""
    for stop in itineraries["E1"].stops:
        assert str(stop.start.tzinfo) == "Asia/Shanghai"
        assert stop.start.utcoffset().total_seconds() == 8 * 3600


def test_lodging_is_the_hotel_when_the_day_ends_away(itineraries):
    """A day ending at a hotel names the lodging; a day ending at home has none."""
    thu, fri, _ = itineraries["E1"].days
    assert thu.lodging is not None and thu.lodging.label == "Suzhou Jinji Inn"
    assert fri.lodging is None
    assert fri.start_place.kind == "hotel"


def test_backup_check_is_the_first_step_with_a_warning_when_unconfirmed(itineraries):
    """POLICY.md 1: on-site service starts with the backup check, warned when unconfirmed."""
    upgrade, install, *_ = itineraries["E1"].stops
    assert upgrade.checklist[0].text == BACKUP_STEP
    assert "NOT confirmed" in upgrade.checklist[0].warning
    assert upgrade.warnings
    assert install.checklist[0].text == BACKUP_STEP
    assert install.checklist[0].warning == ""
    assert install.warnings == ()


def test_troubleshooting_also_starts_with_the_backup(itineraries):
    """Every on-site service subtype touches the system, so each starts with the backup."""
    trouble = itineraries["E2"].stops[1]
    assert trouble.kind == Kind.ONSITE_SERVICE and trouble.subtype == "troubleshoot"
    assert trouble.checklist[0].text == BACKUP_STEP
    assert any("night audit" in item.text for item in trouble.checklist)


def test_upgrade_shows_the_versions(itineraries):
    """An upgrade says from which version (the customer's) to which (the request's)."""
    upgrade = itineraries["E1"].stops[0]
    assert (upgrade.from_version, upgrade.to_version) == ("9.00", "9.12")
    assert "9.00 → 9.12" in upgrade.work


def test_training_lists_session_and_materials(itineraries):
    """A training visit says which session of how many and what materials to bring."""
    first, second = itineraries["E1"].stops[2:]
    assert (first.session, first.sessions) == (1, 2)
    assert "session 1 of 2" in first.work
    texts = [item.text for item in first.checklist]
    assert texts[0] == "Training session 1 of 2"
    assert any("materials" in t for t in texts)
    assert BACKUP_STEP not in texts
    assert any("training record" in item.text for item in second.checklist)


def test_health_check_ends_with_the_report_to_leave(itineraries):
    """A health check's checklist ends with leaving the report with the customer."""
    check = itineraries["E2"].stops[0]
    assert check.kind == Kind.HEALTH_CHECK
    assert "report" in check.checklist[-1].text
    assert BACKUP_STEP not in [item.text for item in check.checklist]


def test_deadline_comes_from_the_visit(itineraries):
    """Each stop shows the request's deadline."""
    assert itineraries["E1"].stops[0].deadline.strftime("%Y-%m-%d %H:%M") == "2026-11-27 18:00"


def test_legs_take_the_mode_finance_bills(itineraries):
    """Out-of-town legs between two cities are rail/road; inside one town or city, car/taxi."""
    thu, fri, mon = itineraries["E1"].days
    assert thu.stops[0].leg.mode is TravelMode.CAR  # home -> city customer
    assert thu.stops[1].zone is Zone.OUT_OF_TOWN
    assert thu.stops[1].leg.mode is TravelMode.RAIL  # Shanghai -> Suzhou
    assert thu.return_leg.mode is TravelMode.CAR  # to the hotel in Suzhou
    assert fri.stops[0].leg.mode is TravelMode.CAR  # hotel -> customer, same town
    assert fri.return_leg.mode is TravelMode.RAIL  # Suzhou -> home in Shanghai
    assert mon.stops[0].leg.mode is TravelMode.RAIL
    assert itineraries["E2"].days[0].stops[0].leg.mode is TravelMode.CAR


def test_leg_mode_is_how_finance_bills_the_leg(policy):
    """Rail is what finance bills as a fare: out of town between two cities; between two
    customers the cheaper zone decides, so Suzhou customer -> Shanghai city customer is
    still rail, while any leg inside one town is by car or taxi."""
    rates = policy.costs.rates_on(MON)
    home = LegEnd(Zone.CITY, "Shanghai")
    suzhou = LegEnd(Zone.OUT_OF_TOWN, "Suzhou", customer=True)
    city = LegEnd(Zone.CITY, "Shanghai", customer=True)
    hotel = LegEnd(Zone.OUT_OF_TOWN, " suzhou ")
    kunshan = LegEnd(Zone.SUBURBAN, "Kunshan", customer=True)
    assert leg_mode(home, suzhou, 100, rates) is TravelMode.RAIL
    assert leg_mode(suzhou, city, 100, rates) is TravelMode.RAIL
    assert leg_mode(hotel, suzhou, 5, rates) is TravelMode.CAR
    assert leg_mode(home, kunshan, 60, rates) is TravelMode.CAR
    assert leg_mode(home, city, 10, rates) is TravelMode.CAR


def test_visits_without_a_route_still_appear_in_time_order(policy):
    """A planned visit is never left out, even when the plan gave its day no route."""
    plan = make_plan()
    no_routes = Plan(visits=tuple(reversed(plan.visits)), routes=(), unassigned=())
    e2 = {it.engineer_id: it for it in build_itineraries(no_routes, problem(), policy)}["E2"]
    assert [s.request_ref for s in e2.stops] == ["R0004", "R0005"]
    assert e2.days[0].start_place.kind == "office"


def test_unknown_request_is_a_clear_error(policy):
    """A visit of a request the problem does not hold fails naming the request."""
    plan = make_plan()
    bad = replace(plan.visits[0], request_ref="R9999")
    broken = Plan(visits=(bad,), routes=(), unassigned=())
    with pytest.raises(ItineraryError, match="R9999"):
        build_itineraries(broken, problem(), policy)


def test_visit_left_out_of_its_days_route_is_a_clear_error(policy):
    """A visit of a day whose route does not list it is an error, never silently dropped."""
    plan = make_plan()
    route = replace(plan.routes[0], visit_keys=plan.routes[0].visit_keys[:1])
    broken = Plan(visits=plan.visits, routes=(route, *plan.routes[1:]), unassigned=())
    with pytest.raises(ItineraryError, match="R0002"):
        build_itineraries(broken, problem(), policy)


def test_route_naming_a_missing_visit_is_a_clear_error(policy):
    """A route listing a visit the plan does not hold fails naming it."""
    plan = make_plan()
    route = replace(plan.routes[0], visit_keys=(*plan.routes[0].visit_keys, ("R0042", 1)))
    broken = Plan(visits=plan.visits, routes=(route, *plan.routes[1:]), unassigned=())
    with pytest.raises(ItineraryError, match="R0042"):
        build_itineraries(broken, problem(), policy)


def test_a_route_without_visits_is_a_travel_day(policy):
    """A day spent travelling to or from an out-of-town hotel is in the itinerary too."""
    plan = make_plan()
    tuesday = date(2026, 12, 1)
    travel = Route(
        engineer_id="E1",
        day=tuesday,
        start_place=Place("hotel", 31.3050, 120.6400, "hotel:C3"),
        end_place=Place("home", 31.2, 121.45, "home:E1"),
        visit_keys=(),
        departure=datetime(2026, 12, 1, 9, 0, tzinfo=SH),
        return_at=datetime(2026, 12, 1, 10, 30, tzinfo=SH),
        return_km=88.0,
        return_minutes=90,
    )
    with_travel = Plan(plan.visits, (*plan.routes, travel), ())
    e1 = build_itineraries(with_travel, problem(), policy)[0]
    day = e1.days[-1]
    assert day.day == tuesday and day.travel_only and day.stops == ()
    assert day.start_label == "hotel near Lakeside Resort <Suzhou>, Suzhou"
    assert day.end_label == "home"
    assert day.return_leg.km == 88.0 and day.return_leg.mode is TravelMode.RAIL
    assert day.return_leg.depart.strftime("%H:%M") == "09:00"


def test_planner_place_codes_are_put_in_words(policy):
    """'hotel:C1', 'home:E1', 'office:SH' read as a hotel near the customer, home, the office."""
    from tests.scheduling.itinerary_cases import HOME1

    plan = make_plan()
    route = replace(
        plan.routes[0],
        start_place=Place("office", 31.23, 121.47, "office:SH"),
        end_place=Place("hotel", 31.30, 120.62, "hotel:C2"),
    )
    e1 = build_itineraries(Plan(plan.visits, (route, *plan.routes[1:]), ()), problem(), policy)[0]
    thursday = e1.days[0]
    assert thursday.start_label == "Shanghai office"
    assert thursday.end_label == "hotel near Suzhou Garden Hotel, Suzhou"
    assert thursday.stops[0].leg.from_label == "Shanghai office"
    assert HOME1.label == "Li Wei's home"  # a real name is kept as it is
    assert e1.days[2].start_label == "Li Wei's home"


def test_a_visit_paused_for_lunch_says_so_in_the_calendar_and_on_the_page():
    """A 3-hour call the planner starts before noon pauses for lunch: its calendar event
    and its page say the break is included, so 10:30-14:30 for 3 hours is not a typo."""
    from scheduling.ical import visit_description
    from scheduling.itinerary_html import render_itinerary_html
    from scheduling.planner import plan
    from tests.scheduling import plan_cases as cases

    prob = cases.problem(
        [cases.request("R1", "C1", hours="3")],
        [cases.assessment("R1", cases.at(cases.MONDAY, 10, 30))],
        [cases.engineer("E1", {"pms"})],
    )
    base = load_policy()
    planner = base.planner.model_copy(update={"horizon_working_days": 1})
    policy = base.model_copy(update={"planner": planner})
    result = plan(prob, policy, seed=0, time_limit=5, solution_limit=200)
    (itinerary,) = build_itineraries(result, prob, policy)
    day = itinerary.days[0]
    (stop,) = day.stops
    assert stop.lunch_included
    assert "lunch break included" in visit_description(stop, day)
    assert "lunch break included" in render_itinerary_html(itinerary)


def test_a_long_visit_holding_lunch_says_so_and_a_morning_visit_does_not():
    """A 7-hour training day holds the lunch break inside its hours (9:xx to 16:xx for 7
    hours): its page says the break is included all the same, so the engineer knows to
    take it on site. A 2-hour call done before noon says nothing of lunch."""
    from scheduling.ical import visit_description
    from scheduling.itinerary_html import render_itinerary_html
    from scheduling.planner import plan
    from tests.scheduling import plan_cases as cases

    prob = cases.problem(
        [
            cases.request("T1", "C1", hours="7", kind=Kind.TRAINING, skills={"training"}),
            cases.request("R1", "C2", hours="2"),
        ],
        [
            cases.assessment("T1", cases.at(cases.MONDAY, 18)),
            cases.assessment("R1", cases.at(cases.MONDAY, 10)),
        ],
        [cases.engineer("E1", {"training"}), cases.engineer("E2", {"pms"})],
    )
    base = load_policy()
    planner = base.planner.model_copy(update={"horizon_working_days": 1})
    policy = base.model_copy(update={"planner": planner})
    result = plan(prob, policy, seed=0, time_limit=5)
    stops = {
        stop.request_ref: (stop, day, itinerary)
        for itinerary in build_itineraries(result, prob, policy)
        for day in itinerary.days
        for stop in day.stops
    }
    training, day, itinerary = stops["T1"]
    assert training.end - training.start == timedelta(hours=7)
    assert training.lunch_included
    assert "lunch break included" in visit_description(training, day)
    assert "lunch break included" in render_itinerary_html(itinerary)
    call, day, itinerary = stops["R1"]
    assert call.end.hour < 12 and not call.lunch_included
    assert "lunch break included" not in visit_description(call, day)
