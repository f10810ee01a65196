"""Pricing trips: zone rates, fares, lodging, allowance, effective-dated rates, actuals."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from itertools import pairwise

import pytest

from scheduling.cost_legs import CostError, km_decimal, load_fares, money
from scheduling.cost_lines import billed_items, trip_lines
from scheduling.costs import plan_trips, trip_id
from scheduling.model import Kind, Place, Zone
from scheduling.policy import load_policy
from tests.scheduling.costs_fixtures import BY_ID, HOME, build, hotel_near, km, lasting, route

POLICY = load_policy()
NOV = date(2026, 11, 3)


def _items(trip) -> dict[str, object]:
    return {i.key: i for i in trip.items}


def _leg_km(*points) -> Decimal:
    return sum((km_decimal(km(a, b)) for a, b in pairwise(points)), Decimal(0))


def _at(cid: str) -> tuple[float, float]:
    return (BY_ID[cid].lat, BY_ID[cid].lon)


HOME_AT = (HOME.lat, HOME.lon)


def test_city_trip_costs_its_km_at_the_city_rate():
    """A round trip to city customers is their km at city_per_km, rounded once to the cent."""
    plan, problem = build(route("E1", NOV, ["C001", "C002"]))
    (trip,) = plan_trips(plan, problem, POLICY)
    distance = _items(trip)["distance:city"]
    expected_km = _leg_km(HOME_AT, _at("C001"), _at("C002"), HOME_AT)
    assert distance.quantity == expected_km
    assert distance.unit_rate == Decimal("2.60")
    assert distance.amount == money(expected_km * Decimal("2.60"))
    assert set(_items(trip)) == {"distance:city"}
    assert trip.trip_id == trip_id("E1", NOV) == "E1-2026-11-03"


def test_legs_from_home_take_the_customer_zone_and_between_customers_the_cheaper():
    """Office -> city -> suburban -> office: the hop between the two customers is billed at
    the cheaper (city) rate, the way back from the suburban customer at the suburban rate."""
    plan, problem = build(route("E1", NOV, ["C001", "C003"]))
    (trip,) = plan_trips(plan, problem, POLICY)
    items = _items(trip)
    assert items["distance:city"].quantity == _leg_km(HOME_AT, _at("C001"), _at("C003"))
    assert items["distance:suburban"].quantity == _leg_km(_at("C003"), HOME_AT)
    assert items["distance:suburban"].unit_rate == Decimal("3.10")


def test_combining_a_city_and_a_suburban_customer_never_costs_more_than_two_trips():
    """Whichever is visited first, one trip costs at most the two stand-alone trips."""
    for order in (["C002", "C003"], ["C003", "C002"]):
        plan, problem = build(route("E1", NOV, order))
        (trip,) = plan_trips(plan, problem, POLICY)
        assert trip.total <= sum(v for _, v in trip.standalone)


def test_the_road_back_from_out_of_town_is_a_fare_and_costs_the_same_both_ways():
    """Suzhou -> Shanghai city customer is inter-city rail, not a city taxi ride, and a
    closed tour costs the same in either direction (a leg is priced by its farther end)."""
    plan, problem = build(route("E2", NOV, ["C004", "C001"]))
    (trip,) = plan_trips(plan, problem, POLICY)
    items = _items(trip)
    assert items["fare:rail"].quantity == _leg_km(HOME_AT, _at("C004"), _at("C001"))
    assert items["distance:city"].quantity == _leg_km(_at("C001"), HOME_AT)
    back_plan, back_problem = build(route("E2", NOV, ["C001", "C004"]))
    (back,) = plan_trips(back_plan, back_problem, POLICY)
    assert back.total == trip.total
    assert trip.total <= sum(v for _, v in trip.standalone)


def test_out_of_town_day_with_hotel_pays_fare_lodging_and_allowance():
    """To Suzhou by rail, local taxi between Suzhou stops, a hotel night and a day away."""
    hotel = hotel_near("C005")
    plan, problem = build(route("E2", NOV, ["C004", "C005"], end=hotel))
    (trip,) = plan_trips(plan, problem, POLICY)
    items = _items(trip)
    assert items["fare:rail"].quantity == _leg_km(HOME_AT, _at("C004"))
    assert items["fare:rail"].unit_rate == Decimal("0.52")
    # Suzhou -> Suzhou and Suzhou -> hotel in Suzhou: local travel at the city rate.
    assert items["distance:city"].quantity == _leg_km(
        _at("C004"), _at("C005"), (hotel.lat, hotel.lon)
    )
    assert items["lodging"].amount == Decimal("400.00")
    assert items["allowance"].amount == Decimal("120.00")
    assert trip.end_kind == "hotel"


def test_a_day_starting_at_a_hotel_is_a_day_away_without_a_new_night():
    """Hotel -> customer -> home: an allowance but no lodging."""
    plan, problem = build(route("E2", NOV, ["C006"], start=hotel_near("C005")))
    (trip,) = plan_trips(plan, problem, POLICY)
    assert "lodging" not in _items(trip)
    assert _items(trip)["allowance"].quantity == 1


def test_a_fare_table_replaces_the_per_km_fare_between_known_cities(tmp_path):
    """With fares.csv knowing Suzhou-Shanghai (any case), both legs cost the table fare."""
    fares_csv = tmp_path / "fares.csv"
    fares_csv.write_text("\ufefffrom_city,to_city,fare\nsuzhou ,Shanghai,39.50\n", encoding="utf-8")
    fares = load_fares(fares_csv)
    plan, problem = build(route("E2", NOV, ["C004"]))
    (trip,) = plan_trips(plan, problem, POLICY, fares=fares)
    fare = _items(trip)["fare:table"]
    assert (fare.quantity, fare.unit_rate, fare.amount) == (2, Decimal("39.50"), Decimal("79.00"))
    assert "fare:rail" not in _items(trip)


def test_a_bad_fare_table_names_file_row_and_column(tmp_path):
    """A fare that is not an amount is refused with the row and column."""
    bad = tmp_path / "fares.csv"
    bad.write_text("from_city,to_city,fare\nSuzhou,Shanghai,cheap\n", encoding="utf-8")
    with pytest.raises(CostError, match=r"row 2 column fare: 'cheap'"):
        load_fares(bad)
    bad.write_text("from_city,fare\n", encoding="utf-8")
    with pytest.raises(CostError, match="missing column"):
        load_fares(bad)


def test_a_rate_change_on_1_march_applies_to_trips_from_1_march():
    """28 Feb is priced at the old city rate (2.50), 1 March at the new one (2.60)."""
    before, after = date(2026, 2, 27), date(2026, 3, 2)
    plan, problem = build(route("E1", before, ["C001"]), route("E1", after, ["C001"]))
    old, new = plan_trips(plan, problem, POLICY)
    assert _items(old)["distance:city"].unit_rate == Decimal("2.50")
    assert _items(new)["distance:city"].unit_rate == Decimal("2.60")
    assert old.total < new.total


def test_training_travel_is_billed_like_service_travel():
    """Training itself is free (POLICY.md 3) but its trip costs the same as a service trip."""
    service_plan, problem = build(route("E1", NOV, ["C003"]))
    training_plan, training_problem = build(route("E1", NOV, ["C003"], kind=Kind.TRAINING))
    (service,) = plan_trips(service_plan, problem, POLICY)
    (training,) = plan_trips(training_plan, training_problem, POLICY)
    assert training.items == service.items
    assert {i.item for i in training.items} <= {"distance", "fare", "lodging", "allowance"}


def test_every_amount_is_a_decimal_to_the_cent():
    """No float reaches money: items, stand-alone costs and lines are 2-place Decimals."""
    plan, problem = build(route("E2", NOV, ["C003", "C004", "C005"], end=hotel_near("C005")))
    (trip,) = plan_trips(plan, problem, POLICY)
    amounts = [i.amount for i in trip.items] + [v for _, v in trip.standalone]
    amounts += [line.amount for line in trip_lines(trip).lines]
    assert all(type(a) is Decimal and a == a.quantize(Decimal("0.01")) for a in amounts)
    assert km_decimal(12.34567) == Decimal("12.346")


def test_a_route_without_stops_is_no_trip_and_unknown_requests_are_refused():
    """An empty engineer-day costs nothing; a route naming an unknown request is an error."""
    plan, problem = build(route("E1", NOV, []))
    assert plan_trips(plan, problem, POLICY) == ()
    plan, problem = build(route("E1", NOV, ["C001"]))
    with pytest.raises(CostError, match="unknown to the problem"):
        plan_trips(plan, replace(problem, requests=()), POLICY)


def test_zone_is_derived_by_policy_when_intake_left_none():
    """Without an assessed or recorded zone, POLICY.md 4 derives it: Suzhou is out of town."""
    plan, problem = build(route("E2", NOV, ["C004"]))
    customers = tuple(replace(c, zone=None) for c in problem.customers)
    bare = replace(problem, customers=customers, assessments=())
    (trip,) = plan_trips(plan, bare, POLICY)
    assert trip.stops[0].zone is Zone.OUT_OF_TOWN
    assert "fare:rail" in _items(trip)


def test_an_actual_replaces_the_estimate_for_billing_and_keeps_it_beside():
    """Actual lodging 412.00 is billed (basis actual); the 400.00 estimate and +12.00 show."""
    plan, problem = build(route("E2", NOV, ["C004", "C005"], end=hotel_near("C005")))
    (trip,) = plan_trips(plan, problem, POLICY)
    lines = trip_lines(trip, actuals={"lodging": Decimal("412.00")})
    lodging = [line for line in lines.lines if line.item == "lodging"]
    assert sum(line.amount for line in lodging) == Decimal("412.00")
    assert sum(line.estimate for line in lodging) == Decimal("400.00")
    assert sum(line.difference for line in lodging) == Decimal("12.00")
    assert {line.basis for line in lodging} == {"actual"}
    others = [line for line in lines.lines if line.item != "lodging"]
    assert {line.basis for line in others} == {"estimate"}
    assert lines.billed_total == trip.total + Decimal("12.00")
    assert sum(line.amount for line in lines.lines) == lines.billed_total


def test_an_actual_spreads_over_estimated_items_of_its_kind():
    """An actual distance over city and suburban km keeps both lines, in estimate proportion."""
    plan, problem = build(route("E1", NOV, ["C001", "C003"]))
    (trip,) = plan_trips(plan, problem, POLICY)
    items = billed_items(trip, {"distance": Decimal("100.00")})
    assert sum(i.amount for i in items) == Decimal("100.00")
    assert {i.key for i in items} == {"distance:city", "distance:suburban"}
    with pytest.raises(CostError, match="unknown cost item"):
        billed_items(trip, {"parking": Decimal("5.00")})


def test_an_actual_for_an_item_the_plan_did_not_price_becomes_its_own_line():
    """An actual taxi fare on a city trip is billed as a fare line whose estimate is 0."""
    plan, problem = build(route("E1", NOV, ["C001"]))
    (trip,) = plan_trips(plan, problem, POLICY)
    lines = trip_lines(trip, actuals={"fare": Decimal("35.00")})
    (fare,) = [line for line in lines.lines if line.item == "fare"]
    assert (fare.tag, fare.amount, fare.estimate, fare.basis) == (
        "actual",
        Decimal("35.00"),
        Decimal("0.00"),
        "actual",
    )
    assert lines.billed_total == trip.total + Decimal("35.00")


# --- journeys: days without visits chained to their out-of-town trip --------------------

NOV4 = date(2026, 11, 4)


def _hotel_at(cid: str) -> Place:
    """A hotel at the customer's door, as the planner books it (`hotel:<customer>`)."""
    return Place("hotel", BY_ID[cid].lat, BY_ID[cid].lon, f"hotel:{cid}")


def _journey_plan():
    """E2: day 1 home -> Suzhou (1 h) -> Hangzhou (5 h, no day trip fits) -> hotel there;
    day 2 hotel -> home with no visit at all."""
    hotel = _hotel_at("C006")
    return build(
        lasting(route("E2", NOV, ["C004", "C006"], end=hotel), 5, only="C006"),
        route("E2", NOV4, [], start=hotel),
    )


def test_the_day_back_from_a_hotel_without_visits_is_billed_to_the_journey_customer():
    """POLICY.md 5: the rail fare home and the allowance of a return day with no visit are
    the trip's customer's, under the journey method, and the trip id stays engineer-day."""
    hotel = _hotel_at("C006")
    plan, problem = build(
        lasting(route("E2", NOV, ["C006"], end=hotel), 5), route("E2", NOV4, [], start=hotel)
    )
    out, back = plan_trips(plan, problem, POLICY)
    assert back.trip_id == trip_id("E2", NOV4) and back.travel_only
    # The day out is within a journey made for C006 alone: a trip of its own.
    assert not out.journey_billed and trip_lines(out).lines[0].method == "proportional_standalone"
    assert back.journey_id == out.journey_id == out.trip_id
    assert set(_items(back)) == {"fare:rail", "allowance"}
    assert _items(back)["fare:rail"].quantity == _leg_km(_at("C006"), HOME_AT)
    lines = trip_lines(back)
    assert not lines.capped and lines.unallocated == 0
    assert sum(line.amount for line in lines.lines) == back.total
    assert {line.customer_id for line in lines.lines} == {"C006"}
    assert {line.method for line in lines.lines} == {"journey_proportional_standalone"}
    assert {line.request_refs for line in lines.lines} == {("R-C006-1103",)}
    # A journey made for C006 alone is this one (the return does not fit the shift).
    paid = sum(line.amount for t in (out, back) for line in trip_lines(t).lines)
    assert paid == out.total + back.total == dict(back.standalone)["C006"]


def test_no_customer_pays_more_than_its_standalone_journey_over_the_journey():
    """Suzhou fits a day trip, so its stand-alone journey has no hotel night. Billed as a
    trip of its own, day 1 (Suzhou, then Hangzhou and the night there) would charge Suzhou
    a share of a night-and-fare trip above that; instead day 1 and the day back are split
    over both customers of the journey, each within its stand-alone journey, and
    everything is billed."""
    plan, problem = _journey_plan()
    out, back = plan_trips(plan, problem, POLICY)
    assert out.journey_billed and back.journey_billed
    weights = dict(back.standalone)
    assert set(weights) == {"C004", "C006"} and dict(out.standalone) == weights
    days = [trip_lines(out), trip_lines(back)]
    for lines, trip in zip(days, (out, back), strict=True):
        assert lines.unallocated == 0 and sum(x.amount for x in lines.lines) == trip.total
        for line in lines.lines:
            assert line.amount <= dict(trip.caps)[line.customer_id]
    for customer, weight in weights.items():
        paid = sum(x.amount for lines in days for x in lines.lines if x.customer_id == customer)
        assert 0 < paid <= weight
    # Suzhou's lines on day 1 name its own request; on the day back, the journey's.
    assert {x.request_refs for x in days[0].lines if x.customer_id == "C004"} == {("R-C004-1103",)}


def test_a_city_customer_seen_on_the_way_to_the_hotel_pays_no_fare_or_night_of_its_own():
    """The planner may route a city visit on the day an engineer travels to a training
    out of town: home -> C001 (city) -> hotel in Hangzhou, then five hours at C006. C001
    pays at most its city round trip; the fare and the night go to Hangzhou's customer,
    and the whole journey is billed (before, C001 paid the fare and the night)."""
    hotel = _hotel_at("C006")
    plan, problem = build(
        route("E2", NOV, ["C001"], end=hotel),
        lasting(route("E2", NOV4, ["C006"], start=hotel), 5),
    )
    out, back = plan_trips(plan, problem, POLICY)
    city_round = plan_trips(*build(route("E2", NOV, ["C001"])), POLICY)[0].total
    lines = [x for t in (out, back) for x in trip_lines(t).lines]
    paid = {c: sum(x.amount for x in lines if x.customer_id == c) for c in ("C001", "C006")}
    assert 0 < paid["C001"] <= city_round < 30
    assert paid["C001"] + paid["C006"] == out.total + back.total
    assert {x.request_refs for x in lines if x.customer_id == "C001"} == {("R-C001-1103",)}


def test_a_weekend_at_the_hotel_inside_a_training_is_billed_night_by_night():
    """POLICY.md 5, lodging per night away and an allowance per day away: a training in
    Hangzhou on Friday and Monday by an engineer who cannot go home in between sleeps
    there Friday, Saturday and Sunday. Friday's trip bills three nights and three
    allowances, Monday's the way home and one; the customer pays all of it."""
    friday, monday = date(2026, 11, 6), date(2026, 11, 9)
    hotel = _hotel_at("C006")
    plan, problem = build(
        lasting(route("E2", friday, ["C006"], end=hotel), 5),
        lasting(route("E2", monday, ["C006"], start=hotel), 5),
    )
    out, back = plan_trips(plan, problem, POLICY)
    assert (_items(out)["lodging"].quantity, _items(out)["allowance"].quantity) == (3, 3)
    assert "lodging" not in _items(back) and _items(back)["allowance"].quantity == 1
    lines = [x for t in (out, back) for x in trip_lines(t).lines]
    assert {x.customer_id for x in lines} == {"C006"}
    assert sum(x.amount for x in lines) == out.total + back.total
    assert not any(trip_lines(t).capped or trip_lines(t).unallocated for t in (out, back))


def test_the_standalone_journey_has_a_night_only_when_the_return_does_not_fit():
    """One-hour visit in Suzhou: a day trip fits, so the stand-alone journey is a round
    trip with one allowance; a six-hour one does not fit: a night and two allowances."""
    hotel = _hotel_at("C004")
    short = build(route("E2", NOV, ["C004"], end=hotel), route("E2", NOV4, [], start=hotel))
    long = build(
        lasting(route("E2", NOV, ["C004"], end=hotel), 6), route("E2", NOV4, [], start=hotel)
    )
    way = km_decimal(km(HOME_AT, _at("C004")))
    (_, back_short), (_, back_long) = (plan_trips(p, q, POLICY) for p, q in (short, long))
    # each stand-alone day is rounded on its own, as the journey's own days are
    day_trip = money(2 * way * Decimal("0.52")) + Decimal("120.00")
    with_night = 2 * money(way * Decimal("0.52")) + Decimal("400.00") + Decimal("240.00")
    assert dict(back_short.standalone)["C004"] == day_trip
    assert dict(back_long.standalone)["C004"] == with_night


def test_journey_split_does_not_depend_on_the_order_of_routes_or_visits():
    """The same journey given in another order bills the same lines."""
    plan, problem = _journey_plan()
    shuffled = replace(plan, routes=plan.routes[::-1], visits=plan.visits[::-1])
    assert [trip_lines(t).lines for t in plan_trips(plan, problem, POLICY)] == [
        trip_lines(t).lines for t in plan_trips(shuffled, problem, POLICY)
    ]


def test_a_journey_with_no_customer_bills_nothing_and_reports_it_unallocated():
    """Home -> hotel -> home with no visit at all serves nobody: its cost stays visible as
    unallocated, never billed to a customer of another journey."""
    hotel = _hotel_at("C004")
    plan, problem = build(route("E1", NOV, [], end=hotel), route("E1", NOV4, [], start=hotel))
    trips = plan_trips(plan, problem, POLICY)
    assert len(trips) == 2
    for trip in trips:
        lines = trip_lines(trip)
        assert lines.lines == () and lines.unallocated == trip.total > 0 and lines.capped


def test_a_travel_day_out_to_the_hotel_the_evening_before_is_billed_too():
    """Day 1 home -> hotel (no visit), day 2 hotel -> customer -> home: day 1 is the
    customer's; the hotel must be the one day 2 starts from."""
    hotel = _hotel_at("C006")
    plan, problem = build(route("E1", NOV, [], end=hotel), route("E1", NOV4, ["C006"], start=hotel))
    first, _ = plan_trips(plan, problem, POLICY)
    assert first.travel_only and {c for c in first.customers} == {"C006"}
    other = Place("hotel", hotel.lat + 0.5, hotel.lon, "elsewhere")
    plan2, _ = build(route("E1", NOV, [], end=other), route("E1", NOV4, ["C006"], start=hotel))
    first2, _ = plan_trips(plan2, problem, POLICY)
    assert first2.customers == () and first2.journey_id == ""
