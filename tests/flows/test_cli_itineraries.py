"""Tests of `fieldplan itineraries`: from a plan and a data folder to the engineers' outbox."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import icalendar
import pytest
from typer.testing import CliRunner

from flows.cli import app
from scheduling.contract import CONTRACT, to_row
from scheduling.planjson import write_plan_json
from tests.scheduling.itinerary_cases import CUSTOMERS, E1, E2, OFFICE, REQUESTS, make_plan

runner = CliRunner()


def _write(folder: Path, kind: str, records) -> None:
    spec = CONTRACT[kind]
    with (folder / f"{kind}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=spec.column_names)
        writer.writeheader()
        for record in records:
            writer.writerow(to_row(kind, record))


@pytest.fixture
def data_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    _write(folder, "offices", [OFFICE])
    _write(folder, "engineers", [E1, E2])
    _write(folder, "customers", CUSTOMERS)
    _write(folder, "requests", REQUESTS)
    return folder


@pytest.fixture
def plan_file(tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    write_plan_json(make_plan(), path)
    return path


def test_command_writes_each_engineers_outbox(tmp_path, data_folder, plan_file):
    """The command writes a calendar, a page and a manifest per engineer and reports counts."""
    out = tmp_path / "outbox"
    result = runner.invoke(
        app,
        [
            "itineraries",
            "--plan",
            str(plan_file),
            "--out",
            str(out),
            "--data",
            str(data_folder),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    rows = {row["engineer"]: row for row in report["engineers"]}
    assert (rows["E1"]["visits"], rows["E2"]["visits"]) == (4, 2)
    assert rows["E1"]["new"] == 11 and rows["E1"]["cancelled"] == 0
    for eid in ("E1", "E2"):
        for name in ("itinerary.ics", "itinerary.html", "issued.json"):
            assert (out / eid / name).is_file()
    cal = icalendar.Calendar.from_ical((out / "E1" / "itinerary.ics").read_bytes())
    assert {str(e["UID"]) for e in cal.walk("VEVENT")} >= {"visit-R0001-1@fieldplan"}


def test_second_run_reports_nothing_new(tmp_path, data_folder, plan_file):
    """Running the command twice on the same plan reports every event unchanged."""
    out = tmp_path / "outbox"
    args = [
        "itineraries",
        "--plan",
        str(plan_file),
        "--out",
        str(out),
        "--data",
        str(data_folder),
        "--json",
    ]
    assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, args)
    totals = json.loads(result.stdout)["totals"]
    assert totals["new"] == totals["updated"] == totals["cancelled"] == 0
    assert totals["unchanged"] == 16


def test_plan_file_round_trips_into_the_same_itineraries(tmp_path, data_folder, plan_file):
    """The plan read from plan.json gives the calendar the plan's own times."""
    out = tmp_path / "outbox"
    args = ["itineraries", "--plan", str(plan_file), "--out", str(out), "--data", str(data_folder)]
    assert runner.invoke(app, args).exit_code == 0
    cal = icalendar.Calendar.from_ical((out / "E2" / "itinerary.ics").read_bytes())
    check = next(e for e in cal.walk("VEVENT") if str(e["UID"]) == "visit-R0004-1@fieldplan")
    assert check.decoded("DTSTART").isoformat() == "2026-11-26T10:00:00+08:00"


def test_unreadable_plan_file_exits_2(tmp_path, data_folder):
    """A plan.json that is not one is bad input: exit 2 naming the file."""
    bad = tmp_path / "plan.json"
    bad.write_text("{not json", encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "itineraries",
            "--plan",
            str(bad),
            "--out",
            str(tmp_path / "o"),
            "--data",
            str(data_folder),
        ],
    )
    assert result.exit_code == 2
    assert "plan.json" in result.output


def test_missing_plan_file_exits_2(tmp_path, data_folder):
    """A plan path that does not exist is bad input: exit 2 with the path named."""
    missing = tmp_path / "nope.json"
    result = runner.invoke(
        app,
        [
            "itineraries",
            "--plan",
            str(missing),
            "--out",
            str(tmp_path / "o"),
            "--data",
            str(data_folder),
        ],
    )
    assert result.exit_code == 2
    assert "nope.json" in result.output


def test_plan_naming_unknown_requests_exits_2(tmp_path, data_folder, plan_file):
    """A plan whose visits are not in the data folder is refused with the request named."""
    only_two = [r for r in REQUESTS if r.request_ref in ("R0001", "R0002")]
    _write(data_folder, "requests", only_two)
    result = runner.invoke(
        app,
        [
            "itineraries",
            "--plan",
            str(plan_file),
            "--out",
            str(tmp_path / "o"),
            "--data",
            str(data_folder),
        ],
    )
    assert result.exit_code == 2
    assert "R0003" in result.output


def test_without_data_folder_the_itineraries_come_from_the_database(
    tmp_path, data_folder, plan_file, fresh_db_url, monkeypatch
):
    """After `fieldplan intake`, `fieldplan itineraries` without --data reads customers and
    requests from fieldplan's database and writes the same outbox as from the folder."""
    monkeypatch.setenv("FIELDPLAN_DATABASE_URL", fresh_db_url)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    loaded = runner.invoke(app, ["intake", str(data_folder), "--json"])
    assert loaded.exit_code in (0, 1), loaded.output
    from_db, from_folder = tmp_path / "from-db", tmp_path / "from-folder"
    args = ["itineraries", "--plan", str(plan_file), "--json", "--out"]
    result = runner.invoke(app, [*args, str(from_db)])
    assert result.exit_code == 0, result.output
    runner.invoke(app, [*args, str(from_folder), "--data", str(data_folder)])
    for eid in ("E1", "E2"):
        for name in ("itinerary.ics", "itinerary.html"):
            db_text = _without_issue_time((from_db / eid / name).read_text(encoding="utf-8"))
            folder_text = (from_folder / eid / name).read_text(encoding="utf-8")
            assert db_text == _without_issue_time(folder_text)


def _without_issue_time(text: str) -> str:
    """The text without the moment it was issued (DTSTAMP, 'issued ...'): the two runs
    may straddle a second or a minute."""
    text = re.sub(r"DTSTAMP:\d{8}T\d{6}Z", "DTSTAMP:-", text)
    return re.sub(r"issued \d{4}-\d{2}-\d{2} \d{2}:\d{2}", "issued -", text)
