"""Assessment of one received request: entitlement, zone, deadline and priority, decided once.

:func:`assess` combines :mod:`scheduling.zones` (serving office and zone, POLICY.md 4),
:mod:`scheduling.entitlement` (licence, validity, upgrades, POLICY.md 1-2) and
:mod:`scheduling.deadlines` (response deadline on the office's working calendar, POLICY.md 4)
into a :class:`~scheduling.model.Assessment`:

* ACCEPTED: entitled, with a deadline and a priority score;
* EXPIRED: logged, no deadline, the policy's lowest priority, listed for sales follow-up;
* HELD: waits for a business decision (e.g. `needs_upgrade_agreement`), deadline computed;
* REFUSED: `not_licensed`, `custom_module`, `bad_version`, `downgrade`, `before_purchase`,
  `no_office`; priority 0, no deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from scheduling.calendars import WorkingCalendar, calendar_for
from scheduling.deadlines import response_deadline
from scheduling.entitlement import decide, priority_score
from scheduling.model import (
    Assessment,
    Customer,
    Office,
    RequestStatus,
    ServiceRequest,
    Validity,
)
from scheduling.policy import Policy
from scheduling.zones import zone_of

_CALENDARS: dict[tuple, WorkingCalendar] = {}


def _calendar(office: Office, policy: Policy) -> WorkingCalendar:
    # Calendars are cheap but their vectorized index is not; one per office and hours.
    key = (office, policy.working_hours)
    found = _CALENDARS.get(key)
    if found is None:
        if len(_CALENDARS) > 256:
            _CALENDARS.clear()
        found = _CALENDARS[key] = calendar_for(office, policy)
    return found


def assess(
    request: ServiceRequest,
    customer: Customer,
    offices: Sequence[Office],
    policy: Policy,
    today: date | None = None,
) -> Assessment:
    """Decide the status, reason, validity, zone, deadline, priority and office of `request`.

    Everything is decided on the request's own date (the day of `received_at` in the
    serving office's time zone), never on `today`, which callers may pass but which does
    not change any decision (POLICY.md 1). A request whose customer names an unknown
    office is REFUSED `no_office`.
    """
    del today  # POLICY.md 1: the request's date decides, not the day of assessment.
    if request.customer_id != customer.customer_id:
        raise ValueError(
            f"request {request.request_ref} is for customer {request.customer_id}, "
            f"not {customer.customer_id}"
        )
    try:
        where = zone_of(customer, offices, policy)
    except ValueError as exc:
        return Assessment(
            request_ref=request.request_ref,
            status=RequestStatus.REFUSED,
            reason_code="no_office",
            reason=str(exc),
        )
    calendar = _calendar(where.office, policy)
    on = calendar.local(request.received_at).date()
    decision = decide(request, customer, policy, on=on)
    common = dict(
        request_ref=request.request_ref,
        validity=decision.validity,
        zone=where.zone,
        office_id=where.office.office_id,
    )
    if decision.status is RequestStatus.REFUSED:
        return Assessment(
            status=decision.status,
            reason_code=decision.reason_code,
            reason=decision.reason,
            **common,
        )
    expired = decision.validity is Validity.EXPIRED
    priority = priority_score(request.urgency, customer.level, policy, expired=expired)
    if expired:
        return Assessment(
            status=RequestStatus.EXPIRED,
            reason_code=decision.reason_code,
            reason=decision.reason,
            priority=priority,
            **common,
        )
    result = response_deadline(request, where.zone, calendar, policy, decision.validity)
    reason = decision.reason
    if result.warnings:
        reason += " Warning: " + " ".join(result.warnings)
    return Assessment(
        status=decision.status,
        reason_code=decision.reason_code,
        reason=reason,
        deadline=result.deadline,
        priority=priority,
        **common,
    )
