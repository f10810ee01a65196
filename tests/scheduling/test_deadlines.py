"""Response deadlines (POLICY.md 4, seed 五.6), scalar and vectorized."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.calendars import WorkingCalendar
from scheduling.deadlines import deadline_for, deadlines_for, response_deadline
from scheduling.model import Channel, Kind, ServiceRequest, Urgency, Validity, Zone
from scheduling.policy import load_policy

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = load_policy()
NO_SWITCH = POLICY.model_copy(
    update={
        "calendar": POLICY.calendar.model_copy(
            update={"clock_starts_at_next_working_moment": False}
        )
    }
)
CN = WorkingCalendar("CN")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def request(received: datetime, kind: Kind = Kind.ONSITE_SERVICE, **kw) -> ServiceRequest:
    return ServiceRequest(
        request_ref="R",
        customer_id="C",
        kind=kind,
        subtype="",
        urgency=Urgency.P2,
        channel=Channel.WEB,
        received_at=received,
        duration_hours=Decimal("2"),
        **kw,
    )


# Dates below follow 国务院办公厅关于2024年/2025年/2026年部分节假日安排的通知.


def test_out_of_town_deadline_lands_on_a_make_up_saturday():
    """2025 notice: logged Tue 30 Sep, the 3rd working day is make-up Saturday 11 Oct, 18:00."""
    result = response_deadline(request(at(2025, 9, 30, 10)), Zone.OUT_OF_TOWN, CN, POLICY)
    assert result.deadline == at(2025, 10, 11, 18)
    assert result.deadline.strftime("%A") == "Saturday"
    assert result.counted_days == [date(2025, 10, 9), date(2025, 10, 10), date(2025, 10, 11)]
    assert result.warnings == []


def test_city_deadline_jumps_over_the_national_day_week():
    """2025 notice: 48 h from Tue 30 Sep 10:00 pause over 1-8 Oct and end Fri 10 Oct 10:00."""
    result = response_deadline(request(at(2025, 9, 30, 10)), Zone.CITY, CN, POLICY)
    assert result.deadline == at(2025, 10, 10, 10)
    assert result.counted_days == [date(2025, 9, 30), date(2025, 10, 9), date(2025, 10, 10)]


def test_suburban_deadline_after_national_day_2024():
    """2024 notice: logged Mon 30 Sep 2024 (1-7 Oct off), due Thu 10 Oct 18:00."""
    result = response_deadline(request(at(2024, 9, 30, 11)), Zone.SUBURBAN, CN, POLICY)
    assert result.deadline == at(2024, 10, 10, 18)


def test_city_clock_counts_the_make_up_saturday_before_spring_festival_2026():
    """2026 notice: Sat 14 Feb is worked, 15-23 Feb off: 48 h from Fri 13 Feb 10:00 end Tue
    24 Feb 10:00."""
    result = response_deadline(request(at(2026, 2, 13, 10)), Zone.CITY, CN, POLICY)
    assert result.deadline == at(2026, 2, 24, 10)
    assert date(2026, 2, 14) in result.counted_days


def test_city_request_friday_five_pm_is_due_tuesday_five_pm():
    """POLICY.md 4: a city request logged Friday 17:00 is due Tuesday 17:00."""
    result = response_deadline(request(at(2025, 11, 21, 17)), Zone.CITY, CN, POLICY)
    assert result.deadline == at(2025, 11, 25, 17)


def test_after_hours_request_starts_at_the_next_working_moment():
    """With the policy switch on, a Friday 19:00 city request counts from Monday 9:00."""
    result = response_deadline(request(at(2025, 11, 21, 19)), Zone.CITY, CN, POLICY)
    assert result.clock_start == at(2025, 11, 24, 9)
    assert result.deadline == at(2025, 11, 26, 9)


def test_without_the_switch_a_deadline_after_hours_moves_back_to_the_day_end():
    """Switch off: Friday 19:00 + 48 h is Tuesday 19:00, moved back to Tuesday 18:00."""
    result = response_deadline(request(at(2025, 11, 21, 19)), Zone.CITY, CN, NO_SWITCH)
    assert result.deadline == at(2025, 11, 25, 18)


def test_deadline_in_the_lunch_break_moves_to_lunch_start():
    """Switch off: Monday 12:30 + 48 h is Wednesday 12:30, in lunch, so Wednesday 12:00."""
    result = response_deadline(request(at(2025, 11, 24, 12, 30)), Zone.CITY, CN, NO_SWITCH)
    assert result.deadline == at(2025, 11, 26, 12)


def test_saturday_request_is_logged_on_monday_with_the_switch():
    """Switch on: a suburban request received Saturday counts as logged Monday (due Thu)."""
    on = response_deadline(request(at(2025, 11, 22, 10)), Zone.SUBURBAN, CN, POLICY)
    off = response_deadline(request(at(2025, 11, 22, 10)), Zone.SUBURBAN, CN, NO_SWITCH)
    assert on.deadline == at(2025, 11, 27, 18)
    assert off.deadline == at(2025, 11, 26, 18)


def test_training_is_due_at_the_end_of_the_window():
    """Training: end of working hours on the window's last day (a Sunday: Friday 18:00)."""
    req = request(at(2025, 11, 3, 10), Kind.TRAINING, window_end=date(2025, 11, 30))
    result = response_deadline(req, None, CN, POLICY)
    assert result.deadline == at(2025, 11, 28, 18)


def test_training_without_window_gets_ten_working_days():
    """Training without a window: end of the 10th working day after logging."""
    result = response_deadline(request(at(2025, 9, 26, 10), Kind.TRAINING), None, CN, POLICY)
    # 28, 29, 30 Sep, 9, 10, 11, 13, 14, 15, 16 Oct 2025
    assert result.deadline == at(2025, 10, 16, 18)
    assert len(result.counted_days) == 10


def test_training_window_already_over_warns():
    """A training window that ended before the request arrived is flagged, not hidden."""
    req = request(at(2025, 11, 24, 10), Kind.TRAINING, window_end=date(2025, 11, 20))
    result = response_deadline(req, None, CN, POLICY)
    assert any("before the request" in w for w in result.warnings)


def test_expired_requests_get_no_deadline():
    """POLICY.md 1: an expired request gets no deadline."""
    result = response_deadline(
        request(at(2025, 9, 30, 10)), Zone.CITY, CN, POLICY, validity=Validity.EXPIRED
    )
    assert result.deadline is None and result.counted_days == []


def test_non_training_request_without_zone_is_an_error():
    """Only training may go without a zone."""
    with pytest.raises(ValueError, match="zone"):
        response_deadline(request(at(2025, 9, 30, 10)), None, CN, POLICY)


def test_deadline_in_an_unpublished_year_carries_a_warning():
    """A deadline in a year without a published arrangement says so."""
    year = CN.published_through + 1
    result = response_deadline(request(at(year, 3, 2, 10)), Zone.SUBURBAN, CN, POLICY)
    assert result.deadline is not None
    assert any(str(year) in w for w in result.warnings)


# --- vectorized ---------------------------------------------------------------------------


def test_vectorized_path_matches_named_cases():
    """deadlines_for gives the same answers as the scalar cases above, NaT when expired."""
    frame = pd.DataFrame(
        {
            "received_at": [at(2025, 9, 30, 10), at(2025, 9, 30, 10), at(2025, 11, 21, 19)],
            "zone": ["out_of_town", "city", "city"],
            "validity": ["free", "expired", "paid"],
        },
        index=["a", "b", "c"],
    )
    result = deadlines_for(frame, CN, POLICY)
    assert list(result.index) == ["a", "b", "c"]
    assert result["a"] == at(2025, 10, 11, 18)
    assert pd.isna(result["b"])
    assert result["c"] == at(2025, 11, 26, 9)


def test_vectorized_path_rejects_unknown_zone_naming_the_row():
    """A bad zone in a frame names the row and the value."""
    frame = pd.DataFrame({"received_at": [at(2025, 9, 30, 10)], "zone": ["moon"]}, index=["r9"])
    with pytest.raises(ValueError, match=r"'r9'.*'moon'"):
        deadlines_for(frame, CN, POLICY)


def test_vectorized_path_handles_an_empty_frame():
    """No requests, no deadlines (and no error)."""
    frame = pd.DataFrame({"received_at": pd.Series([], dtype="datetime64[ns, UTC]"), "zone": []})
    assert deadlines_for(frame, CN, POLICY).empty


# --- properties ---------------------------------------------------------------------------

MOMENTS = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 11, 30)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=SHANGHAI)
)
ZONES = st.sampled_from(["city", "suburban", "out_of_town"])
KINDS = st.sampled_from(["onsite_service", "training", "health_check"])
WINDOWS = st.one_of(st.none(), st.integers(-5, 40))
CALENDARS = st.sampled_from([CN, WorkingCalendar("CN", lunch_break=False), WorkingCalendar("HK")])
POLICIES = st.sampled_from([POLICY, NO_SWITCH])


@settings(max_examples=200, deadline=None)
@given(MOMENTS, ZONES, KINDS, WINDOWS, CALENDARS, POLICIES)
def test_a_deadline_is_always_a_working_moment(received, zone, kind, window, calendar, policy):
    """Every computed deadline lies inside working hours on a working day."""
    window_end = None if window is None else received.date() + timedelta(days=window)
    result = deadline_for(received, zone, calendar, policy, kind=kind, window_end=window_end)
    assert calendar.is_working_day(result.deadline.date())
    assert calendar.is_working_moment(result.deadline)


@settings(max_examples=200, deadline=None)
@given(MOMENTS, ZONES, KINDS, CALENDARS, POLICIES)
def test_a_deadline_is_never_before_the_clock_start(received, zone, kind, calendar, policy):
    """Without a window, a deadline never precedes the receipt."""
    result = deadline_for(received, zone, calendar, policy, kind=kind)
    assert result.deadline >= received


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(MOMENTS, ZONES, KINDS, WINDOWS), min_size=1, max_size=30),
    CALENDARS,
    POLICIES,
)
def test_vectorized_equals_scalar(rows, calendar, policy):
    """deadlines_for gives exactly the scalar deadline for every row."""
    windows = [None if w is None else r.date() + timedelta(days=w) for r, _, _, w in rows]
    frame = pd.DataFrame(
        {
            "received_at": [r for r, _, _, _ in rows],
            "zone": [z for _, z, _, _ in rows],
            "kind": [k for _, _, k, _ in rows],
            "window_end": windows,
        }
    )
    vectorized = deadlines_for(frame, calendar, policy)
    for i, (received, zone, kind, _) in enumerate(rows):
        scalar = deadline_for(received, zone, calendar, policy, kind=kind, window_end=windows[i])
        assert vectorized.iloc[i].to_pydatetime() == scalar.deadline


def test_vectorized_path_lists_unpublished_years():
    """deadlines_for reports years without a published arrangement in attrs['warnings']."""
    year = CN.published_through + 1
    frame = pd.DataFrame({"received_at": [at(year, 3, 2, 10)], "zone": ["city"]})
    result = deadlines_for(frame, CN, POLICY)
    assert any(str(year) in w for w in result.attrs["warnings"])
    published = deadlines_for(frame.assign(received_at=[at(2025, 3, 3, 10)]), CN, POLICY)
    assert published.attrs["warnings"] == []


def test_each_office_uses_its_own_calendar():
    """deadlines_by_office applies each office's calendar: a company day off moves a deadline."""
    from scheduling.deadlines import deadlines_by_office

    closed = WorkingCalendar("CN", extra_days_off=(date(2025, 12, 3),))
    frame = pd.DataFrame(
        {
            "received_at": [at(2025, 12, 1, 10), at(2025, 12, 1, 10), at(2025, 12, 1, 10)],
            "zone": ["suburban", "suburban", "suburban"],
            "office_id": ["SH", "GZ", "HK"],
        }
    )
    calendars = {"SH": CN, "GZ": closed, "HK": WorkingCalendar("HK", timezone="Asia/Hong_Kong")}
    result = deadlines_by_office(frame, calendars, POLICY)
    assert result[0] == at(2025, 12, 4, 18)
    assert result[1] == at(2025, 12, 5, 18)  # 3 Dec is the office's day off
    assert result[2] == at(2025, 12, 4, 18)  # same wall clock in Hong Kong (UTC+8)
    with pytest.raises(ValueError, match="'XX'"):
        deadlines_by_office(frame.assign(office_id="XX"), calendars, POLICY)


CASES = pd.read_csv(
    Path(__file__).resolve().parent.parent / "data" / "calendar" / "deadline_cases.csv",
    dtype=str,
    keep_default_na=False,
)


@pytest.mark.parametrize("case", CASES.to_dict("records"), ids=CASES["note"].tolist())
def test_deadline_table_2024_2026(case):
    """The reviewed deadline table (tests/data/calendar/deadline_cases.csv) still holds; its
    make-up days and holidays follow the State Council notices for 2024, 2025 and 2026."""
    result = deadline_for(
        datetime.fromisoformat(case["received_at"]),
        case["zone"] or None,
        CN,
        POLICY,
        kind=case["kind"],
        window_end=date.fromisoformat(case["window_end"]) if case["window_end"] else None,
    )
    assert result.deadline == datetime.fromisoformat(case["expected_deadline"])


def test_deadline_table_vectorized():
    """The vectorized path reproduces the whole reviewed deadline table."""
    frame = CASES.assign(
        received_at=[datetime.fromisoformat(v) for v in CASES["received_at"]],
        window_end=pd.to_datetime(CASES["window_end"].replace("", None)),
    )
    result = deadlines_for(frame, CN, POLICY)
    expected = [datetime.fromisoformat(v) for v in CASES["expected_deadline"]]
    assert [d.to_pydatetime() for d in result] == expected


def test_vectorized_path_refuses_mixed_naive_and_aware_receipts():
    """A frame mixing receipts with and without a time zone is refused, naming the row."""
    frame = pd.DataFrame(
        {
            "received_at": [at(2025, 9, 30, 10), datetime(2025, 9, 30, 10), "2025-09-30T02:00Z"],
            "zone": ["city"] * 3,
        }
    )
    with pytest.raises(ValueError, match="row 1 has no time zone"):
        deadlines_for(frame, CN, POLICY)
