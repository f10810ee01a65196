"""Initial schema: reference data, intake log, requests, planning input and plans.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import scheduling.store.columns
import scheduling.store.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_loads",
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_kind", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", scheduling.store.types.AwareDateTime(timezone=True), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("load_id", name=op.f("pk_intake_loads")),
    )
    op.create_table(
        "offices",
        sa.Column("office_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("city", sa.Text(), nullable=False),
        sa.Column("calendar", sa.String(length=8), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("lunch_break", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("office_id", name=op.f("pk_offices")),
    )
    op.create_table(
        "plans",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", scheduling.store.types.AwareDateTime(timezone=True), nullable=False
        ),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("kpis", sa.JSON(), nullable=False),
        sa.Column("horizon_start", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", name=op.f("pk_plans")),
    )
    op.create_index(
        "uq_plans_one_active",
        "plans",
        ["status"],
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )

    op.create_table(
        "customers",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("city", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("office_id", sa.String(length=64), nullable=True),
        sa.Column("zone", sa.String(length=32), nullable=True),
        sa.Column("level", sa.String(length=4), nullable=False),
        sa.Column("licensed", sa.Boolean(), nullable=False),
        sa.Column("purchase_date", sa.Date(), nullable=False),
        sa.Column("product_version", sa.Text(), nullable=False),
        sa.Column("upgrade_agreement", sa.Boolean(), nullable=False),
        sa.Column("contact_name", sa.Text(), nullable=False),
        sa.Column("contact_phone", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.office_id"], name=op.f("fk_customers_office_id_offices")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customers")),
    )
    op.create_index(op.f("ix_customers_office_id"), "customers", ["office_id"], unique=False)

    op.create_table(
        "engineers",
        sa.Column("engineer_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("office_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=False),
        sa.Column("home_lat", sa.Float(), nullable=True),
        sa.Column("home_lon", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.office_id"], name=op.f("fk_engineers_office_id_offices")
        ),
        sa.PrimaryKeyConstraint("engineer_id", name=op.f("pk_engineers")),
    )
    op.create_index(op.f("ix_engineers_office_id"), "engineers", ["office_id"], unique=False)

    op.create_table(
        "intake_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_kind", sa.String(length=32), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("column", sa.Text(), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["load_id"],
            ["intake_loads.load_id"],
            name=op.f("fk_intake_rows_load_id_intake_loads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_rows")),
    )
    op.create_index(op.f("ix_intake_rows_load_id"), "intake_rows", ["load_id"], unique=False)
    op.create_index(op.f("ix_intake_rows_record_id"), "intake_rows", ["record_id"], unique=False)

    op.create_table(
        "office_calendar_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["offices.office_id"],
            name=op.f("fk_office_calendar_overrides_office_id_offices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_calendar_overrides")),
        sa.UniqueConstraint(
            "office_id", "day", name=op.f("uq_office_calendar_overrides_office_id")
        ),
    )
    op.create_table(
        "unassigned",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("request_ref", sa.String(length=64), nullable=False),
        sa.Column("session", sa.Integer(), nullable=True),
        sa.Column("reason_code", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.plan_id"],
            name=op.f("fk_unassigned_plan_id_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unassigned")),
    )
    op.create_index(op.f("ix_unassigned_plan_id"), "unassigned", ["plan_id"], unique=False)

    op.create_table(
        "contract_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name=op.f("fk_contract_periods_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_periods")),
        sa.UniqueConstraint(
            "customer_id", "start", "end", name=op.f("uq_contract_periods_customer_id")
        ),
    )
    op.create_index(
        op.f("ix_contract_periods_customer_id"), "contract_periods", ["customer_id"], unique=False
    )

    op.create_table(
        "custom_modules",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("module", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name=op.f("fk_custom_modules_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "module", name=op.f("pk_custom_modules")),
    )
    op.create_table(
        "engineer_skills",
        sa.Column("engineer_id", sa.String(length=64), nullable=False),
        sa.Column("skill", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["engineer_id"],
            ["engineers.engineer_id"],
            name=op.f("fk_engineer_skills_engineer_id_engineers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("engineer_id", "skill", name=op.f("pk_engineer_skills")),
    )
    op.create_table(
        "engineer_unavailability",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engineer_id", sa.String(length=64), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["engineer_id"],
            ["engineers.engineer_id"],
            name=op.f("fk_engineer_unavailability_engineer_id_engineers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engineer_unavailability")),
    )
    op.create_index(
        op.f("ix_engineer_unavailability_engineer_id"),
        "engineer_unavailability",
        ["engineer_id"],
        unique=False,
    )

    op.create_table(
        "overtime_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engineer_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start", sa.Time(), nullable=False),
        sa.Column("end", sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["engineer_id"],
            ["engineers.engineer_id"],
            name=op.f("fk_overtime_shifts_engineer_id_engineers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_overtime_shifts")),
        sa.UniqueConstraint("engineer_id", "day", name=op.f("uq_overtime_shifts_engineer_id")),
    )
    op.create_table(
        "plan_routes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("engineer_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start_kind", sa.String(length=16), nullable=False),
        sa.Column("start_lat", sa.Float(), nullable=False),
        sa.Column("start_lon", sa.Float(), nullable=False),
        sa.Column("start_label", sa.Text(), nullable=False),
        sa.Column("end_kind", sa.String(length=16), nullable=False),
        sa.Column("end_lat", sa.Float(), nullable=False),
        sa.Column("end_lon", sa.Float(), nullable=False),
        sa.Column("end_label", sa.Text(), nullable=False),
        sa.Column("visit_keys", sa.JSON(), nullable=False),
        sa.Column("departure", scheduling.store.types.AwareDateTime(timezone=True), nullable=False),
        sa.Column("return_at", scheduling.store.types.AwareDateTime(timezone=True), nullable=False),
        sa.Column("return_km", sa.Float(), nullable=False),
        sa.Column("return_minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["engineer_id"],
            ["engineers.engineer_id"],
            name=op.f("fk_plan_routes_engineer_id_engineers"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.plan_id"],
            name=op.f("fk_plan_routes_plan_id_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_routes")),
        sa.UniqueConstraint("plan_id", "engineer_id", "day", name=op.f("uq_plan_routes_plan_id")),
    )
    op.create_table(
        "requests",
        sa.Column("request_ref", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subtype", sa.Text(), nullable=False),
        sa.Column("urgency", sa.String(length=4), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column(
            "received_at", scheduling.store.types.AwareDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "duration_hours", scheduling.store.columns.Hours(precision=8, scale=2), nullable=False
        ),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("required_skills", sa.JSON(), nullable=False),
        sa.Column("target_version", sa.Text(), nullable=True),
        sa.Column("module", sa.Text(), nullable=True),
        sa.Column("backup_confirmed", sa.Boolean(), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=True),
        sa.Column("window_end", sa.Date(), nullable=True),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("validity", sa.String(length=16), nullable=True),
        sa.Column("zone", sa.String(length=32), nullable=True),
        sa.Column("deadline", scheduling.store.types.AwareDateTime(timezone=True), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at", scheduling.store.types.AwareDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", scheduling.store.types.AwareDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name=op.f("fk_requests_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.office_id"], name=op.f("fk_requests_office_id_offices")
        ),
        sa.PrimaryKeyConstraint("request_ref", name=op.f("pk_requests")),
    )
    op.create_index(op.f("ix_requests_customer_id"), "requests", ["customer_id"], unique=False)
    op.create_index(op.f("ix_requests_status"), "requests", ["status"], unique=False)

    op.create_table(
        "request_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_ref", sa.String(length=64), nullable=False),
        sa.Column(
            "changed_at", scheduling.store.types.AwareDateTime(timezone=True), nullable=False
        ),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.Column("load_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["load_id"],
            ["intake_loads.load_id"],
            name=op.f("fk_request_changes_load_id_intake_loads"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["request_ref"],
            ["requests.request_ref"],
            name=op.f("fk_request_changes_request_ref_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_changes")),
    )
    op.create_index(
        op.f("ix_request_changes_request_ref"), "request_changes", ["request_ref"], unique=False
    )

    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("request_ref", sa.String(length=64), nullable=False),
        sa.Column("session", sa.Integer(), nullable=False),
        sa.Column("engineer_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("arrival", scheduling.store.types.AwareDateTime(timezone=True), nullable=False),
        sa.Column("start", scheduling.store.types.AwareDateTime(timezone=True), nullable=False),
        sa.Column("end", scheduling.store.types.AwareDateTime(timezone=True), nullable=False),
        sa.Column("travel_km", sa.Float(), nullable=False),
        sa.Column("travel_minutes", sa.Integer(), nullable=False),
        sa.Column("deadline", scheduling.store.types.AwareDateTime(timezone=True), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("lodging", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["engineer_id"], ["engineers.engineer_id"], name=op.f("fk_visits_engineer_id_engineers")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.plan_id"], name=op.f("fk_visits_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["request_ref"], ["requests.request_ref"], name=op.f("fk_visits_request_ref_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
        sa.UniqueConstraint("plan_id", "request_ref", "session", name=op.f("uq_visits_plan_id")),
    )
    op.create_index(op.f("ix_visits_request_ref"), "visits", ["request_ref"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_visits_request_ref"), table_name="visits")

    op.drop_table("visits")
    op.drop_index(op.f("ix_request_changes_request_ref"), table_name="request_changes")

    op.drop_table("request_changes")
    op.drop_index(op.f("ix_requests_status"), table_name="requests")
    op.drop_index(op.f("ix_requests_customer_id"), table_name="requests")

    op.drop_table("requests")
    op.drop_table("plan_routes")
    op.drop_table("overtime_shifts")
    op.drop_index(
        op.f("ix_engineer_unavailability_engineer_id"), table_name="engineer_unavailability"
    )

    op.drop_table("engineer_unavailability")
    op.drop_table("engineer_skills")
    op.drop_table("custom_modules")
    op.drop_index(op.f("ix_contract_periods_customer_id"), table_name="contract_periods")

    op.drop_table("contract_periods")
    op.drop_index(op.f("ix_unassigned_plan_id"), table_name="unassigned")

    op.drop_table("unassigned")
    op.drop_table("office_calendar_overrides")
    op.drop_index(op.f("ix_intake_rows_record_id"), table_name="intake_rows")
    op.drop_index(op.f("ix_intake_rows_load_id"), table_name="intake_rows")

    op.drop_table("intake_rows")
    op.drop_index(op.f("ix_engineers_office_id"), table_name="engineers")

    op.drop_table("engineers")
    op.drop_index(op.f("ix_customers_office_id"), table_name="customers")

    op.drop_table("customers")
    op.drop_index(
        "uq_plans_one_active",
        table_name="plans",
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )

    op.drop_table("plans")
    op.drop_table("offices")
    op.drop_table("intake_loads")
