"""Cutting a planning problem by office and joining the parts' plans."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flows.partition import merge_kpis, merge_plans, split_by_office
from scheduling.model import (
    Assessment,
    Channel,
    Customer,
    Engineer,
    Kind,
    Level,
    Office,
    Plan,
    Problem,
    RequestStatus,
    ServiceRequest,
    Unassigned,
    Unavailability,
    Urgency,
    Visit,
)

TZ = ZoneInfo("Asia/Shanghai")
GZ = Office("GZ", "Guangzhou", "Guangzhou", "CN", 23.13, 113.26)
SH = Office("SH", "Shanghai", "Shanghai", "CN", 31.23, 121.47)


def customer(cid: str, lat: float, lon: float, office: str | None = None) -> Customer:
    """A licensed level-B customer at (lat, lon)."""
    return Customer(cid, cid, "", "", lat, lon, Level.B, True, date(2026, 1, 1), "9.12", office)


def request(ref: str, cid: str) -> ServiceRequest:
    """A two-hour troubleshooting request."""
    return ServiceRequest(
        ref,
        cid,
        Kind.ONSITE_SERVICE,
        "troubleshoot",
        Urgency.P2,
        Channel.WEB,
        datetime(2026, 11, 27, 10, tzinfo=TZ),
        Decimal("2"),
    )


def assessment(ref: str, office: str | None) -> Assessment:
    """An accepted request served by `office`."""
    return Assessment(ref, RequestStatus.ACCEPTED, "free", "free", office_id=office)


def visit(ref: str, engineer: str) -> Visit:
    """A one-hour visit on Monday 30 November."""
    at = datetime(2026, 11, 30, 10, tzinfo=TZ)
    return Visit(ref, engineer, at.date(), at, at, at + timedelta(hours=1), 1.0, 5, None, False)


PROBLEM = Problem(
    offices=(SH, GZ),
    engineers=(Engineer("E1", "a", "GZ", frozenset()), Engineer("E2", "b", "SH", frozenset())),
    customers=(
        customer("C1", 23.1, 113.3),
        customer("C2", 31.2, 121.5),
        customer("C3", 31.3, 121.4),
    ),
    requests=(request("R1", "C1"), request("R2", "C2"), request("R3", "C3")),
    assessments=(assessment("R1", "GZ"), assessment("R2", "SH"), assessment("R3", None)),
    start=date(2026, 11, 30),
    pinned=(visit("R2", "E2"),),
    unavailable=(Unavailability("E1", date(2026, 12, 1), date(2026, 12, 1)),),
    previous=(visit("R1", "E1"), visit("R2", "E2")),
)


def test_split_gives_each_office_its_engineers_requests_and_field_state():
    """Each part holds one office's engineers, requests, customers, pins and absences."""
    gz, sh = split_by_office(PROBLEM)
    assert [o.office_id for o in gz.offices] == ["GZ"]
    assert [e.engineer_id for e in gz.engineers] == ["E1"]
    assert [r.request_ref for r in gz.requests] == ["R1"]
    assert [c.customer_id for c in gz.customers] == ["C1"]
    assert [u.engineer_id for u in gz.unavailable] == ["E1"] and gz.pinned == ()
    # R3 names no office: its customer's nearest office (Shanghai) serves it.
    assert [r.request_ref for r in sh.requests] == ["R2", "R3"]
    assert [a.request_ref for a in sh.assessments] == ["R2", "R3"]
    assert [v.request_ref for v in sh.pinned] == ["R2"] and sh.unavailable == ()


def test_split_loses_no_request():
    """Every request of the problem is in exactly one part."""
    parts = split_by_office(PROBLEM)
    refs = [r.request_ref for p in parts for r in p.requests]
    assert sorted(refs) == ["R1", "R2", "R3"]


def test_merge_joins_visits_and_unassigned_and_sums_kpis():
    """The joined plan has every part's visits and unassigned; counts add, shares weigh."""
    a = Plan((visit("R1", "E1"),), (), (), kpis={"travel_km": 10.0, "on_time_share": 1.0})
    b = Plan(
        (visit("R2", "E2"), visit("R3", "E2")),
        (),
        (Unassigned("R4", "no_capacity", "full"),),
        kpis={"travel_km": 5.5, "on_time_share": 0.5},
    )
    merged = merge_plans([a, b])
    assert [v.request_ref for v in merged.visits] == ["R1", "R2", "R3"]
    assert [u.request_ref for u in merged.unassigned] == ["R4"]
    assert merged.kpis["travel_km"] == 15.5
    assert abs(merged.kpis["on_time_share"] - (1.0 * 1 + 0.5 * 2) / 3) < 1e-9
    assert merge_kpis([a]) == a.kpis
