"""The service policy as typed, validated objects loaded from a TOML file.

Every number of POLICY.md is a default of `data/policy.toml`, never a constant in code. Load
the file with :func:`load_policy`; a bad file raises :class:`PolicyError` naming the key, the
value found and what was expected.
"""

from __future__ import annotations

import os
import tomllib
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

DEFAULT_POLICY_PATH = Path(__file__).resolve().parent.parent / "data" / "policy.toml"
POLICY_ENV = "FIELDPLAN_POLICY"

Region = Literal["CN", "HK", "MO", "TW"]
UpgradeLevel = Literal["major", "medium", "minor"]


def _clock_time(value: object) -> object:
    # TOML has local times (09:00:00) and we accept "HH:MM" strings; pydantic alone would
    # also take 9 as "00:00:09 UTC", which then cannot be compared with the other times.
    if isinstance(value, time) and value.tzinfo is None:
        return value
    if isinstance(value, str) and len(value) in (5, 8) and value[2:3] == ":":
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError('a time of day as "HH:MM", e.g. "09:00"')


def _no_float(value: object) -> object:
    # Money is exact: a TOML float (2.6) is binary and inexact, a quoted "2.60" is not.
    if isinstance(value, float):
        raise ValueError('an amount as a quoted decimal such as "2.60" (a float is inexact)')
    return value


# Strict: a TOML string "48" where a number belongs is a mistake worth reporting.
PositiveInt = Annotated[int, Field(gt=0, strict=True)]
NonNegativeInt = Annotated[int, Field(ge=0, strict=True)]
Money = Annotated[Decimal, BeforeValidator(_no_float), Field(ge=0, max_digits=12, decimal_places=2)]
ClockTime = Annotated[time, BeforeValidator(_clock_time)]


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names key, value and expectation."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class General(_Section):
    name: str = "after-sales service policy"
    timezone: str = "Asia/Shanghai"
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "CNY"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # "Asia" is a folder
            raise ValueError(f"an IANA time zone such as 'Asia/Shanghai', got {value!r}") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The policy's default time zone."""
        return ZoneInfo(self.timezone)


class WorkingHours(_Section):
    """POLICY.md 4 (seed 四.1): on-site working hours and the optional lunch break."""

    start: ClockTime = time(9, 0)
    end: ClockTime = time(18, 0)
    lunch_break: bool = True
    lunch_start: ClockTime = time(12, 0)
    lunch_end: ClockTime = time(13, 0)

    @model_validator(mode="after")
    def _ordered(self) -> WorkingHours:
        if not self.start < self.end:
            raise ValueError(f"start ({self.start}) must be before end ({self.end})")
        if self.lunch_break and not (self.start < self.lunch_start < self.lunch_end < self.end):
            raise ValueError(
                f"lunch {self.lunch_start}-{self.lunch_end} must lie inside {self.start}-{self.end}"
            )
        return self

    @property
    def working_minutes(self) -> int:
        """Minutes of work in one day, lunch excluded."""
        total = _minutes(self.end) - _minutes(self.start)
        if self.lunch_break:
            total -= _minutes(self.lunch_end) - _minutes(self.lunch_start)
        return total


class CalendarRules(_Section):
    """POLICY.md 4: which official calendar decides working days."""

    default_region: Region = "CN"
    clock_starts_at_next_working_moment: bool = True


class ResponseWindows(_Section):
    """POLICY.md 4 (seed 五.6): how long the vendor has to be on site."""

    city_hours: PositiveInt = 48
    suburban_working_days: PositiveInt = 3
    out_of_town_working_days: PositiveInt = 3
    due_time: ClockTime = time(18, 0)
    training_default_working_days: PositiveInt = 10


class Zones(_Section):
    """POLICY.md 4: zone of a customer derived from distance and city."""

    city_max_km: Annotated[float, Field(gt=0)] = 30
    suburban_max_km: Annotated[float, Field(gt=0)] = 80

    @model_validator(mode="after")
    def _ordered(self) -> Zones:
        if self.city_max_km > self.suburban_max_km:
            raise ValueError("city_max_km must not exceed suburban_max_km")
        return self


class EntitlementRules(_Section):
    """POLICY.md 1 (seed 二.1, 二.2): licence and validity."""

    require_licence: bool = True
    free_service_months: NonNegativeInt = 12


class VersionRules(_Section):
    """POLICY.md 2 (seed 五.3): which upgrades are free."""

    free_upgrade_levels: tuple[UpgradeLevel, ...] = ("minor", "medium")
    major_needs_agreement: bool = True
    custom_modules_upgradable: bool = False


class PriorityWeights(_Section):
    """POLICY.md 4 (seed 一.3): priority = urgency weight x customer-level weight."""

    urgency: dict[Literal["P1", "P2", "P3", "P4"], PositiveInt] = Field(
        default_factory=lambda: {"P1": 8, "P2": 4, "P3": 2, "P4": 1}
    )
    level: dict[Literal["A", "B", "C"], PositiveInt] = Field(
        default_factory=lambda: {"A": 3, "B": 2, "C": 1}
    )
    expired_score: NonNegativeInt = 0

    @field_validator("urgency")
    @classmethod
    def _all_urgencies(cls, value: dict) -> dict:
        missing = {"P1", "P2", "P3", "P4"} - set(value)
        if missing:
            raise ValueError(f"a weight for every urgency; missing {sorted(missing)}")
        return value

    @field_validator("level")
    @classmethod
    def _all_levels(cls, value: dict) -> dict:
        missing = {"A", "B", "C"} - set(value)
        if missing:
            raise ValueError(f"a weight for every customer level; missing {sorted(missing)}")
        return value


class PlannerWeights(_Section):
    """Objective weights of the planner, in decreasing order of importance."""

    late_per_priority: NonNegativeInt = 100_000
    late_unmeetable_per_priority: NonNegativeInt = 2_000
    unplanned_per_priority: NonNegativeInt = 1_000_000
    unplanned_expired: NonNegativeInt = 50_000
    travel_cost_per_yuan: NonNegativeInt = 100
    overtime_per_minute: NonNegativeInt = 50
    balance_per_minute: NonNegativeInt = 1


class Speeds(_Section):
    city: Annotated[float, Field(gt=0)] = 25
    suburban: Annotated[float, Field(gt=0)] = 40
    intercity: Annotated[float, Field(gt=0)] = 90


class PlannerSettings(_Section):
    horizon_working_days: PositiveInt = 10
    time_limit_seconds: Annotated[float, Field(gt=0)] = 30
    detour_factor: Annotated[float, Field(ge=1)] = 1.3
    training_candidate_engineers: PositiveInt = 8
    # A single visit at least this long is booked whole-day with the trainings, before
    # routing (docs/planner.md): with its travel and the lunch break it fills the day.
    full_day_hours: Annotated[float, Field(gt=0)] = 6
    first_solution: Literal["auto", "ortools", "greedy", "vroom", "vroom_on_time"] = "auto"
    workers: PositiveInt = 1
    speed_kmh: Speeds = Speeds()
    weights: PlannerWeights = PlannerWeights()


class CostRates(_Section):
    """POLICY.md 5: travel-cost rates in force from `effective_from` on."""

    effective_from: date
    city_per_km: Money
    suburban_per_km: Money
    rail_per_km: Money
    lodging_per_night: Money
    daily_allowance: Money


class CostRules(_Section):
    allocation: Literal["proportional_standalone"] = "proportional_standalone"
    rates: tuple[CostRates, ...]

    @field_validator("rates")
    @classmethod
    def _sorted_unique(cls, value: tuple[CostRates, ...]) -> tuple[CostRates, ...]:
        if not value:
            raise ValueError("at least one [[costs.rates]] table")
        dates = [r.effective_from for r in value]
        if len(set(dates)) != len(dates):
            raise ValueError(f"one rate table per effective_from date; got {dates}")
        return tuple(sorted(value, key=lambda r: r.effective_from))

    def rates_on(self, day: date) -> CostRates:
        """The rate table in force on `day` (the latest one effective on or before it)."""
        chosen = None
        for rates in self.rates:
            if rates.effective_from <= day:
                chosen = rates
        if chosen is None:
            raise PolicyError(
                f"no travel-cost rates in force on {day}: the earliest [[costs.rates]] "
                f"starts {self.rates[0].effective_from}"
            )
        return chosen


class Policy(_Section):
    """The whole policy file. Sections mirror the TOML tables."""

    general: General = General()
    working_hours: WorkingHours = WorkingHours()
    calendar: CalendarRules = CalendarRules()
    response: ResponseWindows = ResponseWindows()
    zones: Zones = Zones()
    entitlement: EntitlementRules = EntitlementRules()
    versions: VersionRules = VersionRules()
    priority: PriorityWeights = PriorityWeights()
    planner: PlannerSettings = PlannerSettings()
    costs: CostRules
    source: str = "<memory>"


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


# Keys earlier policy files may still hold, with what became of them.
_REMOVED = {
    ("planner", "overnight_min_km"): (
        "no longer a setting: a hotel night is booked whenever a visit does not fit one "
        "shift as a day trip, whatever the distance (docs/planner.md)"
    ),
}


def _describe(error: dict) -> str:
    loc = [str(part) for part in error["loc"]]
    value = error.get("input")
    if error["type"] == "missing":
        return f"{'.'.join(loc)}: missing, required"
    if isinstance(value, dict | list | tuple) and error["type"] == "value_error":
        # A rule over a whole table (lunch inside hours...): its message says what is wrong.
        return f"{'.'.join(loc)}: {_expectation(error['msg'])}"
    if loc and loc[-1] == "[key]":  # a bad key of a table such as [priority.urgency]
        where = f"{'.'.join(loc[:-2])}: key {value!r}"
    else:
        where = f"{'.'.join(loc)} = {value!r}"
    if error["type"] == "extra_forbidden":
        if tuple(loc) in _REMOVED:
            return f"{where}: {_REMOVED[tuple(loc)]}; delete the line"
        return f"{where}: unknown key (check the spelling against data/policy.toml)"
    return f"{where}: expected {_expectation(error['msg'])}"


def _expectation(message: str) -> str:
    """Pydantic's message as what was expected: 'Input should be > 0' -> 'a value > 0'."""
    for prefix in ("Value error, ", "Input should be "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
            break
    if message.startswith(("greater", "less")):
        return f"a value {message}"
    message = message.replace("String should match", "text matching")
    message = message.replace("Decimal input should have", "a decimal with")
    return message[0].lower() + message[1:]


def parse_policy(document: dict, source: str = "<memory>") -> Policy:
    """Validate a parsed TOML document into a :class:`Policy` or raise :class:`PolicyError`."""
    try:
        return Policy.model_validate({**document, "source": source})
    except ValidationError as exc:
        lines = [_describe(error) for error in exc.errors(include_url=False)]
        raise PolicyError(f"invalid policy file {source}:\n  " + "\n  ".join(lines)) from None


def policy_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The policy file to use: `path`, else $FIELDPLAN_POLICY, else `data/policy.toml`."""
    if path is not None:
        return Path(path)
    env = os.environ.get(POLICY_ENV)
    return Path(env) if env else DEFAULT_POLICY_PATH


def load_policy(path: str | os.PathLike[str] | None = None) -> Policy:
    """Load and validate the policy file chosen by :func:`policy_path`.

    Raises :class:`PolicyError` when the file is missing, is not TOML, or holds a value of
    the wrong type or range; the message names the file, the key, the value and what was
    expected.
    """
    file = policy_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"policy file not found: {file}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"policy file {file} is not valid TOML: {exc}") from None
    return parse_policy(document, source=str(file))
