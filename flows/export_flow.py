"""The `export-costs` flow: finance's travel-cost export for a period (POLICY.md 5).

`scheduling.billing_export` does the work over the ledger, which makes a repeat harmless:
the same period again returns the same batch, a later export carries only new lines and
corrections as adjustment lines. This flow picks the period (default: last calendar month, for the
monthly schedule), runs the export, and shows finance the totals per customer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task

from flows import artifacts
from flows.output import to_jsonable
from flows.retries import db_task_options
from flows.settings import resolve_database_url, var_dir
from scheduling.policy import load_policy


@dataclass(frozen=True)
class ExportOutcome:
    """One export run: its batch, files, and totals per customer (amounts as text, exact)."""

    batch_id: str | None
    start: date
    end: date
    files: tuple[str, ...]
    lines: int
    total: str
    currency: str
    totals: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    new_lines: int = 0
    adjustments: int = 0
    reused: bool = False  # the same period again: the earlier batch, same id, same bytes

    @property
    def exit_code(self) -> int:
        """Always 0: an empty period is a valid export."""
        return 0


def last_month(today: date) -> tuple[date, date]:
    """The first and last day of the calendar month before `today`'s month."""
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


@task(name="export-period", **db_task_options())
def export_task(
    database_url: str,
    start: date,
    end: date,
    customer: str | None,
    out_dir: str,
    policy_path: str | None,
) -> dict[str, Any]:
    """Run the export in one transaction; returns its batch, files and totals as plain data."""
    from scheduling import billing_export
    from scheduling.store.db import ensure_database, session_scope

    policy = load_policy(policy_path)
    engine = ensure_database(database_url)
    try:
        with session_scope(engine) as session:
            result = billing_export.export_period(
                session, start, end, customer, Path(out_dir), policy
            )
    finally:
        engine.dispose()
    return {
        "batch_id": result.batch_id,
        "files": [str(f) for f in result.files],
        "lines": result.line_count,
        "new_lines": result.new_lines,
        "adjustments": result.adjustments,
        "total": str(result.total),
        "currency": str(result.totals.get("currency", policy.general.currency)),
        "totals": [to_jsonable(dict(t)) for t in result.totals_by_customer],
        "reused": result.reused,
    }


@flow(name="export-costs", description="Finance export of customer-paid travel costs.")
def export_costs_flow(
    start: date | None = None,
    end: date | None = None,
    customer: str | None = None,
    out_dir: str | None = None,
    database_url: str | None = None,
    policy_path: str | None = None,
) -> ExportOutcome:
    """Export the travel costs of trips from `start` to `end` (both included).

    Without dates: last calendar month (the monthly schedule). `customer` limits the export to
    one customer. Files go to `out_dir` (default `var/exports`).
    """
    policy = load_policy(policy_path)
    if start is None or end is None:
        first, last = last_month(datetime.now(policy.general.tz).date())
        start, end = start or first, end or last
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    folder = out_dir or str(var_dir() / "exports")
    result = export_task(
        resolve_database_url(database_url), start, end, customer, folder, policy_path
    )
    header = (
        f"Travel costs {start.isoformat()} to {end.isoformat()}"
        f"{' for ' + customer if customer else ''}: batch {result['batch_id']}, "
        f"{result['total']} {result['currency']}"
    )
    artifacts.publish_finance(result["totals"], header, result["files"])
    get_run_logger().info(header)
    return ExportOutcome(
        batch_id=None if result["batch_id"] is None else str(result["batch_id"]),
        start=start,
        end=end,
        files=tuple(result["files"]),
        lines=result["lines"],
        total=result["total"],
        currency=result["currency"],
        totals=tuple(result["totals"]),
        new_lines=result["new_lines"],
        adjustments=result["adjustments"],
        reused=result["reused"],
    )
