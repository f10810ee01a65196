"""Zone of a customer and its serving office (POLICY.md 4)."""

from dataclasses import replace
from datetime import date

import pytest

from scheduling.model import Customer, Level, Office, Zone
from scheduling.policy import load_policy
from scheduling.zones import derive_zone, serving_office, zone_of

POLICY = load_policy()
SH = Office("SH", "Shanghai", "Shanghai", "CN", 31.2304, 121.4737)
HZ = Office("HZ", "Hangzhou", "Hangzhou", "CN", 30.2741, 120.1551)
CUSTOMER = Customer(
    "C1", "Hotel", "Shanghai", "", 31.2304, 121.4737, Level.A, True, date(2025, 1, 1), "9.00"
)


@pytest.mark.parametrize(
    ("same_city", "km", "zone"),
    [
        (True, 5, Zone.CITY),
        (True, 30, Zone.CITY),
        (True, 30.1, Zone.SUBURBAN),
        (True, 200, Zone.SUBURBAN),
        (False, 10, Zone.SUBURBAN),
        (False, 80, Zone.SUBURBAN),
        (False, 80.1, Zone.OUT_OF_TOWN),
    ],
)
def test_derived_zone_follows_city_and_distance(same_city, km, zone):
    """Same city and ≤30 km: city; same city or ≤80 km: suburban; else out of town."""
    assert derive_zone(same_city, km, POLICY) is zone


def test_explicit_zone_wins():
    """A zone on the customer record is used as is."""
    decision = zone_of(replace(CUSTOMER, zone=Zone.OUT_OF_TOWN), [SH, HZ], POLICY)
    assert decision.zone is Zone.OUT_OF_TOWN and not decision.derived


def test_nearest_office_serves_a_customer_without_office():
    """Without office_id the nearest office serves; a Hangzhou hotel is HZ's city customer."""
    customer = replace(CUSTOMER, city="hangzhou ", lat=30.26, lon=120.17)
    decision = zone_of(customer, [SH, HZ], POLICY)
    assert decision.office.office_id == "HZ"
    assert decision.zone is Zone.CITY  # city names compare without case and blanks


def test_named_office_serves_even_when_far():
    """A customer's own office serves it; Hangzhou from Shanghai is out of town."""
    customer = replace(CUSTOMER, city="Hangzhou", lat=30.26, lon=120.17, office_id="SH")
    decision = zone_of(customer, [SH, HZ], POLICY)
    assert decision.office.office_id == "SH"
    assert decision.zone is Zone.OUT_OF_TOWN
    assert 150 < decision.distance_km < 190


def test_unknown_office_is_a_clear_error():
    """An office_id that is not an office names the customer and the value."""
    with pytest.raises(ValueError, match=r"C1.*'XX'"):
        serving_office(replace(CUSTOMER, office_id="XX"), [SH])
    with pytest.raises(ValueError, match="no offices"):
        serving_office(CUSTOMER, [])
