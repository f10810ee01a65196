"""Working-day calendars: official holidays, make-up working days, office overrides, hours.

POLICY.md 4: a working day is a weekday that is not a public day off, or a weekend day that
the official arrangement makes a working day (调休/补班). The official tables come from the
`holidays` package (`is_working_day` honours make-up days); offices add their own days off
and working days on top.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from scheduling.model import Office
from scheduling.policy import Policy, WorkingHours

REGION_CLASSES = {
    "CN": holidays.China,
    "HK": holidays.HongKong,
    "MO": holidays.Macau,
    "TW": holidays.Taiwan,
}


@dataclass(frozen=True, slots=True)
class Shift:
    """The working period of one day, timezone-aware; `lunch` is None without a break."""

    day: date
    start: datetime
    end: datetime
    lunch: tuple[datetime, datetime] | None


@lru_cache(maxsize=32)
def _official(region: str) -> holidays.HolidayBase:
    try:
        cls = REGION_CLASSES[region]
    except KeyError:
        raise ValueError(
            f"unknown calendar region {region!r}: expected one of {sorted(REGION_CLASSES)}"
        ) from None
    return cls()


class WorkingCalendar:
    """Working days and hours of one office (or of a bare region with the policy's hours)."""

    def __init__(
        self,
        region: str = "CN",
        hours: WorkingHours | None = None,
        timezone: str = "Asia/Shanghai",
        extra_days_off: tuple[date, ...] = (),
        extra_working_days: tuple[date, ...] = (),
        lunch_break: bool | None = None,
    ) -> None:
        self.region = region
        self.hours = hours or WorkingHours()
        self.tz = ZoneInfo(timezone)
        self.extra_days_off = frozenset(extra_days_off)
        self.extra_working_days = frozenset(extra_working_days)
        self.lunch_break = self.hours.lunch_break if lunch_break is None else lunch_break
        self._official = _official(region)

    def is_working_day(self, day: date) -> bool:
        """True when `day` is a working day: official calendar, then office overrides."""
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off:
            return False
        return self._official.is_working_day(day)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def working_days_from(self, start: date, count: int) -> list[date]:
        """The first `count` working days on or after `start`, in order."""
        days: list[date] = []
        day = start
        while len(days) < count:
            if self.is_working_day(day):
                days.append(day)
            day += timedelta(days=1)
        return days

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after `day` (n >= 1); `day` itself need not be working."""
        for _ in range(n):
            day = self.next_working_day(day)
        return day

    def shift(self, day: date) -> Shift:
        """The working period of `day` in this calendar's time zone (any day, working or not)."""

        def at(t: time) -> datetime:
            return datetime.combine(day, t, tzinfo=self.tz)

        lunch = (at(self.hours.lunch_start), at(self.hours.lunch_end)) if self.lunch_break else None
        return Shift(day=day, start=at(self.hours.start), end=at(self.hours.end), lunch=lunch)


def calendar_for(office: Office, policy: Policy) -> WorkingCalendar:
    """The working calendar of `office` under `policy` (region, hours, overrides)."""
    return WorkingCalendar(
        region=office.calendar,
        hours=policy.working_hours,
        timezone=office.timezone,
        extra_days_off=office.extra_days_off,
        extra_working_days=office.extra_working_days,
        lunch_break=office.lunch_break,
    )
