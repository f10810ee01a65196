"""Tiny hand-made problems and plans for the costing, allocation and billing tests.

One office in Shanghai, two engineers living at it, customers in the city, in the suburbs
and out of town (Suzhou, Hangzhou). Plans are built by hand: travel km are great-circle km
times the policy's detour factor, as the planner's default provider computes them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from scheduling.geo import haversine_km
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

TZ = ZoneInfo("Asia/Shanghai")
DETOUR = 1.3
OFFICE = Office("O1", "Shanghai office", "Shanghai", "CN", 31.2304, 121.4737)
ENGINEERS = (
    Engineer("E1", "Li Wei", "O1", frozenset({"install"})),
    Engineer("E2", "王芳", "O1", frozenset({"install"})),
)
# (customer_id, name, city, lat, lon, zone)
CUSTOMER_ROWS = (
    ("C001", "上海和平饭店", "Shanghai", 31.2400, 121.4900, Zone.CITY),
    ("C002", "Bund View Hotel", "Shanghai", 31.2200, 121.5100, Zone.CITY),
    ("C003", "Jiading Garden Hotel", "Shanghai", 31.3750, 121.2650, Zone.SUBURBAN),
    ("C004", "苏州金鸡湖酒店", "Suzhou", 31.2989, 120.5853, Zone.OUT_OF_TOWN),
    ("C005", "Suzhou Lakeside Inn", "Suzhou", 31.3100, 120.6200, Zone.OUT_OF_TOWN),
    ("C006", "杭州西湖宾馆", "Hangzhou", 30.2741, 120.1551, Zone.OUT_OF_TOWN),
)
CUSTOMERS = tuple(
    Customer(
        customer_id=cid,
        name=name,
        city=city,
        address=f"{name}, {city}",
        lat=lat,
        lon=lon,
        level=Level.B,
        licensed=True,
        purchase_date=date(2026, 1, 1),
        product_version="9.12",
        office_id="O1",
        zone=zone,
    )
    for cid, name, city, lat, lon, zone in CUSTOMER_ROWS
)
BY_ID = {c.customer_id: c for c in CUSTOMERS}
HOME = Place("home", OFFICE.lat, OFFICE.lon, "office")


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Road km between two points as the default provider computes them."""
    return haversine_km(a[0], a[1], b[0], b[1]) * DETOUR


def hotel_near(customer_id: str) -> Place:
    """A hotel a few hundred metres from the customer."""
    c = BY_ID[customer_id]
    return Place("hotel", c.lat + 0.002, c.lon + 0.002, f"hotel near {customer_id}")


def request_ref(customer_id: str, day: date) -> str:
    """The request served at `customer_id` on `day` in these fixtures."""
    return f"R-{customer_id}-{day:%m%d}"


def route(
    engineer_id: str,
    day: date,
    stops: list[str],
    *,
    start: Place = HOME,
    end: Place = HOME,
    kind: Kind = Kind.ONSITE_SERVICE,
    customers: dict[str, Customer] | None = None,
) -> tuple[Route, list[Visit], list[ServiceRequest]]:
    """One engineer-day through the customers `stops` (ids of `customers`, default the
    fixtures'), in that order."""
    known = customers or BY_ID
    visits, requests = [], []
    previous = (start.lat, start.lon)
    clock = datetime.combine(day, time(9, 0), TZ)
    for cid in stops:
        c = known[cid]
        leg = km(previous, (c.lat, c.lon))
        ref = request_ref(cid, day)
        visits.append(
            Visit(
                request_ref=ref,
                engineer_id=engineer_id,
                day=day,
                arrival=clock,
                start=clock,
                end=clock + timedelta(hours=1),
                travel_km=leg,
                travel_minutes=int(leg),
                deadline=None,
                late=False,
                lodging=end.kind == "hotel" and cid == stops[-1],
            )
        )
        requests.append(
            ServiceRequest(
                request_ref=ref,
                customer_id=cid,
                kind=kind,
                subtype="install",
                urgency=Urgency.P3,
                channel=Channel.WEB,
                received_at=datetime.combine(day - timedelta(days=3), time(10), TZ),
                duration_hours=Decimal("1"),
            )
        )
        clock += timedelta(hours=2)
        previous = (c.lat, c.lon)
    back = km(previous, (end.lat, end.lon))
    r = Route(
        engineer_id=engineer_id,
        day=day,
        start_place=start,
        end_place=end,
        visit_keys=tuple((v.request_ref, v.session) for v in visits),
        departure=datetime.combine(day, time(8, 30), TZ),
        return_at=clock,
        return_km=back,
        return_minutes=int(back),
    )
    return r, visits, requests


def lasting(built, hours: int, only: str | None = None):
    """`built` (a :func:`route`) with its visits (or only customer `only`'s) lasting
    `hours` on site."""
    r, visits, requests = built
    longer = [
        replace(v, end=v.start + timedelta(hours=hours))
        if only is None or v.request_ref.startswith(f"R-{only}-")
        else v
        for v in visits
    ]
    return r, longer, requests


def build(
    *routes: tuple[Route, list[Visit], list[ServiceRequest]],
    customers: tuple[Customer, ...] = CUSTOMERS,
) -> tuple[Plan, Problem]:
    """A plan of the given routes and the problem that holds their requests."""
    by_id = {c.customer_id: c for c in customers}
    visits = [v for _, vs, _ in routes for v in vs]
    requests = {r.request_ref: r for _, _, rs in routes for r in rs}
    assessments = tuple(
        Assessment(
            ref, RequestStatus.ACCEPTED, "paid", "paid service", zone=by_id[r.customer_id].zone
        )
        for ref, r in requests.items()
    )
    days = [r.day for r, _, _ in routes] or [date(2026, 11, 2)]
    problem = Problem(
        offices=(OFFICE,),
        engineers=ENGINEERS,
        customers=customers,
        requests=tuple(requests.values()),
        assessments=assessments,
        start=min(days),
    )
    plan = Plan(visits=tuple(visits), routes=tuple(r for r, _, _ in routes), unassigned=())
    return plan, problem
