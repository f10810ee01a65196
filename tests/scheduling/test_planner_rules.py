"""The planner's travel-cost term prices every arc exactly as finance bills the leg."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.cost_legs import LegEnd, km_decimal, leg_billing, leg_zone
from scheduling.model import Zone
from scheduling.planner_rules import travel_cost
from scheduling.policy import load_policy

POLICY = load_policy()
DAY = date(2026, 11, 30)

ends = st.builds(
    LegEnd,
    zone=st.sampled_from(list(Zone)),
    city=st.sampled_from(["Shanghai", " shanghai", "Nanjing", "Suzhou"]),
    customer=st.booleans(),
)


def billed(a: LegEnd, b: LegEnd, km: float) -> Decimal:
    """What finance bills for the leg (scheduling.costs), in yuan."""
    zones = (a.zone, b.zone) if a.customer and b.customer else (leg_zone(a.zone, b.zone),)
    _, cost, _ = leg_billing(zones, km_decimal(km), a.city, b.city, POLICY.costs.rates_on(DAY))
    return cost


@settings(max_examples=60, deadline=None)
@given(
    st.lists(ends, min_size=2, max_size=6),
    st.lists(st.floats(min_value=0, max_value=900, allow_nan=False), min_size=36, max_size=36),
)
def test_arc_cost_is_the_billed_leg(nodes, distances):
    n = len(nodes)
    km = np.array(distances[: n * n]).reshape(n, n)
    cost = travel_cost(km, nodes, POLICY, DAY)
    per_yuan = POLICY.planner.weights.travel_cost_per_yuan
    for i in range(n):
        for j in range(n):
            expected = billed(nodes[i], nodes[j], float(km[i, j])) * per_yuan
            # whole objective units from unrounded km; billing rounds km to the metre
            assert abs(Decimal(int(cost[i, j])) - expected) <= 1


def test_a_leg_between_two_cities_costs_the_rail_rate_and_inside_one_the_taxi_rate():
    rates = POLICY.costs.rates_on(DAY)
    home = LegEnd(Zone.CITY, "Shanghai")
    nanjing = LegEnd(Zone.OUT_OF_TOWN, "Nanjing", customer=True)
    hotel = LegEnd(Zone.OUT_OF_TOWN, "Nanjing")
    km = np.array([[0.0, 300.0, 0.0], [300.0, 0.0, 5.0], [0.0, 5.0, 0.0]])
    cost = travel_cost(km, [home, nanjing, hotel], POLICY, DAY)
    per_yuan = POLICY.planner.weights.travel_cost_per_yuan
    assert cost[0, 1] == int(300 * rates.rail_per_km * per_yuan)
    assert cost[1, 2] == int(5 * rates.city_per_km * per_yuan)
