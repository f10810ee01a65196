"""Small hand-made planning problems shared by the planner, validator and plan.json tests."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from scheduling.model import (
    Assessment,
    Channel,
    Customer,
    Engineer,
    Kind,
    Level,
    Office,
    Problem,
    RequestStatus,
    ServiceRequest,
    Urgency,
    Validity,
    Zone,
)

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 11, 30)  # a plain working week in CN
SHANGHAI = Office("SH", "Shanghai office", "Shanghai", "CN", 31.2304, 121.4737)

# Customers: three in the city, two suburban, one out of town (Nanjing, ~300 km by road).
CUSTOMERS = {
    "C1": ("Shanghai", 31.2200, 121.4500, Zone.CITY),
    "C2": ("Shanghai", 31.2400, 121.5000, Zone.CITY),
    "C3": ("Shanghai", 31.0322, 121.2277, Zone.SUBURBAN),
    "C4": ("Nanjing", 32.0603, 118.7969, Zone.OUT_OF_TOWN),
    "C5": ("Shanghai", 31.2600, 121.4800, Zone.CITY),
    "C6": ("Songjiang", 31.0500, 121.2000, Zone.SUBURBAN),  # a far suburb of its own town
}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware Shanghai datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def customer(cid: str) -> Customer:
    city, lat, lon, zone = CUSTOMERS[cid]
    return Customer(
        customer_id=cid,
        name=f"Hotel {cid}",
        city=city,
        address=f"{cid} road",
        lat=lat,
        lon=lon,
        level=Level.B,
        licensed=True,
        purchase_date=date(2026, 6, 1),
        product_version="9.00",
        office_id="SH",
        zone=zone,
    )


def engineer(eid: str, skills: set[str], office: str = "SH") -> Engineer:
    return Engineer(eid, f"Engineer {eid}", office, frozenset(skills))


def request(
    ref: str,
    cid: str,
    *,
    hours: str = "2",
    skills: set[str] | None = None,
    received: datetime | None = None,
    kind: Kind = Kind.ONSITE_SERVICE,
    sessions: int = 1,
    window: tuple[date, date] | None = None,
    emergency: bool = False,
    urgency: Urgency = Urgency.P2,
) -> ServiceRequest:
    return ServiceRequest(
        request_ref=ref,
        customer_id=cid,
        kind=kind,
        subtype="troubleshooting",
        urgency=urgency,
        channel=Channel.HOTLINE,
        received_at=received or at(MONDAY - timedelta(days=3), 10),
        duration_hours=Decimal(hours),
        sessions=sessions,
        required_skills=frozenset(skills or {"pms"}),
        window_start=window[0] if window else None,
        window_end=window[1] if window else None,
        emergency=emergency,
    )


def assessment(
    ref: str,
    deadline: datetime | None,
    *,
    status: RequestStatus = RequestStatus.ACCEPTED,
    priority: int = 4,
    zone: Zone = Zone.CITY,
) -> Assessment:
    return Assessment(
        request_ref=ref,
        status=status,
        reason_code="free" if status is RequestStatus.ACCEPTED else str(status),
        reason="test",
        validity=Validity.FREE if status is RequestStatus.ACCEPTED else Validity.EXPIRED,
        zone=zone,
        deadline=deadline,
        priority=priority,
        office_id="SH",
    )


def problem(requests, assessments, engineers, start: date = MONDAY, **extra) -> Problem:
    used = sorted({r.customer_id for r in requests} | {"C1"})
    return Problem(
        offices=(SHANGHAI,),
        engineers=tuple(engineers),
        customers=tuple(customer(c) for c in used),
        requests=tuple(requests),
        assessments=tuple(assessments),
        start=start,
        **extra,
    )


def basic_problem() -> Problem:
    """Three city/suburban requests, two engineers; everything fits on day one."""
    reqs = [
        request("R1", "C1"),
        request("R2", "C2", skills={"database"}),
        request("R3", "C3"),
    ]
    due = at(MONDAY + timedelta(days=2), 18)
    return problem(
        reqs,
        [assessment(r.request_ref, due) for r in reqs],
        [engineer("E1", {"pms"}), engineer("E2", {"pms", "database"})],
    )


def training_away_problem() -> Problem:
    """One engineer, a four-day horizon: a two-day training in Nanjing (5.5 h away) on
    Tuesday-Wednesday, so Monday is the way to its hotel and Thursday the way back; a city
    visit due Monday and one the customer accepts only on Thursday."""
    tuesday, wednesday, thursday = (MONDAY + timedelta(days=d) for d in (1, 2, 3))
    reqs = [
        request(
            "T1", "C4", hours="7", kind=Kind.TRAINING, sessions=2, skills={"training"},
            window=(tuesday, wednesday),
        ),
        request("R1", "C1"),
        request("R2", "C2", window=(thursday, thursday)),
    ]  # fmt: skip
    return problem(
        reqs,
        [
            assessment("T1", at(wednesday, 18), zone=Zone.OUT_OF_TOWN),
            assessment("R1", at(MONDAY, 18)),
            assessment("R2", at(thursday, 18)),
        ],
        [engineer("E1", {"pms", "training"})],
    )
