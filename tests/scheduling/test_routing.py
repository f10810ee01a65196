"""The routing core on tiny instances whose optimum is known, and the Solomon parser."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.vrptw_io import check_routes, parse_solomon, route_distance, to_routing_data
from scheduling.routing import NoSolution, RoutingCore, RoutingData, RoutingParams, solve

DATA = Path(__file__).parent.parent / "data"
C101_25 = DATA / "solomon_c101_25.txt"
FAST = RoutingParams(time_limit_s=2.0, solution_limit=200)


def line(xs: list[int], **kwargs) -> RoutingData:
    """Nodes on a line at positions ``xs`` (node 0 the depot); time = cost = distance."""
    pos = np.array(xs)
    dist = np.abs(pos[:, None] - pos[None, :])
    n = len(xs)
    defaults = dict(
        time=dist,
        cost=dist,
        service=[0] * n,
        windows=[(0, 1000)] * n,
        starts=[0],
        ends=[0],
        vehicle_windows=[(0, 1000)],
        horizon=1000,
    )
    defaults.update(kwargs)
    return RoutingData(**defaults)


def test_single_vehicle_follows_windows():
    """A lone vehicle visits nodes in the only order the windows allow, waiting for ready times."""
    data = line([0, 10, 20, 30], windows=[(0, 1000), (100, 200), (40, 60), (0, 40)])
    sol = solve(data, FAST)
    assert sol.routes == [[3, 2, 1]]
    assert sol.start_times == {3: 30, 2: 40, 1: 100}
    assert sol.objective == 60
    assert sol.dropped == []


def test_node_served_only_by_allowed_vehicle():
    """A node that only vehicle 1 may serve goes to vehicle 1 even when vehicle 0 is next door."""
    data = line(
        [0, 50, 1, 49],
        starts=[0, 1],
        ends=[0, 1],
        vehicle_windows=[(0, 1000), (0, 1000)],
        allowed_vehicles=[None, None, [1], None],
    )
    sol = solve(data, FAST)
    assert 2 in sol.routes[1]
    assert 3 in sol.routes[1]  # cheaper for vehicle 1, as a check the model is not just forced
    # Without the restriction, the close vehicle takes node 2.
    free = solve(
        line([0, 50, 1, 49], starts=[0, 1], ends=[0, 1], vehicle_windows=[(0, 1000)] * 2), FAST
    )
    assert free.routes[0] == [2]


def test_unreachable_window_is_dropped_at_its_penalty():
    """An optional node whose window cannot be met is dropped and its penalty is the objective."""
    data = line(
        [0, 100, 5], windows=[(0, 1000), (0, 50), (0, 1000)], drop_penalty=[None, 1000, None]
    )
    sol = solve(data, FAST)
    assert sol.dropped == [1]
    assert sol.routes == [[2]]
    assert sol.objective == 10 + 1000


def test_unreachable_mandatory_node_raises():
    """A mandatory node whose window cannot be met gives a clear NoSolution, never a silent plan."""
    data = line([0, 100, 5], windows=[(0, 1000), (0, 50), (0, 1000)])
    with pytest.raises(NoSolution, match="mandatory"):
        solve(data, FAST)


def test_break_is_taken_inside_its_window_and_not_during_service():
    """A lunch break starts inside its window, lasts its duration and never overlaps a service."""
    data = line(
        [0, 5, 10],
        service=[0, 30, 30],
        windows=[(0, 1000), (0, 1000), (0, 1000)],
        breaks=[[(20, 40, 25)]],
    )
    sol = solve(data, FAST)
    assert sorted(sol.routes[0]) == [1, 2]
    [(b_start, b_dur)] = sol.breaks[0]
    assert 20 <= b_start <= 40 and b_dur == 25
    for node in (1, 2):
        s = sol.start_times[node]
        assert s + 30 <= b_start or b_start + b_dur <= s
    # Work 60 + travel 20 + break 25: the vehicle cannot be back before 105.
    assert sol.returns[0] - sol.departures[0] >= 105


def test_soft_latest_costs_penalty_times_lateness():
    """Starting past a soft latest start costs penalty x lateness; on time costs nothing."""
    late = line([0, 10], soft_latest=[None, (5, 7)])
    on_time = line([0, 10], soft_latest=[None, (10, 7)])
    assert solve(late, FAST).objective == 20 + 5 * 7
    assert solve(on_time, FAST).objective == 20


def test_solution_limit_makes_search_deterministic():
    """With a solution limit, two runs with the same input and seed give the same plan."""
    data = to_routing_data(parse_solomon(C101_25))
    params = RoutingParams(time_limit_s=30.0, solution_limit=100, seed=3)
    a, b = solve(data, params), solve(data, params)
    assert a.routes == b.routes and a.objective == b.objective and a.start_times == b.start_times


def test_solomon_fixture_reaches_known_optimum_and_is_feasible():
    """The first 25 customers of C101 reach their known optimum (191.81), feasibly."""
    inst = parse_solomon(C101_25)
    sol = solve(to_routing_data(inst), RoutingParams(time_limit_s=3.0))
    routes = [r for r in sol.routes if r]
    assert check_routes(inst, routes) == []
    assert route_distance(inst, routes) == pytest.approx(191.81, abs=0.01)


def test_initial_routes_warm_start_is_used():
    """Feasible initial routes seed the search, and the result is never worse than them."""
    inst = parse_solomon(C101_25)
    data = to_routing_data(inst)
    first = solve(data, RoutingParams(time_limit_s=1.0, metaheuristic="greedy_descent"))
    warm = solve(
        data, RoutingParams(time_limit_s=1.0, solution_limit=20), initial_routes=first.routes
    )
    assert warm.first_solution_source == "initial_routes"
    assert warm.objective <= first.objective


def test_infeasible_initial_routes_fall_back_to_first_solution():
    """Initial routes that break a window are ignored, and the search still returns a plan."""
    data = line([0, 10, 20, 30], windows=[(0, 1000), (100, 200), (40, 60), (0, 40)])
    sol = solve(data, FAST, initial_routes=[[1, 2, 3]])
    assert sol.first_solution_source == "parallel_cheapest_insertion"
    assert sol.routes == [[3, 2, 1]]


def test_vroom_first_solution_is_improved_and_feasible():
    """VROOM as first-solution source yields a feasible plan on the Solomon fixture."""
    inst = parse_solomon(C101_25)
    sol = solve(to_routing_data(inst), RoutingParams(time_limit_s=2.0, first_solution="vroom"))
    routes = [r for r in sol.routes if r]
    assert sol.first_solution_source == "vroom"
    assert check_routes(inst, routes) == []


def test_core_exposes_model_for_extra_constraints():
    """A caller can add a constraint on the public model before solving, and it holds."""
    data = line(
        [0, 10, 20],
        starts=[0, 0],
        ends=[0, 0],
        vehicle_windows=[(0, 1000)] * 2,
        vehicle_fixed_cost=0,
    )
    core = RoutingCore(data, FAST)
    # Force nodes 1 and 2 onto different vehicles.
    solver = core.routing.solver()
    solver.Add(
        core.routing.VehicleVar(core.node_index(1)) != core.routing.VehicleVar(core.node_index(2))
    )
    sol = core.solve()
    assert sorted(map(len, sol.routes)) == [1, 1]


def test_capacity_splits_routes():
    """Demand beyond one vehicle's capacity needs a second route."""
    data = line(
        [0, 10, 11],
        starts=[0, 0],
        ends=[0, 0],
        vehicle_windows=[(0, 1000)] * 2,
        demand=[0, 6, 6],
        capacity=[10, 10],
    )
    sol = solve(data, FAST)
    assert sorted(map(len, sol.routes)) == [1, 1]


def test_parser_reads_fixture():
    """The Solomon parser reads fleet, capacity and every customer row of the fixture."""
    inst = parse_solomon(C101_25)
    assert (inst.vehicles, inst.capacity, inst.size) == (25, 200, 26)
    assert (inst.ready[1], inst.due[1], inst.service[1], inst.demand[1]) == (912, 967, 90, 10)
    assert inst.due[0] == 1236


def test_parser_names_the_bad_line(tmp_path):
    """A customer row with a missing field is reported with file and line number."""
    bad = tmp_path / "bad.txt"
    text = C101_25.read_text().splitlines()
    text[10] = "    1       45         68         10        912        967"
    bad.write_text("\n".join(text))
    with pytest.raises(ValueError, match=r"bad.txt:11: customer row needs 7 numbers"):
        parse_solomon(bad)


def test_bad_shape_is_rejected():
    """A cost matrix of the wrong shape is refused with the field name."""
    with pytest.raises(ValueError, match=r"RoutingData\.cost"):
        RoutingCore(line([0, 1], cost=np.zeros((3, 3), dtype=int)), FAST)


def test_initial_routes_with_a_depot_are_refused():
    """Initial routes naming a depot or a node twice get a clear error, not a solver abort."""
    data = line([0, 10, 20])
    with pytest.raises(ValueError, match="not a visit node"):
        solve(data, FAST, initial_routes=[[0, 1]])
    with pytest.raises(ValueError, match="appears twice"):
        solve(data, FAST, initial_routes=[[1, 2, 1]])


def test_checker_flags_late_service_and_overload():
    """The independent checker reports a late start, an overload and a missed customer."""
    inst = parse_solomon(C101_25)
    everyone = list(range(1, inst.size))
    # One route with every customer: over capacity (460 > 200) and late almost everywhere.
    errors = check_routes(inst, [everyone])
    assert any("load" in e for e in errors)
    assert any("> due" in e for e in errors)
    assert any(
        "not served: [5]" in e for e in check_routes(inst, [[c] for c in everyone if c != 5])
    )


def test_family_of_instance_names():
    """Solomon instance names map to their six families."""
    from benchmarks.solomon import family

    assert [family(n) for n in ("C101", "C208", "R112", "R201", "RC105", "RC208")] == [
        "C1",
        "C2",
        "R1",
        "R2",
        "RC1",
        "RC2",
    ]


def test_the_cheaper_of_several_starts_is_the_one_searched_from():
    """Given a poor start and a better alternative (or the other way round), the search
    starts from the one with the lower objective, whichever argument it came in."""
    rng = np.random.default_rng(1)
    points = rng.uniform(0, 100, size=(12, 2))
    d = np.rint(np.linalg.norm(points[:, None] - points[None], axis=2)).astype(int)
    data = RoutingData(
        time=d,
        cost=d,
        service=[0] + [5] * 11,
        windows=[(0, 10_000)] * 12,
        starts=[0, 0],
        ends=[0, 0],
        vehicle_windows=[(0, 10_000)] * 2,
        horizon=10_000,
    )
    good = [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]
    poor = [[1, 6, 2, 7, 3, 8], [4, 9, 5, 10, 11]]
    params = RoutingParams(time_limit_s=1, seed=0, solution_limit=1)  # no improving step
    from_alternative = RoutingCore(data, params).solve(poor, [good])
    assert from_alternative.first_solution_source == "alternative 1"
    assert from_alternative.routes == good
    kept = RoutingCore(data, params).solve(good, [poor])
    assert kept.first_solution_source == "initial_routes" and kept.routes == good


def test_vroom_leaves_every_job_out_when_none_fits_and_says_so_with_empty_routes():
    """A job whose window closes before any vehicle can get there: VROOM assigns
    nothing, and the routes come back empty rather than failing on VROOM's empty table."""
    import numpy as np

    from scheduling.routing import RoutingData
    from scheduling.routing_vroom import vroom_routes

    data = RoutingData(
        time=np.array([[0, 60], [60, 0]]),
        cost=np.array([[0, 60], [60, 0]]),
        service=[0, 30],
        windows=[(0, 1000), (0, 10)],
        starts=[0],
        ends=[0],
        vehicle_windows=[(0, 1000)],
        horizon=1000,
        drop_penalty=[None, 100],
    )
    assert vroom_routes(data, timeout_s=1) == [[]]
