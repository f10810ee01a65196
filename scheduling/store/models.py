"""The tables of fieldplan's own data (SQLAlchemy 2 typed models).

Reference data (offices, engineers, customers), what intake received (loads, rows, requests,
changes), planning input (unavailability, overtime) and plans (visits, routes, unassigned).
Enumerations are stored as their string values; every datetime column is `AwareDateTime`,
every exact quantity a `Decimal` type. These classes never leave `scheduling.store`: the
repository converts them to the plain objects of `scheduling.model`.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduling.store.base import Base
from scheduling.store.columns import Hours
from scheduling.store.types import AwareDateTime

# Identifiers are capped at 64 characters by the data contract; codes are ours. Free text
# (names, addresses, versions, skills) is unbounded TEXT, so that a long hotel name is
# accepted on PostgreSQL exactly as on SQLite instead of failing the file.
ID = String(64)
CODE = String(32)

# --- reference data ----------------------------------------------------------------------


class OfficeRow(Base):
    """A service office: where engineers start and which holiday calendar applies."""

    __tablename__ = "offices"

    office_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    city: Mapped[str] = mapped_column(Text)
    calendar: Mapped[str] = mapped_column(String(8))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(64))
    lunch_break: Mapped[bool | None] = mapped_column(Boolean)

    overrides: Mapped[list[OfficeCalendarOverrideRow]] = relationship(
        back_populates="office",
        cascade="all, delete-orphan",
        order_by="OfficeCalendarOverrideRow.day",
    )


class OfficeCalendarOverrideRow(Base):
    """An office's own exception to its public calendar: an extra day off or working day."""

    __tablename__ = "office_calendar_overrides"
    __table_args__ = (UniqueConstraint("office_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[str] = mapped_column(ForeignKey("offices.office_id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    working: Mapped[bool] = mapped_column(Boolean)  # True: extra working day; False: day off
    note: Mapped[str] = mapped_column(Text, default="")

    office: Mapped[OfficeRow] = relationship(back_populates="overrides")


class EngineerRow(Base):
    """A field engineer, attached to an office."""

    __tablename__ = "engineers"

    engineer_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    office_id: Mapped[str] = mapped_column(ForeignKey("offices.office_id"), index=True)
    email: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(Text, default="")
    home_lat: Mapped[float | None] = mapped_column(Float)
    home_lon: Mapped[float | None] = mapped_column(Float)

    skills: Mapped[list[EngineerSkillRow]] = relationship(
        cascade="all, delete-orphan", order_by="EngineerSkillRow.skill"
    )


class EngineerSkillRow(Base):
    """One skill of one engineer."""

    __tablename__ = "engineer_skills"

    engineer_id: Mapped[str] = mapped_column(
        ForeignKey("engineers.engineer_id", ondelete="CASCADE"), primary_key=True
    )
    skill: Mapped[str] = mapped_column(Text, primary_key=True)


class CustomerRow(Base):
    """A hotel customer with its licence, version and contract facts (POLICY.md 1)."""

    __tablename__ = "customers"

    customer_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    city: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    office_id: Mapped[str | None] = mapped_column(ForeignKey("offices.office_id"), index=True)
    zone: Mapped[str | None] = mapped_column(CODE)
    level: Mapped[str] = mapped_column(String(4))
    licensed: Mapped[bool] = mapped_column(Boolean)
    purchase_date: Mapped[date] = mapped_column(Date)
    product_version: Mapped[str] = mapped_column(Text)
    upgrade_agreement: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_name: Mapped[str] = mapped_column(Text, default="")
    contact_phone: Mapped[str] = mapped_column(Text, default="")

    paid_periods: Mapped[list[ContractPeriodRow]] = relationship(
        cascade="all, delete-orphan", order_by="ContractPeriodRow.start"
    )
    custom_modules: Mapped[list[CustomModuleRow]] = relationship(
        cascade="all, delete-orphan", order_by="CustomModuleRow.module"
    )


class ContractPeriodRow(Base):
    """A paid service period of a customer, both ends included."""

    __tablename__ = "contract_periods"
    __table_args__ = (UniqueConstraint("customer_id", "start", "end"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.customer_id", ondelete="CASCADE"), index=True
    )
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)


class CustomModuleRow(Base):
    """A custom (customer-specific) module a customer runs (POLICY.md 1: not serviced)."""

    __tablename__ = "custom_modules"

    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.customer_id", ondelete="CASCADE"), primary_key=True
    )
    module: Mapped[str] = mapped_column(Text, primary_key=True)


# --- what intake received ----------------------------------------------------------------


class IntakeLoadRow(Base):
    """One load of one file, with its fingerprint and counts."""

    __tablename__ = "intake_loads"

    load_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(Text)
    file_kind: Mapped[str] = mapped_column(CODE)
    sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(AwareDateTime)
    received: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)


class IntakeRowRow(Base):
    """Every row of every file received, whatever became of it, with the raw cells."""

    __tablename__ = "intake_rows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    load_id: Mapped[int] = mapped_column(
        ForeignKey("intake_loads.load_id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(Text)
    file_kind: Mapped[str] = mapped_column(CODE)
    row_number: Mapped[int] = mapped_column(Integer)
    record_id: Mapped[str | None] = mapped_column(ID, index=True)  # id / request_ref if read
    raw: Mapped[dict[str, Any]] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(16))  # accepted/refused/updated/unchanged
    reason_code: Mapped[str] = mapped_column(CODE, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    column: Mapped[str | None] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(Text)


class RequestRow(Base):
    """A received service request and its assessment (entitlement, zone, deadline)."""

    __tablename__ = "requests"

    request_ref: Mapped[str] = mapped_column(ID, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"), index=True)
    kind: Mapped[str] = mapped_column(CODE)
    subtype: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(4))
    channel: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(AwareDateTime)
    duration_hours: Mapped[Decimal] = mapped_column(Hours)
    sessions: Mapped[int] = mapped_column(Integer, default=1)
    required_skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    target_version: Mapped[str | None] = mapped_column(Text)
    module: Mapped[str | None] = mapped_column(Text)
    backup_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    window_start: Mapped[date | None] = mapped_column(Date)
    window_end: Mapped[date | None] = mapped_column(Date)
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    # the assessment
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason_code: Mapped[str] = mapped_column(CODE, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    validity: Mapped[str | None] = mapped_column(String(16))
    zone: Mapped[str | None] = mapped_column(CODE)
    deadline: Mapped[datetime | None] = mapped_column(AwareDateTime)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    office_id: Mapped[str | None] = mapped_column(ForeignKey("offices.office_id"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime)


class RequestChangeRow(Base):
    """One field of one request changed by a later load: old and new value, when, which load."""

    __tablename__ = "request_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_ref: Mapped[str] = mapped_column(
        ForeignKey("requests.request_ref", ondelete="CASCADE"), index=True
    )
    changed_at: Mapped[datetime] = mapped_column(AwareDateTime)
    field: Mapped[str] = mapped_column(String(64))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    load_id: Mapped[int | None] = mapped_column(
        ForeignKey("intake_loads.load_id", ondelete="SET NULL")
    )


# --- planning input ----------------------------------------------------------------------


class UnavailabilityRow(Base):
    """An engineer away from `start` to `end`, both included (leave, sickness, training)."""

    __tablename__ = "engineer_unavailability"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    engineer_id: Mapped[str] = mapped_column(
        ForeignKey("engineers.engineer_id", ondelete="CASCADE"), index=True
    )
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")


class OvertimeShiftRow(Base):
    """A shift opened on a non-working day for emergencies (POLICY.md: overtime)."""

    __tablename__ = "overtime_shifts"
    __table_args__ = (UniqueConstraint("engineer_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    engineer_id: Mapped[str] = mapped_column(
        ForeignKey("engineers.engineer_id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date)
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)


# --- plans -------------------------------------------------------------------------------


class PlanRow(Base):
    """One computed plan; exactly one is `active`, older ones are `superseded`."""

    __tablename__ = "plans"
    # At most one active plan, enforced by the database even against concurrent saves.
    __table_args__ = (
        Index(
            "uq_plans_one_active",
            "status",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    plan_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime)
    seed: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))  # building / active / superseded
    kpis: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    horizon_start: Mapped[date] = mapped_column(Date)


class VisitRow(Base):
    """One planned stop of a plan, and where it stands in the field."""

    __tablename__ = "visits"
    __table_args__ = (UniqueConstraint("plan_id", "request_ref", "session"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.plan_id", ondelete="CASCADE"))
    request_ref: Mapped[str] = mapped_column(ForeignKey("requests.request_ref"), index=True)
    session: Mapped[int] = mapped_column(Integer, default=1)
    engineer_id: Mapped[str] = mapped_column(ForeignKey("engineers.engineer_id"))
    day: Mapped[date] = mapped_column(Date)
    arrival: Mapped[datetime] = mapped_column(AwareDateTime)
    start: Mapped[datetime] = mapped_column(AwareDateTime)
    end: Mapped[datetime] = mapped_column(AwareDateTime)
    travel_km: Mapped[float] = mapped_column(Float)
    travel_minutes: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[datetime | None] = mapped_column(AwareDateTime)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    lodging: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="planned")


class PlanRouteRow(Base):
    """One engineer-day of a plan: where it starts and ends, and the visits in order."""

    __tablename__ = "plan_routes"
    __table_args__ = (UniqueConstraint("plan_id", "engineer_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.plan_id", ondelete="CASCADE"))
    engineer_id: Mapped[str] = mapped_column(ForeignKey("engineers.engineer_id"))
    day: Mapped[date] = mapped_column(Date)
    start_kind: Mapped[str] = mapped_column(String(16))
    start_lat: Mapped[float] = mapped_column(Float)
    start_lon: Mapped[float] = mapped_column(Float)
    start_label: Mapped[str] = mapped_column(Text, default="")
    end_kind: Mapped[str] = mapped_column(String(16))
    end_lat: Mapped[float] = mapped_column(Float)
    end_lon: Mapped[float] = mapped_column(Float)
    end_label: Mapped[str] = mapped_column(Text, default="")
    visit_keys: Mapped[list[Any]] = mapped_column(JSON, default=list)
    departure: Mapped[datetime] = mapped_column(AwareDateTime)
    return_at: Mapped[datetime] = mapped_column(AwareDateTime)
    return_km: Mapped[float] = mapped_column(Float)
    return_minutes: Mapped[int] = mapped_column(Integer)


class UnassignedRow(Base):
    """A request (or one session) a plan could not place, and why."""

    __tablename__ = "unassigned"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("plans.plan_id", ondelete="CASCADE"), index=True
    )
    request_ref: Mapped[str] = mapped_column(ID)
    session: Mapped[int | None] = mapped_column(Integer)
    reason_code: Mapped[str] = mapped_column(CODE)
    reason: Mapped[str] = mapped_column(Text, default="")
