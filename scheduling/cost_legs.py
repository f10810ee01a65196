"""How one leg of a trip is billed (POLICY.md 5): its zone, its item and its rate.

A leg runs between two ends (:class:`LegEnd`: a start or end place, or a customer). Its
zone is the farther of its ends' (:func:`leg_zone`), except between two customers, where
either customer's zone may bill it and the cheaper does (:func:`leg_billing`). An
out-of-town leg between two cities is a fare (per km at the rail rate, or the fare table's
fare, :func:`load_fares`); inside one town, local car/taxi distance. Planner, finance and
itineraries all call these rules, so a leg is priced the same everywhere. Money is
`Decimal`, rounded once per item (:func:`money`); a distance crosses from float to Decimal
once (:func:`km_decimal`).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from scheduling.allocation import CENT
from scheduling.geo import haversine_km
from scheduling.model import Customer, Office, Place, Zone
from scheduling.policy import CostRates, Policy

ITEMS = ("distance", "fare", "lodging", "allowance")
DistanceFn = Callable[[float, float, float, float], float]


class CostError(ValueError):
    """A plan or a fare table that cannot be priced; the message says what and where."""


def money(value: Decimal) -> Decimal:
    """`value` rounded to the cent, half up (the rounding of every cost item)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def km_decimal(km: float) -> Decimal:
    """A float distance as an exact Decimal to the metre; the one float->Decimal crossing."""
    if km < 0 or km != km:
        raise CostError(f"a distance must be a non-negative number of km, got {km!r}")
    return Decimal(str(round(km, 3)))


# --- fare table ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FareTable:
    """Inter-city fares, the same in both directions: {frozenset({city_a, city_b}): fare}."""

    fares: Mapping[frozenset[str], Decimal]

    def fare(self, from_city: str, to_city: str) -> Decimal | None:
        """The fare between two cities (names compared as :func:`same_city` does), or None
        when the table does not know the pair."""
        return self.fares.get(frozenset((city_key(from_city), city_key(to_city))))


def city_key(name: str) -> str:
    """A city name as compared everywhere: trimmed, case-insensitive."""
    return name.strip().casefold()


def same_city(a: str, b: str) -> bool:
    """True when two city names are the same place (trimmed, case-insensitive), as
    `scheduling.zones` and the itineraries' travel modes compare them."""
    return city_key(a) == city_key(b)


def load_fares(path: str | os.PathLike[str]) -> FareTable:
    """Read `fares.csv` (UTF-8, with or without BOM): columns from_city, to_city, fare.

    Raises CostError naming the file, row, column and value of a bad row.
    """
    file = Path(path)
    fares: dict[frozenset[str], Decimal] = {}
    with file.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"from_city", "to_city", "fare"} - set(reader.fieldnames or ())
        if missing:
            raise CostError(f"{file}: missing column(s) {sorted(missing)}")
        for number, row in enumerate(reader, start=2):
            a, b, raw = row["from_city"].strip(), row["to_city"].strip(), row["fare"].strip()
            if not a or not b:
                raise CostError(f"{file} row {number}: from_city and to_city must be filled")
            try:
                fare = Decimal(raw)
            except InvalidOperation:
                raise CostError(
                    f"{file} row {number} column fare: {raw!r} is not a decimal amount"
                ) from None
            if fare < 0 or money(fare) != fare:
                raise CostError(
                    f"{file} row {number} column fare: {raw!r} must be >= 0 with 2 decimals"
                )
            fares[frozenset((city_key(a), city_key(b)))] = fare
    return FareTable(fares)


def road_km(policy: Policy) -> DistanceFn:
    """The default distance of a stand-alone leg: great-circle km x the planner's detour."""
    factor = policy.planner.detour_factor

    def distance(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
        return haversine_km(lat1, lon1, lat2, lon2) * factor

    return distance


@dataclass(frozen=True, slots=True)
class Leg:
    """A leg ready to price: exact km, the zones it may be billed in, its two cities."""

    km: Decimal
    zones: tuple[Zone, ...]  # the zones it may be billed in; the cheaper one is billed
    from_city: str
    to_city: str


@dataclass(frozen=True, slots=True)
class LegEnd:
    """One end of a leg as billing sees it: its zone, its city, and whether it is a
    customer (a leg between two customers may be billed in either one's zone)."""

    zone: Zone
    city: str
    customer: bool = False


_ZONE_ORDER = (Zone.CITY, Zone.SUBURBAN, Zone.OUT_OF_TOWN)


def leg_zone(a: Zone, b: Zone) -> Zone:
    """The zone a leg is priced in: the farther of its two ends (city < suburban < out of
    town). Symmetric, so a road costs the same both ways."""
    return max(a, b, key=_ZONE_ORDER.index)


def leg_item(a: Zone, b: Zone, city_a: str, city_b: str) -> tuple[str, str]:
    """The (item, tag) a leg between two ends is billed as (POLICY.md 5).

    Out of town between two cities: ``("fare", "rail")`` (or the fare table); out of town
    inside one town (hotel -> customer there): local ``("distance", "city")``; suburban:
    ``("distance", "suburban")``; else ``("distance", "city")``.
    """
    zone = leg_zone(a, b)
    if zone is Zone.OUT_OF_TOWN:
        return ("distance", "city") if same_city(city_a, city_b) else ("fare", "rail")
    return ("distance", zone.value)


def per_km_rates(rates: CostRates) -> dict[tuple[str, str], Decimal]:
    """The per-km rate of each (item, tag) a leg can be billed as."""
    return {
        ("distance", "city"): rates.city_per_km,
        ("distance", "suburban"): rates.suburban_per_km,
        ("fare", "rail"): rates.rail_per_km,
    }


def leg_billing(
    zones: tuple[Zone, ...],
    km: Decimal,
    city_a: str,
    city_b: str,
    rates: CostRates,
    fares: FareTable | None = None,
) -> tuple[tuple[str, str], Decimal, Decimal | None]:
    """How a leg is billed: ((item, tag), cost, table fare or None), the cheapest of `zones`.

    A leg between two customers may be billed in either customer's zone and is billed in
    the cheaper: city -> suburban customer at the city rate, out-of-town <-> city customer
    as an inter-city fare. That choice is what makes one trip never cost more than the
    customers' stand-alone trips (POLICY.md 5): each leg between customers is then at most
    the way back from one plus the way out to the other, each at that customer's own rate.
    A leg from or to the start or end place has one zone, :func:`leg_zone` of its ends.
    Ties go to the first item in ITEMS order, so the choice never depends on stop order.
    """
    per_km = per_km_rates(rates)
    options = []
    for zone in zones:
        key = leg_item(zone, zone, city_a, city_b)
        table = (
            fares.fare(city_a, city_b) if fares is not None and key == ("fare", "rail") else None
        )
        if table is not None:
            options.append((table, ("fare", "table"), table))
        else:
            options.append((km * per_km[key], key, None))
    cost, key, table = min(options, key=lambda o: (o[0], ITEMS.index(o[1][0]), o[1][1]))
    return key, cost, table


def place_end(place: Place, city: str, home_city: str) -> LegEnd:
    """A start or end place (home, office, hotel in `city`) as a leg end: a hotel in another
    city than the engineer's office (`home_city`) is out of town, anything else city."""
    if place.kind == "hotel" and not same_city(city, home_city):
        return LegEnd(Zone.OUT_OF_TOWN, city.strip())
    return LegEnd(Zone.CITY, city.strip())


def customer_end(zone: Zone, city: str) -> LegEnd:
    """A customer of `zone` in `city` as a leg end."""
    return LegEnd(zone, city.strip(), customer=True)


def leg_of(km: float, a: LegEnd, b: LegEnd) -> Leg:
    """The leg of `km` from `a` to `b`: between two customers billable in either one's
    zone, else in the farther zone of its ends."""
    between_customers = a.customer and b.customer  # either zone may bill it: the cheaper does
    zones = (a.zone, b.zone) if between_customers else (leg_zone(a.zone, b.zone),)
    return Leg(km_decimal(km), zones, a.city, b.city)


def billed_leg(
    a: LegEnd, b: LegEnd, km: float, rates: CostRates, fares: FareTable | None = None
) -> tuple[str, str]:
    """The (item, tag) a leg of `km` from `a` to `b` is billed as: the one rule finance bills
    and itineraries tell the engineer (``fare`` = rail/inter-city, ``distance`` = car/taxi).
    """
    leg = leg_of(km, a, b)
    key, _, _ = leg_billing(leg.zones, leg.km, leg.from_city, leg.to_city, rates, fares)
    return key


def place_city(
    place: Place, home_city: str, customers: Iterable[Customer], offices: Iterable[Office]
) -> str:
    """The city of a start or end place: a hotel is in the town of the nearest known place
    (customer or office; the planner books it next to the out-of-town work), home and office
    in the engineer's office city (`home_city`)."""
    if place.kind != "hotel":
        return home_city
    known = [(c.lat, c.lon, c.city, c.customer_id) for c in customers]
    known += [(o.lat, o.lon, o.city, o.office_id) for o in offices]
    nearest = min(
        known,
        key=lambda k: (haversine_km(place.lat, place.lon, k[0], k[1]), k[3]),
        default=None,
    )
    return nearest[2].strip() if nearest is not None else home_city
