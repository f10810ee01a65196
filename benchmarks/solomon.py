"""Solomon VRPTW benchmark: the fieldplan routing core against VROOM at the same budget.

Usage::

    python benchmarks/solomon.py --data ../shared/benchmarks/solomon \\
        --instances C101,R101 --seconds 30 --peer vroom --json out.jsonl

Every solution is re-costed and re-checked in double precision by an independent checker
(``benchmarks/vrptw_io.py``) before it is reported. ``--json`` appends one JSON record per
instance and solver as soon as it is known (JSON lines), so a run that is cut short still
gives figures; ``--report PATH`` prints the tables from such a file without solving.

Gaps: ``gap_pct`` is against the hierarchical best-known solution (fewest vehicles first,
then distance: columns ``vehicles``/``distance`` of ``bks.csv``); ``gap_dist_only_pct`` is
against the best-known distance-only value (``dist_only_distance``), the fair yardstick for
solvers that minimise distance only, as both solvers here do.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.vrptw_io import (
    Instance,
    check_routes,
    parse_solomon,
    route_distance,
    to_routing_data,
)

FAMILIES = ("C1", "C2", "R1", "R2", "RC1", "RC2")


def family(name: str) -> str:
    """The family of an instance name: ``RC1`` for ``RC105`` (Solomon) or ``RC1_2_5`` (G&H)."""
    match = re.match(r"([A-Za-z]+)(\d)", name)
    if match is None:
        raise ValueError(f"instance name {name!r}: expected letters then a digit, e.g. RC105")
    return match.group(1).upper() + match.group(2)


def read_bks(data_dir: Path) -> dict[str, dict[str, str]]:
    """Rows of ``bks.csv`` keyed by instance name."""
    with open(data_dir / "bks.csv", newline="") as fh:
        return {row["instance"]: row for row in csv.DictReader(fh)}


def solve_ortools(inst: Instance, seconds: float, args) -> list[list[int]]:
    """Routes from the fieldplan routing core (OR-Tools, optionally seeded by VROOM)."""
    from scheduling.routing import RoutingParams, solve

    data = to_routing_data(inst, scale=args.scale)
    params = RoutingParams(
        time_limit_s=seconds,
        seed=args.seed,
        first_solution=args.first_solution,
        metaheuristic=args.metaheuristic,
        vroom_share=args.vroom_share,
        vroom_threads=args.threads,
        gls_lambda=args.gls_lambda,
    )
    return [r for r in solve(data, params).routes if r]


def solve_vroom(inst: Instance, seconds: float, args) -> list[list[int]]:
    """Routes from pyvroom (exploration level 5) on the same integer matrices."""
    from scheduling.routing_vroom import build_vroom_input

    data = to_routing_data(inst, scale=args.scale)
    problem = build_vroom_input(data)
    solution = problem.solve(
        exploration_level=5, nb_threads=args.threads, timeout=timedelta(seconds=seconds)
    )
    frame = solution.routes
    jobs = frame[frame["type"] == "job"]
    routes: dict[int, list[int]] = {}
    for vehicle, node in zip(jobs["vehicle_id"], jobs["id"], strict=True):
        routes.setdefault(int(vehicle), []).append(int(node))
    return [routes[v] for v in sorted(routes)]


SOLVERS = {"ortools": solve_ortools, "vroom": solve_vroom}


def run_one(
    name: str, inst: Instance, solver: str, seconds: float, bks: dict[str, str], args
) -> dict:
    """Solve one instance with one solver and return its checked record."""
    t0 = time.monotonic()
    routes = SOLVERS[solver](inst, seconds, args)
    elapsed = time.monotonic() - t0
    errors = check_routes(inst, routes)
    distance = round(route_distance(inst, routes), 2)
    ref = float(bks["distance"])
    # Gehring-Homberger's bks.csv has no double-precision distance-only column.
    ref_do = float(bks["dist_only_distance"]) if bks.get("dist_only_distance") else None
    return {
        "instance": name,
        "solver": solver if solver != "ortools" else f"ortools+{args.first_solution}",
        "seconds": round(elapsed, 2),
        "vehicles": len(routes),
        "distance": distance,
        "bks_vehicles": int(bks["vehicles"]),
        "bks_distance": ref,
        "gap_pct": round((distance - ref) / ref * 100, 3),
        "dist_only_vehicles": int(bks["dist_only_vehicles"]) if ref_do else None,
        "dist_only_distance": ref_do,
        "gap_dist_only_pct": round((distance - ref_do) / ref_do * 100, 3) if ref_do else None,
        "feasible": not errors,
        "errors": errors[:5],
        "budget_s": seconds,
    }


def _num(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def print_report(records: list[dict]) -> None:
    """Per-instance table (solvers side by side) and mean gaps per family, in Markdown."""
    solvers = list(dict.fromkeys(r["solver"] for r in records))
    by = {(r["instance"], r["solver"]): r for r in records}
    instances = list(dict.fromkeys(r["instance"] for r in records))
    head = "| instance | BKS veh/dist | dist-only BKS |"
    rule = "|---|---|---|"
    for s in solvers:
        head += f" {s} veh | {s} dist | gap % | gap dist-only % |"
        rule += "---|---|---|---|"
    print(head)
    print(rule)
    for name in instances:
        first = next(by[(name, s)] for s in solvers if (name, s) in by)
        row = f"| {name} | {first['bks_vehicles']} / {first['bks_distance']:.2f} |"
        row += f" {_num(first['dist_only_distance'], '.2f')} |"
        for s in solvers:
            r = by.get((name, s))
            if r is None:
                row += " | | | |"
                continue
            mark = "" if r["feasible"] else " INFEASIBLE"
            row += (
                f" {r['vehicles']} | {r['distance']:.2f}{mark} | {r['gap_pct']:+.2f} |"
                f" {_num(r['gap_dist_only_pct'], '+.2f')} |"
            )
        print(row)
    print()
    print("| family | n | " + " | ".join(f"{s} mean gap % (dist-only %)" for s in solvers) + " |")
    print("|---|---|" + "---|" * len(solvers))
    fams = [*FAMILIES, "all"]
    for fam in fams:
        names = [n for n in instances if fam == "all" or family(n) == fam]
        if not names:
            continue
        # Only instances every solver finished, so the means compare like with like.
        names = [n for n in names if all((n, s) in by for s in solvers)]
        cells = []
        for s in solvers:
            rs = [by[(n, s)] for n in names]
            if not rs:
                cells.append("")
                continue
            g = sum(r["gap_pct"] for r in rs) / len(rs)
            gds = [r["gap_dist_only_pct"] for r in rs if r["gap_dist_only_pct"] is not None]
            gd = sum(gds) / len(gds) if len(gds) == len(rs) else None
            dist = sum(r["distance"] for r in rs)
            cells.append(f"{g:+.2f} ({_num(gd, '+.2f')}); total {dist:.2f}")
        print(f"| {fam} | {len(names)} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark from the command line; return the process exit code."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, help="folder with <NAME>.txt files and bks.csv")
    ap.add_argument("--instances", default="", help="comma-separated names (default: all)")
    ap.add_argument("--seconds", type=float, default=30.0, help="budget per instance and solver")
    ap.add_argument("--peer", default="vroom", help="peer solver: vroom or none")
    ap.add_argument("--json", type=Path, help="append one JSON line per instance and solver")
    ap.add_argument("--report", type=Path, help="print tables from a JSON-lines file and exit")
    ap.add_argument("--first-solution", default="vroom")
    ap.add_argument("--metaheuristic", default="guided_local_search")
    ap.add_argument("--vroom-share", type=float, default=0.4)
    ap.add_argument("--gls-lambda", type=float, default=0.15)
    ap.add_argument("--threads", type=int, default=1, help="VROOM threads (both uses)")
    ap.add_argument("--scale", type=int, default=1000, help="integer scaling of distances")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    if args.report:
        records = [json.loads(ln) for ln in args.report.read_text().splitlines() if ln.strip()]
        print_report(records)
        return 0
    if args.data is None:
        ap.error("--data is required unless --report is given")
    bks = read_bks(args.data)
    names = [n.strip().upper() for n in args.instances.split(",") if n.strip()] or list(bks)
    unknown = [n for n in names if n not in bks]
    if unknown:
        ap.error(f"not in {args.data / 'bks.csv'}: {', '.join(unknown)}")
    solvers = ["ortools"] + ([args.peer] if args.peer and args.peer != "none" else [])
    records = []
    for name in names:
        inst = parse_solomon(args.data / f"{name}.txt")
        for solver in solvers:
            rec = run_one(name, inst, solver, args.seconds, bks[name], args)
            records.append(rec)
            print(
                f"{rec['instance']:6} {rec['solver']:14} {rec['seconds']:6.1f}s"
                f" veh {rec['vehicles']:2} dist {rec['distance']:9.2f}"
                f" gap {rec['gap_pct']:+6.2f}% dist-only {_num(rec['gap_dist_only_pct'], '+6.2f')}%"
                f"{'' if rec['feasible'] else ' INFEASIBLE ' + '; '.join(rec['errors'])}",
                file=sys.stderr,
                flush=True,
            )
            if args.json:
                with open(args.json, "a") as fh:
                    fh.write(json.dumps(rec) + "\n")
    print_report(records)
    return 0 if all(r["feasible"] for r in records) else 1


if __name__ == "__main__":
    raise SystemExit(main())
