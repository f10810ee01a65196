"""Assessment of a request: status, reason, zone, deadline, priority (POLICY.md 1, 2, 4)."""

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from scheduling.assessment import assess
from scheduling.model import (
    Channel,
    Customer,
    Kind,
    Level,
    Office,
    PaidPeriod,
    RequestStatus,
    ServiceRequest,
    Urgency,
    Validity,
    Zone,
)
from scheduling.policy import load_policy

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = load_policy()
OFFICE_SH = Office("SH", "Shanghai office", "Shanghai", "CN", 31.2304, 121.4737)
OFFICE_BJ = Office("BJ", "Beijing office", "Beijing", "CN", 39.9042, 116.4074)
OFFICES = (OFFICE_SH, OFFICE_BJ)
HANGZHOU_HOTEL = Customer(
    customer_id="C001",
    name="West Lake Hotel",
    city="Hangzhou",
    address="1 Lake Rd",
    lat=30.2741,
    lon=120.1551,
    level=Level.A,
    licensed=True,
    purchase_date=date(2025, 1, 10),
    product_version="9.00",
    paid_periods=(PaidPeriod(date(2026, 1, 10), date(2027, 1, 9)),),
    custom_modules=frozenset({"spa-billing"}),
)
REQUEST = ServiceRequest(
    request_ref="R1",
    customer_id="C001",
    kind=Kind.ONSITE_SERVICE,
    subtype="troubleshooting",
    urgency=Urgency.P2,
    channel=Channel.WEB,
    received_at=datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI),
    duration_hours=Decimal("2"),
)


def test_free_year_request_is_accepted_with_a_deadline():
    """An out-of-town request logged 2025-09-30 in the free year is due Sat 2025-10-11 18:00."""
    result = assess(REQUEST, HANGZHOU_HOTEL, OFFICES, POLICY)
    assert result.status is RequestStatus.ACCEPTED
    assert result.reason_code == "free"
    assert result.validity is Validity.FREE
    assert result.zone is Zone.OUT_OF_TOWN
    assert result.office_id == "SH"
    assert result.deadline == datetime(2025, 10, 11, 18, 0, tzinfo=SHANGHAI)
    assert result.priority == 4 * 3


def test_paid_period_request_is_accepted_as_paid():
    """A request inside a paid period after the free year is accepted as `paid`."""
    request = replace(REQUEST, received_at=datetime(2026, 11, 24, 10, tzinfo=SHANGHAI))
    result = assess(request, HANGZHOU_HOTEL, OFFICES, POLICY)
    assert (result.status, result.reason_code) == (RequestStatus.ACCEPTED, "paid")
    assert result.deadline == datetime(2026, 11, 27, 18, 0, tzinfo=SHANGHAI)


def test_expired_request_has_no_deadline_and_lowest_priority():
    """POLICY.md 1: an expired request is logged without deadline, at the expired score."""
    request = replace(REQUEST, received_at=datetime(2027, 3, 1, 10, tzinfo=SHANGHAI))
    result = assess(request, HANGZHOU_HOTEL, OFFICES, POLICY)
    assert result.status is RequestStatus.EXPIRED
    assert result.reason_code == "expired"
    assert result.deadline is None
    assert result.priority == POLICY.priority.expired_score
    assert "renewal" in result.reason


def test_unlicensed_customer_is_refused():
    """POLICY.md 1: an unlicensed customer's request is refused `not_licensed`."""
    customer = replace(HANGZHOU_HOTEL, licensed=False)
    result = assess(REQUEST, customer, OFFICES, POLICY)
    assert (result.status, result.reason_code) == (RequestStatus.REFUSED, "not_licensed")
    assert result.deadline is None and result.priority == 0


def test_major_upgrade_without_agreement_is_held():
    """POLICY.md 2: 9.00 → 10.00 is held `needs_upgrade_agreement` without an agreement."""
    request = replace(REQUEST, subtype="upgrade", target_version="10.00")
    result = assess(request, HANGZHOU_HOTEL, OFFICES, POLICY)
    assert (result.status, result.reason_code) == (RequestStatus.HELD, "needs_upgrade_agreement")
    assert result.deadline is not None


def test_major_upgrade_with_agreement_is_accepted():
    """POLICY.md 2: a major upgrade is accepted when the customer has an upgrade agreement."""
    request = replace(REQUEST, subtype="upgrade", target_version="10.00")
    customer = replace(HANGZHOU_HOTEL, upgrade_agreement=True)
    result = assess(request, customer, OFFICES, POLICY)
    assert result.status is RequestStatus.ACCEPTED


def test_medium_upgrade_is_free():
    """POLICY.md 2: 9.00 → 9.12 is a free upgrade within validity."""
    request = replace(REQUEST, subtype="upgrade", target_version="9.12")
    result = assess(request, HANGZHOU_HOTEL, OFFICES, POLICY)
    assert result.status is RequestStatus.ACCEPTED
    assert "medium" in result.reason


def test_custom_module_upgrade_is_refused():
    """POLICY.md 2: an upgrade of a custom module is refused `custom_module`."""
    request = replace(REQUEST, subtype="upgrade", target_version="9.12", module="spa-billing")
    result = assess(request, HANGZHOU_HOTEL, OFFICES, POLICY)
    assert (result.status, result.reason_code) == (RequestStatus.REFUSED, "custom_module")


def test_unknown_office_is_refused_with_reason():
    """A customer naming an office that does not exist is refused `no_office`, not crashed."""
    customer = replace(HANGZHOU_HOTEL, office_id="XX")
    result = assess(REQUEST, customer, OFFICES, POLICY)
    assert (result.status, result.reason_code) == (RequestStatus.REFUSED, "no_office")
    assert "XX" in result.reason


def test_request_for_another_customer_is_an_error():
    """Assessing a request against the wrong customer is a programming error, not a refusal."""
    with pytest.raises(ValueError, match="not C002"):
        assess(REQUEST, replace(HANGZHOU_HOTEL, customer_id="C002"), OFFICES, POLICY)


def test_city_customer_gets_the_48_hour_clock():
    """A Shanghai customer near the office is `city`: 48 h on the working-day clock."""
    customer = replace(HANGZHOU_HOTEL, city="Shanghai", lat=31.22, lon=121.48)
    request = replace(REQUEST, received_at=datetime(2025, 11, 21, 17, tzinfo=SHANGHAI))
    result = assess(request, customer, OFFICES, POLICY)
    assert result.zone is Zone.CITY
    assert result.deadline == datetime(2025, 11, 25, 17, tzinfo=SHANGHAI)
