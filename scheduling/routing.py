"""A generic vehicle-routing core with time windows on OR-Tools' ``pywrapcp`` routing API.

Plain data in (:class:`RoutingData`, :class:`RoutingParams`), plain data out
(:class:`RoutingSolution`). The field planner and the Solomon benchmark both go through
this one code path; the planner may add its own constraints to the public ``routing``,
``manager`` and ``time_dimension`` attributes of :class:`RoutingCore` before ``solve``.

Determinism: OR-Tools' single-threaded search is deterministic for a given model and
parameters; only the time limit cuts it at a machine-dependent point. ``solution_limit``
stops after a fixed number of accepted solutions, which is reproducible on any machine (the
time limit then only acts as a safety net). The ``vroom`` first solution uses a fixed thread
count and exploration level, so it is deterministic too unless its own time slice cuts it.
"""

from __future__ import annotations

import time as _time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

# The share of a solve's budget that reading its start (and alternatives) may take.
READ_SHARE = 0.25

__all__ = [
    "NoSolution",
    "RoutingCore",
    "RoutingData",
    "RoutingParams",
    "RoutingSolution",
    "solve",
]


class NoSolution(RuntimeError):
    """Raised when no assignment serving every mandatory node was found in the budget."""


@dataclass(frozen=True)
class RoutingData:
    """A routing instance over nodes ``0..n-1``; vehicles start and end at given nodes.

    Times are integers in any unit (the same unit everywhere); costs are integers in
    objective units. ``windows`` bound the *start of service* at a node (hard).
    """

    time: np.ndarray  # (n, n) int travel time between nodes
    cost: np.ndarray  # (n, n) int arc cost in objective units
    service: Sequence[int]  # service time per node (0 for depots)
    windows: Sequence[tuple[int, int]]  # hard [earliest start, latest start] per node
    starts: Sequence[int]  # start node per vehicle
    ends: Sequence[int]  # end node per vehicle
    vehicle_windows: Sequence[tuple[int, int]]  # [earliest departure, latest return]
    horizon: int
    allowed_vehicles: Sequence[Sequence[int] | None] | None = None  # per node; None = any
    drop_penalty: Sequence[int | None] | None = None  # per node; None = mandatory
    soft_latest: Sequence[tuple[int, int] | None] | None = None  # (latest, penalty/unit)
    breaks: Sequence[Sequence[tuple[int, int, int]]] | None = None  # per vehicle
    # per node, the minutes of its service a break may not overlap (None: all of them; 0
    # lets a break fall inside the service, which then lasts the break longer)
    break_visit: Sequence[int] | None = None
    vehicle_fixed_cost: int | Sequence[int] = 0
    demand: Sequence[int] | None = None
    capacity: Sequence[int] | None = None
    span_cost_coefficient: int = 0  # per unit of route duration

    @property
    def num_nodes(self) -> int:
        """Number of nodes (depots included)."""
        return int(np.asarray(self.time).shape[0])

    @property
    def num_vehicles(self) -> int:
        """Number of vehicles."""
        return len(self.starts)


@dataclass(frozen=True)
class RoutingParams:
    """Search parameters: budget, seed, first-solution source and metaheuristic."""

    time_limit_s: float = 30.0
    seed: int = 0
    # "auto" (= OR-Tools parallel_cheapest_insertion, deterministic, always available),
    # "vroom" (pyvroom for ``vroom_share`` of the budget, then OR-Tools improves it; falls
    # back to "auto" when pyvroom is missing or its routes are infeasible), or any OR-Tools
    # FirstSolutionStrategy name in lower case ("savings", "path_cheapest_arc", ...).
    first_solution: str = "auto"
    metaheuristic: str = "guided_local_search"
    solution_limit: int | None = None  # deterministic stop (time limit as safety net)
    log_search: bool = False
    # Share of the budget given to VROOM when ``first_solution == "vroom"``.
    vroom_share: float = 0.3
    vroom_exploration_level: int = 5
    vroom_threads: int = 1
    gls_lambda: float | None = None  # guided_local_search_lambda_coefficient (None: default)


@dataclass(frozen=True)
class RoutingSolution:
    """The best solution found: routes per vehicle (start/end nodes excluded) and times."""

    routes: list[list[int]]
    start_times: dict[int, int]  # node -> service start
    departures: list[int]  # per vehicle
    returns: list[int]  # per vehicle
    dropped: list[int]
    objective: int
    status: str
    seconds: float
    breaks: list[list[tuple[int, int]]] = field(default_factory=list)  # (start, duration)
    first_solution_source: str = ""  # "initial_routes", "vroom" or the OR-Tools strategy


def _check_data(data: RoutingData) -> None:
    """Raise ``ValueError`` naming the field and value when the instance is malformed."""
    n = data.num_nodes
    for name in ("time", "cost"):
        shape = np.asarray(getattr(data, name)).shape
        if shape != (n, n):
            raise ValueError(f"RoutingData.{name}: shape {shape}, expected ({n}, {n})")
    for name in ("service", "windows"):
        if len(getattr(data, name)) != n:
            raise ValueError(
                f"RoutingData.{name}: {len(getattr(data, name))} entries for {n} nodes"
            )
    m = data.num_vehicles
    if m == 0:
        raise ValueError("RoutingData.starts: no vehicle")
    for name in ("ends", "vehicle_windows"):
        if len(getattr(data, name)) != m:
            raise ValueError(
                f"RoutingData.{name}: {len(getattr(data, name))} entries for {m} vehicles"
            )
    for node, (lo, hi) in enumerate(data.windows):
        if lo > hi:
            raise ValueError(f"RoutingData.windows[{node}]: earliest {lo} > latest {hi}")
    for v, (lo, hi) in enumerate(data.vehicle_windows):
        if lo > hi:
            raise ValueError(f"RoutingData.vehicle_windows[{v}]: departure {lo} > return {hi}")
    for name in ("allowed_vehicles", "drop_penalty", "soft_latest", "demand", "break_visit"):
        value = getattr(data, name)
        if value is not None and len(value) != n:
            raise ValueError(f"RoutingData.{name}: {len(value)} entries for {n} nodes")
    for name in ("breaks", "capacity"):
        value = getattr(data, name)
        if value is not None and len(value) != m:
            raise ValueError(f"RoutingData.{name}: {len(value)} entries for {m} vehicles")
    if (data.demand is None) != (data.capacity is None):
        raise ValueError("RoutingData.demand and RoutingData.capacity go together")


def _enum(enum_type, name: str, what: str) -> int:
    try:
        return enum_type.Value(name.upper())
    except ValueError:
        names = list(enum_type.keys())
        choices = ", ".join(k.lower() for k in names)
        raise ValueError(f"RoutingParams.{what}: unknown {name!r}; one of {choices}") from None


def _ortools_strategy(first_solution: str) -> str:
    """The OR-Tools first-solution strategy used for ``first_solution`` (or as fallback)."""
    if first_solution in ("auto", "vroom"):
        return "parallel_cheapest_insertion"
    return first_solution


class RoutingCore:
    """Builds the OR-Tools model for a :class:`RoutingData` and solves it.

    ``manager``, ``routing`` and ``time_dimension`` are public so callers can add their
    own constraints before :meth:`solve` (the model is closed on the first solve).
    """

    TIME = "Time"
    LOAD = "Load"

    def __init__(self, data: RoutingData, params: RoutingParams) -> None:
        _check_data(data)
        self.data = data
        self.params = params
        n, m = data.num_nodes, data.num_vehicles
        self._depots = set(data.starts) | set(data.ends)
        self.customers = [i for i in range(n) if i not in self._depots]
        self.manager = pywrapcp.RoutingIndexManager(n, m, list(data.starts), list(data.ends))
        self.routing = pywrapcp.RoutingModel(self.manager)
        routing, manager = self.routing, self.manager

        # Matrices are registered as C++ tables: Python transit callbacks would be called
        # millions of times by local search and dominate the run time.
        cost = np.asarray(data.cost, dtype=np.int64)
        self._cost_cb = routing.RegisterTransitMatrix(cost.tolist())
        routing.SetArcCostEvaluatorOfAllVehicles(self._cost_cb)
        fixed = data.vehicle_fixed_cost
        for v in range(m):
            f = fixed if isinstance(fixed, int) else fixed[v]
            if f:
                routing.SetFixedCostOfVehicle(int(f), v)

        service = np.asarray(data.service, dtype=np.int64)
        travel = np.asarray(data.time, dtype=np.int64)
        # Transit on arc i->j = service at i + travel i->j, so cumul(j) = start of service.
        transit = travel + service[:, None]
        self._time_cb = routing.RegisterTransitMatrix(transit.tolist())
        horizon = int(data.horizon)
        routing.AddDimension(self._time_cb, horizon, horizon, False, self.TIME)
        self.time_dimension = routing.GetDimensionOrDie(self.TIME)
        td = self.time_dimension

        for node in self.customers:
            lo, hi = data.windows[node]
            td.CumulVar(manager.NodeToIndex(node)).SetRange(int(lo), int(hi))
        for v in range(m):
            lo, hi = data.vehicle_windows[v]
            s_lo, s_hi = data.windows[data.starts[v]]
            e_lo, e_hi = data.windows[data.ends[v]]
            td.CumulVar(routing.Start(v)).SetRange(max(lo, s_lo), min(hi, s_hi))
            td.CumulVar(routing.End(v)).SetRange(max(lo, e_lo), min(hi, e_hi))
            # Services start as early as possible; the vehicle is back as early as it can.
            routing.AddVariableMinimizedByFinalizer(td.CumulVar(routing.End(v)))
        if data.span_cost_coefficient:
            td.SetSpanCostCoefficientForAllVehicles(int(data.span_cost_coefficient))

        if data.soft_latest is not None:
            for node, soft in enumerate(data.soft_latest):
                if soft is None or node in self._depots:
                    continue
                latest, penalty = soft
                td.SetCumulVarSoftUpperBound(manager.NodeToIndex(node), int(latest), int(penalty))

        if data.demand is not None:
            demand_cb = routing.RegisterUnaryTransitVector([int(d) for d in data.demand])
            routing.AddDimensionWithVehicleCapacity(
                demand_cb, 0, [int(c) for c in data.capacity], True, self.LOAD
            )

        if data.allowed_vehicles is not None:
            for node, allowed in enumerate(data.allowed_vehicles):
                if allowed is None or node in self._depots:
                    continue
                # SetAllowedVehiclesForIndex's absl::Span argument is not wrapped in 9.15;
                # restricting the vehicle variable is equivalent (-1 keeps "unperformed").
                optional = data.drop_penalty is not None and data.drop_penalty[node] is not None
                values = sorted({int(v) for v in allowed}) + ([-1] if optional else [])
                if not values:
                    raise ValueError(
                        f"RoutingData.allowed_vehicles[{node}]: empty for a mandatory node"
                    )
                routing.VehicleVar(manager.NodeToIndex(node)).SetValues(values)

        if data.drop_penalty is not None:
            for node, penalty in enumerate(data.drop_penalty):
                if penalty is None or node in self._depots:
                    continue
                routing.AddDisjunction([manager.NodeToIndex(node)], int(penalty))

        self._break_vars: list[list] = [[] for _ in range(m)]
        if data.breaks is not None:
            solver = routing.solver()
            visit = [0] * routing.Size()
            overlap = service if data.break_visit is None else data.break_visit
            for index in range(routing.Size()):
                if not routing.IsStart(index):
                    visit[index] = int(overlap[manager.IndexToNode(index)])
            for v, vbreaks in enumerate(data.breaks):
                intervals = [
                    solver.FixedDurationIntervalVar(
                        int(lo), int(hi), int(dur), False, f"break {v}.{k}"
                    )
                    for k, (lo, hi, dur) in enumerate(vbreaks)
                ]
                if intervals:
                    td.SetBreakIntervalsOfVehicle(intervals, v, visit)
                    self._break_vars[v] = intervals
                    for iv in intervals:
                        routing.AddIntervalToAssignment(iv)

    def node_index(self, node: int) -> int:
        """OR-Tools variable index of a (non-depot) node."""
        return self.manager.NodeToIndex(node)

    def search_parameters(self, time_limit_s: float | None = None):
        """The ``RoutingSearchParameters`` this core uses (first solution from OR-Tools)."""
        p = self.params
        sp = pywrapcp.DefaultRoutingSearchParameters()
        fs = _ortools_strategy(p.first_solution)
        sp.first_solution_strategy = _enum(
            routing_enums_pb2.FirstSolutionStrategy.Value, fs, "first_solution"
        )
        sp.local_search_metaheuristic = _enum(
            routing_enums_pb2.LocalSearchMetaheuristic.Value, p.metaheuristic, "metaheuristic"
        )
        limit = p.time_limit_s if time_limit_s is None else time_limit_s
        sp.time_limit.FromMilliseconds(max(1, int(limit * 1000)))
        if p.solution_limit is not None:
            sp.solution_limit = int(p.solution_limit)
        if p.gls_lambda is not None:
            sp.guided_local_search_lambda_coefficient = float(p.gls_lambda)
        ops = sp.local_search_operators
        true = 3  # BOOL_TRUE in OptionalBoolean
        ops.use_relocate_neighbors = true
        ops.use_cross_exchange = true
        ops.use_extended_swap_active = true
        sp.log_search = p.log_search
        return sp

    def solve(
        self,
        initial_routes: list[list[int]] | None = None,
        alternatives: Sequence[list[list[int]]] = (),
    ) -> RoutingSolution:
        """Solve and return the best solution found within the budget.

        ``initial_routes`` (per vehicle, nodes in order) warm-start the search when they
        are feasible; otherwise the configured first-solution strategy is used. Among
        ``alternatives`` (other candidate starts), the feasible one with the lowest
        objective is the start when it beats ``initial_routes``. Raises
        :class:`NoSolution` when no assignment was found at all.
        """
        t0 = _time.monotonic()
        p = self.params
        routing = self.routing
        fallback = _ortools_strategy(p.first_solution)
        source = fallback
        routing.solver().ReSeed(int(p.seed))
        budget = p.time_limit_s
        if initial_routes is not None:
            self._check_initial_routes(initial_routes)
            warm = "initial_routes"
        elif p.first_solution == "vroom":
            initial_routes = self._vroom_routes(budget * p.vroom_share)
            warm = "vroom"
        remaining = max(0.1, budget - (_time.monotonic() - t0))
        # Reading a start runs under the time limit the model is closed with, and on
        # large starts takes all of it (measured: 6.7 s of 6.7 s for 121 visits over
        # ~130 engineer-days) before the search gets its own limit again: the reads
        # get a share, and the search what is left of the budget after them.
        routing.CloseModelWithParameters(self.search_parameters(remaining * READ_SHARE))
        start = None
        if initial_routes is not None:
            routes = [[self.manager.NodeToIndex(n) for n in r] for r in initial_routes]
            routes += [[] for _ in range(self.data.num_vehicles - len(routes))]
            # None when the routes break a hard constraint: then fall back to OR-Tools.
            start = routing.ReadAssignmentFromRoutes(routes, True)
            if start is not None:
                source = warm
                if alternatives:  # the next read may reuse the returned assignment
                    start = routing.solver().Assignment(start)
        for index, candidate in enumerate(alternatives):
            routes = [[self.manager.NodeToIndex(n) for n in r] for r in candidate]
            routes += [[] for _ in range(self.data.num_vehicles - len(routes))]
            other = routing.ReadAssignmentFromRoutes(routes, True)
            if other is not None and (
                start is None or other.ObjectiveValue() < start.ObjectiveValue()
            ):
                start, source = routing.solver().Assignment(other), f"alternative {index + 1}"
        sp = self.search_parameters(max(0.1, budget - (_time.monotonic() - t0)))
        if start is not None:
            assignment = routing.SolveFromAssignmentWithParameters(start, sp)
        else:
            assignment = routing.SolveWithParameters(sp)
        if assignment is None:
            raise NoSolution(
                f"no solution serving every mandatory node within {budget:g} s "
                f"(status {self._status_name()}); give drop penalties or more time"
            )
        return self._extract(assignment, _time.monotonic() - t0, source)

    def _check_initial_routes(self, routes: list[list[int]]) -> None:
        """Refuse routes OR-Tools would abort on (depots, unknown or repeated nodes)."""
        if len(routes) > self.data.num_vehicles:
            raise ValueError(
                f"initial_routes: {len(routes)} routes for {self.data.num_vehicles} vehicles"
            )
        seen: set[int] = set()
        for v, route in enumerate(routes):
            for node in route:
                if not 0 <= node < self.data.num_nodes or node in self._depots:
                    raise ValueError(f"initial_routes[{v}]: {node} is not a visit node")
                if node in seen:
                    raise ValueError(f"initial_routes[{v}]: node {node} appears twice")
                seen.add(node)

    def _vroom_routes(self, seconds: float) -> list[list[int]] | None:
        """VROOM's routes for the model's data, or None when VROOM is missing or fails."""
        try:
            from scheduling.routing_vroom import vroom_routes

            return vroom_routes(
                self.data,
                timeout_s=max(0.1, seconds),
                exploration_level=self.params.vroom_exploration_level,
                threads=self.params.vroom_threads,
            )
        except Exception:  # any VROOM failure only costs the warm start (see source)
            return None

    def _status_name(self) -> str:
        status = self.routing.status()
        names = {
            0: "not_solved",
            1: "success",
            2: "partial_success_local_optimum_not_reached",
            3: "fail",
            4: "fail_timeout",
            5: "invalid",
            6: "infeasible",
            7: "optimal",
        }
        return names.get(status, str(status))

    def _extract(self, assignment, seconds: float, source: str) -> RoutingSolution:
        routing, manager, td = self.routing, self.manager, self.time_dimension
        routes: list[list[int]] = []
        start_times: dict[int, int] = {}
        departures: list[int] = []
        returns: list[int] = []
        visited: set[int] = set()
        for v in range(self.data.num_vehicles):
            index = routing.Start(v)
            departures.append(assignment.Value(td.CumulVar(index)))
            route: list[int] = []
            index = assignment.Value(routing.NextVar(index))
            while not routing.IsEnd(index):
                node = manager.IndexToNode(index)
                route.append(node)
                visited.add(node)
                start_times[node] = assignment.Value(td.CumulVar(index))
                index = assignment.Value(routing.NextVar(index))
            returns.append(assignment.Value(td.CumulVar(index)))
            routes.append(route)
        breaks: list[list[tuple[int, int]]] = []
        for v in range(self.data.num_vehicles):
            breaks.append(
                [
                    (assignment.StartValue(iv), assignment.DurationValue(iv))
                    for iv in self._break_vars[v]
                    if assignment.PerformedValue(iv)
                ]
            )
        dropped = [node for node in self.customers if node not in visited]
        return RoutingSolution(
            routes=routes,
            start_times=start_times,
            departures=departures,
            returns=returns,
            dropped=dropped,
            objective=int(assignment.ObjectiveValue()),
            status=self._status_name(),
            seconds=seconds,
            breaks=breaks,
            first_solution_source=source,
        )


def solve(
    data: RoutingData, params: RoutingParams, initial_routes: list[list[int]] | None = None
) -> RoutingSolution:
    """Build a :class:`RoutingCore` for ``data`` and return its best solution in the budget."""
    return RoutingCore(data, params).solve(initial_routes)
