"""Travel distances and times between places, behind one small interface.

The planner, the validator and the benchmarks ask a :class:`TravelProvider` for the road km
and whole minutes between points. Two providers ship:

- :class:`GreatCircleTravel` (default): great-circle km x ``planner.detour_factor``, driven
  at the policy's zone speeds. A leg's first ``zones.city_max_km`` road km go at the city
  speed, the km up to ``zones.suburban_max_km`` at the suburban speed and the rest at the
  inter-city speed (rail/road). Splitting one leg into speed bands, rather than giving the
  whole leg one speed by its length, keeps time increasing with distance and sub-additive,
  so the triangle inequality holds and a detour never looks faster than the direct leg.
- :class:`MatrixFileTravel`: a user-supplied CSV ``from_id,to_id,km,minutes`` (e.g. from a
  road-routing service), looked up by point id.

Minutes are whole minutes rounded up (an engineer never arrives before the model says).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from scheduling.geo import haversine_km, haversine_matrix_km
from scheduling.policy import Policy


@dataclass(frozen=True, slots=True)
class Point:
    """A place travel is measured between: an id (for matrix files) and WGS 84 degrees."""

    key: str
    lat: float
    lon: float


@runtime_checkable
class TravelProvider(Protocol):
    """Road distance (km) and travel time (whole minutes) between points."""

    def matrix(self, points: Sequence[Point]) -> tuple[np.ndarray, np.ndarray]:
        """All-pairs (km float array, minutes int array), both n x n, zero on the diagonal."""
        ...

    def leg(self, a: Point, b: Point) -> tuple[float, int]:
        """(km, minutes) from `a` to `b`."""
        ...


LEG_CACHE_SIZE = 2_000_000  # legs remembered per provider (~0.3 GB at most)


class GreatCircleTravel:
    """Great-circle distance x detour factor, timed at the policy's zone speeds."""

    def __init__(self, policy: Policy) -> None:
        self.detour = float(policy.planner.detour_factor)
        self.city_km = float(policy.zones.city_max_km)
        self.suburban_km = float(policy.zones.suburban_max_km)
        speeds = policy.planner.speed_kmh
        self.city_kmh = float(speeds.city)
        self.suburban_kmh = float(speeds.suburban)
        self.intercity_kmh = float(speeds.intercity)
        # The booking passes ask for the same few thousand legs a million times.
        self._legs: dict[tuple[float, float, float, float], tuple[float, int]] = {}

    def minutes_for_km(self, km: np.ndarray | float) -> np.ndarray:
        """Whole minutes (rounded up) to drive `km` road km through the speed bands."""
        km = np.asarray(km, dtype=float)
        city = np.minimum(km, self.city_km)
        suburban = np.clip(km - self.city_km, 0.0, self.suburban_km - self.city_km)
        intercity = np.maximum(km - self.suburban_km, 0.0)
        hours = city / self.city_kmh + suburban / self.suburban_kmh + intercity / self.intercity_kmh
        # A tiny epsilon keeps float noise (e.g. 60.0000001) from adding a whole minute.
        return np.ceil(hours * 60.0 - 1e-9).astype(np.int64)

    def matrix(self, points: Sequence[Point]) -> tuple[np.ndarray, np.ndarray]:
        """All-pairs road km and whole minutes between `points`."""
        if not points:
            return np.zeros((0, 0)), np.zeros((0, 0), dtype=np.int64)
        lats = np.array([p.lat for p in points], dtype=float)
        lons = np.array([p.lon for p in points], dtype=float)
        km = haversine_matrix_km(lats, lons) * self.detour
        np.fill_diagonal(km, 0.0)
        return km, self.minutes_for_km(km)

    def leg(self, a: Point, b: Point) -> tuple[float, int]:
        """Road km and whole minutes from `a` to `b`."""
        key = (a.lat, a.lon, b.lat, b.lon)
        known = self._legs.get(key)
        if known is not None:
            return known
        if (a.lat, a.lon) == (b.lat, b.lon):
            return 0.0, 0
        km = haversine_km(a.lat, a.lon, b.lat, b.lon) * self.detour
        if len(self._legs) >= LEG_CACHE_SIZE:
            self._legs.clear()
        known = self._legs[key] = (km, self._minutes_one(km))
        return known

    def _minutes_one(self, km: float) -> int:
        # minutes_for_km for one leg, in plain floats: the same operations in the same
        # order (so the same minutes as the matrix), without numpy's per-call overhead
        # (the booking passes ask for ~10^5 new legs at 2,000 requests).
        city = min(km, self.city_km)
        suburban = min(max(km - self.city_km, 0.0), self.suburban_km - self.city_km)
        intercity = max(km - self.suburban_km, 0.0)
        hours = city / self.city_kmh + suburban / self.suburban_kmh + intercity / self.intercity_kmh
        return math.ceil(hours * 60.0 - 1e-9)


class TravelMatrixError(ValueError):
    """A travel-matrix file that cannot be used; the message names file, row and value."""


class MatrixFileTravel:
    """Distances and times read from a CSV file ``from_id,to_id,km,minutes``.

    Point ids are the keys the planner gives places: engineers' homes ``home:<engineer_id>``,
    customers ``customer:<customer_id>``, hotels ``hotel:<label>``. A pair missing from the
    file falls back to its reverse (roads are taken as symmetric when only one way is given);
    a pair missing both ways is an error naming both ids.
    """

    COLUMNS = ("from_id", "to_id", "km", "minutes")

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.legs: dict[tuple[str, str], tuple[float, int]] = {}
        try:
            handle = self.path.open(encoding="utf-8-sig", newline="")
        except FileNotFoundError:
            raise TravelMatrixError(f"travel matrix file not found: {self.path}") from None
        with handle:
            reader = csv.DictReader(handle)
            missing = [c for c in self.COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise TravelMatrixError(
                    f"{self.path}: missing column(s) {missing}; "
                    f"expected header {','.join(self.COLUMNS)}"
                )
            for row_number, row in enumerate(reader, start=2):
                pair, value = self._parse(row, row_number)
                self.legs[pair] = value

    def _parse(
        self, row: dict[str, str], row_number: int
    ) -> tuple[tuple[str, str], tuple[float, int]]:
        a, b = (row["from_id"] or "").strip(), (row["to_id"] or "").strip()
        for column, value in (("from_id", a), ("to_id", b)):
            if not value:
                raise TravelMatrixError(f"{self.path}, row {row_number}, column {column}: empty id")
        try:
            km = float(row["km"])
        except (TypeError, ValueError):
            raise TravelMatrixError(
                f"{self.path}, row {row_number}, column km: {row['km']!r} is not a number"
            ) from None
        try:
            minutes = int(row["minutes"])
        except (TypeError, ValueError):
            raise TravelMatrixError(
                f"{self.path}, row {row_number}, column minutes: "
                f"{row['minutes']!r} is not a whole number"
            ) from None
        if not math.isfinite(km) or km < 0:
            raise TravelMatrixError(f"{self.path}, row {row_number}, column km: {km} must be >= 0")
        if minutes < 0:
            raise TravelMatrixError(
                f"{self.path}, row {row_number}, column minutes: {minutes} must be >= 0"
            )
        return (a, b), (km, minutes)

    def leg(self, a: Point, b: Point) -> tuple[float, int]:
        """Road km and minutes from `a` to `b` as given by the file."""
        if a.key == b.key or (a.lat, a.lon) == (b.lat, b.lon):
            return 0.0, 0
        found = self.legs.get((a.key, b.key)) or self.legs.get((b.key, a.key))
        if found is None:
            raise TravelMatrixError(f"{self.path}: no row from {a.key!r} to {b.key!r} (nor back)")
        return found

    def matrix(self, points: Sequence[Point]) -> tuple[np.ndarray, np.ndarray]:
        """All-pairs km and minutes between `points`, looked up in the file."""
        n = len(points)
        km = np.zeros((n, n))
        minutes = np.zeros((n, n), dtype=np.int64)
        for i, a in enumerate(points):
            for j, b in enumerate(points):
                if i != j:
                    km[i, j], minutes[i, j] = self.leg(a, b)
        return km, minutes
