"""plan.json round-trips a plan exactly and rejects broken files with a clear message."""

from __future__ import annotations

import json

import pytest

from scheduling.planjson import PlanJsonError, plan_to_dict, read_plan_json, write_plan_json
from scheduling.planner import plan
from scheduling.policy import load_policy
from scheduling.validate import assert_valid
from tests.scheduling.plan_cases import (
    MONDAY,
    assessment,
    at,
    basic_problem,
    engineer,
    problem,
    request,
)

POLICY = load_policy()


@pytest.fixture(scope="module")
def planned():
    base = basic_problem()
    reqs = (*base.requests, request("X", "C1", skills={"welding"}))
    prob = problem(
        reqs,
        (*base.assessments, assessment("X", at(MONDAY, 18))),
        [engineer("E1", {"pms"}), engineer("E2", {"pms", "database"})],
    )
    result = plan(prob, POLICY, time_limit=5, solution_limit=200)
    assert_valid(result, prob, POLICY)
    return result


def test_round_trip_is_exact(planned, tmp_path):
    """Writing and reading plan.json gives back an equal Plan."""
    path = write_plan_json(planned, tmp_path / "out" / "plan.json")
    assert read_plan_json(path) == planned


def test_visit_fields_are_those_of_the_issue(planned):
    """Each visit carries request_ref, engineer_id, date, ISO times with offset, travel,
    deadline, late, pinned and lodging; unassigned entries carry a code and a sentence."""
    data = plan_to_dict(planned)
    visit = data["visits"][0]
    assert {
        "request_ref", "engineer_id", "date", "arrival", "start", "end", "travel_km",
        "travel_minutes", "deadline", "late", "pinned", "lodging", "session",
    } <= set(visit)  # fmt: skip
    assert visit["start"].endswith("+08:00")
    assert data["unassigned"] == [
        {
            "request_ref": "X",
            "session": None,
            "reason_code": "no_skilled_engineer",
            "reason": data["unassigned"][0]["reason"],
        }
    ]
    assert {"on_time_share", "visits_planned", "travel_km", "travel_cost", "solve_seconds"} <= set(
        data["kpis"]
    )


def test_a_missing_field_names_the_entry(planned, tmp_path):
    """A visit without its start is rejected naming visits[0] and the field."""
    data = plan_to_dict(planned)
    del data["visits"][0]["start"]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(PlanJsonError, match=r"visits\[0\]: missing field 'start'"):
        read_plan_json(path)


def test_a_time_without_offset_is_rejected(planned, tmp_path):
    """A naive arrival time is refused: every time in plan.json carries its offset."""
    data = plan_to_dict(planned)
    data["visits"][0]["arrival"] = "2026-11-30T09:00:00"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(PlanJsonError, match="has no UTC offset"):
        read_plan_json(path)
