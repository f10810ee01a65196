"""Who is served, and how urgently (POLICY.md 1, 2 and 4).

The rules are a declarative table (:data:`DECISIONS`): each reason code names its status,
the POLICY.md section (and seed clause) it implements and the sentence shown to people.
:func:`decide` is the engine that applies them, in this order:

1. no licence → REFUSED `not_licensed` (POLICY.md 1, seed 二.1);
2. a request dated before the purchase → REFUSED `before_purchase`;
3. an upgrade of a custom module → REFUSED `custom_module` (POLICY.md 2, seed 五.3), whatever
   the validity: custom modules are never upgraded;
4. a malformed or backwards target version → REFUSED `bad_version` / `downgrade`;
5. outside validity → EXPIRED `expired` (POLICY.md 1, seed 二.2): logged, no deadline,
   lowest priority, listed for sales follow-up;
6. a major upgrade without an upgrade agreement → HELD `needs_upgrade_agreement`
   (POLICY.md 2);
7. else ACCEPTED with the validity as reason code (`free` or `paid`).
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass
from datetime import date, timedelta

from scheduling.model import Customer, Level, RequestStatus, ServiceRequest, Urgency, Validity
from scheduling.policy import Policy
from scheduling.versions import UpgradeClass, VersionError, classify_upgrade


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the decision table: what a reason code means and where it comes from."""

    status: RequestStatus
    source: str  # POLICY.md section (seed clause)
    sentence: str  # str.format template over the decision's facts


DECISIONS: dict[str, Rule] = {
    "not_licensed": Rule(
        RequestStatus.REFUSED,
        "POLICY.md 1 (二.1)",
        "Customer {customer} holds no licence of the product line: the request is logged "
        "and refused.",
    ),
    "before_purchase": Rule(
        RequestStatus.REFUSED,
        "POLICY.md 1 (二.2)",
        "The request is dated {on}, before customer {customer}'s purchase on {purchase}.",
    ),
    "custom_module": Rule(
        RequestStatus.REFUSED,
        "POLICY.md 2 (五.3)",
        "Module {module} is a custom module of customer {customer}; custom modules are never "
        "upgraded.",
    ),
    "bad_version": Rule(
        RequestStatus.REFUSED,
        "POLICY.md 2 (五.3)",
        "The upgrade cannot be classified: {error}.",
    ),
    "downgrade": Rule(
        RequestStatus.REFUSED,
        "POLICY.md 2 (五.3)",
        "Target version {target} is older than the installed {current}: not an upgrade.",
    ),
    "expired": Rule(
        RequestStatus.EXPIRED,
        "POLICY.md 1 (二.2)",
        "Customer {customer} is outside its service validity on {on} (free period ended "
        "{free_until}, no paid period covers the day): logged without a deadline, planned "
        "last, listed for a renewal follow-up.",
    ),
    "needs_upgrade_agreement": Rule(
        RequestStatus.HELD,
        "POLICY.md 2 (五.3)",
        "Upgrade {current} → {target} is a {upgrade} upgrade; it needs a separate upgrade "
        "agreement, which customer {customer} does not have: held.",
    ),
    "free": Rule(
        RequestStatus.ACCEPTED,
        "POLICY.md 1 (二.2)",
        "Customer {customer} is in its free service period on {on} "
        "(until {free_until}){upgrade_note}.",
    ),
    "paid": Rule(
        RequestStatus.ACCEPTED,
        "POLICY.md 1 (二.2)",
        "Customer {customer} is inside a paid service period on {on} ({period}){upgrade_note}.",
    ),
}


@dataclass(frozen=True, slots=True)
class Decision:
    """An entitlement decision: status, machine-readable code, sentence and the facts."""

    status: RequestStatus
    reason_code: str
    reason: str
    source: str
    validity: Validity | None
    upgrade: UpgradeClass | None = None


def add_months(day: date, months: int) -> date:
    """`day` moved by whole calendar months, clamped to the month's last day (Feb 29 → 28)."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    last = _calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def free_until(customer: Customer, policy: Policy) -> date:
    """The first day no longer in the free period (purchase + free_service_months)."""
    return add_months(customer.purchase_date, policy.entitlement.free_service_months)


def validity_on(customer: Customer, day: date, policy: Policy) -> Validity:
    """POLICY.md 1 (seed 二.2): `free` in the first months after purchase, `paid` inside a paid
    period (both ends included), else `expired`. The free period takes precedence."""
    if customer.purchase_date <= day < free_until(customer, policy):
        return Validity.FREE
    if any(period.covers(day) for period in customer.paid_periods):
        return Validity.PAID
    return Validity.EXPIRED


def is_upgrade(request: ServiceRequest) -> bool:
    """True when the request asks for an upgrade (a target version or subtype `upgrade`)."""
    return request.target_version is not None or request.subtype.strip().lower() == "upgrade"


def priority_score(
    urgency: Urgency | str, level: Level | str, policy: Policy, expired: bool
) -> int:
    """POLICY.md 4 (seed 一.3): urgency weight × customer-level weight; expired requests get
    the policy's `expired_score` (lowest)."""
    if expired:
        return policy.priority.expired_score
    return policy.priority.urgency[str(Urgency(urgency))] * policy.priority.level[str(Level(level))]


def _decision(
    code: str, validity: Validity | None, upgrade_class: UpgradeClass | None, **facts
) -> Decision:
    rule = DECISIONS[code]
    return Decision(
        rule.status, code, rule.sentence.format(**facts), rule.source, validity, upgrade_class
    )


def decide(
    request: ServiceRequest,
    customer: Customer,
    policy: Policy,
    on: date | None = None,
) -> Decision:
    """The entitlement decision for `request` on its own date (`on`, default the date of
    `received_at`), applying :data:`DECISIONS` in the order of the module docstring."""
    on = on or request.received_at.date()
    until = free_until(customer, policy)
    facts = {
        "customer": customer.customer_id,
        "on": on.isoformat(),
        "purchase": customer.purchase_date.isoformat(),
        "free_until": (until - timedelta(days=1)).isoformat(),
        "module": request.module,
        "current": customer.product_version,
        "target": request.target_version,
        "upgrade": None,
        "upgrade_note": "",
        "period": "",
        "error": "",
    }
    if policy.entitlement.require_licence and not customer.licensed:
        return _decision("not_licensed", None, None, **facts)
    if on < customer.purchase_date:
        return _decision("before_purchase", None, None, **facts)
    upgrade_requested = is_upgrade(request)
    if (
        upgrade_requested
        and request.module is not None
        and request.module in customer.custom_modules
        and not policy.versions.custom_modules_upgradable
    ):
        return _decision("custom_module", None, None, **facts)
    upgrade: UpgradeClass | None = None
    if request.target_version is not None:
        try:
            upgrade = classify_upgrade(customer.product_version, request.target_version)
        except VersionError as exc:
            return _decision("bad_version", None, None, **{**facts, "error": str(exc)})
        if upgrade == "downgrade":
            return _decision("downgrade", None, upgrade, **facts)
        facts["upgrade"] = upgrade
    validity = validity_on(customer, on, policy)
    if validity is Validity.EXPIRED:
        return _decision("expired", validity, upgrade, **facts)
    if upgrade in ("major", "medium", "minor"):
        free = upgrade in policy.versions.free_upgrade_levels
        if not free and policy.versions.major_needs_agreement and not customer.upgrade_agreement:
            return _decision("needs_upgrade_agreement", validity, upgrade, **facts)
        how = "free" if free else "under the customer's upgrade agreement"
        facts["upgrade_note"] = (
            f"; upgrade {customer.product_version} → {request.target_version} is {upgrade}, {how}"
        )
    if validity is Validity.PAID:
        period = next(p for p in customer.paid_periods if p.covers(on))
        facts["period"] = f"{period.start.isoformat()} to {period.end.isoformat()}"
    return _decision(validity.value, validity, upgrade, **facts)
