"""The Gantt chart of a plan: one self-contained HTML page with every visit on it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flows.gantt import write_gantt
from scheduling.model import Plan, Unassigned, Visit

TZ = ZoneInfo("Asia/Shanghai")


def test_gantt_page_shows_every_engineer_and_visit(tmp_path):
    """Every planned visit and its engineer appear in the page, which embeds plotly.js."""
    start = datetime(2026, 11, 30, 10, 0, tzinfo=TZ)
    visits = tuple(
        Visit(
            request_ref=f"R{e}{d}",
            engineer_id=f"E{e}",
            day=(start + timedelta(days=d)).date(),
            arrival=start + timedelta(days=d),
            start=start + timedelta(days=d),
            end=start + timedelta(days=d, hours=2),
            travel_km=12.5,
            travel_minutes=30,
            deadline=start + timedelta(days=d, hours=1),
            late=False,
        )
        for e in range(3)
        for d in range(2)
    )
    plan = Plan(visits, (), (Unassigned("R9", "no_capacity", "No room in the horizon."),))
    page = write_gantt(plan, tmp_path / "out" / "gantt.html", engineer_names={"E1": "Li Wei"})
    html = page.read_text(encoding="utf-8")
    for v in visits:
        assert v.request_ref in html
    assert "Li Wei (E1)" in html and "E2" in html
    assert "1 visit(s) not planned" in html
    assert "plotly.js" in html.lower() or "Plotly" in html


def test_gantt_of_an_empty_plan_says_so(tmp_path):
    """A plan with no visits still gives a page, saying nothing was planned."""
    page = write_gantt(Plan((), (), ()), tmp_path / "gantt.html")
    assert "no visits planned" in page.read_text(encoding="utf-8")
