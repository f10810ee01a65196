"""Working-day calendars: official holidays, make-up working days, office overrides, hours.

POLICY.md 4: a working day is a weekday that is not a public day off, or a weekend day that
the official arrangement makes a working day (调休/补班). The official tables come from the
`holidays` package: `HolidayBase.is_working_day` honours make-up days, which the package
stores per year in `<Country>StaticHolidays.special_public_holidays` as
`(day off, substituted from weekend day)` pairs and collects in `weekend_workdays`. Offices
add their own days off and working days on top.

Official arrangements (国务院办公厅关于XXXX年部分节假日安排的通知 for the mainland) are
published year by year. For a later year the package still answers from the statutory
holidays (and its own estimated observed days), but no make-up working days are known: every
answer touching such a year carries a warning (see :meth:`WorkingCalendar.arrangement_warning`)
and the warning is logged. The calendar never pretends to know an unpublished arrangement.

Two paths answer the same questions:

* the scalar methods of :class:`WorkingCalendar`, one date or moment at a time, and
* :class:`WorkingDayIndex`, numpy arrays over a precomputed sorted array of working days
  (epoch-day integers), for many requests at once; `np.busday_offset` cannot express
  make-up weekend days, so the index stores the working days themselves and uses rank
  look-ups.

The working-day clock (POLICY.md 4, city customers): hours run around the clock on working
days and pause over whole non-working days, so 48 hours from Friday 17:00 end on Tuesday
17:00. Hours are wall-clock hours of the calendar's time zone (CN/HK/MO/TW have no DST).
"""

from __future__ import annotations

import importlib
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import numpy as np
from holidays.countries.china import China
from holidays.countries.hongkong import HongKong
from holidays.countries.macau import Macau
from holidays.countries.taiwan import Taiwan

from scheduling.model import Office
from scheduling.policy import Policy, WorkingHours

log = logging.getLogger(__name__)

# The concrete classes (`holidays.China` is a lazy loader whose module is the registry).
REGION_CLASSES: dict[str, type[holidays.HolidayBase]] = {
    "CN": China,
    "HK": HongKong,
    "MO": Macau,
    "TW": Taiwan,
}

# Where each region's yearly arrangement is published; quoted in warnings so a dispatcher
# knows what to look for when a year is not yet covered.
ARRANGEMENT_SOURCES = {
    "CN": "国务院办公厅关于{year}年部分节假日安排的通知 (State Council General Office notice)",
    "TW": "行政院人事行政總處 {year} 年政府行政機關辦公日曆表 (DGPA work calendar)",
    "HK": "General Holidays gazette for {year} (Cap. 149)",
    "MO": "Macau public holidays dispatch for {year}",
}

# Years the package's tables cover beyond the last year with a substitution entry: Taiwan's
# DGPA calendar for 2026 has no make-up days, so it leaves no entry, yet the holidays
# package cites it ("DGPA Work Calendar (1998-2026)" in holidays/countries/taiwan.py).
# Hong Kong and Macau have no make-up working days; their statutory rules are in the
# package and gazetted yearly, covered here through the same year as the package release.
_KNOWN_PUBLISHED_THROUGH = {"TW": 2026, "HK": 2026, "MO": 2026}

# How the package names a day off swapped with a make-up day, in its en_US labels:
# "Day off (substituted from 10/11/2025)" (substituted_date_format "%m/%d/%Y").
_SUBSTITUTED = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
NS_PER_SECOND = 1_000_000_000
NS_PER_DAY = 86_400 * NS_PER_SECOND


def epoch_day(day: date) -> int:
    """Days since 1970-01-01 (the integer the vectorized path works in)."""
    return day.toordinal() - EPOCH_ORDINAL


def from_epoch_day(n: int) -> date:
    """The date `n` days after 1970-01-01."""
    return date.fromordinal(int(n) + EPOCH_ORDINAL)


@dataclass(frozen=True, slots=True)
class Shift:
    """The working period of one day, timezone-aware; `lunch` is None without a break."""

    day: date
    start: datetime
    end: datetime
    lunch: tuple[datetime, datetime] | None


@dataclass(frozen=True, slots=True)
class DayExplanation:
    """Why a day is or is not a working day.

    `reason_code` is one of `weekday`, `weekend`, `public_holiday`, `swapped_day_off` (a
    weekday off in exchange for a make-up working day), `makeup_working_day`,
    `office_day_off`, `office_working_day`; `why` is a sentence for people; `holiday` the
    official name when one applies; `warning` is set when the year's official arrangement is
    not published (the answer then rests on statutory holidays only).
    """

    day: date
    working: bool
    reason_code: str
    why: str
    holiday: str | None = None
    warning: str | None = None


@lru_cache(maxsize=32)
def _official(region: str) -> holidays.HolidayBase:
    try:
        cls = REGION_CLASSES[region]
    except KeyError:
        raise ValueError(
            f"unknown calendar region {region!r}: expected one of {sorted(REGION_CLASSES)}"
        ) from None
    # English names for explanations; the dates do not depend on the language.
    return cls(language="en_US")


@lru_cache(maxsize=8)
def published_through(region: str) -> int:
    """The last year whose official holiday arrangement the installed `holidays` package holds.

    For the mainland (and Taiwan) it is the last year with a substitution table in the
    package's `<Country>StaticHolidays.special_public_holidays`, where the yearly notices'
    make-up working days live.
    """
    cls = REGION_CLASSES.get(region)
    if cls is None:
        raise ValueError(
            f"unknown calendar region {region!r}: expected one of {sorted(REGION_CLASSES)}"
        )
    module = importlib.import_module(cls.__module__)
    static = getattr(module, f"{cls.__name__}StaticHolidays", None)
    years = list(getattr(static, "special_public_holidays", {}) or {})
    latest = max(years) if years else 0
    return max(latest, _KNOWN_PUBLISHED_THROUGH.get(region, 0))


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
        self._index: WorkingDayIndex | None = None
        self._warned_years: set[int] = set()
        self._working: dict[date, bool] = {}  # the planner asks ~10^5 times a plan

    def __repr__(self) -> str:
        return (
            f"WorkingCalendar(region={self.region!r}, timezone={self.tz.key!r}, "
            f"{self.hours.start}-{self.hours.end}, lunch={self.lunch_break})"
        )

    # --- days -----------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """True when `day` is a working day: office overrides, then the official calendar.

        POLICY.md 4 (seed 四.1): on-site work is Monday to Friday, so a Saturday is off even
        where the region's weekend is Sunday only (Hong Kong), unless the official
        arrangement makes it a make-up working day.
        """
        known = self._working.get(day)
        if known is None:
            known = self._working[day] = self._is_working_day(day)
        return known

    def _is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off:
            return False
        official = self._official
        if day.weekday() >= 5 and not official.is_weekend(day):
            return day in official.weekend_workdays
        return official.is_working_day(day)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def previous_working_day(self, day: date) -> date:
        """The last working day strictly before `day`."""
        day -= timedelta(days=1)
        while not self.is_working_day(day):
            day -= timedelta(days=1)
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

    def working_days_in(self, start: date, end: date) -> list[date]:
        """The working days d with start <= d <= end, in order (empty when end < start)."""
        days = []
        day = start
        while day <= end:
            if self.is_working_day(day):
                days.append(day)
            day += timedelta(days=1)
        return days

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after `day` (n >= 1), or before it (n <= -1).

        `day` itself need not be working. n = 0 returns `day` unchanged, so that
        add(add(d, a), b) == add(d, a + b) whenever a and b have the same sign.
        """
        step = self.next_working_day if n > 0 else self.previous_working_day
        for _ in range(abs(n)):
            day = step(day)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie after `start` up to and including `end`.

        So `working_days_between(d, add_working_days(d, n)) == n` for n >= 0. Negative when
        `end` is before `start` (counting the working days after `end` up to `start`).
        """
        if end < start:
            return -self.working_days_between(end, start)
        return len(self.working_days_in(start + timedelta(days=1), end))

    # --- honest future --------------------------------------------------------------------

    @property
    def published_through(self) -> int:
        """The last year with a published official arrangement for this calendar's region."""
        return published_through(self.region)

    def arrangement_warning(self, year: int) -> str | None:
        """A warning sentence when `year` has no published arrangement, else None.

        The warning is also logged once per calendar and year.
        """
        last = self.published_through
        if year <= last:
            return None
        source = ARRANGEMENT_SOURCES[self.region].format(year=year)
        message = (
            f"{self.region} {year}: no official holiday arrangement published in the holidays "
            f"package (covered through {last}); working days follow statutory holidays only, "
            f"make-up working days unknown. Check {source}."
        )
        if year not in self._warned_years:
            self._warned_years.add(year)
            log.warning(message)
        return message

    def warnings_for(self, first: date, last: date) -> list[str]:
        """Warnings for every year from `first` to `last` lacking a published arrangement."""
        lo, hi = min(first, last), max(first, last)
        found = (self.arrangement_warning(y) for y in range(lo.year, hi.year + 1))
        return [w for w in found if w]

    def explain(self, day: date) -> DayExplanation:
        """Why `day` is or is not a working day: office override, make-up day, holiday, weekday."""
        warning = self.arrangement_warning(day.year)
        official = self._official
        name = official.get(day)
        if day in self.extra_working_days:
            why = "office working day (override in the office's data)"
            return DayExplanation(day, True, "office_working_day", why, name, warning)
        if day in self.extra_days_off:
            why = "office day off (override in the office's data)"
            return DayExplanation(day, False, "office_day_off", why, name, warning)
        weekday = day.strftime("%A")
        if day.weekday() >= 5 or official.is_weekend(day):
            if day in official.weekend_workdays:
                off_day, holiday = self._substitution_for(day)
                why = f"make-up working day (调休/补班) on a {weekday}"
                if off_day is not None:
                    why += f", swapped with the day off on {off_day.isoformat()}"
                if holiday:
                    why += f" ({holiday})"
                return DayExplanation(day, True, "makeup_working_day", why, holiday, warning)
            if name:
                return DayExplanation(
                    day, False, "public_holiday", f"public holiday: {name}", name, warning
                )
            return DayExplanation(day, False, "weekend", weekday, None, warning)
        if name:
            swapped = _SUBSTITUTED.search(name)
            if swapped:
                month, dom, year = (int(x) for x in swapped.groups())
                workday = date(year, month, dom)
                _, festival = self._substitution_for(workday)
                why = f"day off (调休), swapped with the make-up working day {workday.isoformat()}"
                if festival:
                    why += f" ({festival})"
                return DayExplanation(day, False, "swapped_day_off", why, festival, warning)
            return DayExplanation(
                day, False, "public_holiday", f"public holiday: {name}", name, warning
            )
        return DayExplanation(day, True, "weekday", weekday, None, warning)

    def _substitution_for(self, workday: date) -> tuple[date | None, str | None]:
        """The day off swapped with make-up `workday` and the festival it extends."""
        official = self._official
        marks = {workday.strftime(f) for f in ("%m/%d/%Y", "%Y-%m-%d", "%d/%m/%Y")}
        off_day = None
        for day, name in official.items():
            if abs((day - workday).days) < 60 and any(m in name for m in marks):
                off_day = day
                break
        if off_day is None:
            return None, None
        # The festival(s) of the run of days off that holds the swapped day.
        names: list[str] = []
        for step in (-1, 1):
            day = off_day
            while not self.is_working_day(day):
                name = official.get(day)
                if name:
                    for part in name.split("; "):
                        part = part.replace(" (observed)", "").replace(" (estimated)", "")
                        if "substituted" not in part.lower() and part not in names:
                            names.append(part)
                day += timedelta(days=step)
        return off_day, " / ".join(sorted(names)) or None

    # --- hours ----------------------------------------------------------------------------

    def shift(self, day: date) -> Shift:
        """The working period of `day` in this calendar's time zone (any day, working or not)."""

        def at(t: time) -> datetime:
            return datetime.combine(day, t, tzinfo=self.tz)

        lunch = (at(self.hours.lunch_start), at(self.hours.lunch_end)) if self.lunch_break else None
        return Shift(day=day, start=at(self.hours.start), end=at(self.hours.end), lunch=lunch)

    def local(self, moment: datetime) -> datetime:
        """`moment` in this calendar's time zone; a naive moment is read as local time."""
        if moment.tzinfo is None:
            return moment.replace(tzinfo=self.tz)
        return moment.astimezone(self.tz)

    def is_working_moment(self, moment: datetime) -> bool:
        """True when `moment` lies in a working period: working day, within hours, not lunch.

        Both ends of the day and of the lunch break count as working (09:00 and 18:00 are
        moments an engineer can be on site).
        """
        moment = self.local(moment)
        if not self.is_working_day(moment.date()):
            return False
        t = moment.timetz().replace(tzinfo=None)
        if not self.hours.start <= t <= self.hours.end:
            return False
        return not (self.lunch_break and self.hours.lunch_start < t < self.hours.lunch_end)

    def next_working_moment(self, moment: datetime) -> datetime:
        """`moment` itself when it is working, else the start of the next working period.

        Before hours on a working day: that day's start; in lunch: the end of lunch; after
        hours or on a non-working day: the next working day's start (POLICY.md 4, the clock
        of a request received outside hours starts at the next working moment).
        """
        moment = self.local(moment)
        day = moment.date()
        if self.is_working_day(day):
            t = moment.timetz().replace(tzinfo=None)
            if t < self.hours.start:
                return self.shift(day).start
            if self.lunch_break and self.hours.lunch_start < t < self.hours.lunch_end:
                return self.shift(day).lunch[1]  # type: ignore[index]
            if t <= self.hours.end:
                return moment
        return self.shift(self.next_working_day(day)).start

    def last_working_moment(self, moment: datetime) -> datetime:
        """`moment` itself when it is working, else the end of the previous working period.

        POLICY.md 4: an arrival deadline outside working hours moves back to the end of the
        previous working period (after hours: that day's end; in lunch: lunch start; before
        hours or on a non-working day: the previous working day's end).
        """
        moment = self.local(moment)
        day = moment.date()
        if self.is_working_day(day):
            t = moment.timetz().replace(tzinfo=None)
            if t > self.hours.end:
                return self.shift(day).end
            if self.lunch_break and self.hours.lunch_start < t < self.hours.lunch_end:
                return self.shift(day).lunch[0]  # type: ignore[index]
            if t >= self.hours.start:
                return moment
        return self.shift(self.previous_working_day(day)).end

    def add_working_hours(self, moment: datetime, hours: float) -> datetime:
        """`moment` plus `hours` on the working-day clock (POLICY.md 4).

        The clock runs around the clock (24 h a day) on working days and pauses over
        non-working days: 48 h from Friday 17:00 end Tuesday 17:00 after a plain weekend.
        A start on a non-working day waits for 00:00 of the next working day. The result is
        not clamped to working hours; see :meth:`last_working_moment`.
        """
        moment = self.local(moment)
        remaining = timedelta(hours=hours)
        if remaining < timedelta(0):
            raise ValueError(f"hours must not be negative, got {hours}")
        day = moment.date()
        if not self.is_working_day(day):
            day = self.next_working_day(day)
            moment = datetime.combine(day, time(0), tzinfo=self.tz)
        while True:
            midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
            available = midnight - moment
            if remaining <= available:
                return moment + remaining
            remaining -= available
            day = self.next_working_day(day)
            moment = datetime.combine(day, time(0), tzinfo=self.tz)

    # --- vectorized -----------------------------------------------------------------------

    def index(self, first: date, last: date) -> WorkingDayIndex:
        """A :class:`WorkingDayIndex` covering at least `first`..`last` (cached, grown on need)."""
        current = self._index
        if current is None or first < current.first or last > current.last:
            lo = min(first, current.first) if current else first
            hi = max(last, current.last) if current else last
            # Whole years plus a margin so adding working days near `last` stays inside.
            lo = date(lo.year - 1, 1, 1)
            hi = date(hi.year + 2, 12, 31)
            self._index = WorkingDayIndex(self, lo, hi)
        return self._index


class WorkingDayIndex:
    """The working days of one calendar over `first`..`last`, as numpy arrays.

    Days are epoch-day integers (days since 1970-01-01). `days` is the sorted array of working
    days; `rank_before[i]` counts working days strictly before `first + i`, so every question
    is an array look-up instead of a Python loop per request.
    """

    def __init__(self, calendar: WorkingCalendar, first: date, last: date) -> None:
        if last < first:
            raise ValueError(f"empty index range {first}..{last}")
        self.calendar = calendar
        self.first = first
        self.last = last
        self.lo = epoch_day(first)
        n = (last - first).days + 1
        self.working = np.fromiter(
            (calendar.is_working_day(first + timedelta(days=i)) for i in range(n)),
            dtype=bool,
            count=n,
        )
        self.days = self.lo + np.flatnonzero(self.working).astype(np.int64)
        self.rank_before = np.concatenate(([0], np.cumsum(self.working, dtype=np.int64)))

    def _offsets(self, days: np.ndarray) -> np.ndarray:
        offsets = np.asarray(days, dtype=np.int64) - self.lo
        if offsets.size and (offsets.min() < 0 or offsets.max() >= len(self.working)):
            raise ValueError(
                f"days outside the index {self.first}..{self.last}: "
                f"{from_epoch_day(self.lo + offsets.min())}.."
                f"{from_epoch_day(self.lo + offsets.max())}"
            )
        return offsets

    def at(self, positions: np.ndarray) -> np.ndarray:
        """The working days at these positions of `days` (ValueError outside the index)."""
        if positions.size and (positions.min() < 0 or positions.max() >= len(self.days)):
            raise ValueError(f"result outside the index {self.first}..{self.last}")
        return self.days[positions]

    def is_working(self, days: np.ndarray) -> np.ndarray:
        """Boolean array: which epoch days are working days."""
        return self.working[self._offsets(days)]

    def next_on_or_after(self, days: np.ndarray) -> np.ndarray:
        """Each day itself when working, else the next working day."""
        return self.at(self.rank_before[self._offsets(days)])

    def add(self, days: np.ndarray, n: int | np.ndarray) -> np.ndarray:
        """The n-th working day after each day (n >= 1) or before it (n <= -1); n=0: the day."""
        offsets = self._offsets(days)
        n = np.broadcast_to(np.asarray(n, dtype=np.int64), offsets.shape)
        after = self.rank_before[offsets + 1] + n - 1  # working days <= day, then n-1 more
        before = self.rank_before[offsets] + n  # working days < day, then n back
        positions = np.where(n > 0, after, np.where(n < 0, before, 0))
        picked = self.at(np.where(n == 0, 0, positions))
        return np.where(n == 0, np.asarray(days, dtype=np.int64), picked)

    def working_days_between(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Working days after each start up to and including each end (negative if reversed)."""
        s = self.rank_before[self._offsets(start) + 1]
        e = self.rank_before[self._offsets(end) + 1]
        return e - s


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


def region_calendar(region: str, policy: Policy) -> WorkingCalendar:
    """A bare region's calendar with the policy's hours and default time zone."""
    return WorkingCalendar(region=region, hours=policy.working_hours, timezone=_region_zone(region))


def _region_zone(region: str) -> str:
    return {
        "CN": "Asia/Shanghai",
        "HK": "Asia/Hong_Kong",
        "MO": "Asia/Macau",
        "TW": "Asia/Taipei",
    }.get(region, "Asia/Shanghai")
