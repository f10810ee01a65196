"""Turning a routing solution (and booked blocks) into the visits and routes of a Plan."""

from __future__ import annotations

from datetime import date

import numpy as np

from scheduling.model import Place, Route, Unassigned, Visit
from scheduling.planner_model import Context, Task, Vehicle, session_end
from scheduling.routing import RoutingSolution
from scheduling.travel import Point


def place_of(point: Point) -> Place:
    """The Place of a model point; its label is the point id (travel matrix key)."""
    kind = point.key.split(":", 1)[0]
    return Place(
        kind if kind in ("home", "hotel", "office") else "home", point.lat, point.lon, point.key
    )


def routes_from_solution(
    ctx: Context,
    solution: RoutingSolution,
    vehicles: list[Vehicle],
    tasks_by_node: dict[int, Task],
    depot_of: dict[str, int],
    km: np.ndarray,
    minutes: np.ndarray,
) -> tuple[list[Visit], list[Route]]:
    """Visits with arrival = previous end + travel, and one Route per used engineer-day.

    Vehicles without stops give no route (see :func:`empty_travel_days`). The last visit
    of a day that ends at a hotel is flagged lodging.
    """
    visits: list[Visit] = []
    routes: list[Route] = []
    for v, vehicle in enumerate(vehicles):
        nodes = solution.routes[v]
        if not nodes:
            continue
        prev = depot_of[vehicle.start_point.key]
        prev_end = solution.departures[v]
        departure = prev_end
        keys = []
        to_hotel = vehicle.end_point.key.startswith("hotel:")
        for position, node in enumerate(nodes):
            task = tasks_by_node[node]
            arrival = prev_end + int(minutes[prev, node])
            start = solution.start_times[node]
            end = session_end(task, vehicle.shift, start)
            visits.append(
                Visit(
                    request_ref=task.request_ref,
                    engineer_id=vehicle.engineer_id,
                    day=vehicle.day,
                    arrival=ctx.at(arrival),
                    start=ctx.at(start),
                    end=ctx.at(end),
                    travel_km=round(float(km[prev, node]), 3),
                    travel_minutes=int(minutes[prev, node]),
                    deadline=task.deadline,
                    late=task.deadline_min is not None and arrival > task.deadline_min,
                    session=task.session,
                    pinned=task.pinned is not None,
                    lodging=to_hotel and position == len(nodes) - 1,
                )
            )
            keys.append(task.key)
            prev, prev_end = node, end
        end_node = depot_of[vehicle.end_point.key]
        leg_back = (float(km[prev, end_node]), int(minutes[prev, end_node]))
        routes.append(vehicle_route(ctx, vehicle, keys, departure, prev_end, leg_back))
    return visits, routes


def vehicle_route(
    ctx: Context,
    vehicle: Vehicle,
    keys: list[tuple[str, int]],
    departure: int,
    last_end: int,
    leg_back: tuple[float, int],
) -> Route:
    """The Route of an engineer-day vehicle: its stops `keys`, leaving at `departure` and
    back (home or hotel) `leg_back` = (km, minutes) after the last end (model minutes)."""
    km, minutes = leg_back
    return Route(
        engineer_id=vehicle.engineer_id,
        day=vehicle.day,
        start_place=place_of(vehicle.start_point),
        end_place=place_of(vehicle.end_point),
        visit_keys=tuple(keys),
        departure=ctx.at(departure),
        return_at=ctx.at(last_end + minutes),
        return_km=round(km, 3),
        return_minutes=minutes,
    )


def empty_travel_days(ctx: Context, vehicles: list[Vehicle], routes: list[Route]) -> list[Route]:
    """The travel-only routes of travel days (``"travel"`` vehicles) the search left
    without visits: the engineer still makes the journey that day, leaving at the start of
    the shift."""
    used = {(r.engineer_id, r.day) for r in routes}
    out = []
    for vehicle in vehicles:
        if vehicle.kind != "travel" or (vehicle.engineer_id, vehicle.day) in used:
            continue
        leg = ctx.travel.leg(vehicle.start_point, vehicle.end_point)
        start = vehicle.shift.start
        out.append(vehicle_route(ctx, vehicle, [], start, start, leg))
    return out


def fixed_routes(ctx: Context, visits: list[Visit]) -> tuple[list[Visit], list[Route]]:
    """Routes home -> visits -> home around pinned visits the search does not touch; each
    visit keeps engineer, day, start and end, and its arrival is re-derived from travel."""
    by_day: dict[tuple[str, date], list[Visit]] = {}
    for visit in visits:
        by_day.setdefault((visit.engineer_id, visit.day), []).append(visit)
    out_visits: list[Visit] = []
    routes: list[Route] = []
    for (eid, day), group in sorted(by_day.items()):
        group.sort(key=lambda v: v.start)
        home = ctx.home(eid)
        prev = home
        departure = None
        prev_end = None
        keys = []
        for visit in group:
            point = ctx.customer_point(ctx.requests[visit.request_ref].customer_id)
            km, minutes = ctx.travel.leg(prev, point)
            if prev_end is None:
                departure = ctx.minute(visit.start) - minutes
                prev_end = departure
            arrival = prev_end + minutes
            out_visits.append(
                Visit(
                    request_ref=visit.request_ref,
                    engineer_id=eid,
                    day=day,
                    arrival=ctx.at(arrival),
                    start=visit.start,
                    end=visit.end,
                    travel_km=round(km, 3),
                    travel_minutes=minutes,
                    deadline=visit.deadline,
                    late=visit.deadline is not None and ctx.at(arrival) > visit.deadline,
                    session=visit.session,
                    pinned=True,
                    lodging=False,
                )
            )
            keys.append(visit.key)
            prev, prev_end = point, ctx.minute(visit.end)
        km, minutes = ctx.travel.leg(prev, home)
        routes.append(
            Route(
                engineer_id=eid,
                day=day,
                start_place=place_of(home),
                end_place=place_of(home),
                visit_keys=tuple(keys),
                departure=ctx.at(departure),
                return_at=ctx.at(prev_end + minutes),
                return_km=round(km, 3),
                return_minutes=minutes,
            )
        )
    return out_visits, routes


def unassigned_entry(ref: str, code: str, reason: str, session: int | None = None) -> Unassigned:
    """One line of the plan's unassigned list."""
    return Unassigned(request_ref=ref, reason_code=code, reason=reason, session=session)
