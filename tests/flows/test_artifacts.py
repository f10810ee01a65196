"""What a dispatcher reads on a run's page: deadlines at risk, unassigned, plan summary."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flows.artifacts import (
    deadlines_at_risk_rows,
    intake_markdown,
    plan_counts,
    plan_markdown,
    unassigned_rows,
)
from scheduling.model import Plan, Unassigned, Visit

TZ = ZoneInfo("Asia/Shanghai")


def visit(ref: str, engineer: str, arrival: datetime, deadline: datetime | None, **kw) -> Visit:
    """A one-hour visit arriving at `arrival`."""
    return Visit(
        request_ref=ref,
        engineer_id=engineer,
        day=arrival.date(),
        arrival=arrival,
        start=arrival,
        end=arrival + timedelta(hours=1),
        travel_km=10.0,
        travel_minutes=20,
        deadline=deadline,
        late=deadline is not None and arrival > deadline,
        **kw,
    )


NINE = datetime(2026, 11, 30, 9, 0, tzinfo=TZ)
PLAN = Plan(
    visits=(
        visit("R-LATE", "E1", NINE + timedelta(hours=5), NINE + timedelta(hours=4)),
        visit("R-TIGHT", "E1", NINE + timedelta(hours=2), NINE + timedelta(hours=3)),
        visit("R-EASY", "E2", NINE, NINE + timedelta(days=2)),
        visit("R-NODEADLINE", "E2", NINE + timedelta(hours=3), None, pinned=True),
    ),
    routes=(),
    unassigned=(Unassigned("R-NOSKILL", "no_skilled_engineer", "Nobody holds skill 'pos'."),),
    kpis={"on_time_share": 0.75, "travel_km": 40.0},
)


def test_deadlines_at_risk_lists_late_and_tight_visits_tightest_first():
    """A late visit and one within two hours of its deadline are at risk; others are not."""
    rows = deadlines_at_risk_rows(PLAN)
    assert [r["request_ref"] for r in rows] == ["R-LATE", "R-TIGHT"]
    assert rows[0]["late"] is True and rows[0]["margin_minutes"] == -60
    assert rows[1]["margin_minutes"] == 60


def test_unassigned_rows_keep_reason_code_and_sentence():
    """Every visit not planned is listed with its machine reason and its human sentence."""
    assert unassigned_rows(PLAN) == [
        {
            "request_ref": "R-NOSKILL",
            "session": None,
            "reason_code": "no_skilled_engineer",
            "reason": "Nobody holds skill 'pos'.",
        }
    ]


def test_plan_summary_counts_and_kpis():
    """The summary counts visits, late, pinned, unassigned and shows the planner's KPIs."""
    assert plan_counts(PLAN) == {
        "visits": 4,
        "late": 1,
        "pinned": 1,
        "unassigned": 1,
        "engineers_used": 2,
        "engineer_days": 2,
    }
    text = plan_markdown(PLAN, "Plan from 2026-11-30", {"plan.json": "/x/plan.json"})
    assert "| on time share | 0.750 |" in text
    assert "`/x/plan.json`" in text


def test_intake_summary_counts_every_row_by_status_and_reason():
    """Received = accepted + the rest: the summary counts every row and groups refusals."""
    rows = [
        {"request_ref": "A", "status": "accepted", "reason_code": "free"},
        {"request_ref": "B", "status": "refused", "reason_code": "not_licensed"},
        {"request_ref": "C", "status": "refused", "reason_code": "not_licensed"},
        {"request_ref": "D", "status": "expired", "reason_code": "expired"},
    ]
    text = intake_markdown(rows, "data/sample")
    assert "**4 request row(s) received.**" in text
    assert "- accepted: 1" in text and "- refused: 2" in text
    assert "- `not_licensed`: 2" in text
