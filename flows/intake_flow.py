"""The `intake` flow: a file, a folder, or one request typed into the Prefect UI, loaded.

Every received row is stored, accepted or refused with its reason (POLICY.md 1, seed 四.2):
bad input (unreadable file, missing columns, unknown customer, malformed time, duplicate refs)
refuses that row and the rest goes in. Loading twice changes nothing (`scheduling.store`
dedupes by id and request_ref). The run's `intake` artifact lists each request row with its
status, reason and deadline.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from pydantic import BaseModel, Field

from flows import artifacts
from flows.retries import db_task_options
from flows.settings import resolve_database_url
from scheduling.policy import load_policy


class RequestForm(BaseModel):
    """One service request as a dispatcher enters it (the `requests` columns of the contract).

    Values are checked by the same rules as a file row; a bad value refuses the request with
    the reason instead of failing the run.
    """

    request_ref: str
    customer_id: str
    kind: str = Field("onsite_service", description="onsite_service, training or health_check")
    subtype: str = Field("troubleshoot", description="install, configure, troubleshoot, upgrade…")
    urgency: str = Field("P2", description="P1 (most urgent) to P4")
    channel: str = Field("hotline", description="web, hotline, remote or im")
    received_at: datetime | None = Field(None, description="default: now")
    duration_hours: Decimal = Decimal("2")
    sessions: int = 1
    required_skills: list[str] = Field(default_factory=list)
    target_version: str | None = None
    module: str | None = None
    backup_confirmed: bool = False
    window_start: date | None = None
    window_end: date | None = None
    emergency: bool = False
    notes: str = ""


@dataclass(frozen=True)
class IntakeOutcome:
    """Counts of one intake run and the per-row table shown as its artifact."""

    source: str
    received: int
    accepted: int
    refused: int
    rows: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    files: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def exit_code(self) -> int:
        """0 when every row went in, 1 when some were refused (the rest still went in)."""
        return 1 if self.refused else 0


def form_to_csv(form: RequestForm, folder: Path, now: datetime) -> Path:
    """Write the form as a one-row `requests.csv` in `folder`, as a file row would arrive.

    Going through the file path means a typed-in request is validated, assessed, stored and
    logged exactly like a row of a dispatcher's spreadsheet, refusals included.
    """
    from scheduling.contract import CONTRACT
    from scheduling.intake import parse_request_params

    values = form.model_dump()
    values["received_at"] = values["received_at"] or now
    parsed = parse_request_params(**values)
    columns = CONTRACT["requests"].column_names
    path = folder / "requests.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerow({c: parsed.raw.get(c, "") for c in columns})
    return path


@task(name="load-files", **db_task_options())
def load_task(database_url: str, path: str, policy_path: str | None) -> dict[str, Any]:
    """Load `path` into the database; returns the report as plain data."""
    from scheduling.store.db import ensure_database
    from scheduling.store.intake_store import load_path

    engine = ensure_database(database_url)
    try:
        return load_path(engine, Path(path), load_policy(policy_path)).as_dict()
    finally:
        engine.dispose()


@task(name="intake-table", **db_task_options())
def intake_rows_task(
    database_url: str, path: str, report: dict[str, Any], timezone: str
) -> list[dict]:
    """One row per received request row: its status, reason and deadline (in `timezone`);
    then the refusals of the other files."""
    from scheduling.intake import find_files, kind_of, parse_file
    from scheduling.store.db import make_engine, session_scope
    from scheduling.store.repository import get_request

    zone = ZoneInfo(timezone)
    source = Path(path)
    files = find_files(source) if source.is_dir() else {kind_of(source): source}
    refusals: dict[tuple[str, int | None], list[dict]] = {}
    for file_report in report["files"]:
        for error in file_report["refused_rows"]:
            refusals.setdefault((error["file"], error["row"]), []).append(error)
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, int | None]] = set()
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            request_file = files.get("requests")
            parsed = parse_file(request_file, "requests") if request_file else None
            for row in parsed.rows if parsed else ():
                ref = (row.raw.get("request_ref") or "").strip()
                key = (request_file.name, row.row)
                stored = get_request(session, ref) if ref else None
                errors = refusals.get(key, [])
                seen.add(key)
                assessment = stored[1] if stored else None
                rows.append(
                    {
                        "source": f"{request_file.name}:{row.row}",
                        "request_ref": ref,
                        "customer_id": (row.raw.get("customer_id") or "").strip(),
                        "status": "refused"
                        if errors
                        else (assessment.status if assessment else ""),
                        "reason_code": errors[0]["code"]
                        if errors
                        else (assessment.reason_code if assessment else ""),
                        "reason": "; ".join(_error_text(e) for e in errors)
                        or (assessment.reason if assessment else ""),
                        "deadline": assessment.deadline.astimezone(zone)
                        if assessment and assessment.deadline
                        else None,
                        "zone": assessment.zone if assessment else None,
                        "priority": assessment.priority if assessment else None,
                    }
                )
    finally:
        engine.dispose()
    for key, errors in refusals.items():
        if key not in seen:
            rows.append(
                {
                    "source": f"{key[0]}:{key[1]}" if key[1] is not None else key[0],
                    "status": "refused",
                    "reason_code": errors[0]["code"],
                    "reason": "; ".join(_error_text(e) for e in errors),
                }
            )
    return rows


def _error_text(error: dict[str, Any]) -> str:
    where = f" {error['column']}={error['value']!r}" if error.get("column") else ""
    return f"{where.strip()}: {error['reason']}" if where else error["reason"]


@flow(name="intake", description="Load files or one typed-in request; accept or refuse each row.")
def intake_flow(
    path: str | None = None,
    request: RequestForm | None = None,
    database_url: str | None = None,
    policy_path: str | None = None,
) -> IntakeOutcome:
    """Load `path` (a file or a folder of contract files) or the one `request` given.

    Exactly one of the two. Returns the counts and the per-row table; a refused row never
    fails the run (its reason is in the table), an unreadable path does.
    """
    if (path is None) == (request is None):
        raise ValueError("give either a path (file or folder) or one request, not both")
    logger = get_run_logger()
    url = resolve_database_url(database_url)
    policy = load_policy(policy_path)
    with tempfile.TemporaryDirectory(prefix="fieldplan-request-") as scratch:
        if request is not None:
            source = form_to_csv(request, Path(scratch), datetime.now(policy.general.tz))
            label = f"request {request.request_ref} (parameters)"
        else:
            source = Path(path)
            label = str(source)
        report = load_task(url, str(source), policy_path)
        rows = intake_rows_task(url, str(source), report, policy.general.timezone)
    artifacts.publish_intake(rows, label)
    logger.info(
        "Intake of %s: %d received, %d accepted, %d refused",
        label,
        report["received"],
        report["accepted"],
        report["refused"],
    )
    return IntakeOutcome(
        source=label,
        received=report["received"],
        accepted=report["accepted"],
        refused=report["refused"],
        rows=tuple(rows),
        files=tuple({k: v for k, v in f.items() if k != "refused_rows"} for f in report["files"]),
    )
