"""Zone of a customer relative to its serving office (POLICY.md 4).

Explicit on the customer record, else derived: same city as its serving office and within
`city_max_km` → city; same city or within `suburban_max_km` → suburban; else out of town.
The serving office is the customer's `office_id`, else the nearest office by great-circle
distance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scheduling.geo import haversine_km
from scheduling.model import Assessment, Customer, Office, Zone
from scheduling.policy import Policy


@dataclass(frozen=True, slots=True)
class ZoneDecision:
    """The zone of a customer, its serving office, the distance and how it was decided."""

    zone: Zone
    office: Office
    distance_km: float
    derived: bool  # False: taken from the customer record
    reason: str


def _same_city(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold() and bool(a.strip())


def serving_office(customer: Customer, offices: Sequence[Office]) -> Office:
    """The customer's own office when it names one, else the nearest office.

    Raises ValueError when the named office is unknown or there is no office at all.
    """
    if not offices:
        raise ValueError("no offices: cannot choose a serving office")
    if customer.office_id is not None:
        for office in offices:
            if office.office_id == customer.office_id:
                return office
        raise ValueError(
            f"customer {customer.customer_id}: office_id {customer.office_id!r} is not a known "
            f"office (known: {sorted(o.office_id for o in offices)})"
        )
    return min(
        offices,
        key=lambda o: (haversine_km(customer.lat, customer.lon, o.lat, o.lon), o.office_id),
    )


def derive_zone(same_city: bool, distance_km: float, policy: Policy) -> Zone:
    """POLICY.md 4: city (same city and ≤ city_max_km), suburban (same city or ≤
    suburban_max_km), else out of town."""
    if same_city and distance_km <= policy.zones.city_max_km:
        return Zone.CITY
    if same_city or distance_km <= policy.zones.suburban_max_km:
        return Zone.SUBURBAN
    return Zone.OUT_OF_TOWN


def zone_of(customer: Customer, offices: Sequence[Office], policy: Policy) -> ZoneDecision:
    """The zone and serving office of `customer` (explicit zone wins, else derived)."""
    office = serving_office(customer, offices)
    distance = haversine_km(customer.lat, customer.lon, office.lat, office.lon)
    if customer.zone is not None:
        return ZoneDecision(
            Zone(customer.zone), office, distance, False, "zone set on the customer record"
        )
    same = _same_city(customer.city, office.city)
    zone = derive_zone(same, distance, policy)
    where = "same city as" if same else "another city than"
    reason = f"{distance:.1f} km from office {office.office_id}, {where} it: {zone.value}"
    return ZoneDecision(zone, office, distance, True, reason)


def request_zone(
    assessment: Assessment | None, customer: Customer, offices: Sequence[Office], policy: Policy
) -> Zone:
    """The zone a request is served in: the one intake decided (its assessment), else the
    customer's own or derived one (:func:`zone_of`; raises ValueError as it does)."""
    if assessment is not None and assessment.zone is not None:
        return Zone(assessment.zone)
    return zone_of(customer, offices, policy).zone
