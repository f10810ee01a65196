"""The seeded generator: deterministic, the sizes asked for, realistic and always valid."""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.generate import (
    _SITES,
    OUT_OF_TOWN_KM,
    SUBURBAN_KM,
    generate_dataset,
    write_dataset,
)
from scheduling.geo import haversine_km
from scheduling.intake import parse_folder
from scheduling.model import Kind, Urgency

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_same_seed_same_data_other_seed_other_data():
    """A seed fully decides the data set; another seed gives another one."""
    first = generate_dataset(60, 10, seed=3, now=NOW)
    assert generate_dataset(60, 10, seed=3, now=NOW) == first
    assert generate_dataset(60, 10, seed=4, now=NOW) != first


def test_same_seed_writes_identical_files(tmp_path):
    """Determinism holds down to the bytes of the written files (reviewable diffs)."""
    for name in ("a", "b"):
        write_dataset(generate_dataset(40, 6, seed=11, now=NOW), tmp_path / name)
    for kind in ("offices", "engineers", "customers", "requests"):
        assert (tmp_path / "a" / f"{kind}.csv").read_bytes() == (
            tmp_path / "b" / f"{kind}.csv"
        ).read_bytes()


def test_sizes_are_those_asked_for():
    """Counts follow the arguments; customers default to 5/4 of the requests."""
    data = generate_dataset(80, 12, seed=1, now=NOW, offices=2)
    assert (len(data.offices), len(data.engineers), len(data.requests)) == (2, 12, 80)
    assert len(data.customers) == 100
    assert len(generate_dataset(8, 2, seed=1, now=NOW, customers=3).customers) == 3
    assert len({r.request_ref for r in data.requests}) == 80


def test_benchmark_size_is_valid_and_references_hold():
    """2,000 requests / 150 engineers: unique ids and every reference points somewhere."""
    data = generate_dataset(2000, 150, seed=5, now=NOW, offices=5)
    offices = {o.office_id for o in data.offices}
    customers = {c.customer_id for c in data.customers}
    assert all(e.office_id in offices for e in data.engineers)
    assert all(c.office_id in offices for c in data.customers)
    assert all(r.customer_id in customers for r in data.requests)
    assert len({e.engineer_id for e in data.engineers}) == 150


def test_bad_arguments_are_refused():
    """A naive `now` or an impossible office count is refused with a clear message."""
    with pytest.raises(ValueError, match="timezone-aware"):
        generate_dataset(5, 1, seed=1, now=datetime(2026, 11, 30, 8, 0))
    with pytest.raises(ValueError, match="offices must be between 1 and"):
        generate_dataset(5, 1, seed=1, now=NOW, offices=len(_SITES) + 1)


def test_a_steady_load_arrives_through_the_horizon():
    """With arrival_days, calls arrive evenly on working days from two days before `now` on;
    trainings keep their windows; without it nothing is received after `now`."""
    steady = generate_dataset(400, 30, seed=2, now=NOW, arrival_days=7)
    # The weekend emergency line is the one call before Thursday (POLICY.md 4).
    calls = [r for r in steady.requests if r.kind is not Kind.TRAINING and not r.emergency]
    days = Counter(r.received_at.date() for r in calls)
    assert all(day.weekday() < 5 for day in days)
    assert min(days) == date(2026, 11, 26) and max(days) == date(2026, 12, 8)
    assert len(days) == 9  # Thursday, Friday, then seven working days from Monday 30th
    assert max(days.values()) < 2.5 * min(days.values())  # evenly, not a backlog
    assert all(r.received_at >= NOW for r in calls if r.received_at.date() == NOW.date())
    windows = [r for r in calls if r.window_start is not None]
    assert windows and all(r.window_start >= r.received_at.date() for r in windows)
    backlog = generate_dataset(400, 30, seed=2, now=NOW)
    assert max(r.received_at for r in backlog.requests) <= NOW
    with pytest.raises(ValueError, match="must not be negative"):
        generate_dataset(5, 1, seed=1, now=NOW, arrival_days=-1)


def test_the_backlog_holds_the_scenarios_a_dispatcher_meets():
    """With 10+ requests there is an emergency P1, a 3-session training and three upgrades."""
    data = generate_dataset(30, 6, seed=9, now=NOW)
    customers = {c.customer_id: c for c in data.customers}
    assert any(r.emergency and r.urgency is Urgency.P1 for r in data.requests)
    assert any(r.kind is Kind.TRAINING and r.sessions == 3 for r in data.requests)
    upgrades = [r for r in data.requests if r.subtype == "upgrade"]
    majors = [
        r
        for r in upgrades
        if r.target_version.split(".")[0] != customers[r.customer_id].product_version.split(".")[0]
    ]
    assert any(not customers[r.customer_id].upgrade_agreement for r in majors)
    assert any(r.module in customers[r.customer_id].custom_modules for r in upgrades)


def test_zones_follow_the_policy_distances():
    """City customers lie within 30 km, suburban 30-80 km, out-of-town beyond 80 km."""
    data = generate_dataset(400, 10, seed=2, now=NOW, offices=5)
    offices = {o.office_id: o for o in data.offices}
    seen = set()
    for customer in data.customers:
        office = offices[customer.office_id]
        km = haversine_km(office.lat, office.lon, customer.lat, customer.lon)
        if customer.city == office.city and km <= 30:
            seen.add("city")
        elif km <= 80:
            assert km > 30
            seen.add("suburban")
        else:
            assert km <= OUT_OF_TOWN_KM[1] + 5
            seen.add("out_of_town")
    assert seen == {"city", "suburban", "out_of_town"}


def test_site_tables_keep_clear_of_the_zone_borders():
    """Every suburban place and out-of-town city of the generator lies inside its band."""
    for site in _SITES:
        for place in site.suburbs:
            km = haversine_km(site.city.lat, site.city.lon, place.lat, place.lon)
            assert SUBURBAN_KM[0] < km < SUBURBAN_KM[1], place
        for place in site.towns:
            km = haversine_km(site.city.lat, site.city.lon, place.lat, place.lon)
            assert OUT_OF_TOWN_KM[0] < km < OUT_OF_TOWN_KM[1], place


def test_a_realistic_mix_of_customers():
    """Some customers are unlicensed, some expired, some on old majors or with custom modules."""
    data = generate_dataset(120, 25, seed=7, now=NOW)
    today = NOW.date()

    def valid(c) -> bool:
        free_until = date(c.purchase_date.year + 1, c.purchase_date.month, 1)
        return free_until > today or any(p.covers(today) for p in c.paid_periods)

    assert any(not c.licensed for c in data.customers)
    assert any(not valid(c) for c in data.customers)
    assert any(c.product_version.split(".")[0] != "9" for c in data.customers)
    assert any(c.custom_modules for c in data.customers)


def test_every_office_covers_every_required_skill():
    """With six or more engineers per office, every required skill has an engineer there."""
    data = generate_dataset(300, 25, seed=7, now=NOW)
    for office in data.offices:
        skills = set().union(*(e.skills for e in data.engineers if e.office_id == office.office_id))
        needed = set().union(*(r.required_skills for r in data.requests))
        assert needed <= skills, office.office_id


def test_times_are_aware_and_before_now_windows_after():
    """Requests were received before `now`; customer windows start from its day on, ordered."""
    data = generate_dataset(200, 10, seed=8, now=NOW)
    for request in data.requests:
        assert request.received_at.tzinfo is not None
        assert request.received_at <= NOW
        if request.window_start is not None:
            assert NOW.date() <= request.window_start <= request.window_end
            assert request.window_start.weekday() < 5
        if request.kind is Kind.TRAINING:
            assert request.duration_hours == 7
            span = (request.window_end - request.window_start).days + 1
            assert span >= request.sessions


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31),
    requests=st.integers(0, 40),
    engineers=st.integers(0, 12),
    offices=st.integers(1, len(_SITES)),
)
def test_whatever_the_seed_the_files_read_back_without_error(seed, requests, engineers, offices):
    """Any generated data set is valid by the contract and reads back to equal objects."""
    data = generate_dataset(requests, engineers, seed=seed, now=NOW, offices=offices)
    with tempfile.TemporaryDirectory() as folder:
        write_dataset(data, Path(folder))
        files = {parsed.kind: parsed for parsed in parse_folder(Path(folder))}
    for parsed in files.values():
        assert parsed.errors == []
    assert tuple(files["requests"].records) == data.requests
    assert tuple(files["customers"].records) == data.customers
