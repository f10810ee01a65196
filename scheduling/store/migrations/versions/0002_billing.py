"""Billing ledger: trips, cost lines, actual expenses, export batches and their lines.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import scheduling.store.billing_models
import scheduling.store.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "export_batches",
        sa.Column("batch_id", sa.String(length=100), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("customer", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", scheduling.store.types.AwareDateTime(timezone=True), nullable=False
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("new_total", scheduling.store.types.Money(precision=14, scale=2), nullable=False),
        sa.Column(
            "adjustment_total", scheduling.store.types.Money(precision=14, scale=2), nullable=False
        ),
        sa.Column("total", scheduling.store.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("csv_sha256", sa.String(length=64), nullable=False),
        sa.Column("xlsx_sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_export_batches")),
        sa.UniqueConstraint(
            "period_from",
            "period_to",
            "customer",
            "sequence",
            name=op.f("uq_export_batches_period_from"),
        ),
    )
    op.create_table(
        "trips",
        sa.Column("trip_id", sa.String(length=100), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=True),
        sa.Column("engineer_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start_kind", sa.String(length=16), nullable=False),
        sa.Column("end_kind", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column(
            "estimate_total", scheduling.store.types.Money(precision=14, scale=2), nullable=False
        ),
        sa.Column(
            "billed_total", scheduling.store.types.Money(precision=14, scale=2), nullable=False
        ),
        sa.Column(
            "unallocated", scheduling.store.types.Money(precision=14, scale=2), nullable=False
        ),
        sa.Column("capped", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column(
            "updated_at", scheduling.store.types.AwareDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("trip_id", name=op.f("pk_trips")),
    )
    op.create_index(op.f("ix_trips_day"), "trips", ["day"], unique=False)
    op.create_table(
        "actual_expenses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trip_id", sa.String(length=100), nullable=False),
        sa.Column("item", sa.String(length=16), nullable=False),
        sa.Column("amount", scheduling.store.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column(
            "recorded_at", scheduling.store.types.AwareDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["trip_id"], ["trips.trip_id"], name=op.f("fk_actual_expenses_trip_id_trips")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actual_expenses")),
    )
    op.create_index(
        op.f("ix_actual_expenses_trip_id"), "actual_expenses", ["trip_id"], unique=False
    )
    op.create_table(
        "cost_lines",
        sa.Column("line_id", sa.String(length=200), nullable=False),
        sa.Column("trip_id", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("customer_name", sa.Text(), nullable=False),
        sa.Column("request_ref", sa.Text(), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column("engineer_id", sa.String(length=64), nullable=False),
        sa.Column("engineer_name", sa.Text(), nullable=False),
        sa.Column("item", sa.String(length=16), nullable=False),
        sa.Column("tag", sa.String(length=16), nullable=False),
        sa.Column(
            "quantity",
            scheduling.store.billing_models.ExactDecimal(precision=18, scale=3),
            nullable=False,
        ),
        sa.Column("unit_rate", scheduling.store.types.Money(precision=14, scale=2), nullable=True),
        sa.Column("amount", scheduling.store.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("estimate", scheduling.store.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column(
            "share",
            scheduling.store.billing_models.ExactDecimal(precision=18, scale=6),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at", scheduling.store.types.AwareDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["trip_id"], ["trips.trip_id"], name=op.f("fk_cost_lines_trip_id_trips")
        ),
        sa.PrimaryKeyConstraint("line_id", name=op.f("pk_cost_lines")),
    )
    op.create_index(op.f("ix_cost_lines_customer_id"), "cost_lines", ["customer_id"], unique=False)
    op.create_index(op.f("ix_cost_lines_trip_id"), "cost_lines", ["trip_id"], unique=False)
    op.create_index(op.f("ix_cost_lines_visit_date"), "cost_lines", ["visit_date"], unique=False)
    op.create_table(
        "export_batch_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.String(length=100), nullable=False),
        sa.Column("line_id", sa.String(length=200), nullable=False),
        sa.Column("line_version", sa.Integer(), nullable=False),
        sa.Column("entry", sa.String(length=16), nullable=False),
        sa.Column("amount", scheduling.store.types.Money(precision=14, scale=2), nullable=False),
        sa.Column(
            "line_amount", scheduling.store.types.Money(precision=14, scale=2), nullable=False
        ),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("customer_name", sa.Text(), nullable=False),
        sa.Column("request_ref", sa.Text(), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column("engineer_id", sa.String(length=64), nullable=False),
        sa.Column("engineer_name", sa.Text(), nullable=False),
        sa.Column("trip_id", sa.String(length=100), nullable=False),
        sa.Column("item", sa.String(length=16), nullable=False),
        sa.Column("tag", sa.String(length=16), nullable=False),
        sa.Column(
            "quantity",
            scheduling.store.billing_models.ExactDecimal(precision=18, scale=3),
            nullable=False,
        ),
        sa.Column("unit_rate", scheduling.store.types.Money(precision=14, scale=2), nullable=True),
        sa.Column("estimate", scheduling.store.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column(
            "share",
            scheduling.store.billing_models.ExactDecimal(precision=18, scale=6),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["export_batches.batch_id"],
            name=op.f("fk_export_batch_lines_batch_id_export_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["cost_lines.line_id"],
            name=op.f("fk_export_batch_lines_line_id_cost_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_batch_lines")),
        sa.UniqueConstraint("line_id", "line_version", name=op.f("uq_export_batch_lines_line_id")),
    )
    op.create_index(
        op.f("ix_export_batch_lines_batch_id"), "export_batch_lines", ["batch_id"], unique=False
    )
    op.create_index(
        op.f("ix_export_batch_lines_line_id"), "export_batch_lines", ["line_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_export_batch_lines_line_id"), table_name="export_batch_lines")
    op.drop_index(op.f("ix_export_batch_lines_batch_id"), table_name="export_batch_lines")
    op.drop_table("export_batch_lines")
    op.drop_index(op.f("ix_cost_lines_visit_date"), table_name="cost_lines")
    op.drop_index(op.f("ix_cost_lines_trip_id"), table_name="cost_lines")
    op.drop_index(op.f("ix_cost_lines_customer_id"), table_name="cost_lines")
    op.drop_table("cost_lines")
    op.drop_index(op.f("ix_actual_expenses_trip_id"), table_name="actual_expenses")
    op.drop_table("actual_expenses")
    op.drop_index(op.f("ix_trips_day"), table_name="trips")
    op.drop_table("trips")
    op.drop_table("export_batches")
