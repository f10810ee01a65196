"""The billing ledger: a plan's cost lines and actual expenses (POLICY.md 5, 6).

- :func:`record_plan_costs` prices a plan's trips (:mod:`scheduling.costs`), splits them over
  customers (:mod:`scheduling.allocation`) and keeps one row per cost line; a line whose
  billed content changes gets a new `version`. Lines of the plan's horizon (days from
  `problem.start` on) that the new plan no longer has are voided (amount 0), never deleted.
- :func:`record_actual` / :func:`import_actuals`: an actual amount replaces the estimate of a
  trip item for billing; the estimate stays on the line beside it.

Exports and reconciliation of the ledger's lines are in :mod:`scheduling.billing_export`.

Functions take an open SQLAlchemy session and flush; the caller commits (one transaction).
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduling.cost_legs import ITEMS, FareTable, money
from scheduling.cost_lines import TripLines, trip_lines
from scheduling.costs import CostItem, Trip, TripStop, plan_trips
from scheduling.model import Kind, Plan, Problem, Zone
from scheduling.policy import Policy
from scheduling.store.billing_models import (
    ActualExpenseRow,
    CostLineRow,
    TripRow,
)

ZERO = Decimal("0.00")


class BillingError(ValueError):
    """A billing request that cannot be honoured; the message says which trip, item or row."""


@dataclass(frozen=True, slots=True)
class RecordResult:
    """What recording a plan's costs changed in the ledger."""

    plan_id: str
    trips: int
    lines_new: int
    lines_changed: int
    lines_voided: int
    billed_total: Decimal
    unallocated: Decimal  # billed nowhere because a degenerate trip hit the stand-alone cap
    capped_trips: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ActualResult:
    """An actual amount recorded for a trip item, beside the estimate it replaces."""

    trip_id: str
    item: str
    amount: Decimal
    estimate: Decimal
    difference: Decimal
    lines_changed: int


def stamp(now: datetime | None) -> datetime:
    """`now` (or the current time) in UTC to the second, as the ledger records it; a naive
    time is refused."""
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        raise BillingError(f"naive time {moment!r}: pass a timezone-aware datetime")
    return moment.astimezone(UTC).replace(microsecond=0)


# --- trips <-> JSON -----------------------------------------------------------------------


def _opt(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _trip_detail(trip: Trip, names: Mapping[str, str], engineer_name: str) -> dict:
    return {
        "items": [
            {
                "item": i.item,
                "tag": i.tag,
                "quantity": str(i.quantity),
                "unit_rate": _opt(i.unit_rate),
                "amount": str(i.amount),
            }
            for i in trip.items
        ],
        "standalone": {c: str(v) for c, v in trip.standalone},
        "stops": [
            {
                "request_ref": s.request_ref,
                "session": s.session,
                "customer_id": s.customer_id,
                "kind": s.kind.value,
                "zone": s.zone.value,
            }
            for s in trip.stops
        ],
        "customer_names": {c: names.get(c, "") for c in trip.customers},
        "engineer_name": engineer_name,
        "journey_id": trip.journey_id,
        "caps": {c: str(v) for c, v in trip.caps},
        "journey_refs": {c: list(refs) for c, refs in trip.journey_refs},
    }


def _trip_from_row(row: TripRow) -> Trip:
    detail = row.detail
    return Trip(
        trip_id=row.trip_id,
        engineer_id=row.engineer_id,
        day=row.day,
        start_kind=row.start_kind,
        end_kind=row.end_kind,
        stops=tuple(
            TripStop(
                s["request_ref"], s["session"], s["customer_id"], Kind(s["kind"]), Zone(s["zone"])
            )
            for s in detail["stops"]
        ),
        items=tuple(
            CostItem(
                i["item"],
                i["tag"],
                Decimal(i["quantity"]),
                None if i["unit_rate"] is None else Decimal(i["unit_rate"]),
                Decimal(i["amount"]),
            )
            for i in detail["items"]
        ),
        standalone=tuple(sorted((c, Decimal(v)) for c, v in detail["standalone"].items())),
        currency=row.currency,
        journey_id=detail.get("journey_id", ""),
        caps=tuple(sorted((c, Decimal(v)) for c, v in detail.get("caps", {}).items())),
        journey_refs=tuple(
            sorted((c, tuple(refs)) for c, refs in detail.get("journey_refs", {}).items())
        ),
    )


# --- recording ----------------------------------------------------------------------------

_COMPARED = (
    "customer_name",
    "request_ref",
    "visit_date",
    "engineer_id",
    "engineer_name",
    "item",
    "tag",
    "quantity",
    "unit_rate",
    "amount",
    "estimate",
    "currency",
    "basis",
    "method",
    "share",
    "status",
)


def _actuals_of(session: Session, trip_id: str) -> dict[str, Decimal]:
    rows = session.scalars(
        select(ActualExpenseRow)
        .where(ActualExpenseRow.trip_id == trip_id)
        .order_by(ActualExpenseRow.recorded_at, ActualExpenseRow.id)
    )
    return {row.item: row.amount for row in rows}  # the latest record of an item wins


def _apply(
    session: Session,
    row: TripRow,
    trip: Trip,
    now: datetime,
    existing: list[CostLineRow] | None = None,
    actuals: dict[str, Decimal] | None = None,
) -> tuple[TripLines, int, int, int]:
    """Re-split `trip` with its actuals into the ledger; (lines, new, changed, voided).

    `existing` (the trip's line rows) and `actuals` may be passed preloaded; else queried.
    """
    if actuals is None:
        actuals = _actuals_of(session, trip.trip_id)
    if existing is None:
        query = select(CostLineRow).where(CostLineRow.trip_id == trip.trip_id)
        existing = list(session.scalars(query))
    lines = trip_lines(trip, row.method, actuals)
    row.estimate_total = trip.total
    row.billed_total = lines.billed_total
    row.unallocated = lines.unallocated
    row.capped = lines.capped
    row.updated_at = now
    names = row.detail.get("customer_names", {})
    by_id = {line.line_id: line for line in existing}
    new = changed = voided = 0
    for line in lines.lines:
        values = {
            "customer_name": names.get(line.customer_id, ""),
            "request_ref": ";".join(line.request_refs),
            "visit_date": line.day,
            "engineer_id": line.engineer_id,
            "engineer_name": row.detail.get("engineer_name", ""),
            "item": line.item,
            "tag": line.tag,
            "quantity": line.quantity,
            "unit_rate": line.unit_rate,
            "amount": line.amount,
            "estimate": line.estimate,
            "currency": line.currency,
            "basis": line.basis,
            "method": line.method,
            "share": line.share,
            "status": "current",
        }
        current = by_id.pop(line.line_key, None)
        if current is None:
            session.add(
                CostLineRow(
                    line_id=line.line_key,
                    trip_id=trip.trip_id,
                    customer_id=line.customer_id,
                    version=1,
                    updated_at=now,
                    **values,
                )
            )
            new += 1
        elif any(getattr(current, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(current, key, value)
            current.version += 1
            current.updated_at = now
            changed += 1
    for gone in by_id.values():
        voided += _void(gone, now)
    return lines, new, changed, voided


def _void(line: CostLineRow, now: datetime) -> int:
    if line.status == "void" and line.amount == 0 and line.estimate == 0:
        return 0
    line.amount = ZERO
    line.estimate = ZERO
    line.status = "void"
    line.version += 1
    line.updated_at = now
    return 1


def _in_chunks(session: Session, model, column, values: list[str], size: int = 500) -> list:
    """Rows of `model` whose `column` is in `values`, queried in chunks (bind-parameter caps)."""
    found = []
    for start in range(0, len(values), size):
        found.extend(session.scalars(select(model).where(column.in_(values[start : start + size]))))
    return found


def record_plan_costs(
    session: Session,
    plan_id: str | int,
    plan: Plan,
    problem: Problem,
    policy: Policy,
    *,
    fares: FareTable | None = None,
    now: datetime | None = None,
) -> RecordResult:
    """Price `plan` and bring the ledger in line with it; returns what changed.

    Idempotent: recording the same plan twice changes nothing the second time. Trips of the
    horizon (days from `problem.start`, engineers of `problem`) missing from `plan` are
    cancelled and their lines voided, so an export after a re-plan carries negative
    adjustments for them.
    """
    moment = stamp(now)
    trips = plan_trips(plan, problem, policy, fares=fares)
    customer_names = {c.customer_id: c.name for c in problem.customers}
    engineer_names = {e.engineer_id: e.name for e in problem.engineers}
    new = changed = voided = 0
    billed = unallocated = ZERO
    capped: list[str] = []
    seen = set()
    # Load what the ledger holds for these trips in a few queries, not three per trip.
    ids = [t.trip_id for t in trips]
    rows = {r.trip_id: r for r in _in_chunks(session, TripRow, TripRow.trip_id, ids)}
    lines_of: dict[str, list[CostLineRow]] = defaultdict(list)
    for line in _in_chunks(session, CostLineRow, CostLineRow.trip_id, ids):
        lines_of[line.trip_id].append(line)
    actuals_of: dict[str, dict[str, Decimal]] = defaultdict(dict)
    recorded = sorted(
        _in_chunks(session, ActualExpenseRow, ActualExpenseRow.trip_id, ids),
        key=lambda a: (a.recorded_at, a.id),
    )
    for actual in recorded:  # the latest record of an item wins
        actuals_of[actual.trip_id][actual.item] = actual.amount
    for trip in trips:
        seen.add(trip.trip_id)
        detail = _trip_detail(trip, customer_names, engineer_names.get(trip.engineer_id, ""))
        row = rows.get(trip.trip_id)
        if row is None:
            row = TripRow(
                trip_id=trip.trip_id,
                engineer_id=trip.engineer_id,
                day=trip.day,
                currency=trip.currency,
                estimate_total=ZERO,
                billed_total=ZERO,
                unallocated=ZERO,
                updated_at=moment,
            )
            session.add(row)
            rows[trip.trip_id] = row
        row.plan_id = str(plan_id)
        row.start_kind, row.end_kind = trip.start_kind, trip.end_kind
        row.method = policy.costs.allocation
        row.currency = trip.currency
        row.status = "planned"
        row.detail = detail
    # Trips first: the lines' foreign key needs them (no ORM relationship orders the inserts).
    session.flush()
    for trip in trips:
        lines, n, c, v = _apply(
            session,
            rows[trip.trip_id],
            trip,
            moment,
            lines_of[trip.trip_id],
            actuals_of[trip.trip_id],
        )
        new, changed, voided = new + n, changed + c, voided + v
        billed += lines.billed_total - lines.unallocated
        unallocated += lines.unallocated
        if lines.capped:
            capped.append(trip.trip_id)
    # Only this problem's engineers: a plan solved per office must not cancel the others'.
    engineers = [e.engineer_id for e in problem.engineers]
    stale = session.scalars(
        select(TripRow).where(
            TripRow.day >= problem.start,
            TripRow.status == "planned",
            TripRow.engineer_id.in_(engineers),
        )
    )
    for row in stale:
        if row.trip_id in seen:
            continue
        row.status = "cancelled"
        row.plan_id = str(plan_id)
        row.updated_at = moment
        for line in session.scalars(select(CostLineRow).where(CostLineRow.trip_id == row.trip_id)):
            voided += _void(line, moment)
    session.flush()
    return RecordResult(
        plan_id=str(plan_id),
        trips=len(trips),
        lines_new=new,
        lines_changed=changed,
        lines_voided=voided,
        billed_total=billed,
        unallocated=unallocated,
        capped_trips=tuple(capped),
    )


def record_actual(
    session: Session,
    trip_id: str,
    item: str,
    amount: Decimal,
    *,
    note: str = "",
    source: str = "cli",
    now: datetime | None = None,
) -> ActualResult:
    """Record the actual `amount` of `item` (distance, fare, lodging, allowance) of a trip.

    The latest actual of an item replaces its estimate on the trip's lines for billing; the
    estimate is kept. Raises BillingError for an unknown or cancelled trip, an unknown item,
    or an amount that is negative or not to the cent.
    """
    if item not in ITEMS:
        raise BillingError(f"unknown item {item!r}; one of {', '.join(ITEMS)}")
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise BillingError(f"amount must be a decimal number, got {amount!r}")
    if amount < 0 or money(amount) != amount:
        raise BillingError(f"amount {amount} must be >= 0 with at most 2 decimals")
    row = session.get(TripRow, trip_id)
    if row is None:
        raise BillingError(f"unknown trip {trip_id!r}: record the plan's costs first")
    if row.status != "planned":
        raise BillingError(f"trip {trip_id} is {row.status}: it is not in the current plan")
    moment = stamp(now)
    session.add(
        ActualExpenseRow(
            trip_id=trip_id,
            item=item,
            amount=money(amount),
            note=note,
            source=source,
            recorded_at=moment,
        )
    )
    session.flush()
    trip = _trip_from_row(row)
    _, new, changed, voided = _apply(session, row, trip, moment)
    estimate = sum((i.amount for i in trip.items if i.item == item), ZERO)
    session.flush()
    return ActualResult(
        trip_id=trip_id,
        item=item,
        amount=money(amount),
        estimate=estimate,
        difference=money(amount) - estimate,
        lines_changed=new + changed + voided,
    )


def import_actuals(
    session: Session, path: str | os.PathLike[str], *, now: datetime | None = None
) -> list[ActualResult]:
    """Record every row of an actuals CSV (UTF-8, BOM allowed): trip_id, item, amount[, note].

    All or nothing: every row is checked first; a bad row raises BillingError naming the
    file, row, column and value, and nothing is recorded.
    """
    file = Path(path)
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"trip_id", "item", "amount"} - set(reader.fieldnames or ())
            if missing:
                raise BillingError(f"{file}: missing column(s) {sorted(missing)}")
            rows = list(enumerate(reader, start=2))
    except FileNotFoundError:
        raise BillingError(f"actuals file not found: {file}") from None
    except UnicodeDecodeError as exc:
        raise BillingError(f"{file}: not UTF-8 text ({exc})") from None
    parsed = []
    for number, row in rows:
        where = f"{file} row {number}"
        trip_id = (row.get("trip_id") or "").strip()
        item = (row.get("item") or "").strip()
        raw = (row.get("amount") or "").strip()
        trip = session.get(TripRow, trip_id)
        if trip is None:
            raise BillingError(f"{where} column trip_id: unknown trip {trip_id!r}")
        if trip.status != "planned":
            raise BillingError(f"{where} column trip_id: trip {trip_id} is {trip.status}")
        if item not in ITEMS:
            raise BillingError(f"{where} column item: {item!r} is not one of {', '.join(ITEMS)}")
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise BillingError(f"{where} column amount: {raw!r} is not a decimal amount") from None
        if not amount.is_finite() or amount < 0 or money(amount) != amount:
            raise BillingError(f"{where} column amount: {raw!r} must be >= 0 with 2 decimals")
        parsed.append(
            (trip_id, item, amount, (row.get("note") or "").strip(), f"{file.name}:{number}")
        )
    return [record_actual(session, t, i, a, note=n, source=s, now=now) for t, i, a, n, s in parsed]


# --- exporting ----------------------------------------------------------------------------
