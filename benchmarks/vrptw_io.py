"""Solomon-format VRPTW instances: parser, integer scaling for the routing core, checker.

Conventions follow the Solomon set (see the data folder's README): Euclidean distances in
double precision, travel time = distance, a window bounds the *start* of service, vehicles
leave the depot at time >= 0 and return by the depot's due date.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Instance", "check_routes", "parse_solomon", "route_distance", "to_routing_data"]


@dataclass(frozen=True)
class Instance:
    """A Solomon VRPTW instance; node 0 is the depot."""

    name: str
    vehicles: int
    capacity: int
    x: np.ndarray
    y: np.ndarray
    demand: np.ndarray
    ready: np.ndarray
    due: np.ndarray
    service: np.ndarray

    @property
    def size(self) -> int:
        """Number of nodes, depot included."""
        return len(self.x)

    def distances(self) -> np.ndarray:
        """Euclidean distance matrix in double precision."""
        dx = self.x[:, None] - self.x[None, :]
        dy = self.y[:, None] - self.y[None, :]
        return np.sqrt(dx * dx + dy * dy)


def parse_solomon(path: str | Path) -> Instance:
    """Parse a Solomon text file; raise ``ValueError`` naming file, line and value when malformed.

    Rows are split on whitespace (column positions differ between copies of the set).
    """
    path = Path(path)
    lines = path.read_text().splitlines()
    name = next((ln.strip() for ln in lines if ln.strip()), "")
    vehicles = capacity = None
    rows: list[list[float]] = []
    section = None
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        upper = line.upper()
        if upper.startswith("VEHICLE"):
            section = "vehicle"
            continue
        if upper.startswith("CUSTOMER"):
            section = "customer"
            continue
        parts = line.split()
        if not parts or not _is_number(parts[0]):
            continue
        try:
            values = [float(p) for p in parts]
        except ValueError:
            raise ValueError(f"{path}:{lineno}: not a number in {line!r}") from None
        if section == "vehicle" and vehicles is None:
            if len(values) != 2:
                raise ValueError(
                    f"{path}:{lineno}: VEHICLE row needs NUMBER CAPACITY, got {line!r}"
                )
            vehicles, capacity = int(values[0]), int(values[1])
        elif section == "customer":
            if len(values) != 7:
                raise ValueError(
                    f"{path}:{lineno}: customer row needs 7 numbers, got {len(values)}: {line!r}"
                )
            if int(values[0]) != len(rows):
                raise ValueError(
                    f"{path}:{lineno}: customer number {int(values[0])}, expected {len(rows)}"
                )
            rows.append(values)
    if vehicles is None:
        raise ValueError(f"{path}: no VEHICLE block (NUMBER CAPACITY)")
    if len(rows) < 2:
        raise ValueError(f"{path}: no CUSTOMER rows")
    a = np.array(rows)
    return Instance(
        name=name,
        vehicles=vehicles,
        capacity=capacity,
        x=a[:, 1],
        y=a[:, 2],
        demand=a[:, 3].astype(int),
        ready=a[:, 4],
        due=a[:, 5],
        service=a[:, 6],
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_routing_data(
    inst: Instance, scale: int = 1000, vehicles: int | None = None, fixed_cost: int = 0
):
    """The instance as integer ``RoutingData`` with times and costs multiplied by ``scale``.

    Travel times are rounded *up* so every route feasible in integers is feasible in double
    precision; arc costs are rounded to nearest. Windows and service times of the Solomon
    set are integers, so they scale exactly.
    """
    from scheduling.routing import RoutingData

    d = inst.distances() * scale
    time = np.ceil(d - 1e-9).astype(np.int64)
    cost = np.rint(d).astype(np.int64)
    m = vehicles or inst.vehicles
    horizon = round(inst.due[0] * scale)
    return RoutingData(
        time=time,
        cost=cost,
        service=[round(s * scale) for s in inst.service],
        windows=[
            (round(r * scale), round(u * scale)) for r, u in zip(inst.ready, inst.due, strict=True)
        ],
        starts=[0] * m,
        ends=[0] * m,
        vehicle_windows=[(0, horizon)] * m,
        horizon=horizon,
        demand=[int(q) for q in inst.demand],
        capacity=[inst.capacity] * m,
        vehicle_fixed_cost=fixed_cost,
    )


def route_distance(inst: Instance, routes: list[list[int]]) -> float:
    """Total Euclidean length of the routes (depot to depot) in double precision."""
    d = inst.distances()
    total = 0.0
    for r in routes:
        if not r:
            continue
        path = [0, *r, 0]
        total += sum(d[a, b] for a, b in itertools.pairwise(path))
    return total


def check_routes(inst: Instance, routes: list[list[int]], eps: float = 1e-9) -> list[str]:
    """Every violation of the Solomon rules by ``routes`` in double precision (empty = feasible).

    Checks: each customer served exactly once, load <= capacity, service starts by the due
    date (waiting allowed), return to the depot by its due date, at most the fleet size.
    """
    d = inst.distances()
    errors: list[str] = []
    seen: dict[int, int] = {}
    used = [r for r in routes if r]
    if len(used) > inst.vehicles:
        errors.append(f"{len(used)} routes > fleet {inst.vehicles}")
    for k, r in enumerate(routes):
        if not r:
            continue
        load = sum(int(inst.demand[c]) for c in r)
        if load > inst.capacity:
            errors.append(f"route {k}: load {load} > capacity {inst.capacity}")
        t = 0.0
        prev = 0
        for c in r:
            if not 1 <= c < inst.size:
                errors.append(f"route {k}: unknown customer {c}")
                break
            if c in seen:
                errors.append(f"customer {c} on routes {seen[c]} and {k}")
            seen[c] = k
            t = max(t + d[prev, c], inst.ready[c])
            if t > inst.due[c] + eps:
                errors.append(f"route {k}: customer {c} starts at {t:.4f} > due {inst.due[c]:g}")
            t += inst.service[c]
            prev = c
        t += d[prev, 0]
        if t > inst.due[0] + eps:
            errors.append(f"route {k}: back at depot at {t:.4f} > {inst.due[0]:g}")
    missing = sorted(set(range(1, inst.size)) - set(seen))
    if missing:
        errors.append(f"customers not served: {missing[:10]}{'...' if len(missing) > 10 else ''}")
    return errors
