"""Splitting a trip's cost over its customers: exact, capped by stand-alone cost, order-free."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.allocation import (
    JOURNEY_PROPORTIONAL_STANDALONE,
    PROPORTIONAL_STANDALONE,
    AllocationError,
    allocate,
    capped_largest_remainder,
    largest_remainder,
    split_items,
)
from scheduling.cost_lines import trip_lines
from scheduling.costs import plan_trips
from scheduling.model import Customer, Place, Zone
from scheduling.policy import load_policy
from tests.scheduling.costs_fixtures import BY_ID, HOME, build, hotel_near, route

CENT = Decimal("0.01")
POLICY = load_policy()

cents = st.integers(min_value=0, max_value=5_000_000).map(lambda c: Decimal(c) / 100)
customer_ids = st.text(alphabet="ABCDEFGHC0123456789", min_size=1, max_size=5)
standalones = st.dictionaries(customer_ids, cents, min_size=1, max_size=8)


def _total_not_above(data, sa: dict[str, Decimal]) -> Decimal:
    ceiling = int(sum(sa.values()) * 100)
    return Decimal(data.draw(st.integers(min_value=0, max_value=ceiling))) / 100


@given(sa=standalones, data=st.data())
def test_parts_add_up_to_the_trip_cost_to_the_cent(sa, data):
    """The customers' parts add up exactly to the trip cost (POLICY.md 5)."""
    total = _total_not_above(data, sa)
    result = allocate(total, sa)
    assert sum(a for _, a in result.amounts) == total
    assert result.unallocated == 0 and not result.capped
    assert all(a == a.quantize(CENT) for _, a in result.amounts)


@given(sa=standalones, data=st.data())
def test_nobody_pays_more_than_its_standalone_trip(sa, data):
    """No customer pays more than a trip made for it alone would have cost (POLICY.md 5)."""
    total = _total_not_above(data, sa)
    result = allocate(total, sa)
    for customer, amount in result.amounts:
        assert Decimal(0) <= amount <= sa[customer]


@given(sa=standalones, data=st.data(), seed=st.integers(0, 1000))
def test_split_does_not_depend_on_the_order_of_customers(sa, data, seed):
    """Listing the customers in another order gives the same split."""
    total = _total_not_above(data, sa)
    items = list(sa.items())
    random.Random(seed).shuffle(items)
    assert allocate(total, dict(items)) == allocate(total, sa)


@given(sa=standalones, excess=st.integers(1, 100_000))
def test_a_degenerate_trip_is_capped_and_says_so(sa, excess):
    """A trip dearer than its stand-alone trips bills each its stand-alone cost, flags the rest."""
    total = sum(sa.values()) + Decimal(excess) / 100
    result = allocate(total, sa)
    assert result.capped
    assert dict(result.amounts) == sa
    assert result.unallocated == total - sum(sa.values())


@given(sa=standalones, data=st.data())
def test_uncapped_split_bills_everything(sa, data):
    """Without the cap (actual expenses) the whole total is billed in the same proportions."""
    total = Decimal(data.draw(st.integers(0, 10_000_000))) / 100
    result = allocate(total, sa, cap=False)
    assert sum(a for _, a in result.amounts) == total


def test_remainder_cents_go_to_largest_remainders_then_smaller_id():
    """Three equal customers share 1.00 as 0.34/0.33/0.33, the extra cent to the first id."""
    result = allocate(Decimal("1.00"), {"C2": Decimal(5), "C1": Decimal(5), "C3": Decimal(5)})
    assert result.amounts == (
        ("C1", Decimal("0.34")),
        ("C2", Decimal("0.33")),
        ("C3", Decimal("0.33")),
    )
    assert result.method == PROPORTIONAL_STANDALONE


def test_bad_inputs_are_refused_with_a_reason():
    """Sub-cent, negative and unknown-method inputs raise AllocationError naming the value."""
    with pytest.raises(AllocationError, match="two decimal places"):
        allocate(Decimal("1.005"), {"C1": Decimal(1)})
    with pytest.raises(AllocationError, match="negative"):
        allocate(Decimal("1.00"), {"C1": Decimal(-1)})
    with pytest.raises(AllocationError, match="unknown allocation method"):
        allocate(Decimal("1.00"), {"C1": Decimal(1)}, method="equal")
    with pytest.raises(AllocationError, match="no customer"):
        allocate(Decimal("1.00"), {})


@given(total=st.integers(0, 10**9), weights=st.dictionaries(customer_ids, st.integers(0, 10**6)))
def test_largest_remainder_is_exact_and_within_one_unit(total, weights):
    """Largest remainder hands out exactly the total, each part within one unit of its quota."""
    if not weights:
        return
    parts = largest_remainder(total, weights)
    assert sum(parts.values()) == total
    weight_sum = sum(weights.values()) or len(weights)
    for key, part in parts.items():
        quota = total * (weights[key] if sum(weights.values()) else 1)
        assert abs(part * weight_sum - quota) < weight_sum


@given(
    rows=st.dictionaries(customer_ids, st.integers(0, 100_000), min_size=1, max_size=6),
    item_weights=st.lists(st.integers(0, 100_000), min_size=1, max_size=5),
)
def test_items_split_exactly_in_both_directions(rows, item_weights):
    """Each customer's lines add up to its part and each item's lines to the item's amount."""
    total = sum(rows.values())
    keys = [f"i{n}" for n in range(len(item_weights))]
    cols = largest_remainder(total, dict(zip(keys, item_weights, strict=True)))
    cells = split_items(
        {c: Decimal(v) / 100 for c, v in rows.items()},
        {k: Decimal(v) / 100 for k, v in cols.items()},
    )
    for c, v in rows.items():
        assert sum(cells[c, k] for k in keys) == Decimal(v) / 100
    for k, v in cols.items():
        assert sum(cells[c, k] for c in rows) == Decimal(v) / 100
    for (c, k), amount in cells.items():
        ideal = Decimal(rows[c]) * Decimal(cols[k]) / Decimal(total) / 100 if total else 0
        assert abs(amount - ideal) <= CENT


# --- on random trips ------------------------------------------------------------------


trip_stops = st.lists(st.sampled_from(sorted(BY_ID)), min_size=1, max_size=6, unique=True)
ends = st.sampled_from(["home", "hotel"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stops=trip_stops, end=ends, start_hotel=st.booleans(), seed=st.integers(0, 10_000))
def test_random_trips_keep_every_allocation_promise(stops, end, start_hotel, seed):
    """On random trips of the fixtures (hotels included) no trip costs more than its
    stand-alone trips, the lines add up to the trip, nobody exceeds its stand-alone cost and
    reordering the stops (same trip cost) gives the same split."""
    start: Place = hotel_near(stops[0]) if start_hotel else HOME
    end_place: Place = hotel_near(stops[-1]) if end == "hotel" else HOME
    plan, problem = build(route("E1", date(2026, 11, 3), stops, start=start, end=end_place))
    (trip,) = plan_trips(plan, problem, POLICY)
    lines = trip_lines(trip)
    standalone = dict(trip.standalone)
    billed = sum(line.amount for line in lines.lines)
    assert trip.total <= sum(standalone.values()) and not lines.capped
    assert billed == trip.total
    for customer in trip.customers:
        paid = sum(line.amount for line in lines.lines if line.customer_id == customer)
        assert paid <= standalone[customer]
    for item in trip.items:
        column = sum(
            line.amount for line in lines.lines if line.tag == item.tag and line.item == item.item
        )
        assert column <= item.amount
    shuffled = list(trip.stops)
    random.Random(seed).shuffle(shuffled)
    reordered = type(trip)(**{**_fields(trip), "stops": tuple(shuffled)})
    assert trip_lines(reordered).lines == lines.lines


def _fields(trip) -> dict:
    return {name: getattr(trip, name) for name in trip.__dataclass_fields__}


def _customer(i: int, lat: float, lon: float, zone: Zone) -> Customer:
    # Out-of-town customers each in their own town, the others in the office's city.
    city = f"Town{i}" if zone is Zone.OUT_OF_TOWN else "Shanghai"
    return replace(BY_ID["C001"], customer_id=f"X{i:02d}", city=city, lat=lat, lon=lon, zone=zone)


random_customers = st.lists(
    st.tuples(
        st.floats(30.2, 32.2, allow_nan=False),
        st.floats(120.4, 122.4, allow_nan=False),
        st.sampled_from(list(Zone)),
    ),
    min_size=1,
    max_size=7,
)


@settings(max_examples=80, deadline=None)
@given(points=random_customers)
def test_a_round_trip_never_costs_more_than_its_standalone_trips(points):
    """Home -> any customers, any zones, any order -> home: the triangle inequality holds for
    the billed cost, so the split is never capped and bills the whole trip (POLICY.md 5)."""
    customers = tuple(_customer(i, lat, lon, zone) for i, (lat, lon, zone) in enumerate(points))
    by_id = {c.customer_id: c for c in customers}
    plan, problem = build(
        route("E1", date(2026, 11, 3), list(by_id), customers=by_id), customers=customers
    )
    (trip,) = plan_trips(plan, problem, POLICY)
    lines = trip_lines(trip)
    assert trip.total <= sum(v for _, v in trip.standalone)
    assert not lines.capped and sum(line.amount for line in lines.lines) == trip.total


# --- journeys: a day without visits split within each customer's cap -------------------


@given(sa=standalones, data=st.data(), seed=st.integers(0, 10_000))
def test_journey_split_is_exact_within_caps_and_order_free(sa, data, seed):
    """The journey method bills the whole travel day when the caps allow it, nobody above
    its cap (its stand-alone journey minus what it already pays), the same in any order;
    beyond the caps, everyone pays its cap and the rest is reported, never billed."""
    caps = {c: Decimal(data.draw(st.integers(0, int(v * 100)))) / 100 for c, v in sa.items()}
    total = Decimal(data.draw(st.integers(0, int(sum(sa.values()) * 100)))) / 100
    result = allocate(total, sa, JOURNEY_PROPORTIONAL_STANDALONE, caps=caps)
    amounts = dict(result.amounts)
    assert sum(amounts.values()) + result.unallocated == total
    assert all(amounts[c] <= caps[c] for c in sa)
    assert result.capped == (total > sum(caps.values()))
    if result.capped:
        assert amounts == caps
    keys = list(sa)
    random.Random(seed).shuffle(keys)
    again = allocate(
        total,
        {k: sa[k] for k in keys},
        JOURNEY_PROPORTIONAL_STANDALONE,
        caps={k: caps[k] for k in keys},
    )
    assert again == result


@given(
    weights=st.dictionaries(customer_ids, st.integers(0, 10_000), min_size=1, max_size=8),
    data=st.data(),
)
def test_capped_split_is_proportional_until_a_cap_binds(weights, data):
    """With caps that do not bind, the capped split is the plain largest-remainder split;
    a customer held at its cap never takes cents from those below theirs."""
    total = data.draw(st.integers(0, 100_000))
    loose = dict.fromkeys(weights, total)
    assert capped_largest_remainder(total, weights, loose) == largest_remainder(total, weights)
    caps = {k: data.draw(st.integers(0, total)) for k in weights}
    if total <= sum(caps.values()):
        parts = capped_largest_remainder(total, weights, caps)
        assert sum(parts.values()) == total and all(parts[k] <= caps[k] for k in weights)
        free = [k for k in weights if parts[k] < caps[k]]
        plain = largest_remainder(total, weights)
        assert all(parts[k] >= plain[k] - 1 for k in free)


def test_a_travel_day_with_room_nowhere_is_reported_not_billed():
    """All caps used up: nobody pays more, the travel day stays visible as unallocated."""
    sa = {"C1": Decimal("300.00"), "C2": Decimal("100.00")}
    caps = {"C1": Decimal("0.00"), "C2": Decimal("10.00")}
    result = allocate(Decimal("50.00"), sa, JOURNEY_PROPORTIONAL_STANDALONE, caps=caps)
    assert result.capped and dict(result.amounts) == caps
    assert result.unallocated == Decimal("40.00")
    with pytest.raises(AllocationError, match="caps"):
        allocate(Decimal("1.00"), sa, JOURNEY_PROPORTIONAL_STANDALONE, caps={"C1": CENT})
