"""`fieldplan export costs` and `fieldplan costs ...`: thin commands over scheduling.billing."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from typer.testing import CliRunner

from flows.cli import app
from scheduling.billing import record_plan_costs
from scheduling.model import Place
from scheduling.policy import load_policy
from scheduling.store.db import make_engine, session_scope, upgrade
from tests.scheduling.costs_fixtures import BY_ID, build, hotel_near, route

runner = CliRunner()


@pytest.fixture
def ledger(tmp_path, monkeypatch) -> str:
    """A SQLite database holding the costs of a two-trip November plan."""
    url = f"sqlite:///{tmp_path / 'costs.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    plan, problem = build(
        route("E1", date(2026, 11, 3), ["C001", "C002"]),
        route("E2", date(2026, 11, 3), ["C004", "C005"], end=hotel_near("C005")),
    )
    with session_scope(engine) as session:
        record_plan_costs(
            session, 1, plan, problem, load_policy(), now=datetime(2026, 11, 25, tzinfo=UTC)
        )
    engine.dispose()
    monkeypatch.setenv("FIELDPLAN_DATABASE_URL", url)
    return url


def _export(out, *extra: str):
    args = ["export", "costs", "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(out)]
    return runner.invoke(app, [*args, *extra, "--json"])


def test_export_twice_gives_the_same_batch_and_files(ledger, tmp_path):
    """The second run returns the first batch (reused) with byte-identical files."""
    first = _export(tmp_path / "a")
    assert first.exit_code == 0, first.output
    one = json.loads(first.stdout)
    second = json.loads(_export(tmp_path / "b").stdout)
    assert not one["reused"] and second["reused"]
    assert second["batch_id"] == one["batch_id"] and second["sha256"] == one["sha256"]
    assert [p.endswith((".csv", ".xlsx")) for p in one["files"]] == [True, True]
    assert sum(float(c["amount"]) for c in one["customers"]) == pytest.approx(float(one["total"]))


def test_record_an_actual_then_export_shows_the_adjustment(ledger, tmp_path):
    """An actual recorded after an export goes out as an adjustment of the difference."""
    assert _export(tmp_path).exit_code == 0
    recorded = runner.invoke(
        app,
        ["costs", "record", "--trip", "E2-2026-11-03", "--item", "lodging", "--amount", "412.00"],
    )
    assert recorded.exit_code == 0, recorded.output
    again = json.loads(_export(tmp_path).stdout)
    assert again["adjustment_lines"] == 2 and again["total"] == "12.00"
    check = runner.invoke(app, ["costs", "reconcile", "--from", "2026-11-01", "--to", "2026-11-30"])
    assert check.exit_code == 0, check.output


def test_import_file_and_bad_input_exit_2_with_the_reason(ledger, tmp_path):
    """A good actuals file is recorded; a bad amount or date exits 2 and says why."""
    good = tmp_path / "actuals.csv"
    good.write_text("trip_id,item,amount,note\nE2-2026-11-03,lodging,390.00,r1\n", encoding="utf-8")
    done = runner.invoke(app, ["costs", "import", str(good), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)[0]["difference"] == "-10.00"
    bad = runner.invoke(
        app, ["costs", "record", "--trip", "E9-2026-11-03", "--item", "fare", "--amount", "5"]
    )
    assert bad.exit_code == 2 and "unknown trip" in bad.stderr
    dates = runner.invoke(
        app, ["export", "costs", "--from", "2026-11-31", "--to", "2026-11-30", "--out", "x"]
    )
    assert dates.exit_code == 2 and "YYYY-MM-DD" in dates.stderr


def test_reconcile_and_export_include_a_day_back_without_visits(tmp_path, monkeypatch):
    """POLICY.md 5: `costs reconcile` counts the travel-only day back from a hotel and the
    export bills it, so trip costs = exported total with nothing unallocated."""
    url = f"sqlite:///{tmp_path / 'journey.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    c006 = BY_ID["C006"]
    hotel = Place("hotel", c006.lat, c006.lon, "hotel:C006")
    r, visits, requests = route("E2", date(2026, 11, 3), ["C006"], end=hotel)
    visits = [replace(v, end=v.start + timedelta(hours=6)) for v in visits]
    plan, problem = build((r, visits, requests), route("E2", date(2026, 11, 4), [], start=hotel))
    with session_scope(engine) as session:
        record_plan_costs(
            session, 1, plan, problem, load_policy(), now=datetime(2026, 11, 25, tzinfo=UTC)
        )
    engine.dispose()
    monkeypatch.setenv("FIELDPLAN_DATABASE_URL", url)
    exported = json.loads(_export(tmp_path / "out").stdout)
    args = ["costs", "reconcile", "--from", "2026-11-04", "--to", "2026-11-04", "--json"]
    day_back = runner.invoke(app, args)
    assert day_back.exit_code == 0, day_back.output
    check = json.loads(day_back.stdout)
    assert check["balanced"] and check["unallocated"] == "0.00"
    assert check["trip_costs"] == check["exported_total"] != "0.00"
    month = json.loads(
        runner.invoke(
            app, ["costs", "reconcile", "--from", "2026-11-01", "--to", "2026-11-30", "--json"]
        ).stdout
    )
    assert month["exported_total"] == month["trip_costs"] == exported["total"]
