"""Working-day calendars: official arrangements, office overrides, hours, the working clock."""

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.calendars import (
    WorkingCalendar,
    WorkingDayIndex,
    epoch_day,
    from_epoch_day,
    published_through,
)
from scheduling.policy import WorkingHours

SHANGHAI = ZoneInfo("Asia/Shanghai")
CN = WorkingCalendar("CN")

# The official arrangements, typed in from the State Council General Office notices
# (independently of the holidays package, which the calendar uses):
#   2024: 国务院办公厅关于2024年部分节假日安排的通知 (国办发明电〔2023〕7号)
#   2025: 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号)
#   2026: 国务院办公厅关于2026年部分节假日安排的通知 (2025年11月)
# MAKE_UP: weekend days that are working days (调休/补班); WEEKDAYS_OFF: Monday-Friday days
# off (public holidays and the days swapped with the make-up days).
MAKE_UP = {
    2024: ["02-04", "02-18", "04-07", "04-28", "05-11", "09-14", "09-29", "10-12"],
    2025: ["01-26", "02-08", "04-27", "09-28", "10-11"],
    2026: ["01-04", "02-14", "02-28", "05-09", "09-20", "10-10"],
}
WEEKDAYS_OFF = {
    # 元旦 1-1; 春节 2-10..17; 清明 4-4..6; 劳动节 5-1..5; 端午 6-10; 中秋 9-15..17; 国庆 10-1..7
    2024: ["01-01", "02-12", "02-13", "02-14", "02-15", "02-16", "04-04", "04-05", "05-01",
           "05-02", "05-03", "06-10", "09-16", "09-17", "10-01", "10-02", "10-03", "10-04",
           "10-07"],
    # 元旦 1-1; 春节 1-28..2-4; 清明 4-4..6; 劳动节 5-1..5; 端午 5-31..6-2; 国庆中秋 10-1..8
    2025: ["01-01", "01-28", "01-29", "01-30", "01-31", "02-03", "02-04", "04-04", "05-01",
           "05-02", "05-05", "06-02", "10-01", "10-02", "10-03", "10-06", "10-07", "10-08"],
    # 元旦 1-1..3; 春节 2-15..23; 清明 4-4..6; 劳动节 5-1..5; 端午 6-19..21; 中秋 9-25..27;
    # 国庆 10-1..7
    2026: ["01-01", "01-02", "02-16", "02-17", "02-18", "02-19", "02-20", "02-23", "04-06",
           "05-01", "05-04", "05-05", "06-19", "09-25", "10-01", "10-02", "10-05", "10-06",
           "10-07"],
}  # fmt: skip


def _days(year: int, items: list[str]) -> set[date]:
    return {date.fromisoformat(f"{year}-{md}") for md in items}


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_mainland_working_days_follow_the_state_council_notice(year):
    """Every day of 2024-2026 is working exactly as the year's official notice says."""
    make_up, off = _days(year, MAKE_UP[year]), _days(year, WEEKDAYS_OFF[year])
    day = date(year, 1, 1)
    while day.year == year:
        expected = day in make_up if day.weekday() >= 5 else day not in off
        assert CN.is_working_day(day) is expected, day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    "day", [date(2025, 9, 28), date(2025, 10, 11), date(2026, 2, 14), date(2024, 2, 4)]
)
def test_make_up_weekend_days_are_explained_as_such(day):
    """A make-up weekend day is a working day and `explain` says why, with the festival."""
    why = CN.explain(day)
    assert why.working and why.reason_code == "makeup_working_day"
    assert "调休" in why.why and why.holiday


def test_explain_names_the_holiday_and_the_weekday():
    """`explain` names the public holiday, the plain weekday and the plain weekend."""
    assert CN.explain(date(2025, 10, 1)).reason_code == "public_holiday"
    assert "National Day" in CN.explain(date(2025, 10, 1)).why
    assert CN.explain(date(2025, 10, 9)).why == "Thursday"
    assert CN.explain(date(2025, 10, 12)).reason_code == "weekend"


def test_swapped_weekday_off_names_its_make_up_day():
    """2025 notice: Wed 8 Oct is off in exchange for make-up Saturday 11 Oct."""
    why = CN.explain(date(2025, 10, 8))
    assert not why.working and why.reason_code == "swapped_day_off"
    assert "2025-10-11" in why.why and "National Day" in why.why


def test_sunday_2025_09_28_is_a_make_up_day_swapped_with_october_7():
    """2025 notice: Sunday 28 September is worked, swapped with the day off on 7 October."""
    why = CN.explain(date(2025, 9, 28))
    assert date(2025, 9, 28).strftime("%A") == "Sunday"
    assert "2025-10-07" in why.why


def test_office_overrides_win_over_the_official_calendar():
    """An office's extra day off and extra working day override the official calendar."""
    calendar = WorkingCalendar(
        "CN", extra_days_off=(date(2025, 12, 31),), extra_working_days=(date(2025, 10, 8),)
    )
    assert not calendar.is_working_day(date(2025, 12, 31))
    assert calendar.explain(date(2025, 12, 31)).reason_code == "office_day_off"
    assert calendar.is_working_day(date(2025, 10, 8))
    assert calendar.explain(date(2025, 10, 8)).reason_code == "office_working_day"


def test_hong_kong_macau_taiwan_sanity():
    """HK, MO and TW use their own holidays; Saturdays are off (Mon-Fri work, POLICY.md 4)."""
    hk, mo, tw = WorkingCalendar("HK"), WorkingCalendar("MO"), WorkingCalendar("TW")
    assert not hk.is_working_day(date(2025, 12, 25))  # Christmas Day
    assert not hk.is_working_day(date(2025, 10, 7))  # day following Mid-Autumn Festival
    assert not hk.is_working_day(date(2025, 12, 20))  # a Saturday
    assert hk.is_working_day(date(2025, 10, 8))  # mainland's day off, a working day in HK
    assert not mo.is_working_day(date(2025, 10, 1))  # National Day
    assert mo.is_working_day(date(2025, 10, 8))
    assert not tw.is_working_day(date(2025, 10, 10))  # National Day (雙十)
    assert tw.is_working_day(date(2025, 10, 1))  # not a holiday in Taiwan
    assert tw.is_working_day(date(2025, 2, 8))  # Saturday make-up day (補行上班)
    assert not tw.is_working_day(date(2025, 1, 27))  # swapped with 8 February


def test_unknown_region_is_rejected():
    """A region other than CN, HK, MO, TW is a clear error."""
    with pytest.raises(ValueError, match="unknown calendar region 'XX'"):
        WorkingCalendar("XX")


def test_next_and_previous_working_day_jump_over_national_day():
    """The working day after 30 Sep 2025 is 9 Oct; the one before 9 Oct is 30 Sep."""
    assert CN.next_working_day(date(2025, 9, 30)) == date(2025, 10, 9)
    assert CN.previous_working_day(date(2025, 10, 9)) == date(2025, 9, 30)


def test_add_working_days_forward_and_back():
    """Adding working days lands on make-up Saturdays and goes backwards for negative n."""
    assert CN.add_working_days(date(2025, 9, 30), 3) == date(2025, 10, 11)
    assert CN.add_working_days(date(2025, 10, 11), -3) == date(2025, 9, 30)
    assert CN.add_working_days(date(2025, 10, 4), 0) == date(2025, 10, 4)


def test_working_days_between_counts_after_start_up_to_end():
    """30 Sep → 12 Oct 2025 holds three working days (9, 10, 11 Oct); reversed is negative."""
    assert CN.working_days_between(date(2025, 9, 30), date(2025, 10, 12)) == 3
    assert CN.working_days_between(date(2025, 10, 12), date(2025, 9, 30)) == -3
    assert CN.working_days_in(date(2025, 9, 27), date(2025, 10, 12)) == [
        date(2025, 9, 28),
        date(2025, 9, 29),
        date(2025, 9, 30),
        date(2025, 10, 9),
        date(2025, 10, 10),
        date(2025, 10, 11),
    ]


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_forty_eight_hours_from_friday_five_pm_end_tuesday_five_pm():
    """POLICY.md 4: the working-day clock pauses over the weekend (Fri 17:00 → Tue 17:00)."""
    assert CN.add_working_hours(at(2025, 11, 21, 17), 48) == at(2025, 11, 25, 17)


def test_working_clock_pauses_over_national_day_week():
    """48 h from Tue 30 Sep 2025 10:00 skip 1-8 Oct and end Fri 10 Oct 10:00."""
    assert CN.add_working_hours(at(2025, 9, 30, 10), 48) == at(2025, 10, 10, 10)


def test_working_clock_started_on_a_holiday_waits_for_the_next_working_day():
    """A clock started on Saturday runs from 00:00 of the next working day."""
    assert CN.add_working_hours(at(2025, 11, 22, 10), 30) == at(2025, 11, 25, 6)


def test_working_clock_rejects_negative_hours():
    """Negative hours on the working clock are an error, not a silent subtraction."""
    with pytest.raises(ValueError):
        CN.add_working_hours(at(2025, 11, 21, 17), -1)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2025, 11, 24, 10), at(2025, 11, 24, 10)),  # inside hours: itself
        (at(2025, 11, 24, 7), at(2025, 11, 24, 9)),  # before hours: the day's start
        (at(2025, 11, 24, 12, 30), at(2025, 11, 24, 13)),  # lunch: end of lunch
        (at(2025, 11, 21, 19), at(2025, 11, 24, 9)),  # Friday evening: Monday 9:00
        (at(2025, 9, 30, 18, 30), at(2025, 10, 9, 9)),  # before National Day: 9 Oct
        (at(2025, 10, 10, 20), at(2025, 10, 11, 9)),  # make-up Saturday morning
    ],
)
def test_next_working_moment(moment, expected):
    """The next working moment skips nights, lunch, weekends and holidays."""
    assert CN.next_working_moment(moment) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2025, 11, 24, 10), at(2025, 11, 24, 10)),
        (at(2025, 11, 24, 19), at(2025, 11, 24, 18)),  # evening: that day's end
        (at(2025, 11, 24, 12, 30), at(2025, 11, 24, 12)),  # lunch: lunch start
        (at(2025, 11, 24, 8), at(2025, 11, 21, 18)),  # Monday 8:00: Friday 18:00
        (at(2025, 10, 5, 10), at(2025, 9, 30, 18)),  # National Day: 30 Sep 18:00
    ],
)
def test_last_working_moment(moment, expected):
    """The end of the previous working period, for deadlines outside working hours."""
    assert CN.last_working_moment(moment) == expected


def test_no_lunch_break_office_works_through_noon():
    """Without a lunch break, 12:30 is a working moment."""
    calendar = WorkingCalendar("CN", lunch_break=False)
    assert calendar.is_working_moment(at(2025, 11, 24, 12, 30))
    assert not CN.is_working_moment(at(2025, 11, 24, 12, 30))


def test_other_time_zones_are_converted_to_the_calendar_zone():
    """A moment given in UTC is read in the calendar's zone (01:00 UTC is 09:00 Shanghai)."""
    moment = datetime(2025, 11, 24, 1, tzinfo=ZoneInfo("UTC"))
    assert CN.next_working_moment(moment) == at(2025, 11, 24, 9)


def test_shift_gives_hours_and_lunch():
    """A shift spans the policy's hours with its lunch break, in the calendar's zone."""
    calendar = WorkingCalendar("CN", hours=WorkingHours(start="08:30", end="17:30"))
    shift = calendar.shift(date(2025, 11, 24))
    assert (shift.start, shift.end) == (at(2025, 11, 24, 8, 30), at(2025, 11, 24, 17, 30))
    assert shift.lunch == (at(2025, 11, 24, 12), at(2025, 11, 24, 13))


def test_years_without_a_published_arrangement_warn_and_log(caplog):
    """A year after the last published notice answers from statutory holidays, with a warning."""
    calendar = WorkingCalendar("CN")
    last = published_through("CN")
    assert last >= 2026
    assert calendar.arrangement_warning(last) is None
    with caplog.at_level(logging.WARNING, logger="scheduling.calendars"):
        warning = calendar.arrangement_warning(last + 1)
    assert warning and str(last + 1) in warning and "make-up working days unknown" in warning
    assert any(str(last + 1) in r.getMessage() for r in caplog.records)
    assert calendar.explain(date(last + 1, 3, 3)).warning == warning
    assert calendar.warnings_for(date(last, 12, 1), date(last + 1, 1, 10)) == [warning]


# --- vectorized index ---------------------------------------------------------------------


def test_index_agrees_with_the_scalar_calendar_over_three_years():
    """The numpy index answers is-working, next and add like the scalar calendar."""
    index = WorkingDayIndex(CN, date(2023, 1, 1), date(2027, 12, 31))
    days = np.arange(epoch_day(date(2024, 1, 1)), epoch_day(date(2026, 12, 31)) + 1)
    scalar = [CN.is_working_day(from_epoch_day(d)) for d in days]
    assert index.is_working(days).tolist() == scalar
    for n in (-3, -1, 1, 3, 10):
        expected = [epoch_day(CN.add_working_days(from_epoch_day(d), n)) for d in days]
        assert index.add(days, n).tolist() == expected
    nxt = [epoch_day(CN.working_days_from(from_epoch_day(d), 1)[0]) for d in days]
    assert index.next_on_or_after(days).tolist() == nxt


def test_index_refuses_days_outside_its_range():
    """Asking the index about a day it does not cover is an error, never a wrong answer."""
    index = WorkingDayIndex(CN, date(2025, 1, 1), date(2025, 12, 31))
    with pytest.raises(ValueError, match="outside the index"):
        index.is_working(np.array([epoch_day(date(2026, 1, 5))]))


# --- properties ---------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31))


@settings(max_examples=150, deadline=None)
@given(DAYS, st.integers(1, 40), st.integers(1, 40))
def test_adding_working_days_is_associative(day, a, b):
    """add(add(d, a), b) == add(d, a + b): working days compose."""
    assert CN.add_working_days(CN.add_working_days(day, a), b) == CN.add_working_days(day, a + b)


@settings(max_examples=150, deadline=None)
@given(DAYS, DAYS, st.integers(1, 30))
def test_adding_working_days_is_monotonic(d1, d2, n):
    """A later start never gives an earlier result, and the result is a working day."""
    lo, hi = min(d1, d2), max(d1, d2)
    assert CN.add_working_days(lo, n) <= CN.add_working_days(hi, n)
    assert CN.is_working_day(CN.add_working_days(lo, n))


@settings(max_examples=150, deadline=None)
@given(DAYS, st.integers(0, 60))
def test_between_inverts_add(day, n):
    """working_days_between(d, add_working_days(d, n)) == n."""
    assert CN.working_days_between(day, CN.add_working_days(day, n)) == n


MOMENTS = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 10, 31)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=SHANGHAI)
)


@settings(max_examples=150, deadline=None)
@given(MOMENTS, st.integers(0, 200), st.integers(0, 200))
def test_working_clock_hours_compose(moment, a, b):
    """a hours then b hours on the working clock equal a + b hours at once."""
    once = CN.add_working_hours(moment, a + b)
    twice = CN.add_working_hours(CN.add_working_hours(moment, a), b)
    assert CN.last_working_moment(once) == CN.last_working_moment(twice)
    assert once == twice or (once.time() == twice.time() == datetime.min.time())
