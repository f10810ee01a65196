"""The printable, mobile-friendly page of an engineer's itinerary, with a map of each day.

The map is inline SVG drawn from the coordinates alone (no tiles, no internet): places are
projected equirectangularly around the day's mean latitude, which at the scale of a day's
route distorts distances by well under one percent. Visits changed since the last issued
itinerary carry a mark (new, moved, updated) and cancelled ones are listed, so an engineer
sees what is different at a glance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import jinja2

from scheduling.geo import haversine_km
from scheduling.itineraries import DayItinerary, EngineerItinerary, ItineraryDiff, VisitChange

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "itinerary.html.j2"

MAP_WIDTH = 640
MAP_HEIGHT = 360
MAP_MIN_HEIGHT = 200
MAP_MIN_EXTENT_KM = 0.5
MAP_PADDING = 36
_MIN_SPAN_DEG = 0.01  # a day whose places nearly coincide still gets a readable map


@dataclass(frozen=True, slots=True)
class MapPoint:
    """A marker of the day's map, in SVG user units."""

    x: float
    y: float
    label: str  # "1", "2", ... for stops; "⌂" home/office; "H" hotel
    title: str
    kind: str  # "stop", "start" or "end"
    change: str = "unchanged"


@dataclass(frozen=True, slots=True)
class RouteMap:
    """The SVG geometry of one day's route: the path and its numbered markers."""

    width: int
    height: int
    path: str  # SVG polyline points: "x,y x,y ..."
    points: tuple[MapPoint, ...]
    scale_km: float  # length the scale bar stands for
    scale_px: float  # its length on the map


def _nice_km(target: float) -> float:
    """The round distance (1, 2, 5 × 10^n km) closest below `target`."""
    if target <= 0:
        return 1.0
    exponent = math.floor(math.log10(target))
    for step in (5, 2, 1):
        value = step * 10**exponent
        if value <= target:
            return float(value)
    return float(10**exponent)


def route_map(day: DayItinerary, diff: ItineraryDiff | None = None) -> RouteMap | None:
    """Project the day's places (start → stops → end) into an SVG box, aspect kept.

    None when every place of the day lies within `MAP_MIN_EXTENT_KM` of the first (the
    engineer sleeps next to the customer): such a map would show nothing worth reading.
    """
    places = [(day.start_place.lat, day.start_place.lon)]
    places += [(s.lat, s.lon) for s in day.stops]
    places.append((day.end_place.lat, day.end_place.lon))
    first = places[0]
    if all(haversine_km(*first, *p) < MAP_MIN_EXTENT_KM for p in places):
        return None
    mean_lat = sum(lat for lat, _ in places) / len(places)
    kx = math.cos(math.radians(mean_lat))
    xs = [lon * kx for _, lon in places]
    ys = [lat for lat, _ in places]
    span_x = max(max(xs) - min(xs), _MIN_SPAN_DEG)
    span_y = max(max(ys) - min(ys), _MIN_SPAN_DEG)
    inner_w = MAP_WIDTH - 2 * MAP_PADDING
    inner_h = MAP_HEIGHT - 2 * MAP_PADDING
    scale = min(inner_w / span_x, inner_h / span_y)
    # a wide, flat route gets a lower map instead of empty bands above and below
    height = int(max(MAP_MIN_HEIGHT, min(MAP_HEIGHT, span_y * scale + 2 * MAP_PADDING)))
    cx = (max(xs) + min(xs)) / 2
    cy = (max(ys) + min(ys)) / 2

    def project(lat: float, lon: float) -> tuple[float, float]:
        x = MAP_WIDTH / 2 + (lon * kx - cx) * scale
        y = height / 2 - (lat - cy) * scale  # north up
        return round(x, 1), round(y, 1)

    projected = [project(lat, lon) for lat, lon in places]
    path = " ".join(f"{x},{y}" for x, y in projected)
    points = []
    sx, sy = projected[0]
    start_label = "H" if day.start_place.kind == "hotel" else "⌂"
    points.append(MapPoint(sx, sy, start_label, f"Start: {day.start_label}", "start"))
    for stop, (x, y) in zip(day.stops, projected[1:-1], strict=True):
        change = diff.change(stop.key).value if diff else "unchanged"
        title = f"{stop.order}. {stop.customer_name} {stop.start:%H:%M}"
        points.append(MapPoint(x, y, str(stop.order), title, "stop", change))
    ex, ey = projected[-1]
    end_label = "H" if day.end_place.kind == "hotel" else "⌂"
    if (ex, ey) != (sx, sy) or end_label != start_label:
        points.insert(1, MapPoint(ex, ey, end_label, f"End: {day.end_label}", "end"))
    # scale bar: a round distance near a quarter of the map's width
    km_per_deg_lat = haversine_km(mean_lat, 0.0, mean_lat + 1.0, 0.0)
    km_per_px = km_per_deg_lat / scale
    scale_km = _nice_km(km_per_px * MAP_WIDTH / 4)
    points = _nudge_places(points)
    return RouteMap(
        width=MAP_WIDTH,
        height=height,
        path=path,
        points=tuple(points),
        scale_km=scale_km,
        scale_px=round(scale_km / km_per_px, 1),
    )


def _nudge_places(points: list[MapPoint]) -> list[MapPoint]:
    """Move a home/hotel marker that a stop marker would hide up and right, so both show."""
    stops = [p for p in points if p.kind == "stop"]
    out = []
    for point in points:
        if point.kind != "stop" and any(
            abs(point.x - s.x) < 22 and abs(point.y - s.y) < 22 for s in stops
        ):
            point = MapPoint(
                point.x + 22, max(14.0, point.y - 22), point.label, point.title, point.kind
            )
        out.append(point)
    return out


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    # one environment per process: the template is compiled once, not once per engineer
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "j2"), default_for_string=True, default=True
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render_itinerary_html(
    itinerary: EngineerItinerary,
    diff: ItineraryDiff | None = None,
    issued_at: datetime | None = None,
) -> str:
    """The whole page for one engineer (all days), as an HTML string.

    `diff` marks visits that are new, moved or updated since the last issued itinerary and
    lists the cancelled ones; without it, nothing is marked. Every value is HTML-escaped.
    """
    diff = diff or ItineraryDiff(first_issue=True, changes={}, was={}, cancelled=())
    maps = [route_map(day, diff) for day in itinerary.days]
    cancelled_by_day: dict = {}
    for gone in diff.cancelled:
        cancelled_by_day.setdefault(gone.day, []).append(gone)
    template = _environment().get_template(TEMPLATE_NAME)
    return template.render(
        it=itinerary,
        days=list(zip(itinerary.days, maps, strict=True)),
        diff=diff,
        counts=diff.counts,
        cancelled_by_day=cancelled_by_day,
        issued_at=issued_at.astimezone(itinerary.tz) if issued_at else None,
        VisitChange=VisitChange,
    )
