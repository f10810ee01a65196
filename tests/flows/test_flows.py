"""The flows under Prefect's test harness: the demo pipeline, re-runs, a re-plan, the lock.

Thin on purpose: the domain logic is tested without Prefect in tests/scheduling; these tests
check the wiring a dispatcher relies on, on the tiny data set (3 engineers, 2 offices).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from flows.demo_flow import demo_flow
from flows.export_flow import export_costs_flow
from flows.intake_flow import RequestForm, intake_flow
from flows.locking import PlanBusy, plan_lock
from flows.plan_flow import plan_flow
from flows.replan_flow import replan_flow
from scheduling.policy import load_policy
from scheduling.store.db import make_engine, session_scope
from scheduling.store.repository import active_plan, load_problem
from scheduling.validate import validate_plan

pytestmark = pytest.mark.usefixtures("prefect_harness")

TZ = ZoneInfo("Asia/Shanghai")
TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=TZ)
START = date(2026, 11, 30)


def stored_plan(url: str, start: date = START):
    """The active plan and the problem it was made for, read back from the database."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            return active_plan(session), load_problem(session, start, load_policy())
    finally:
        engine.dispose()


def artifact_keys() -> set[str]:
    """Keys of every artifact the harness's server holds."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return {a.key for a in client.read_artifacts() if a.key}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo pipeline run once on the tiny data set."""
    out = tmp_path_factory.mktemp("demo") / "run"
    return demo_flow(data_dir=str(TINY), out_dir=str(out), time_limit=2)


def test_demo_runs_intake_plan_itineraries_and_export(demo):
    """One demo run leaves a valid active plan, plan.json, Gantt, itineraries, an export."""
    assert demo.intake == {"received": 16, "accepted": 14, "refused": 2}
    plan, problem = stored_plan(demo.database_url)
    assert plan is not None and plan.visits
    assert validate_plan(plan, problem, load_policy()) == []
    for name in ("plan.json", "gantt"):
        assert Path(demo.files[name]).is_file()
    assert list(Path(demo.files["itineraries"]).glob("*/*.ics"))
    assert [Path(f).suffix for f in demo.export["files"]] == [".csv", ".xlsx"]
    assert {"intake", "plan-summary", "deadlines-at-risk", "unassigned", "plan-gantt"} <= (
        artifact_keys()
    )
    assert "finance-totals" in artifact_keys()


def test_intake_rerun_changes_nothing_and_lists_refusals(demo):
    """Loading the same folder again creates and updates nothing; refused rows keep reasons."""
    again = intake_flow(path=str(TINY), database_url=demo.database_url)
    assert again.received == 16 and again.refused == 2
    assert all(f["created"] == 0 and f["updated"] == 0 for f in again.files)
    refused = {r["request_ref"]: r["reason_code"] for r in again.rows if r["status"] == "refused"}
    assert refused == {"R-005": "not_licensed", "R-006": "unknown_customer"}
    accepted = next(r for r in again.rows if r["request_ref"] == "R-001")
    assert accepted["deadline"] is not None


def test_intake_of_one_typed_request(demo):
    """A request typed as parameters is assessed like a file row; a bad one is refused."""
    good = intake_flow(
        request=RequestForm(
            request_ref="R-UI-1", customer_id="C001", urgency="P1", received_at=NOW
        ),
        database_url=demo.database_url,
    )
    assert (good.accepted, good.refused) == (1, 0)
    assert good.rows[0]["deadline"] is not None
    bad = intake_flow(
        request=RequestForm(request_ref="R-UI-2", customer_id="C001", urgency="P9"),
        database_url=demo.database_url,
    )
    assert bad.refused == 1 and "urgency" in bad.rows[0]["reason"]


def test_export_rerun_returns_the_same_batch(demo, tmp_path):
    """Exporting the same period again bills nothing twice: same batch id, same bytes."""
    first = [Path(f) for f in demo.export["files"]]
    digests = [hashlib.sha256(f.read_bytes()).hexdigest() for f in first]
    again = export_costs_flow(
        start=START,
        end=date(2026, 12, 30),
        out_dir=str(first[0].parent),
        database_url=demo.database_url,
    )
    assert again.batch_id == demo.export["batch_id"] and again.reused
    assert [hashlib.sha256(Path(f).read_bytes()).hexdigest() for f in again.files] == digests


def test_second_planner_is_refused_with_a_clear_message(demo, monkeypatch):
    """While a plan runs, another plan fails at once (flow: PlanBusy; CLI: exit code 3)."""
    from typer.testing import CliRunner

    from flows.cli import app

    monkeypatch.setenv("FIELDPLAN_DATABASE_URL", demo.database_url)
    with plan_lock(demo.database_url, "plan"):
        with pytest.raises(PlanBusy, match="another plan or replan is running"):
            plan_flow(start=START, database_url=demo.database_url, time_limit=1)
        result = CliRunner().invoke(app, ["plan", "--start", "2026-11-30"])
    assert result.exit_code == 3
    assert "another plan or replan is running" in result.output


def test_replan_after_illness_moves_only_that_engineers_visits(demo, tmp_path):
    """An engineer falls ill for a day: only their unpinned visits of that day move."""
    before, _ = stored_plan(demo.database_url)
    first = min(before.visits, key=lambda v: v.start)
    ill, day = first.engineer_id, first.day
    touched = {v.key for v in before.visits if v.engineer_id == ill and v.day == day}
    outcome = replan_flow(
        event="engineer_unavailable",
        engineer_id=ill,
        start_date=day,
        end_date=day,
        reason="ill",
        now=NOW,
        time_limit=2,
        output=str(tmp_path / "replan"),
        database_url=demo.database_url,
    )
    after, problem = stored_plan(demo.database_url, NOW.date())
    assert validate_plan(after, problem, load_policy()) == []
    assert not [v for v in after.visits if v.engineer_id == ill and v.day == day]
    kept = {v.key: (v.engineer_id, v.start) for v in after.visits}
    for visit in before.visits:
        if visit.key not in touched:
            assert kept.get(visit.key) == (visit.engineer_id, visit.start), visit.key
    changed = {(m["request_ref"], m["session"]): m["change"] for m in outcome.moves}
    # Requests typed in since the last plan are newly placed ("added"); of the visits
    # planned before, exactly the ill engineer's visits of that day moved or dropped out.
    assert {k for k, c in changed.items() if c != "added"} == touched
    assert {c for k, c in changed.items() if k in touched} <= {"moved", "unplanned"}
    assert not {k for k, c in changed.items() if c == "added"} & {v.key for v in before.visits}
