"""Response deadlines: when an engineer must be on site (POLICY.md 4, seed 五.6).

The rules, as a table (:data:`RULES`), applied by :func:`response_deadline` one request at a
time and by :func:`deadlines_for` on a whole DataFrame with numpy (same answers):

* **city**: `city_hours` (48) hours on the working-day clock from the request's receipt: the
  clock runs around the clock on working days and pauses over non-working days (Friday
  17:00 → Tuesday 17:00);
* **suburban / out of town**: `due_time` (18:00) on the Nth working day (3) after the day the
  request was logged;
* **training**: the end of working hours on the last day of the customer's window, else the
  end of the `training_default_working_days`-th (10) working day after logging;
* every deadline that falls outside working hours moves back to the end of the previous
  working period (an engineer cannot arrive when the office does not work);
* with `calendar.clock_starts_at_next_working_moment` (default on), a request received on
  a non-working day or outside hours counts as received at the next working moment: the
  city clock starts there and the "day the request was logged" is that moment's day;
* `expired` requests get no deadline (POLICY.md 1).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time

import numpy as np
import pandas as pd

from scheduling.calendars import (
    NS_PER_DAY,
    NS_PER_SECOND,
    WorkingCalendar,
    from_epoch_day,
)
from scheduling.model import Kind, ServiceRequest, Validity, Zone
from scheduling.policy import Policy

log = logging.getLogger(__name__)

RULES = {
    "city": "city: {hours} h on the working-day clock from receipt (POLICY.md 4, seed 五.6)",
    "days": "{zone}: {due} on working day {n} after the day logged (POLICY.md 4, seed 五.6)",
    "training_window": "training: end of working hours on the window's last day {end} "
    "(POLICY.md 4)",
    "training_default": "training: end of working day {n} after the day logged (POLICY.md 4)",
    "expired": "expired: no deadline, no commitment outside validity (POLICY.md 1, seed 二.2)",
}


@dataclass(frozen=True, slots=True)
class DeadlineResult:
    """A response deadline, the working days it counted, warnings and the rule applied.

    `deadline` is None for expired requests. `counted_days` lists the working days the rule
    counted (the city clock's days; the N working days after logging; the window's working
    days for training). `warnings` names years without a published official arrangement.
    """

    deadline: datetime | None
    counted_days: list[date] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rule: str = ""
    clock_start: datetime | None = None


def _minute_of(t: time) -> int:
    return t.hour * 60 + t.minute


def response_deadline(
    request: ServiceRequest,
    zone: Zone | str | None,
    calendar: WorkingCalendar,
    policy: Policy,
    validity: Validity | str | None = None,
) -> DeadlineResult:
    """The arrival deadline of `request` for a customer in `zone` (POLICY.md 4).

    `validity` `expired` gives no deadline. `zone` may be None only for training. Raises
    ValueError when a non-training request has no zone.
    """
    if validity is not None and Validity(validity) is Validity.EXPIRED:
        return DeadlineResult(None, [], [], RULES["expired"])
    return deadline_for(
        request.received_at,
        zone,
        calendar,
        policy,
        kind=request.kind,
        window_end=request.window_end,
    )


def deadline_for(
    received_at: datetime,
    zone: Zone | str | None,
    calendar: WorkingCalendar,
    policy: Policy,
    kind: Kind | str = Kind.ONSITE_SERVICE,
    window_end: date | None = None,
) -> DeadlineResult:
    """The deadline of a request received at `received_at` (the scalar engine of the rules)."""
    response = policy.response
    received = calendar.local(received_at)
    start = (
        calendar.next_working_moment(received)
        if policy.calendar.clock_starts_at_next_working_moment
        else received
    )
    logged = start.date()
    kind = Kind(kind)
    warnings: list[str] = []
    if kind is Kind.TRAINING:
        if window_end is not None:
            raw = datetime.combine(window_end, calendar.hours.end, tzinfo=calendar.tz)
            deadline = calendar.last_working_moment(raw)
            counted = calendar.working_days_in(logged, deadline.date())
            rule = RULES["training_window"].format(end=window_end.isoformat())
            if deadline < received:
                warnings.append(
                    f"the training window ends {window_end.isoformat()}, before the request "
                    f"was received ({received.isoformat()})"
                )
        else:
            n = response.training_default_working_days
            day = calendar.add_working_days(logged, n)
            deadline = calendar.last_working_moment(
                datetime.combine(day, calendar.hours.end, tzinfo=calendar.tz)
            )
            counted = calendar.working_days_in(calendar.next_working_day(logged), day)
            rule = RULES["training_default"].format(n=n)
    else:
        if zone is None:
            raise ValueError("a zone is needed for the deadline of a non-training request")
        zone = Zone(zone)
        if zone is Zone.CITY:
            raw = calendar.add_working_hours(start, response.city_hours)
            deadline = calendar.last_working_moment(raw)
            counted = calendar.working_days_in(start.date(), deadline.date())
            rule = RULES["city"].format(hours=response.city_hours)
        else:
            n = (
                response.suburban_working_days
                if zone is Zone.SUBURBAN
                else response.out_of_town_working_days
            )
            day = calendar.add_working_days(logged, n)
            deadline = calendar.last_working_moment(
                datetime.combine(day, response.due_time, tzinfo=calendar.tz)
            )
            counted = calendar.working_days_in(calendar.next_working_day(logged), day)
            rule = RULES["days"].format(
                zone=zone.value, due=response.due_time.strftime("%H:%M"), n=n
            )
    warnings = calendar.warnings_for(received.date(), deadline.date()) + warnings
    return DeadlineResult(deadline, counted, warnings, rule, start)


# --- vectorized -----------------------------------------------------------------------------


def deadlines_for(
    frame: pd.DataFrame,
    calendar: WorkingCalendar,
    policy: Policy,
) -> pd.Series:
    """Deadlines for many requests at once, equal to :func:`response_deadline` row by row.

    `frame` columns: `received_at` (datetimes; naive ones read in the calendar's zone),
    `zone` (city/suburban/out_of_town; may be missing for training rows), optional `kind`
    (default onsite_service), `window_end` (dates) and `validity` (`expired` rows get NaT).
    Returns a Series of timezone-aware datetimes in the calendar's zone, index of `frame`;
    `series.attrs["warnings"]` lists years without a published arrangement (also logged).
    Works on numpy arrays over a :class:`~scheduling.calendars.WorkingDayIndex`, no Python
    loop per row.
    """
    n_rows = len(frame)
    tz = calendar.tz
    if n_rows == 0:
        return pd.Series(pd.DatetimeIndex([], tz=tz), index=frame.index, name="deadline")
    received = _received(frame["received_at"], tz)
    local_ns = received.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").view(np.int64)
    day = local_ns // NS_PER_DAY
    sec = local_ns - day * NS_PER_DAY

    hours = calendar.hours
    minute = 60 * NS_PER_SECOND
    start_ns = _minute_of(hours.start) * minute
    end_ns = _minute_of(hours.end) * minute
    lunch = calendar.lunch_break
    lunch_start = _minute_of(hours.lunch_start) * minute
    lunch_end = _minute_of(hours.lunch_end) * minute
    response = policy.response

    kind = (
        frame["kind"].astype(str).to_numpy()
        if "kind" in frame
        else np.full(n_rows, Kind.ONSITE_SERVICE.value)
    )
    training = kind == Kind.TRAINING.value
    zone = frame["zone"].astype(str).to_numpy() if "zone" in frame else np.full(n_rows, "None")
    known_zones = {z.value for z in Zone}
    bad = ~training & ~np.isin(zone, list(known_zones))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"zone: row {frame.index[first]!r} has {zone[first]!r}, expected one of "
            f"{sorted(known_zones)} (needed for a non-training request)"
        )
    if "window_end" in frame:
        window = pd.to_datetime(frame["window_end"]).to_numpy(dtype="datetime64[D]")
        has_window = ~np.isnat(window)
        window_day = np.where(has_window, window.astype(np.int64), 0)
    else:
        has_window = np.zeros(n_rows, dtype=bool)
        window_day = np.zeros(n_rows, dtype=np.int64)

    far = int(day.max()) + 4 * 366
    if has_window.any():
        far = max(far, int(window_day[has_window].max()) + 366)
    index = calendar.index(from_epoch_day(int(day.min()) - 366), from_epoch_day(far))

    # The clock's start (POLICY.md 4 switch): next working moment, else the receipt itself.
    working = index.is_working(day)
    if policy.calendar.clock_starts_at_next_working_moment:
        before = working & (sec < start_ns)
        in_lunch = working & lunch & (sec > lunch_start) & (sec < lunch_end)
        after = ~working | (sec > end_ns)
        sec = np.where(before, start_ns, np.where(in_lunch, lunch_end, sec))
        day = np.where(after, index.add(day, 1), day)
        sec = np.where(after, start_ns, sec)
        clock_day, clock_sec = day, sec
    else:
        clock_day = np.where(working, day, index.next_on_or_after(day))
        clock_sec = np.where(working, sec, 0)

    # City: position on the working-day clock, in ns since the index's first working day.
    rank = index.rank_before[clock_day - index.lo]
    position = rank * NS_PER_DAY + clock_sec + int(response.city_hours * 3600) * NS_PER_SECOND
    city_day = index.at(position // NS_PER_DAY)
    city_sec = position - (position // NS_PER_DAY) * NS_PER_DAY

    n_days = np.where(
        zone == Zone.SUBURBAN.value,
        response.suburban_working_days,
        response.out_of_town_working_days,
    )
    n_days = np.where(training, response.training_default_working_days, n_days)
    counted_day = index.add(day, n_days)
    due_ns = _minute_of(response.due_time) * minute + response.due_time.second * NS_PER_SECOND

    is_city = ~training & (zone == Zone.CITY.value)
    out_day = np.where(is_city, city_day, counted_day)
    out_sec = np.where(is_city, city_sec, np.where(training, end_ns, due_ns))
    use_window = training & has_window
    out_day = np.where(use_window, window_day, out_day)
    out_sec = np.where(use_window, end_ns, out_sec)

    # Outside working hours: back to the end of the previous working period (POLICY.md 4).
    ok_day = index.is_working(out_day)
    back = ~ok_day | (out_sec < start_ns)
    out_sec = np.where(out_sec > end_ns, end_ns, out_sec)
    if lunch:
        out_sec = np.where((out_sec > lunch_start) & (out_sec < lunch_end), lunch_start, out_sec)
    out_day = np.where(back, index.add(out_day, -1), out_day)
    out_sec = np.where(back, end_ns, out_sec)

    result_ns = out_day * NS_PER_DAY + out_sec
    result = pd.to_datetime(result_ns, unit="ns").tz_localize(tz)
    series = pd.Series(result, index=frame.index, name="deadline")
    if "validity" in frame:
        expired = frame["validity"].astype(str).to_numpy() == Validity.EXPIRED.value
        series[expired] = pd.NaT
    # Honest future: years without a published arrangement are logged and listed.
    first_day = from_epoch_day(
        int(min(local_ns.min() // NS_PER_DAY, result_ns.min() // NS_PER_DAY))
    )
    last_day = from_epoch_day(int(result_ns.max() // NS_PER_DAY))
    series.attrs["warnings"] = calendar.warnings_for(first_day, last_day)
    return series


def _received(column: pd.Series, tz) -> pd.Series:
    """Receipt moments as a tz-aware Series in `tz`; naive values are read in `tz`."""
    try:
        received = pd.to_datetime(column)
    except (ValueError, TypeError):
        # Aware values in several offsets: parse each, refuse a mix with naive values.
        values = [pd.Timestamp(v) for v in column]
        naive = [i for i, v in enumerate(values) if v is not pd.NaT and v.tzinfo is None]
        if naive and len(naive) < len(values):
            raise ValueError(
                f"received_at: row {column.index[naive[0]]!r} has no time zone while others "
                "do; give every receipt a zone or none"
            ) from None
        received = pd.to_datetime(column, utc=True)
    if received.isna().any():
        first = received.index[received.isna()][0]
        raise ValueError(f"received_at: row {first!r} has no value")
    if received.dt.tz is None:
        return received.dt.tz_localize(tz)
    return received.dt.tz_convert(tz)


def deadlines_by_office(
    frame: pd.DataFrame,
    calendars: Mapping[str, WorkingCalendar],
    policy: Policy,
    office_column: str = "office_id",
) -> pd.Series:
    """:func:`deadlines_for` with each row on its own office's calendar.

    `frame[office_column]` names the office of each row; `calendars` maps office ids to
    their calendars (see :func:`scheduling.calendars.calendar_for`). Deadlines come back in
    the policy's time zone (offices may sit in different zones); `attrs["warnings"]` joins
    every office's warnings. An office id without a calendar raises ValueError naming it.
    """
    tz = policy.general.tz
    result = pd.Series(pd.NaT, index=frame.index, dtype=f"datetime64[ns, {tz.key}]")
    result.name = "deadline"
    warnings: list[str] = []
    for office_id, rows in frame.groupby(office_column, sort=False):
        calendar = calendars.get(office_id)
        if calendar is None:
            raise ValueError(
                f"{office_column}: no calendar for office {office_id!r} "
                f"(known: {sorted(calendars)})"
            )
        part = deadlines_for(rows, calendar, policy)
        result.loc[rows.index] = part.dt.tz_convert(tz)
        warnings += [w for w in part.attrs["warnings"] if w not in warnings]
    if frame[office_column].isna().any():
        raise ValueError(f"{office_column}: missing office for some rows")
    result.attrs["warnings"] = warnings
    return result
