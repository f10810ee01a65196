"""Entitlement: licence, validity, upgrades, priority (POLICY.md 1, 2, 4)."""

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from scheduling.entitlement import (
    DECISIONS,
    add_months,
    decide,
    priority_score,
    validity_on,
)
from scheduling.model import (
    Channel,
    Customer,
    Kind,
    Level,
    PaidPeriod,
    RequestStatus,
    ServiceRequest,
    Urgency,
    Validity,
)
from scheduling.policy import load_policy

POLICY = load_policy()
CUSTOMER = Customer(
    customer_id="C001",
    name="Hotel",
    city="Shanghai",
    address="",
    lat=31.2,
    lon=121.5,
    level=Level.B,
    licensed=True,
    purchase_date=date(2024, 2, 29),
    product_version="9.00",
    paid_periods=(PaidPeriod(date(2025, 6, 1), date(2026, 5, 31)),),
    custom_modules=frozenset({"X"}),
)


def on(day: date, **kw) -> ServiceRequest:
    return ServiceRequest(
        request_ref="R",
        customer_id="C001",
        kind=Kind.ONSITE_SERVICE,
        subtype=kw.pop("subtype", "troubleshooting"),
        urgency=Urgency.P1,
        channel=Channel.HOTLINE,
        received_at=datetime(day.year, day.month, day.day, 10, tzinfo=ZoneInfo("Asia/Shanghai")),
        duration_hours=Decimal("1"),
        **kw,
    )


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2024, 2, 29), Validity.FREE),  # purchase day
        (date(2025, 2, 27), Validity.FREE),  # last free day (Feb 29 + 12 months = Feb 28)
        (date(2025, 2, 28), Validity.EXPIRED),  # free year over, no paid period yet
        (date(2025, 6, 1), Validity.PAID),  # paid period, first day
        (date(2026, 5, 31), Validity.PAID),  # paid period, last day included
        (date(2026, 6, 1), Validity.EXPIRED),
    ],
)
def test_validity_is_decided_on_the_request_date(day, expected):
    """POLICY.md 1: free in the first year, paid inside a paid period, else expired."""
    assert validity_on(CUSTOMER, day, POLICY) is expected


def test_add_months_clamps_to_month_end():
    """29 Feb plus 12 months is 28 Feb; 31 Jan plus one month is 28/29 Feb."""
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 15), 3) == date(2025, 2, 15)


def test_free_months_come_from_the_policy():
    """A policy with six free months ends the free period after six months."""
    short = POLICY.model_copy(
        update={"entitlement": POLICY.entitlement.model_copy(update={"free_service_months": 6})}
    )
    assert validity_on(CUSTOMER, date(2024, 9, 1), short) is Validity.EXPIRED
    assert validity_on(CUSTOMER, date(2024, 8, 28), short) is Validity.FREE


def test_every_reason_code_has_a_source_and_a_sentence():
    """Each decision rule cites its POLICY.md section and has a human sentence."""
    for code, rule in DECISIONS.items():
        assert rule.source.startswith("POLICY.md"), code
        assert rule.sentence.endswith("."), code


def test_unlicensed_is_refused_even_within_validity():
    """POLICY.md 1: no licence, no service (`not_licensed`)."""
    decision = decide(on(date(2024, 5, 1)), replace(CUSTOMER, licensed=False), POLICY)
    assert (decision.status, decision.reason_code) == (RequestStatus.REFUSED, "not_licensed")
    assert "C001" in decision.reason


def test_request_before_purchase_is_refused():
    """A request dated before the purchase cannot be served under it."""
    decision = decide(on(date(2024, 1, 5)), CUSTOMER, POLICY)
    assert decision.reason_code == "before_purchase"


def test_expired_request_is_expired_not_refused():
    """POLICY.md 1: outside validity the request is EXPIRED (logged, sales follow-up)."""
    decision = decide(on(date(2025, 3, 10)), CUSTOMER, POLICY)
    assert (decision.status, decision.reason_code) == (RequestStatus.EXPIRED, "expired")


@pytest.mark.parametrize(
    ("target", "agreement", "status", "code"),
    [
        ("9.01", False, RequestStatus.ACCEPTED, "free"),
        ("9.12", False, RequestStatus.ACCEPTED, "free"),
        ("10.00", False, RequestStatus.HELD, "needs_upgrade_agreement"),
        ("10.00", True, RequestStatus.ACCEPTED, "free"),
        ("8.50", False, RequestStatus.REFUSED, "downgrade"),
        ("ten", False, RequestStatus.REFUSED, "bad_version"),
    ],
)
def test_upgrade_rules(target, agreement, status, code):
    """POLICY.md 2: minor/medium free, major needs an agreement, no downgrades."""
    customer = replace(CUSTOMER, upgrade_agreement=agreement)
    decision = decide(on(date(2024, 6, 1), target_version=target), customer, POLICY)
    assert (decision.status, decision.reason_code) == (status, code)


def test_custom_module_is_never_upgraded_even_with_agreement():
    """POLICY.md 2: custom modules are never upgraded (`custom_module`)."""
    customer = replace(CUSTOMER, upgrade_agreement=True)
    request = on(date(2024, 6, 1), subtype="upgrade", module="X", target_version="9.12")
    assert decide(request, customer, POLICY).reason_code == "custom_module"


def test_custom_module_troubleshooting_is_served():
    """Work on a custom module that is not an upgrade is ordinary service."""
    request = on(date(2024, 6, 1), module="X")
    assert decide(request, CUSTOMER, POLICY).status is RequestStatus.ACCEPTED


def test_priority_is_urgency_times_level():
    """POLICY.md 4: priority = urgency weight x level weight; expired gets the expired score."""
    assert priority_score("P1", "A", POLICY, expired=False) == 8 * 3
    assert priority_score(Urgency.P4, Level.C, POLICY, expired=False) == 1
    assert priority_score("P1", "A", POLICY, expired=True) == POLICY.priority.expired_score
