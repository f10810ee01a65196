"""Property tests of re-issuing: calendars converge to the plan, SEQUENCE never goes back."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import icalendar
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.outbox import issue_itineraries, read_manifest
from scheduling.policy import load_policy
from tests.scheduling.itinerary_cases import BASE_ROWS, ISSUED_1, make_plan, problem

POLICY = load_policy()
HOURS = ("09:00", "10:00", "11:00", "13:00", "14:00")

# one re-plan: for each base row, keep it or drop it, and maybe move its start
replans = st.lists(
    st.tuples(st.booleans(), st.sampled_from((None, *HOURS))),
    min_size=len(BASE_ROWS),
    max_size=len(BASE_ROWS),
)


def _rows(choice):
    rows = []
    for (keep, hour), row in zip(choice, BASE_ROWS, strict=True):
        if not keep:
            continue
        if hour is not None:
            h = int(hour[:2])
            row = (*row[:4], hour, f"{h + 1:02d}:{hour[3:]}", *row[6:])
        rows.append(row)
    return tuple(rows)


def _state(out: Path) -> dict[str, tuple[int, str, str]]:
    """UID -> (SEQUENCE, STATUS, content hash) over every engineer's manifest."""
    state = {}
    for path in out.glob("*/issued.json"):
        manifest = read_manifest(path)
        for uid, record in manifest.events.items():
            state[(manifest.engineer_id, uid)] = (record.sequence, record.status, record.hash)
    return state


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(replans, min_size=1, max_size=3))
def test_reissues_never_lower_a_sequence_and_match_the_plan(choices):
    """Over any re-plans: a changed event's SEQUENCE rises, none falls, files match the plan."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        issue_itineraries(make_plan(), problem(), POLICY, out, issued_at=ISSUED_1)
        before = _state(out)
        for number, choice in enumerate(choices, start=1):
            rows = _rows(choice)
            when = ISSUED_1 + timedelta(minutes=number)
            issue_itineraries(make_plan(rows), problem(), POLICY, out, issued_at=when)
            after = _state(out)
            for key, (seq, status, digest) in after.items():
                if key in before:
                    old_seq, old_status, old_digest = before[key]
                    assert seq >= old_seq
                    if (status, digest) != (old_status, old_digest):
                        assert seq > old_seq
            planned = {(r[0], f"visit-{r[1]}-{r[2]}@fieldplan") for r in rows}
            for path in out.glob("*/itinerary.ics"):
                cal = icalendar.Calendar.from_ical(path.read_bytes())
                uids = [str(e["UID"]) for e in cal.walk("VEVENT")]
                assert len(uids) == len(set(uids))  # never a duplicate
                for event in cal.walk("VEVENT"):
                    uid = str(event["UID"])
                    if uid.startswith("visit-"):
                        is_planned = (path.parent.name, uid) in planned
                        assert (str(event["STATUS"]) == "CONFIRMED") == is_planned
            for eid, uid in planned:
                assert after[(eid, uid)][1] == "CONFIRMED"
            before = after
