"""What a dispatcher or a clerk sees on a run's page in Prefect: tables and short reports.

The row builders (`*_rows`, `*_markdown`) are plain functions of domain objects, tested
without Prefect; the `publish_*` functions hand their output to Prefect's artifact API.
Artifact keys are stable (`intake`, `plan-summary`, `deadlines-at-risk`, `unassigned`,
`plan-gantt`, `replan-moves`, `finance-totals`) so the UI shows each one's history across runs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flows.output import to_jsonable
from scheduling.model import Plan, Visit

# A visit planned this close to its deadline is shown as at risk: one traffic jam or an
# overrun of the stop before it and the deadline is missed.
AT_RISK_SLACK = timedelta(hours=2)

INTAKE_COLUMNS = (
    "source",
    "request_ref",
    "customer_id",
    "status",
    "reason_code",
    "reason",
    "deadline",
    "zone",
    "priority",
)


def _cell(value: Any) -> Any:
    value = to_jsonable(value)
    return "" if value is None else value


def _table(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> list[dict[str, Any]]:
    return [{c: _cell(row.get(c)) for c in columns} for row in rows]


def _markdown_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    def esc(value: Any) -> str:
        return str(_cell(value)).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(esc(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


# --- intake -------------------------------------------------------------------------------


def intake_markdown(rows: Sequence[Mapping[str, Any]], source: str) -> str:
    """A short summary of an intake: received = accepted + the rest, by status and reason."""
    by_status = Counter(str(_cell(r.get("status"))) for r in rows)
    by_reason = Counter(
        str(_cell(r.get("reason_code")))
        for r in rows
        if str(_cell(r.get("status"))) not in ("accepted", "")
    )
    lines = [f"# Intake of `{source}`", "", f"**{len(rows)} request row(s) received.**", ""]
    lines += [f"- {status}: {count}" for status, count in sorted(by_status.items())]
    if by_reason:
        lines += ["", "Not accepted, by reason:", ""]
        lines += [f"- `{code}`: {count}" for code, count in by_reason.most_common()]
    return "\n".join(lines)


def publish_intake(rows: Sequence[Mapping[str, Any]], source: str) -> None:
    """Publish the intake table (every row: status, reason, deadline) and its summary."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    create_table_artifact(
        key="intake",
        table=_table(rows, INTAKE_COLUMNS),
        description=f"Requests received from {source}: accepted and refused, with reasons",
    )
    create_markdown_artifact(
        key="intake-summary", markdown=intake_markdown(rows, source), description="Intake"
    )


# --- plan ---------------------------------------------------------------------------------


def plan_counts(plan: Plan) -> dict[str, int]:
    """Counts a dispatcher reads first: visits, late, pinned, unassigned, engineers used."""
    return {
        "visits": len(plan.visits),
        "late": sum(1 for v in plan.visits if v.late),
        "pinned": sum(1 for v in plan.visits if v.pinned),
        "unassigned": len(plan.unassigned),
        "engineers_used": len({v.engineer_id for v in plan.visits}),
        "engineer_days": len({(v.engineer_id, v.day) for v in plan.visits}),
    }


def plan_markdown(plan: Plan, title: str, files: Mapping[str, Path | str] | None = None) -> str:
    """The plan summary: counts, the planner's KPIs, and where its files are."""
    lines = [f"# {title}", "", "| measure | value |", "|---|---|"]
    for key, value in plan_counts(plan).items():
        lines.append(f"| {key.replace('_', ' ')} | {value} |")
    for key, value in sorted(plan.kpis.items()):
        shown = f"{value:.3f}" if isinstance(value, float) else value
        lines.append(f"| {key.replace('_', ' ')} | {shown} |")
    if files:
        lines += ["", "Files:", ""]
        lines += [f"- {name}: `{path}`" for name, path in files.items()]
    return "\n".join(lines)


def _slack(visit: Visit) -> timedelta | None:
    return None if visit.deadline is None else visit.deadline - visit.arrival


def deadlines_at_risk_rows(plan: Plan, slack: timedelta = AT_RISK_SLACK) -> list[dict[str, Any]]:
    """Visits planned late or within `slack` of their deadline, the tightest first."""
    rows = []
    for visit in plan.visits:
        margin = _slack(visit)
        if margin is None or (not visit.late and margin > slack):
            continue
        rows.append(
            {
                "request_ref": visit.request_ref,
                "session": visit.session,
                "engineer_id": visit.engineer_id,
                "arrival": visit.arrival,
                "deadline": visit.deadline,
                "late": visit.late,
                "margin_minutes": int(margin.total_seconds() // 60),
            }
        )
    rows.sort(key=lambda r: (r["margin_minutes"], r["request_ref"], r["session"]))
    return rows


def unassigned_rows(plan: Plan) -> list[dict[str, Any]]:
    """Every visit the planner could not place, with its reason code and sentence."""
    return [
        {
            "request_ref": u.request_ref,
            "session": u.session,
            "reason_code": u.reason_code,
            "reason": u.reason,
        }
        for u in sorted(plan.unassigned, key=lambda u: (u.reason_code, u.request_ref))
    ]


def publish_plan(
    plan: Plan,
    title: str,
    files: Mapping[str, Path | str] | None = None,
    gantt: Path | None = None,
) -> None:
    """Publish the plan summary, deadlines at risk, unassigned visits and the Gantt link."""
    from prefect.artifacts import (
        create_link_artifact,
        create_markdown_artifact,
        create_table_artifact,
    )

    create_markdown_artifact(
        key="plan-summary", markdown=plan_markdown(plan, title, files), description=title
    )
    at_risk = deadlines_at_risk_rows(plan)
    create_table_artifact(
        key="deadlines-at-risk",
        table=_table(
            at_risk,
            (
                "request_ref",
                "session",
                "engineer_id",
                "arrival",
                "deadline",
                "late",
                "margin_minutes",
            ),
        ),
        description=f"{len(at_risk)} visit(s) late or within "
        f"{int(AT_RISK_SLACK.total_seconds() // 60)} min of the deadline",
    )
    unassigned = unassigned_rows(plan)
    create_table_artifact(
        key="unassigned",
        table=_table(unassigned, ("request_ref", "session", "reason_code", "reason")),
        description=f"{len(unassigned)} visit(s) not planned, with reasons",
    )
    if gantt is not None:
        create_link_artifact(
            key="plan-gantt",
            link=Path(gantt).resolve().as_uri(),
            link_text="Gantt chart: engineers × days",
            description=f"Open `{Path(gantt).resolve()}` in a browser",
        )


# --- replan -------------------------------------------------------------------------------


MOVE_COLUMNS = ("request_ref", "session", "change", "before", "after")


def publish_moves(moves: Sequence[Mapping[str, Any]], event: str) -> None:
    """Publish what a re-plan moved: one row per visit added, moved, dropped or unchanged."""
    from prefect.artifacts import create_table_artifact

    create_table_artifact(
        key="replan-moves",
        table=_table(moves, MOVE_COLUMNS),
        description=f"Re-plan after {event}: {len(moves)} visit(s) changed",
    )


# --- finance ------------------------------------------------------------------------------


def finance_markdown(totals: Sequence[Mapping[str, Any]], header: str, files: Iterable[Any]) -> str:
    """Finance totals of an export: one row per customer and a grand total, plus the files."""
    columns = list(totals[0].keys()) if totals else ["customer_id", "amount"]
    lines = [f"# {header}", "", _markdown_table(totals, columns), "", "Files:", ""]
    lines += [f"- `{f}`" for f in files]
    return "\n".join(lines)


def publish_finance(totals: Sequence[Mapping[str, Any]], header: str, files: Iterable[Any]) -> None:
    """Publish the finance totals of a cost export."""
    from prefect.artifacts import create_markdown_artifact

    create_markdown_artifact(
        key="finance-totals", markdown=finance_markdown(totals, header, files), description=header
    )


def now_label(moment: datetime | None = None) -> str:
    """A short local time stamp for artifact titles."""
    return (moment or datetime.now().astimezone()).isoformat(timespec="minutes")
