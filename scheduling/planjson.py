"""The ``plan.json`` file: a Plan as JSON and back, losslessly (issue 4, Outputs).

Times are ISO 8601 with their UTC offset; dates ``YYYY-MM-DD``; km floats; the travel cost
KPI a decimal string. Layout::

    {"format": "fieldplan.plan/1", "seed": 0, "created_at": "...",
     "visits": [{"request_ref", "session", "engineer_id", "date", "arrival", "start", "end",
                 "travel_km", "travel_minutes", "deadline", "late", "pinned", "lodging"}],
     "routes": [{"engineer_id", "date", "start_place", "end_place", "visits",
                 "departure", "return_at", "return_km", "return_minutes"}],
     "unassigned": [{"request_ref", "session", "reason_code", "reason"}],
     "kpis": {...}}
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

from scheduling.model import Place, Plan, Route, Unassigned, Visit

FORMAT = "fieldplan.plan/1"


class PlanJsonError(ValueError):
    """A plan.json that cannot be read; the message names file, entry and field."""


def _place(place: Place) -> dict[str, Any]:
    return {"kind": place.kind, "lat": place.lat, "lon": place.lon, "label": place.label}


def visit_to_dict(visit: Visit) -> dict[str, Any]:
    """One visit as the JSON object of plan.json."""
    return {
        "request_ref": visit.request_ref,
        "session": visit.session,
        "engineer_id": visit.engineer_id,
        "date": visit.day.isoformat(),
        "arrival": visit.arrival.isoformat(),
        "start": visit.start.isoformat(),
        "end": visit.end.isoformat(),
        "travel_km": visit.travel_km,
        "travel_minutes": visit.travel_minutes,
        "deadline": visit.deadline.isoformat() if visit.deadline else None,
        "late": visit.late,
        "pinned": visit.pinned,
        "lodging": visit.lodging,
    }


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The whole plan as plain JSON-ready data."""
    return {
        "format": FORMAT,
        "seed": plan.seed,
        "created_at": plan.created_at.isoformat() if plan.created_at else None,
        "visits": [visit_to_dict(v) for v in plan.visits],
        "routes": [
            {
                "engineer_id": r.engineer_id,
                "date": r.day.isoformat(),
                "start_place": _place(r.start_place),
                "end_place": _place(r.end_place),
                "visits": [[ref, session] for ref, session in r.visit_keys],
                "departure": r.departure.isoformat(),
                "return_at": r.return_at.isoformat(),
                "return_km": r.return_km,
                "return_minutes": r.return_minutes,
            }
            for r in plan.routes
        ],
        "unassigned": [
            {
                "request_ref": u.request_ref,
                "session": u.session,
                "reason_code": u.reason_code,
                "reason": u.reason,
            }
            for u in plan.unassigned
        ],
        "kpis": dict(plan.kpis),
    }


def write_plan_json(plan: Plan, path: str | os.PathLike[str]) -> Path:
    """Write `plan` to `path` (UTF-8, indented, stable key order); return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(plan_to_dict(plan), ensure_ascii=False, indent=2)
    target.write_text(text + "\n", encoding="utf-8")
    return target


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def field(self, entry: dict, name: str, where: str) -> Any:
        if not isinstance(entry, dict) or name not in entry:
            raise PlanJsonError(f"{self.source}: {where}: missing field {name!r}")
        return entry[name]

    def moment(self, entry: dict, name: str, where: str, optional: bool = False) -> datetime | None:
        value = self.field(entry, name, where)
        if value is None and optional:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise PlanJsonError(
                f"{self.source}: {where}: {name} = {value!r} is not an ISO 8601 datetime"
            ) from None
        if moment.utcoffset() is None:
            raise PlanJsonError(f"{self.source}: {where}: {name} = {value!r} has no UTC offset")
        return moment

    def day(self, entry: dict, name: str, where: str) -> date:
        value = self.field(entry, name, where)
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise PlanJsonError(
                f"{self.source}: {where}: {name} = {value!r} is not a YYYY-MM-DD date"
            ) from None

    def typed(self, entry: dict, name: str, where: str, kind: type) -> Any:
        value = self.field(entry, name, where)
        ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not ok:
            raise PlanJsonError(
                f"{self.source}: {where}: {name} = {value!r} is not a {kind.__name__}"
            )
        return value

    def place(self, entry: dict, name: str, where: str) -> Place:
        value = self.field(entry, name, where)
        inner = f"{where}.{name}"
        return Place(
            kind=self.typed(value, "kind", inner, str),
            lat=self.typed(value, "lat", inner, float),
            lon=self.typed(value, "lon", inner, float),
            label=self.typed(value, "label", inner, str),
        )


def plan_from_dict(data: dict[str, Any], source: str = "<memory>") -> Plan:
    """The Plan described by plan.json data; PlanJsonError on any missing or bad field."""
    r = _Reader(source)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PlanJsonError(f"{source}: not a plan.json (format {FORMAT!r} expected)")
    visits = []
    for i, e in enumerate(r.field(data, "visits", "plan")):
        w = f"visits[{i}]"
        visits.append(
            Visit(
                request_ref=r.typed(e, "request_ref", w, str),
                engineer_id=r.typed(e, "engineer_id", w, str),
                day=r.day(e, "date", w),
                arrival=r.moment(e, "arrival", w),
                start=r.moment(e, "start", w),
                end=r.moment(e, "end", w),
                travel_km=r.typed(e, "travel_km", w, float),
                travel_minutes=r.typed(e, "travel_minutes", w, int),
                deadline=r.moment(e, "deadline", w, optional=True),
                late=r.typed(e, "late", w, bool),
                session=r.typed(e, "session", w, int),
                pinned=r.typed(e, "pinned", w, bool),
                lodging=r.typed(e, "lodging", w, bool),
            )
        )
    routes = []
    for i, e in enumerate(r.field(data, "routes", "plan")):
        w = f"routes[{i}]"
        keys = r.field(e, "visits", w)
        if not isinstance(keys, list) or not all(
            isinstance(k, list) and len(k) == 2 and isinstance(k[0], str) and isinstance(k[1], int)
            for k in keys
        ):
            raise PlanJsonError(f"{source}: {w}: visits must be a list of [request_ref, session]")
        routes.append(
            Route(
                engineer_id=r.typed(e, "engineer_id", w, str),
                day=r.day(e, "date", w),
                start_place=r.place(e, "start_place", w),
                end_place=r.place(e, "end_place", w),
                visit_keys=tuple((k[0], k[1]) for k in keys),
                departure=r.moment(e, "departure", w),
                return_at=r.moment(e, "return_at", w),
                return_km=r.typed(e, "return_km", w, float),
                return_minutes=r.typed(e, "return_minutes", w, int),
            )
        )
    unassigned = []
    for i, e in enumerate(r.field(data, "unassigned", "plan")):
        w = f"unassigned[{i}]"
        session = r.field(e, "session", w)
        if session is not None and not isinstance(session, int):
            raise PlanJsonError(f"{source}: {w}: session = {session!r} is not an int or null")
        unassigned.append(
            Unassigned(
                request_ref=r.typed(e, "request_ref", w, str),
                reason_code=r.typed(e, "reason_code", w, str),
                reason=r.typed(e, "reason", w, str),
                session=session,
            )
        )
    created = data.get("created_at")
    return Plan(
        visits=tuple(visits),
        routes=tuple(routes),
        unassigned=tuple(unassigned),
        kpis=dict(r.field(data, "kpis", "plan")),
        seed=r.typed(data, "seed", "plan", int),
        created_at=r.moment(data, "created_at", "plan") if created is not None else None,
    )


def read_plan_json(path: str | os.PathLike[str]) -> Plan:
    """Read a plan.json written by :func:`write_plan_json`."""
    source = Path(path)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanJsonError(f"plan file not found: {source}") from None
    except json.JSONDecodeError as exc:
        raise PlanJsonError(f"{source}: not valid JSON: {exc}") from None
    return plan_from_dict(data, str(source))
