"""Tests of the engineer's printable page: every stop, the map, the change marks, a browser."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import replace

import pytest

from scheduling.itineraries import build_itineraries
from scheduling.itinerary_html import render_itinerary_html, route_map
from scheduling.model import Place
from scheduling.outbox import issue_itineraries
from scheduling.policy import load_policy
from tests.scheduling.itinerary_cases import (
    BASE_ROWS,
    ISSUED_1,
    ISSUED_2,
    make_plan,
    problem,
)

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def policy():
    return load_policy()


@pytest.fixture(scope="module")
def e1(policy):
    return build_itineraries(make_plan(), problem(), policy)[0]


def _chromium() -> str:
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if path:
        return path
    reason = f"headless Chromium not found at {CHROMIUM} (run `make browser` as root)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the rendering test")
    pytest.skip(reason)


def test_page_contains_every_stop_and_escapes_text(e1):
    """The page lists every stop (ref, customer, address, contact) and escapes names."""
    html = render_itinerary_html(e1)
    for stop in e1.stops:
        assert f'id="stop-{stop.request_ref}-{stop.session}"' in html
        assert stop.address in html and stop.contact_phone in html
    assert "Lakeside Resort &lt;Suzhou&gt;" in html
    assert "<Suzhou>" not in html
    assert "Lodging tonight: Suzhou Jinji Inn" in html
    assert "NOT confirmed a data backup" in html


def test_page_holds_only_the_engineers_own_customers(policy):
    """E2's page shows none of E1's customers or contacts."""
    e2 = build_itineraries(make_plan(), problem(), policy)[1]
    html = render_itinerary_html(e2)
    for word in ("Bund Grand Hotel", "Chen Jing", "Wang Fang", "R0001"):
        assert word not in html


def test_map_draws_home_stops_and_hotel_inside_the_box(e1):
    """Each day's map has a numbered marker per stop, the start and end, all inside the box."""
    thursday = e1.days[0]
    m = route_map(thursday)
    labels = [p.label for p in m.points]
    assert labels.count("1") == 1 and labels.count("2") == 1
    assert "⌂" in labels and "H" in labels
    for p in m.points:
        assert 0 < p.x < m.width and 0 < p.y < m.height
    assert len(m.path.split()) == len(thursday.stops) + 2
    assert m.scale_km > 0 and 0 < m.scale_px < m.width
    stops = [p for p in m.points if p.kind == "stop"]
    for place in (p for p in m.points if p.kind != "stop"):  # never hidden under a stop
        assert all(abs(place.x - s.x) >= 22 or abs(place.y - s.y) >= 22 for s in stops)


def test_map_of_a_single_nearby_stop_is_not_degenerate(e1):
    """A day whose places nearly coincide still gets distinct markers inside the box."""
    friday = e1.days[1]
    m = route_map(friday)
    assert all(0 < p.x < m.width and 0 < p.y < m.height for p in m.points)


def test_changed_visits_are_marked(tmp_path, policy):
    """After a re-plan the page marks new and moved visits and lists the cancelled ones."""
    issue_itineraries(make_plan(), problem(), policy, tmp_path, issued_at=ISSUED_1)
    first = (tmp_path / "E1" / "itinerary.html").read_text(encoding="utf-8")
    assert "First itinerary issued" in first
    rows = []
    for row in BASE_ROWS:
        if row[1] == "R0004":
            continue  # cancelled
        if row[1] == "R0002":
            row = (*row[:4], "15:00", "18:00", *row[6:])  # moved
        rows.append(row)
    rows.append(("E2", "R0001", 1, rows[0][3], "16:00", "17:30", 20.0, 40))  # new for E2
    rows = [r for r in rows if not (r[0] == "E1" and r[1] == "R0001")]
    # the Lakeside Resort changed its contact's phone: its visits are updated, not moved
    changed = problem()
    customers = tuple(
        replace(c, contact_phone="+86 512 5555 9999") if c.customer_id == "C3" else c
        for c in changed.customers
    )
    changed = replace(changed, customers=customers)
    issue_itineraries(make_plan(tuple(rows)), changed, policy, tmp_path, issued_at=ISSUED_2)
    e1 = (tmp_path / "E1" / "itinerary.html").read_text(encoding="utf-8")
    e2 = (tmp_path / "E2" / "itinerary.html").read_text(encoding="utf-8")
    assert re.search(r'class="stop moved" id="stop-R0002-1"', e1)
    assert "was Thu 26 Nov 14:00, stop 2" in e1
    assert re.search(r'class="stop updated" id="stop-R0003-2"', e1)
    assert "changed: contact" in e1
    assert "R0001" in e1 and 'class="cancelled-visit"' in e1  # moved to E2: cancelled here
    assert re.search(r'class="stop new" id="stop-R0001-1"', e2)
    assert re.search(r"cancelled-visit.*R0004", e2, flags=re.S)
    assert "1 cancelled" in e2 and "1 new" in e2


def test_page_renders_in_headless_chromium(tmp_path, policy):
    """The page renders in a real browser: the screenshot is not blank."""
    from PIL import Image

    browser = _chromium()
    issue_itineraries(make_plan(), problem(), policy, tmp_path, issued_at=ISSUED_1)
    page = tmp_path / "E1" / "itinerary.html"
    shot = tmp_path / "shot.png"
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=800,1400",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert shot.exists(), f"no screenshot; chromium said: {result.stderr[-2000:]}"
    image = Image.open(shot).convert("L")
    assert image.size == (800, 1400)
    histogram = image.histogram()
    dark = sum(histogram[:200])  # pixels clearly not white: text, map, markers
    assert dark > 0.01 * image.size[0] * image.size[1]
    # and the map is there: the route's blue is drawn
    rgb = Image.open(shot).convert("RGB")
    colors = rgb.getcolors(maxcolors=rgb.size[0] * rgb.size[1])
    blue = sum(n for n, (r, g, b) in colors if b > 150 and r < 80 and g < 130)
    assert blue > 100
    html = page.read_text(encoding="utf-8")
    for stop in build_itineraries(make_plan(), problem(), policy)[0].stops:
        assert stop.customer_name.replace("<", "&lt;").replace(">", "&gt;") in html


def test_missing_browser_fails_in_ci_and_skips_elsewhere(monkeypatch):
    """Without Chromium the rendering test fails when CI is set, and only skips outside CI."""
    import tests.scheduling.test_itinerary_html as me

    monkeypatch.setattr(me, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setattr(me.shutil, "which", lambda _name: None)
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="CI must run"):
        me._chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="make browser"):
        me._chromium()


def test_no_map_when_the_engineer_sleeps_next_to_the_customer(e1):
    """A day whose places all lie within half a kilometre gets no map, and the page says so."""
    friday = e1.days[1]
    here = Place("hotel", friday.stops[0].lat, friday.stops[0].lon, "hotel:C3")
    still = replace(friday, start_place=here, end_place=here)
    assert route_map(still) is None
    page = render_itinerary_html(replace(e1, days=(still,)))
    assert "<svg" not in page
    assert "stop-R0003-1" in page
