"""Loading the policy file: the shipped file loads, a bad file names key, value, expectation."""

from __future__ import annotations

import copy
import re
import tomllib
from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest

from scheduling.policy import (
    DEFAULT_POLICY_PATH,
    POLICY_ENV,
    PolicyError,
    load_policy,
    parse_policy,
    policy_path,
)

SHIPPED = tomllib.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))


def edited(**changes: object) -> dict:
    """The shipped document with `section__key=value` changes (value None: key removed)."""
    document = copy.deepcopy(SHIPPED)
    for dotted, value in changes.items():
        *path, key = dotted.split("__")
        table = document
        for part in path:
            table = table[int(part)] if isinstance(table, list) else table[part]
        if value is None:
            del table[key]
        else:
            table[key] = value
    return document


def problem(document: dict) -> str:
    """The one-line problem a bad document is refused with."""
    with pytest.raises(PolicyError) as error:
        parse_policy(document, "bad.toml")
    head, *lines = str(error.value).splitlines()
    assert head == "invalid policy file bad.toml:"
    assert len(lines) == 1, lines
    return lines[0].strip()


@pytest.fixture(autouse=True)
def _no_policy_env(monkeypatch):
    monkeypatch.delenv(POLICY_ENV, raising=False)


def test_the_shipped_file_loads_with_the_policy_defaults():
    """data/policy.toml loads and holds POLICY.md's numbers."""
    policy = load_policy()
    assert policy.source == str(DEFAULT_POLICY_PATH)
    assert (policy.working_hours.start, policy.working_hours.end) == (time(9), time(18))
    assert policy.working_hours.working_minutes == 8 * 60
    assert policy.response.city_hours == 48
    assert policy.response.suburban_working_days == 3
    assert (policy.zones.city_max_km, policy.zones.suburban_max_km) == (30, 80)
    assert policy.entitlement.free_service_months == 12
    assert policy.general.currency == "CNY"
    assert policy.costs.rates_on(date(2026, 11, 30)).city_per_km == Decimal("2.60")
    assert policy.costs.rates_on(date(2025, 1, 1)).city_per_km == Decimal("2.50")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"working_hours__start": 9},
            'working_hours.start = 9: expected a time of day as "HH:MM", e.g. "09:00"',
        ),
        (
            {"response__city_hours": "48"},
            "response.city_hours = '48': expected a valid integer",
        ),
        (
            {"response__city_hours": 4.5},
            "response.city_hours = 4.5: expected a valid integer",
        ),
        (
            {"costs__rates__0__city_per_km": 2.6},
            "costs.rates.0.city_per_km = 2.6: expected an amount as a quoted decimal such as "
            '"2.60" (a float is inexact)',
        ),
        (
            {"calendar__default_region": "US"},
            "calendar.default_region = 'US': expected 'CN', 'HK', 'MO' or 'TW'",
        ),
    ],
)
def test_wrong_types_name_key_value_and_expectation(changes, message):
    """A value of the wrong type is refused naming its key, the value and what was expected."""
    assert problem(edited(**changes)) == message


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"response__city_hours": 0}, "response.city_hours = 0: expected a value greater than 0"),
        (
            {"planner__weights__balance_per_minute": -1},
            "planner.weights.balance_per_minute = -1: expected a value greater than or equal to 0",
        ),
        (
            {"costs__rates__0__city_per_km": "2.555"},
            "costs.rates.0.city_per_km = '2.555': expected a decimal with no more than "
            "2 decimal places",
        ),
        (
            {"planner__detour_factor": 0.5},
            "planner.detour_factor = 0.5: expected a value greater than or equal to 1",
        ),
        (
            {"zones__city_max_km": 100},
            "zones: city_max_km must not exceed suburban_max_km",
        ),
        ({"planner__workers": 0}, "planner.workers = 0: expected a value greater than 0"),
    ],
)
def test_out_of_range_values_are_refused(changes, message):
    """Numbers outside their range are refused with the bound they broke."""
    assert problem(edited(**changes)) == message


def test_unknown_key_is_refused_as_a_likely_typo():
    """A misspelt key is not silently ignored: the file is refused naming it."""
    document = edited(zones__city_max=25)
    assert problem(document) == (
        "zones.city_max = 25: unknown key (check the spelling against data/policy.toml)"
    )


def test_a_removed_key_is_refused_saying_what_became_of_it():
    """An older policy file with `planner.overnight_min_km` (never used, now removed) is
    refused with the reason and what to do, not as a typo."""
    document = edited(planner__overnight_min_km=150)
    message = problem(document)
    assert message.startswith("planner.overnight_min_km = 150: no longer a setting")
    assert message.endswith("delete the line")


def test_unknown_urgency_in_a_weight_table_is_refused():
    """A weight for an urgency that does not exist names the table and the key."""
    document = edited()
    document["priority"]["urgency"]["P5"] = 1
    assert problem(document) == "priority.urgency: key 'P5': expected 'P1', 'P2', 'P3' or 'P4'"


def test_missing_or_empty_rates_are_refused():
    """Travel costs need at least one rate table (POLICY.md 5)."""
    assert problem(edited(costs__rates=None)) == "costs.rates: missing, required"
    assert problem(edited(costs__rates=[])) == "costs.rates: at least one [[costs.rates]] table"


def test_duplicate_rate_dates_are_refused():
    """Two rate tables effective the same day would make the rate ambiguous."""
    message = problem(edited(costs__rates__1__effective_from="2024-01-01"))
    assert message.startswith("costs.rates: one rate table per effective_from date")


def test_no_rates_before_the_first_table():
    """Asking for rates before the first effective date is an error naming that date."""
    with pytest.raises(PolicyError, match=re.escape("earliest [[costs.rates]] starts 2024-01-01")):
        load_policy().costs.rates_on(date(2023, 12, 31))


def test_lunch_outside_working_hours_is_refused():
    """The lunch break must lie inside the working day (POLICY.md 4)."""
    assert problem(edited(working_hours__lunch_start="08:00")) == (
        "working_hours: lunch 08:00:00-13:00:00 must lie inside 09:00:00-18:00:00"
    )
    assert problem(edited(working_hours__end="08:00")) == (
        "working_hours: start (09:00:00) must be before end (08:00:00)"
    )


def test_lunch_may_be_switched_off():
    """Without a lunch break the working day is the full 9 hours."""
    policy = parse_policy(edited(working_hours__lunch_break=False))
    assert policy.working_hours.working_minutes == 9 * 60


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Asia", "x" * 300])
def test_bad_timezone_is_refused(zone):
    """The time zone must be a real IANA zone (a region folder like 'Asia' is not one)."""
    message = problem(edited(general__timezone=zone))
    assert message.startswith(f"general.timezone = {zone!r}: expected an IANA time zone")


def test_bad_currency_is_refused():
    """The currency is a three-letter ISO code."""
    assert problem(edited(general__currency="yuan")).startswith("general.currency = 'yuan'")


def test_every_problem_is_listed_at_once():
    """Several bad values are all reported in one error, one line each."""
    document = edited(response__city_hours=0, zones__city_max=1, general__currency="yuan")
    with pytest.raises(PolicyError) as error:
        parse_policy(document, "bad.toml")
    assert len(str(error.value).splitlines()) == 4


def test_environment_variable_selects_another_file(tmp_path, monkeypatch):
    """FIELDPLAN_POLICY points the loader to another file; an explicit path beats it."""
    other = tmp_path / "other.toml"
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    other.write_text(text.replace("city_hours = 48", "city_hours = 24"), encoding="utf-8")
    monkeypatch.setenv(POLICY_ENV, str(other))
    assert policy_path() == other
    assert load_policy().response.city_hours == 24
    assert load_policy().source == str(other)
    assert load_policy(DEFAULT_POLICY_PATH).response.city_hours == 48


def test_malformed_toml_names_the_file_and_place(tmp_path):
    """A file that is not TOML is refused naming the file and where parsing failed."""
    bad = tmp_path / "broken.toml"
    bad.write_text("[general\ntimezone = 'Asia/Shanghai'\n", encoding="utf-8")
    with pytest.raises(PolicyError) as error:
        load_policy(bad)
    assert f"policy file {bad} is not valid TOML" in str(error.value)
    assert "line 1" in str(error.value)


def test_missing_file_is_a_clear_error(tmp_path):
    """A path to nowhere is refused naming the path."""
    with pytest.raises(PolicyError, match=r"policy file not found: .*nowhere\.toml"):
        load_policy(tmp_path / "nowhere.toml")


def test_an_empty_file_is_refused_for_its_missing_rates(tmp_path):
    """Defaults cover every section but the travel-cost rates, which the vendor must state."""
    empty = Path(tmp_path / "empty.toml")
    empty.write_text("", encoding="utf-8")
    with pytest.raises(PolicyError, match="costs: missing, required"):
        load_policy(empty)
