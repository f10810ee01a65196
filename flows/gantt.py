"""A Gantt chart of a plan: one row per engineer, time across the horizon's days.

The dispatcher's picture of the plan: visits as bars (on time, late, pinned), the travel leg
before each visit in grey, hover text with the request, the deadline and the travel. Written as
one self-contained HTML file (plotly.js embedded), so it opens offline from the run's link.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from scheduling.model import Plan

COLOURS = {
    "on time": "#2e7d32",
    "late": "#c62828",
    "pinned": "#1565c0",
    "travel": "#b0bec5",
}


def _rows(plan: Plan, names: Mapping[str, str], customers: Mapping[str, str]) -> list[dict]:
    rows: list[dict] = []
    for visit in sorted(plan.visits, key=lambda v: (v.engineer_id, v.start)):
        engineer = names.get(visit.engineer_id, visit.engineer_id)
        label = f"{engineer} ({visit.engineer_id})" if engineer != visit.engineer_id else engineer
        status = "pinned" if visit.pinned else ("late" if visit.late else "on time")
        deadline = visit.deadline.isoformat(timespec="minutes") if visit.deadline else "none"
        if visit.travel_minutes > 0:
            rows.append(
                {
                    "engineer": label,
                    "begin": visit.arrival - timedelta(minutes=visit.travel_minutes),
                    "finish": visit.arrival,
                    "status": "travel",
                    "what": f"travel to {visit.request_ref}: {visit.travel_km:.1f} km, "
                    f"{visit.travel_minutes} min",
                }
            )
        session = f" session {visit.session}" if visit.session > 1 else ""
        rows.append(
            {
                "engineer": label,
                "begin": visit.start,
                "finish": visit.end,
                "status": status,
                "what": f"{visit.request_ref}{session} {customers.get(visit.request_ref, '')}"
                f"<br>deadline {deadline}{' · night away' if visit.lodging else ''}",
            }
        )
    return rows


def write_gantt(
    plan: Plan,
    path: Path,
    *,
    title: str = "fieldplan: engineers × days",
    timezone: str = "Asia/Shanghai",
    engineer_names: Mapping[str, str] | None = None,
    request_labels: Mapping[str, str] | None = None,
) -> Path:
    """Write the plan's Gantt chart to `path` (HTML) and return the path.

    `engineer_names` maps engineer ids to names and `request_labels` request refs to a short
    text (customer name) shown in hover text; both optional. Times are shown in `timezone`
    (the desk's). A plan without visits still gives a page that says so.
    """
    import pandas as pd
    import plotly.express as px
    import plotly.graph_objects as go

    path.parent.mkdir(parents=True, exist_ok=True)
    rows = _rows(plan, engineer_names or {}, request_labels or {})
    if rows:
        frame = pd.DataFrame(rows)
        # plotly wants naive times on the axis: show them as the desk's wall-clock times
        # (visits read back from the database are in UTC).
        zone = ZoneInfo(timezone)
        for column in ("begin", "finish"):
            frame[column] = frame[column].map(lambda t: t.astimezone(zone).replace(tzinfo=None))
        figure = px.timeline(
            frame,
            x_start="begin",
            x_end="finish",
            y="engineer",
            color="status",
            color_discrete_map=COLOURS,
            hover_name="what",
            hover_data={"begin": "|%a %d %b %H:%M", "finish": "|%H:%M", "engineer": False},
            title=title,
        )
        figure.update_yaxes(autorange="reversed", title=None)
        figure.update_xaxes(tickformat="%a %d %b\n%H:%M", title=None)
        figure.update_layout(height=max(400, 28 * frame["engineer"].nunique() + 160))
    else:
        figure = go.Figure()
        figure.update_layout(title=f"{title}: no visits planned")
    unassigned = len(plan.unassigned)
    if unassigned:
        figure.add_annotation(
            text=f"{unassigned} visit(s) not planned: see the run's 'unassigned' artifact",
            xref="paper",
            yref="paper",
            x=0,
            y=1.06,
            showarrow=False,
        )
    figure.write_html(path, include_plotlyjs=True, full_html=True)
    return path
