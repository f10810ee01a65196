"""Tests of the engineers' calendar files and of re-issuing them after a re-plan."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import icalendar
import ics
import pytest

from scheduling.ical import return_uid, travel_uid, visit_uid
from scheduling.model import Plan
from scheduling.outbox import OutboxError, issue_itineraries
from scheduling.policy import load_policy
from tests.scheduling.itinerary_cases import (
    BASE_ROWS,
    ISSUED_1,
    ISSUED_2,
    SH,
    THU,
    make_plan,
    problem,
)


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def _events(path: Path) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def _vevent_blocks(path: Path) -> dict[str, str]:
    """The raw text of each VEVENT, by UID (to check untouched events byte for byte)."""
    text = path.read_bytes().decode("utf-8")
    blocks = re.findall(r"BEGIN:VEVENT\r\n.*?END:VEVENT\r\n", text, flags=re.S)
    out = {}
    for block in blocks:
        uid = re.search(r"^UID:(.*)\r$", block, flags=re.M).group(1)
        out[uid] = block
    assert out, f"no VEVENT in {path}"
    return out


def test_uids_are_derived_from_the_work():
    """UIDs depend only on what identifies the work, so re-plans address the same events."""
    assert visit_uid("R0001", 1) == "visit-R0001-1@fieldplan"
    assert travel_uid("E1", "R0001", 2) == "travel-E1-R0001-2@fieldplan"
    assert return_uid("E1", THU) == "return-E1-20261126@fieldplan"
    assert visit_uid("R 1/2", 1) == "visit-R%201%2F2-1@fieldplan"


def test_calendar_parses_back_and_matches_the_plan(tmp_path, policy):
    """The .ics parses with icalendar; one event per visit and leg, at the plan's times."""
    issue_itineraries(make_plan(), problem(), policy, tmp_path, issued_at=ISSUED_1)
    path = tmp_path / "E1" / "itinerary.ics"
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    assert str(cal["METHOD"]) == "PUBLISH"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    events = _events(path)
    visits = {uid: e for uid, e in events.items() if uid.startswith("visit-")}
    legs = {uid for uid in events if uid.startswith(("travel-", "return-"))}
    assert set(visits) == {
        "visit-R0001-1@fieldplan",
        "visit-R0002-1@fieldplan",
        "visit-R0003-1@fieldplan",
        "visit-R0003-2@fieldplan",
    }
    assert len(legs) == 4 + 3  # a leg before each visit, a way back each day
    for row in BASE_ROWS:
        eid, ref, session, day, start, end, _, minutes = row
        if eid != "E1":
            continue
        event = visits[visit_uid(ref, session)]
        dtstart = event.decoded("DTSTART")
        assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
        assert dtstart.date() == day and dtstart.strftime("%H:%M") == start
        assert event.decoded("DTEND").strftime("%H:%M") == end
        assert str(event["LOCATION"]) and str(event["DESCRIPTION"])
        assert event["GEO"] is not None
        assert int(event["SEQUENCE"]) == 0 and str(event["STATUS"]) == "CONFIRMED"
        assert "mailto:" in str(event["ORGANIZER"])
        leg = events[travel_uid("E1", ref, session)]
        assert (leg.decoded("DTEND") - leg.decoded("DTSTART")).total_seconds() == minutes * 60
        assert leg.decoded("DTEND") == dtstart


def test_calendar_parses_with_an_independent_parser(tmp_path, policy):
    """The independent `ics` parser reads the same events, times and places."""
    issue_itineraries(make_plan(), problem(), policy, tmp_path, issued_at=ISSUED_1)
    cal = ics.Calendar((tmp_path / "E2" / "itinerary.ics").read_text(encoding="utf-8"))
    by_uid = {e.uid: e for e in cal.events}
    assert set(by_uid) == {
        "visit-R0004-1@fieldplan",
        "visit-R0005-1@fieldplan",
        "travel-E2-R0004-1@fieldplan",
        "travel-E2-R0005-1@fieldplan",
        "return-E2-20261126@fieldplan",
    }
    check = by_uid["visit-R0004-1@fieldplan"]
    assert check.begin.datetime == datetime(2026, 11, 26, 10, 0, tzinfo=SH)
    assert check.begin.datetime.utcoffset().total_seconds() == 8 * 3600
    assert check.end.datetime == datetime(2026, 11, 26, 12, 0, tzinfo=SH)
    assert "Pudong Airport Hotel" in check.location
    assert check.geo.latitude == pytest.approx(31.15)
    assert "report" in check.description


def test_an_engineers_file_holds_only_their_visits_and_contacts(tmp_path, policy):
    """E1's calendar never shows E2's customers, contacts or visits, and vice versa."""
    issue_itineraries(make_plan(), problem(), policy, tmp_path, issued_at=ISSUED_1)
    e1 = (tmp_path / "E1" / "itinerary.ics").read_text(encoding="utf-8")
    e2 = (tmp_path / "E2" / "itinerary.ics").read_text(encoding="utf-8")
    for text, others in (
        (e1, ("R0004", "Sun Hui", "5555 0404", "Ma Lin")),
        (e2, ("R0001", "Chen Jing", "5555 0101", "Wang Fang")),
    ):
        for word in others:
            assert word not in text.replace("\r\n ", "")


def test_backup_warning_is_in_the_calendar(tmp_path, policy):
    """POLICY.md 1: the unconfirmed-backup warning is in the visit's description."""
    issue_itineraries(make_plan(), problem(), policy, tmp_path, issued_at=ISSUED_1)
    events = _events(tmp_path / "E1" / "itinerary.ics")
    upgrade = str(events["visit-R0001-1@fieldplan"]["DESCRIPTION"])
    install = str(events["visit-R0002-1@fieldplan"]["DESCRIPTION"])
    assert "1. Verify the customer's data backup is done" in upgrade
    assert "WARNING" in upgrade and "NOT confirmed" in upgrade
    assert "WARNING" not in install


def _replan_rows():
    """R0002 moved to 15:00, R0005 withdrawn, the rest as before."""
    rows = []
    for row in BASE_ROWS:
        if row[1] == "R0005":
            continue
        if row[1] == "R0002":
            row = (*row[:4], "15:00", "18:00", *row[6:])
        rows.append(row)
    return tuple(rows)


def test_reissue_updates_cancels_and_leaves_the_rest_untouched(tmp_path, policy):
    """After a re-plan: changed events SEQUENCE+1, removed ones CANCELLED, same UIDs."""
    issue_itineraries(make_plan(), problem(), policy, tmp_path, issued_at=ISSUED_1)
    before_e1 = _vevent_blocks(tmp_path / "E1" / "itinerary.ics")
    report = issue_itineraries(
        make_plan(_replan_rows()), problem(), policy, tmp_path, issued_at=ISSUED_2
    )
    e1_path, e2_path = tmp_path / "E1" / "itinerary.ics", tmp_path / "E2" / "itinerary.ics"
    e1, e2 = _events(e1_path), _events(e2_path)

    moved = e1["visit-R0002-1@fieldplan"]
    assert int(moved["SEQUENCE"]) == 1
    assert moved.decoded("DTSTART").strftime("%H:%M") == "15:00"
    assert moved.decoded("DTSTAMP") == ISSUED_2

    gone = e2["visit-R0005-1@fieldplan"]
    assert str(gone["STATUS"]) == "CANCELLED" and int(gone["SEQUENCE"]) == 1
    assert str(e2["travel-E2-R0005-1@fieldplan"]["STATUS"]) == "CANCELLED"
    assert sum(1 for uid in e2 if uid == "visit-R0005-1@fieldplan") == 1

    after_e1 = _vevent_blocks(e1_path)
    assert set(after_e1) == set(before_e1)  # same UIDs, nothing duplicated
    assert after_e1["visit-R0001-1@fieldplan"] == before_e1["visit-R0001-1@fieldplan"]
    assert after_e1["visit-R0003-2@fieldplan"] == before_e1["visit-R0003-2@fieldplan"]

    counts = {i.engineer_id: i for i in report.engineers}
    # E1: the visit, the leg to it and the day's way back changed
    assert (counts["E1"].updated, counts["E1"].cancelled, counts["E1"].new) == (3, 0, 0)
    assert counts["E1"].unchanged == 8
    # E2: the visit, its leg changed to cancelled; the way back now starts earlier
    assert (counts["E2"].cancelled, counts["E2"].updated) == (2, 1)

    # the independent parser agrees on the cancellation
    parsed = {e.uid: e for e in ics.Calendar(e2_path.read_text(encoding="utf-8")).events}
    assert parsed["visit-R0005-1@fieldplan"].status == "CANCELLED"


def test_reissuing_the_same_plan_changes_nothing(tmp_path, policy):
    """Issuing an identical plan again leaves every file byte for byte as it was."""
    issue_itineraries(make_plan(), problem(), policy, tmp_path, issued_at=ISSUED_1)
    files = sorted(tmp_path.glob("*/*"))
    before = {p: p.read_bytes() for p in files}
    report = issue_itineraries(make_plan(), problem(), policy, tmp_path, issued_at=ISSUED_2)
    assert {p: p.read_bytes() for p in files} == before
    assert all(not e.written and e.new == e.updated == e.cancelled == 0 for e in report.engineers)


def test_reinstated_visit_gets_a_higher_sequence_than_its_cancellation(tmp_path, policy):
    """A visit cancelled then planned again is re-confirmed above the cancel's SEQUENCE."""
    issue_itineraries(make_plan(), problem(), policy, tmp_path, issued_at=ISSUED_1)
    issue_itineraries(make_plan(_replan_rows()), problem(), policy, tmp_path, issued_at=ISSUED_2)
    later = ISSUED_2.replace(hour=17)
    issue_itineraries(make_plan(), problem(), policy, tmp_path, issued_at=later)
    event = _events(tmp_path / "E2" / "itinerary.ics")["visit-R0005-1@fieldplan"]
    assert str(event["STATUS"]) == "CONFIRMED" and int(event["SEQUENCE"]) == 2


def test_engineer_without_visits_any_more_gets_the_cancellations(tmp_path, policy):
    """An engineer taken off every visit still receives a calendar cancelling them."""
    issue_itineraries(make_plan(), problem(), policy, tmp_path, issued_at=ISSUED_1)
    only_e1 = tuple(r for r in BASE_ROWS if r[0] == "E1")
    report = issue_itineraries(make_plan(only_e1), problem(), policy, tmp_path, issued_at=ISSUED_2)
    e2 = _events(tmp_path / "E2" / "itinerary.ics")
    assert e2 and all(str(e["STATUS"]) == "CANCELLED" for e in e2.values())
    assert {i.engineer_id: i.cancelled for i in report.engineers}["E2"] == 5


def test_past_events_are_retired_not_cancelled(tmp_path, policy):
    """Work already over is never cancelled by a later plan that no longer lists it."""
    issue_itineraries(make_plan(), problem(), policy, tmp_path, issued_at=ISSUED_1)
    after_thursday = datetime(2026, 11, 26, 20, 0, tzinfo=SH)
    not_thursday = tuple(r for r in BASE_ROWS if r[3] != THU)
    report = issue_itineraries(
        make_plan(not_thursday), problem(), policy, tmp_path, issued_at=after_thursday
    )
    e1 = _events(tmp_path / "E1" / "itinerary.ics")
    assert "visit-R0001-1@fieldplan" not in e1
    assert all(str(e["STATUS"]) == "CONFIRMED" for e in e1.values())
    assert {i.engineer_id: i.cancelled for i in report.engineers} == {"E1": 0, "E2": 0}


def test_manifest_records_sequences_and_hashes(tmp_path, policy):
    """issued.json keeps each issued event's UID, SEQUENCE, hash and STATUS."""
    issue_itineraries(make_plan(), problem(), policy, tmp_path, issued_at=ISSUED_1)
    data = json.loads((tmp_path / "E1" / "issued.json").read_text(encoding="utf-8"))
    assert data["engineer_id"] == "E1" and data["timezone"] == "Asia/Shanghai"
    by_uid = {e["uid"]: e for e in data["events"]}
    assert by_uid["visit-R0001-1@fieldplan"]["sequence"] == 0
    assert len(by_uid["visit-R0001-1@fieldplan"]["hash"]) == 64


def test_a_corrupt_manifest_is_a_clear_error(tmp_path, policy):
    """A manifest that is not one names its file instead of being silently overwritten."""
    (tmp_path / "E1").mkdir()
    (tmp_path / "E1" / "issued.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(OutboxError, match=r"issued\.json"):
        issue_itineraries(make_plan(), problem(), policy, tmp_path, issued_at=ISSUED_1)


def test_naive_issue_time_is_refused(tmp_path, policy):
    """Issue times must be timezone-aware, like every datetime of fieldplan."""
    with pytest.raises(OutboxError, match="timezone-aware"):
        issue_itineraries(
            Plan((), (), ()), problem(), policy, tmp_path, issued_at=datetime(2026, 11, 25)
        )
