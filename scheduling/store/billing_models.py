"""The billing ledger's tables: trips, cost lines, actual expenses and export batches.

The ledger's promise (POLICY.md 6: "never billed twice") lives in the database: a cost line
has one row whose `version` grows with every change of what it bills; an export batch line
records which version of which line it carried, and a version goes out at most once
(unique `line_id, line_version`). What a batch exported is copied into its lines, so a
batch's files can be rebuilt byte for byte whatever happened to the cost lines since.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from scheduling.store.base import Base
from scheduling.store.types import AwareDateTime, Money

ID = String(64)


class ExactDecimal(TypeDecorator[Decimal]):
    """A non-money exact quantity (km to the metre, a share to 6 places).

    NUMERIC on PostgreSQL; text on SQLite, which has no exact decimals.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 18, scale: int = 6) -> None:
        super().__init__(precision, scale)
        self.places = scale

    def load_dialect_impl(self, dialect: Dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(18, self.places, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect):
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"expected Decimal, got {type(value).__name__} {value!r}")
        quantized = value.quantize(Decimal(1).scaleb(-self.places))
        if quantized != value:
            raise ValueError(f"{value} has more than {self.places} decimal places")
        return str(quantized) if dialect.name == "sqlite" else quantized

    def process_result_value(self, value, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(Decimal(1).scaleb(-self.places))


class TripRow(Base):
    """One engineer-day trip as last priced: enough to re-price it when actuals arrive."""

    __tablename__ = "trips"

    trip_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    plan_id: Mapped[str | None] = mapped_column(ID)
    engineer_id: Mapped[str] = mapped_column(ID)
    day: Mapped[date] = mapped_column(Date, index=True)
    start_kind: Mapped[str] = mapped_column(String(16))
    end_kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(32))
    estimate_total: Mapped[Decimal] = mapped_column(Money)
    billed_total: Mapped[Decimal] = mapped_column(Money)
    unallocated: Mapped[Decimal] = mapped_column(Money)
    capped: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))  # planned | cancelled
    # The priced trip (items, stand-alone costs, stops, names) as JSON with decimal strings.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime)


class CostLineRow(Base):
    """A customer's part of one item of one trip; `version` grows with every change."""

    __tablename__ = "cost_lines"

    line_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    trip_id: Mapped[str] = mapped_column(ForeignKey("trips.trip_id"), index=True)
    customer_id: Mapped[str] = mapped_column(ID, index=True)
    customer_name: Mapped[str] = mapped_column(Text)
    request_ref: Mapped[str] = mapped_column(Text)  # ';'-joined when several
    visit_date: Mapped[date] = mapped_column(Date, index=True)
    engineer_id: Mapped[str] = mapped_column(ID)
    engineer_name: Mapped[str] = mapped_column(Text)
    item: Mapped[str] = mapped_column(String(16))
    tag: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(18, 3))
    unit_rate: Mapped[Decimal | None] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)  # billed now: actual, else estimate
    estimate: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    basis: Mapped[str] = mapped_column(String(16))  # estimate | actual
    method: Mapped[str] = mapped_column(String(32))
    share: Mapped[Decimal] = mapped_column(ExactDecimal(18, 6))
    status: Mapped[str] = mapped_column(String(16))  # current | void (left the plan)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime)


class ActualExpenseRow(Base):
    """An actual amount recorded for one item of a trip; the latest per item is billed."""

    __tablename__ = "actual_expenses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trip_id: Mapped[str] = mapped_column(ForeignKey("trips.trip_id"), index=True)
    item: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Money)
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")  # cli, or file:row
    recorded_at: Mapped[datetime] = mapped_column(AwareDateTime)


class ExportBatchRow(Base):
    """One finance export: its period, customer filter, files' fingerprints and totals."""

    __tablename__ = "export_batches"
    __table_args__ = (UniqueConstraint("period_from", "period_to", "customer", "sequence"),)

    batch_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    customer: Mapped[str] = mapped_column(ID)  # "" for every customer
    sequence: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime)
    currency: Mapped[str] = mapped_column(String(3))
    line_count: Mapped[int] = mapped_column(Integer)
    new_total: Mapped[Decimal] = mapped_column(Money)
    adjustment_total: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    csv_sha256: Mapped[str] = mapped_column(String(64), default="")
    xlsx_sha256: Mapped[str] = mapped_column(String(64), default="")


class ExportBatchLineRow(Base):
    """Which version of which cost line a batch carried, and what it billed (a delta)."""

    __tablename__ = "export_batch_lines"
    __table_args__ = (UniqueConstraint("line_id", "line_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("export_batches.batch_id"), index=True)
    line_id: Mapped[str] = mapped_column(ForeignKey("cost_lines.line_id"), index=True)
    line_version: Mapped[int] = mapped_column(Integer)
    entry: Mapped[str] = mapped_column(String(16))  # new | adjustment
    amount: Mapped[Decimal] = mapped_column(Money)  # billed by this batch (a delta)
    line_amount: Mapped[Decimal] = mapped_column(Money)  # the line's amount after it
    # Snapshot of the line as exported, so the batch's files can be rebuilt unchanged.
    customer_id: Mapped[str] = mapped_column(ID)
    customer_name: Mapped[str] = mapped_column(Text)
    request_ref: Mapped[str] = mapped_column(Text)
    visit_date: Mapped[date] = mapped_column(Date)
    engineer_id: Mapped[str] = mapped_column(ID)
    engineer_name: Mapped[str] = mapped_column(Text)
    trip_id: Mapped[str] = mapped_column(String(100))
    item: Mapped[str] = mapped_column(String(16))
    tag: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(18, 3))
    unit_rate: Mapped[Decimal | None] = mapped_column(Money)
    estimate: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    basis: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(32))
    share: Mapped[Decimal] = mapped_column(ExactDecimal(18, 6))
