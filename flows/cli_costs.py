"""Commands for finance and clerks: the travel-cost export and actual expenses (POLICY.md 5).

`fieldplan export costs --from 2026-11-01 --to 2026-11-30 [--customer C001] --out DIR`
writes the batch's CSV and XLSX; running it again with nothing new returns the same batch.
`fieldplan costs record --trip E07-2026-11-24 --item lodging --amount 412.00` and
`fieldplan costs import actuals.csv` record actual amounts that replace the estimate.
`fieldplan costs reconcile --from ... --to ...` shows that the period's totals agree.

Exit codes: 0 success, 1 a reconciliation that does not balance, 2 bad input (dates,
amounts, unknown trip, unreadable file, bad policy, database not migrated).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import typer

from flows.output import errors, print_json, print_table

CUSTOMER_COLUMNS = ("customer_id", "customer_name", "lines", "new", "adjustments", "amount")


def _fail(message: str) -> typer.Exit:
    errors.print(f"error: {message}", markup=False)
    return typer.Exit(2)


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{option} {value!r}: expected a date as YYYY-MM-DD") from None


@contextmanager
def _session():
    """A session on the configured database, committed on success, the errors made readable."""
    from scheduling.billing import BillingError
    from scheduling.policy import PolicyError
    from scheduling.store.db import DatabaseNotReady, open_database, session_scope

    try:
        engine = open_database()
    except DatabaseNotReady as exc:
        raise _fail(str(exc)) from exc
    try:
        with session_scope(engine) as session:
            yield session
    except (BillingError, PolicyError) as exc:
        raise _fail(str(exc)) from exc
    finally:
        engine.dispose()


def _policy():
    from scheduling.policy import PolicyError, load_policy

    try:
        return load_policy()
    except PolicyError as exc:
        raise _fail(str(exc)) from exc


def export_costs(
    start: str = typer.Option(..., "--from", help="First visit date of the period (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--to", help="Last visit date of the period, included."),
    customer: str | None = typer.Option(None, "--customer", help="Only this customer's lines."),
    out: Path = typer.Option(..., "--out", help="Folder for the batch's CSV and XLSX files."),
    json_output: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Export the travel costs of a period for billing: each line is billed once, changes to
    lines already billed come as adjustment lines, and a repeat returns the same batch."""
    from scheduling.billing_export import export_period

    first, last = _day(start, "--from"), _day(end, "--to")
    if last < first:
        raise _fail(f"--to {last} is before --from {first}")
    policy = _policy()
    with _session() as session:
        result = export_period(session, first, last, customer, out, policy)
    summary: dict[str, Any] = {
        "batch_id": result.batch_id,
        "reused": result.reused,
        "files": [str(p) for p in result.files],
        "sha256": result.sha256,
        **result.totals,
        "new_lines": result.new_lines,
        "adjustment_lines": result.adjustments,
        "customers": list(result.totals_by_customer),
    }
    if json_output:
        print_json(summary)
        return
    state = "unchanged, returned again" if result.reused else "new"
    title = (
        f"Batch {result.batch_id} ({state}): {result.total} {result.totals['currency']}, "
        f"{result.line_count} line(s), {result.adjustments} adjustment(s)"
    )
    print_table(result.totals_by_customer, CUSTOMER_COLUMNS, title=title)
    for path in result.files:
        print(path)


def _amount(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise _fail(f"--amount {value!r}: expected an amount such as 412.00") from None
    return amount


def record(
    trip: str = typer.Option(..., "--trip", help="Trip id: ENGINEER-YYYY-MM-DD."),
    item: str = typer.Option(..., "--item", help="distance, fare, lodging or allowance."),
    amount: str = typer.Option(..., "--amount", help="The actual amount, e.g. 412.00."),
    note: str = typer.Option("", "--note", help="Receipt number or remark."),
    json_output: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Record an actual expense of a trip; it replaces the estimate for billing."""
    from scheduling.billing import record_actual

    value = _amount(amount)
    with _session() as session:
        result = record_actual(session, trip, item, value, note=note, source="cli")
    _print_actuals([result], json_output)


def import_file(
    path: Path = typer.Argument(..., help="CSV with columns trip_id, item, amount[, note]."),
    json_output: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Record every actual expense of a CSV file, all or nothing."""
    from scheduling.billing import import_actuals

    with _session() as session:
        results = import_actuals(session, path)
    _print_actuals(results, json_output)


def _print_actuals(results: list, json_output: bool) -> None:
    rows = [
        {
            "trip_id": r.trip_id,
            "item": r.item,
            "actual": r.amount,
            "estimate": r.estimate,
            "difference": r.difference,
        }
        for r in results
    ]
    if json_output:
        print_json(rows)
    else:
        print_table(rows, ("trip_id", "item", "actual", "estimate", "difference"), "Actuals")


def reconcile_command(
    start: str = typer.Option(..., "--from", help="First visit date (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--to", help="Last visit date, included."),
    customer: str | None = typer.Option(None, "--customer", help="Only this customer."),
    json_output: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Show the period's trip costs, billed lines and exported amounts; exit 1 if unbalanced."""
    from scheduling.billing_export import reconcile

    first, last = _day(start, "--from"), _day(end, "--to")
    with _session() as session:
        check = reconcile(session, first, last, customer)
    fields = ("trip_costs", "lines_total", "unallocated", "exported_total", "pending_total")
    row = {name: getattr(check, name) for name in fields} | {"balanced": check.balanced}
    if json_output:
        print_json(row)
    else:
        print_table([row], (*fields, "balanced"), title=f"Travel costs {first} to {last}")
    if not check.balanced:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `export costs` and the `costs` commands to `app`."""
    export = typer.Typer(help="Exports for finance.", no_args_is_help=True)
    export.command("costs")(export_costs)
    app.add_typer(export, name="export")
    costs = typer.Typer(help="Actual travel expenses and cost checks.", no_args_is_help=True)
    commands: tuple[tuple[str, Callable[..., None]], ...] = (
        ("record", record),
        ("import", import_file),
        ("reconcile", reconcile_command),
    )
    for name, function in commands:
        costs.command(name)(function)
    app.add_typer(costs, name="costs")
