"""The domain's plain data: what intake reads, what the planner takes and what it returns.

Frozen dataclasses, no behaviour beyond small derived properties, no database and no Prefect.
Every datetime is timezone-aware; money never appears here as float.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum


class Zone(StrEnum):
    """POLICY.md 4: where a customer is, relative to its serving office."""

    CITY = "city"
    SUBURBAN = "suburban"
    OUT_OF_TOWN = "out_of_town"


class Kind(StrEnum):
    """POLICY.md 3: the kinds of work that send an engineer out."""

    ONSITE_SERVICE = "onsite_service"
    TRAINING = "training"
    HEALTH_CHECK = "health_check"


class Urgency(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Level(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class Channel(StrEnum):
    WEB = "web"
    HOTLINE = "hotline"
    REMOTE = "remote"
    IM = "im"


class Validity(StrEnum):
    """POLICY.md 1 (seed 二.2): the customer's service validity on the request's date."""

    FREE = "free"
    PAID = "paid"
    EXPIRED = "expired"


class RequestStatus(StrEnum):
    """Where a received request stands after intake and entitlement."""

    ACCEPTED = "accepted"  # entitled, has a deadline, to be planned
    EXPIRED = "expired"  # logged, no SLA deadline, planned last, listed for sales
    HELD = "held"  # e.g. major upgrade without agreement: waits for a business decision
    REFUSED = "refused"  # bad row, unlicensed, custom module: stored with the reason
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class Office:
    office_id: str
    name: str
    city: str
    calendar: str  # CN, HK, MO, TW
    lat: float
    lon: float
    timezone: str = "Asia/Shanghai"
    extra_days_off: tuple[date, ...] = ()
    extra_working_days: tuple[date, ...] = ()
    lunch_break: bool | None = None  # None: the policy's default


@dataclass(frozen=True, slots=True)
class Engineer:
    engineer_id: str
    name: str
    office_id: str
    skills: frozenset[str]
    email: str = ""
    phone: str = ""
    home_lat: float | None = None  # None: the office
    home_lon: float | None = None


@dataclass(frozen=True, slots=True)
class PaidPeriod:
    start: date
    end: date  # inclusive

    def covers(self, day: date) -> bool:
        """True when `day` lies inside the period, both ends included."""
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: str
    name: str
    city: str
    address: str
    lat: float
    lon: float
    level: Level
    licensed: bool
    purchase_date: date
    product_version: str
    office_id: str | None = None  # None: nearest office
    zone: Zone | None = None  # None: derived by policy
    paid_periods: tuple[PaidPeriod, ...] = ()
    custom_modules: frozenset[str] = frozenset()
    upgrade_agreement: bool = False
    contact_name: str = ""
    contact_phone: str = ""


@dataclass(frozen=True, slots=True)
class ServiceRequest:
    request_ref: str
    customer_id: str
    kind: Kind
    subtype: str
    urgency: Urgency
    channel: Channel
    received_at: datetime
    duration_hours: Decimal
    sessions: int = 1
    required_skills: frozenset[str] = frozenset()
    target_version: str | None = None
    module: str | None = None
    backup_confirmed: bool = False
    window_start: date | None = None
    window_end: date | None = None
    emergency: bool = False
    notes: str = ""


@dataclass(frozen=True, slots=True)
class Assessment:
    """Entitlement and deadline of one request, decided at intake."""

    request_ref: str
    status: RequestStatus
    reason_code: str  # machine-readable, e.g. "free", "not_licensed"
    reason: str  # a human sentence
    validity: Validity | None = None
    zone: Zone | None = None
    deadline: datetime | None = None
    priority: int = 0
    office_id: str | None = None


# --- planning input -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unavailability:
    """An engineer who cannot work from `start` to `end` (both inclusive)."""

    engineer_id: str
    start: date
    end: date
    reason: str = ""


@dataclass(frozen=True, slots=True)
class OvertimeShift:
    """A dispatcher-opened shift on a non-working day, for emergency requests only."""

    engineer_id: str
    day: date
    start: time = time(9, 0)
    end: time = time(18, 0)


@dataclass(frozen=True, slots=True)
class Visit:
    """One planned stop: a request, or one session of a multi-day training."""

    request_ref: str
    engineer_id: str
    day: date
    arrival: datetime
    start: datetime
    end: datetime
    travel_km: float
    travel_minutes: int
    deadline: datetime | None
    late: bool
    session: int = 1
    pinned: bool = False
    lodging: bool = False  # the engineer sleeps away after this day's last stop

    @property
    def key(self) -> tuple[str, int]:
        """Identity of the visit across re-plans: (request_ref, session)."""
        return (self.request_ref, self.session)


@dataclass(frozen=True, slots=True)
class Problem:
    """Everything the planner needs, as plain data."""

    offices: tuple[Office, ...]
    engineers: tuple[Engineer, ...]
    customers: tuple[Customer, ...]
    requests: tuple[ServiceRequest, ...]
    assessments: tuple[Assessment, ...]
    start: date  # first day of the horizon
    pinned: tuple[Visit, ...] = ()
    unavailable: tuple[Unavailability, ...] = ()
    overtime: tuple[OvertimeShift, ...] = ()
    previous: tuple[Visit, ...] = ()  # the last plan, for warm starts and minimal moves

    def office(self, office_id: str) -> Office:
        """The office with this id; KeyError if unknown."""
        for office in self.offices:
            if office.office_id == office_id:
                return office
        raise KeyError(office_id)


# --- planning output ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    kind: str  # "home", "office" or "hotel"
    lat: float
    lon: float
    label: str = ""


@dataclass(frozen=True, slots=True)
class Route:
    """One engineer-day: from `start_place`, through the visits in order, to `end_place`."""

    engineer_id: str
    day: date
    start_place: Place
    end_place: Place
    visit_keys: tuple[tuple[str, int], ...]
    departure: datetime
    return_at: datetime
    return_km: float
    return_minutes: int


@dataclass(frozen=True, slots=True)
class Unassigned:
    request_ref: str
    reason_code: str  # no_skilled_engineer, deadline_unreachable, no_capacity, outside_window…
    reason: str
    session: int | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    visits: tuple[Visit, ...]
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    kpis: dict[str, float | int | str] = field(default_factory=dict)
    seed: int = 0
    created_at: datetime | None = None
