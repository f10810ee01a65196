"""The plan and export flows' own small rules: the nightly skip, the default period."""

from __future__ import annotations

from datetime import date

from flows.export_flow import last_month
from flows.plan_flow import PlanOutcome, non_working_today
from scheduling.policy import load_policy


def test_nightly_plan_skips_official_holidays_but_not_make_up_saturdays():
    """National Day is skipped; a weekday and the make-up Saturday 2026-02-14 are planned."""
    policy = load_policy()
    assert "not a working day" in non_working_today(policy, date(2026, 10, 1))
    assert non_working_today(policy, date(2026, 11, 30)) is None
    assert non_working_today(policy, date(2026, 2, 14)) is None


def test_monthly_export_defaults_to_last_calendar_month():
    """Run on 1 March 2026, the export covers 1 to 28 February."""
    assert last_month(date(2026, 3, 1)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert last_month(date(2026, 1, 15)) == (date(2025, 12, 1), date(2025, 12, 31))


def test_plan_exit_code_says_whether_something_needs_a_look():
    """Exit 0 when all is planned on time, 1 when visits are late or unassigned."""
    assert PlanOutcome(1, date(2026, 11, 30), counts={"late": 0, "unassigned": 0}).exit_code == 0
    assert PlanOutcome(1, date(2026, 11, 30), counts={"late": 2, "unassigned": 0}).exit_code == 1
    assert PlanOutcome(1, date(2026, 11, 30), counts={"late": 0, "unassigned": 1}).exit_code == 1
