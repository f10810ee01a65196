"""Small hand-made problems and plans for the itinerary, calendar and page tests.

One Shanghai office, two engineers, five customers (three in the city, two in Suzhou, about
85 km away), five requests: an upgrade whose backup is NOT confirmed, an install whose
backup is confirmed, a two-session training, a health check for the second engineer and a
troubleshooting visit. `make_plan` builds a plan from compact visit rows so a re-plan is one
edited list.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
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
    Place,
    Plan,
    Problem,
    RequestStatus,
    Route,
    ServiceRequest,
    Urgency,
    Visit,
    Zone,
)

SH = ZoneInfo("Asia/Shanghai")
THU = date(2026, 11, 26)
FRI = date(2026, 11, 27)
MON = date(2026, 11, 30)
ISSUED_1 = datetime(2026, 11, 25, 12, 0, tzinfo=SH)
ISSUED_2 = datetime(2026, 11, 25, 16, 0, tzinfo=SH)

OFFICE = Office("SH", "Shanghai office", "Shanghai", "CN", 31.2304, 121.4737)
E1 = Engineer(
    "E1",
    "Li Wei",
    "SH",
    frozenset({"hrhis"}),
    "li.wei@example.com",
    "+86 138 0000 0001",
    home_lat=31.2000,
    home_lon=121.4500,
)
E2 = Engineer(
    "E2", "Zhang Min", "SH", frozenset({"hrhis"}), "zhang@example.com", "+86 139 0000 0002"
)


def _customer(cid, name, city, address, lat, lon, contact, phone, version="9.00"):
    return Customer(
        customer_id=cid,
        name=name,
        city=city,
        address=address,
        lat=lat,
        lon=lon,
        level=Level.A,
        licensed=True,
        purchase_date=date(2026, 1, 10),
        product_version=version,
        contact_name=contact,
        contact_phone=phone,
    )


CUSTOMERS = (
    _customer(
        "C1",
        "Bund Grand Hotel",
        "Shanghai",
        "1 Zhongshan East Rd",
        31.2400,
        121.4900,
        "Chen Jing",
        "+86 21 5555 0101",
    ),
    _customer(
        "C2",
        "Suzhou Garden Hotel",
        "Suzhou",
        "8 Renmin Rd",
        31.3000,
        120.6200,
        "Wang Fang",
        "+86 512 5555 0202",
        version="9.12",
    ),
    _customer(
        "C3",
        "Lakeside Resort <Suzhou>",
        "Suzhou",
        "21 Jinji Lake Ave",
        31.3100,
        120.6700,
        "Zhou Lei",
        "+86 512 5555 0303",
    ),
    _customer(
        "C4",
        "Pudong Airport Hotel",
        "Shanghai",
        "99 Qihang Rd",
        31.1500,
        121.8000,
        "Sun Hui",
        "+86 21 5555 0404",
    ),
    _customer(
        "C5",
        "Jing'an Business Hotel",
        "Shanghai",
        "300 Nanjing West Rd",
        31.2290,
        121.4480,
        "Ma Lin",
        "+86 21 5555 0505",
    ),
)


def _request(ref, cid, kind, subtype, hours, **kw):
    return ServiceRequest(
        request_ref=ref,
        customer_id=cid,
        kind=kind,
        subtype=subtype,
        urgency=Urgency.P2,
        channel=Channel.WEB,
        received_at=datetime(2026, 11, 24, 10, 0, tzinfo=SH),
        duration_hours=Decimal(hours),
        **kw,
    )


REQUESTS = (
    _request(
        "R0001",
        "C1",
        Kind.ONSITE_SERVICE,
        "upgrade",
        "2.5",
        target_version="9.12",
        backup_confirmed=False,
    ),
    _request("R0002", "C2", Kind.ONSITE_SERVICE, "install", "3", backup_confirmed=True),
    _request("R0003", "C3", Kind.TRAINING, "basics", "6", sessions=2),
    _request("R0004", "C4", Kind.HEALTH_CHECK, "annual", "2"),
    _request(
        "R0005",
        "C5",
        Kind.ONSITE_SERVICE,
        "troubleshoot",
        "1.5",
        backup_confirmed=True,
        notes="night audit report fails",
    ),
)


def _assessment(ref: str, zone: Zone) -> Assessment:
    return Assessment(
        request_ref=ref,
        status=RequestStatus.ACCEPTED,
        reason_code="free",
        reason="within the free first year",
        zone=zone,
        deadline=datetime(2026, 11, 27, 18, 0, tzinfo=SH),
    )


ASSESSMENTS = tuple(
    _assessment(
        r.request_ref, Zone.CITY if r.customer_id in ("C1", "C4", "C5") else Zone.OUT_OF_TOWN
    )
    for r in REQUESTS
)


def problem() -> Problem:
    """The shared problem of these tests."""
    return Problem(
        offices=(OFFICE,),
        engineers=(E1, E2),
        customers=CUSTOMERS,
        requests=REQUESTS,
        assessments=ASSESSMENTS,
        start=THU,
    )


HOME1 = Place("home", 31.2000, 121.4500, "Li Wei's home")
OFFICE_PLACE = Place("office", OFFICE.lat, OFFICE.lon, OFFICE.name)
HOTEL = Place("hotel", 31.3050, 120.6400, "Suzhou Jinji Inn")

# (engineer, request_ref, session, day, start "HH:MM", end "HH:MM", km, minutes)
BASE_ROWS = (
    ("E1", "R0001", 1, THU, "09:30", "12:00", 8.0, 25),
    ("E1", "R0002", 1, THU, "14:00", "17:00", 85.0, 70),
    ("E1", "R0003", 1, FRI, "09:00", "16:00", 4.0, 15),
    ("E1", "R0003", 2, MON, "10:30", "17:30", 88.0, 75),
    ("E2", "R0004", 1, THU, "10:00", "12:00", 40.0, 60),
    ("E2", "R0005", 1, THU, "14:00", "15:30", 35.0, 55),
)

# where each engineer-day starts and ends; a missing entry is home (E1) or office (E2)
PLACES = {
    ("E1", THU): (HOME1, HOTEL),
    ("E1", FRI): (HOTEL, HOME1),
}


def _at(day: date, hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SH)


def make_plan(rows=BASE_ROWS, return_km: float = 12.0, return_minutes: int = 30) -> Plan:
    """A plan of `rows`, with one route per engineer-day in row order."""
    visits = []
    for eid, ref, session, day, start, end, km, minutes in rows:
        s = _at(day, start)
        visits.append(
            Visit(
                request_ref=ref,
                engineer_id=eid,
                day=day,
                arrival=s,
                start=s,
                end=_at(day, end),
                travel_km=km,
                travel_minutes=minutes,
                deadline=datetime(2026, 11, 27, 18, 0, tzinfo=SH),
                late=False,
                session=session,
            )
        )
    routes = []
    keys = sorted({(v.engineer_id, v.day) for v in visits})
    for eid, day in keys:
        day_visits = [v for v in visits if (v.engineer_id, v.day) == (eid, day)]
        default = HOME1 if eid == "E1" else OFFICE_PLACE
        start_place, end_place = PLACES.get((eid, day), (default, default))
        first, last = day_visits[0], day_visits[-1]
        back_km = 5.0 if end_place.kind == "hotel" else return_km
        routes.append(
            Route(
                engineer_id=eid,
                day=day,
                start_place=start_place,
                end_place=end_place,
                visit_keys=tuple(v.key for v in day_visits),
                departure=first.arrival - timedelta(minutes=first.travel_minutes),
                return_at=last.end + timedelta(minutes=return_minutes),
                return_km=back_km,
                return_minutes=return_minutes,
            )
        )
    return Plan(visits=tuple(visits), routes=tuple(routes), unassigned=())
