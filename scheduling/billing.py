"""The billing ledger: a plan's cost lines, actual expenses and finance exports (POLICY.md 5, 6).

- :func:`record_plan_costs` prices a plan's trips (:mod:`scheduling.costs`), splits them over
  customers (:mod:`scheduling.allocation`) and keeps one row per cost line; a line whose
  billed content changes gets a new `version`. Lines of the plan's horizon (days from
  `problem.start` on) that the new plan no longer has are voided (amount 0), never deleted.
- :func:`record_actual` / :func:`import_actuals`: an actual amount replaces the estimate of a
  trip item for billing; the estimate stays on the line beside it.
- :func:`export_period`: every line version is exported at most once (the database refuses
  a second time). A line exported before whose amount changed goes out again as an
  ``adjustment`` carrying only the difference. Re-running an export with nothing new
  returns the previous batch of the same period and customer filter, with the same id and
  byte-identical files.
- :func:`reconcile`: trip costs = billed lines (+ what a capped degenerate trip could not
  bill) and exported = billed lines, for a period.

Functions take an open SQLAlchemy session and flush; the caller commits (one transaction).
"""

from __future__ import annotations

import csv
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduling.cost_legs import ITEMS, FareTable, money
from scheduling.cost_lines import TripLines, trip_lines
from scheduling.costs import CostItem, Trip, TripStop, plan_trips
from scheduling.export_files import BatchHeader, ExportLine, per_customer, sha256, write_files
from scheduling.model import Kind, Plan, Problem, Zone
from scheduling.policy import Policy
from scheduling.store.billing_models import (
    ActualExpenseRow,
    CostLineRow,
    ExportBatchLineRow,
    ExportBatchRow,
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


@dataclass(frozen=True, slots=True)
class ExportResult:
    """A finance export batch and its files (CSV first, then XLSX)."""

    batch_id: str
    files: tuple[Path, ...]
    totals: dict[str, object]  # period, customer filter, currency, lines, new, adjustments, total
    new_lines: int
    adjustments: int
    reused: bool  # True: nothing new since the last batch of this period/filter, returned again
    sha256: dict[str, str] = field(default_factory=dict)  # "csv"/"xlsx" -> hex digest
    totals_by_customer: tuple[dict[str, object], ...] = ()  # customer_id, name, lines, amount

    @property
    def total(self) -> Decimal:
        """The amount this batch bills (new lines plus adjustments)."""
        return self.totals["total"]  # type: ignore[return-value]

    @property
    def line_count(self) -> int:
        """How many lines the batch holds."""
        return self.totals["lines"]  # type: ignore[return-value]

    @property
    def created(self) -> bool:
        """True when this call created the batch, False when it returned an earlier one."""
        return not self.reused

    @property
    def csv_path(self) -> Path:
        """The batch's CSV file."""
        return self.files[0]

    @property
    def xlsx_path(self) -> Path:
        """The batch's XLSX file."""
        return self.files[1]


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """Totals of a period that must agree (`balanced`)."""

    period_from: date
    period_to: date
    customer: str | None
    trip_costs: Decimal  # billed cost of the period's trips (actuals applied)
    lines_total: Decimal  # current cost lines of the period
    unallocated: Decimal  # trip cost a capped degenerate trip could not bill
    exported_total: Decimal  # sum of every batch line of the period's lines
    pending_total: Decimal  # lines_total - exported_total: what the next export carries

    @property
    def balanced(self) -> bool:
        """Trip costs are fully billed by the lines (or reported as unallocated)."""
        if self.customer:
            return True  # a per-customer view has no trip totals to compare with
        return self.trip_costs == self.lines_total + self.unallocated


def _now(now: datetime | None) -> datetime:
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
    moment = _now(now)
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
    moment = _now(now)
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


def _batch_id(start: date, end: date, customer: str, sequence: int) -> str:
    # The id names the files: keep a customer id's odd characters out of file names.
    who = re.sub(r"[^A-Za-z0-9_.-]", "_", customer) if customer else "ALL"
    return f"CE-{start:%Y%m%d}-{end:%Y%m%d}-{who}-{sequence:03d}"


def _period_lines(
    session: Session, start: date, end: date, customer: str | None
) -> list[CostLineRow]:
    query = select(CostLineRow).where(
        CostLineRow.visit_date >= start, CostLineRow.visit_date <= end
    )
    if customer:
        query = query.where(CostLineRow.customer_id == customer)
    return list(session.scalars(query.order_by(CostLineRow.line_id)))


def _exported(session: Session, line_ids: Iterable[str]) -> dict[str, tuple[Decimal, int]]:
    """Per line: the sum it was billed by all batches, and in how many batches."""
    out: dict[str, tuple[Decimal, int]] = defaultdict(lambda: (ZERO, 0))
    ids = list(line_ids)
    for chunk in range(0, len(ids), 500):
        rows = session.execute(
            select(ExportBatchLineRow.line_id, ExportBatchLineRow.amount).where(
                ExportBatchLineRow.line_id.in_(ids[chunk : chunk + 500])
            )
        )
        for line_id, amount in rows:  # summed in Python: SQLite would sum through floats
            total, count = out[line_id]
            out[line_id] = (total + amount, count + 1)
    return out


def _header(batch: ExportBatchRow) -> BatchHeader:
    return BatchHeader(
        batch_id=batch.batch_id,
        period_from=batch.period_from,
        period_to=batch.period_to,
        customer=batch.customer,
        created_at=batch.created_at,
        currency=batch.currency,
        line_count=batch.line_count,
        new_total=batch.new_total,
        adjustment_total=batch.adjustment_total,
        total=batch.total,
    )


def batch_lines(session: Session, batch_id: str) -> list[ExportLine]:
    """The lines a batch exported, as written in its files (sorted by customer, date, trip)."""
    rows = session.scalars(
        select(ExportBatchLineRow)
        .where(ExportBatchLineRow.batch_id == batch_id)
        .order_by(
            ExportBatchLineRow.customer_id,
            ExportBatchLineRow.visit_date,
            ExportBatchLineRow.trip_id,
            ExportBatchLineRow.line_id,
        )
    )
    return [
        ExportLine(
            batch_id=batch_id,
            entry=r.entry,
            line_id=r.line_id,
            customer_id=r.customer_id,
            customer_name=r.customer_name,
            request_ref=r.request_ref,
            visit_date=r.visit_date,
            engineer_id=r.engineer_id,
            engineer_name=r.engineer_name,
            trip_id=r.trip_id,
            item=r.item,
            zone_or_fare=r.tag,
            quantity=r.quantity,
            unit_rate=r.unit_rate,
            amount=r.amount,
            currency=r.currency,
            basis=r.basis,
            estimate=r.estimate,
            allocation_method=r.method,
            share=r.share,
        )
        for r in rows
    ]


def _result(session: Session, batch: ExportBatchRow, out_dir: Path, reused: bool) -> ExportResult:
    lines = batch_lines(session, batch.batch_id)
    header = _header(batch)
    files = write_files(header, lines, out_dir)
    digests = {kind: sha256(path.read_bytes()) for kind, path in files.items()}
    if not batch.csv_sha256:
        batch.csv_sha256, batch.xlsx_sha256 = digests["csv"], digests["xlsx"]
        session.flush()
    by_customer = tuple(
        {
            "customer_id": row["customer_id"],
            "customer_name": row["customer_name"],
            "currency": row["currency"],
            "lines": row["lines"],
            "new": row["new"],
            "adjustments": row["adjustments"],
            "amount": row["total"],
        }
        for row in per_customer(lines)
    )
    return ExportResult(
        batch_id=batch.batch_id,
        files=(files["csv"], files["xlsx"]),
        totals_by_customer=by_customer,
        totals={
            "period_from": batch.period_from,
            "period_to": batch.period_to,
            "customer": batch.customer or None,
            "currency": batch.currency,
            "lines": batch.line_count,
            "new": batch.new_total,
            "adjustments": batch.adjustment_total,
            "total": batch.total,
        },
        new_lines=sum(1 for line in lines if line.entry == "new"),
        adjustments=sum(1 for line in lines if line.entry == "adjustment"),
        reused=reused,
        sha256=digests,
    )


def export_period(
    session: Session,
    start: date,
    end: date,
    customer: str | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    policy: Policy | None = None,
    *,
    now: datetime | None = None,
) -> ExportResult:
    """Export the cost lines of visits from `start` to `end` (both included) not yet billed.

    New lines go out with their amount; lines billed before whose amount changed go out as
    adjustments of the difference. With nothing to bill, the latest batch of the same period
    and customer filter is returned again (`reused`), files rewritten byte for byte; when
    there is none, an empty batch records that nothing was due. Writes ``<batch_id>.csv`` and
    ``<batch_id>.xlsx`` into `out_dir`.
    """
    if end < start:
        raise BillingError(f"period ends ({end}) before it starts ({start})")
    if out_dir is None:
        raise BillingError("export_period needs out_dir, the folder to write the files into")
    key = (customer or "").strip()
    out = Path(out_dir)
    lines = _period_lines(session, start, end, key or None)
    exported = _exported(session, (line.line_id for line in lines))
    pending = []
    for line in lines:
        done, times = exported.get(line.line_id, (ZERO, 0))
        if line.amount != done:
            pending.append((line, line.amount - done, "adjustment" if times else "new"))
    previous = session.scalars(
        select(ExportBatchRow)
        .where(
            ExportBatchRow.period_from == start,
            ExportBatchRow.period_to == end,
            ExportBatchRow.customer == key,
        )
        .order_by(ExportBatchRow.sequence.desc())
        .limit(1)
    ).first()
    if not pending and previous is not None:
        return _result(session, previous, out, reused=True)
    currency = policy.general.currency if policy else (lines[0].currency if lines else "CNY")
    sequence = previous.sequence + 1 if previous else 1
    new_total = sum((delta for _, delta, entry in pending if entry == "new"), ZERO)
    adjustment_total = sum((delta for _, delta, entry in pending if entry == "adjustment"), ZERO)
    batch = ExportBatchRow(
        batch_id=_batch_id(start, end, key, sequence),
        period_from=start,
        period_to=end,
        customer=key,
        sequence=sequence,
        created_at=_now(now),
        currency=currency,
        line_count=len(pending),
        new_total=new_total,
        adjustment_total=adjustment_total,
        total=new_total + adjustment_total,
    )
    session.add(batch)
    session.flush()
    for line, delta, entry in pending:
        session.add(
            ExportBatchLineRow(
                batch_id=batch.batch_id,
                line_id=line.line_id,
                line_version=line.version,
                entry=entry,
                amount=delta,
                line_amount=line.amount,
                customer_id=line.customer_id,
                customer_name=line.customer_name,
                request_ref=line.request_ref,
                visit_date=line.visit_date,
                engineer_id=line.engineer_id,
                engineer_name=line.engineer_name,
                trip_id=line.trip_id,
                item=line.item,
                tag=line.tag,
                quantity=line.quantity,
                unit_rate=line.unit_rate,
                estimate=line.estimate,
                currency=line.currency,
                basis=line.basis,
                method=line.method,
                share=line.share,
            )
        )
    session.flush()
    return _result(session, batch, out, reused=False)


def reconcile(
    session: Session, start: date, end: date, customer: str | None = None
) -> Reconciliation:
    """The period's trip costs, billed lines and exported amounts, for checking they agree."""
    lines = _period_lines(session, start, end, customer)
    exported = _exported(session, (line.line_id for line in lines))
    lines_total = sum((line.amount for line in lines), ZERO)
    exported_total = sum((total for total, _ in exported.values()), ZERO)
    if customer:
        trip_costs, unallocated = lines_total, ZERO
    else:
        trips = list(
            session.scalars(
                select(TripRow).where(
                    TripRow.day >= start, TripRow.day <= end, TripRow.status == "planned"
                )
            )
        )
        trip_costs = sum((t.billed_total for t in trips), ZERO)
        unallocated = sum((t.unallocated for t in trips), ZERO)
    return Reconciliation(
        period_from=start,
        period_to=end,
        customer=customer,
        trip_costs=trip_costs,
        lines_total=lines_total,
        unallocated=unallocated,
        exported_total=exported_total,
        pending_total=lines_total - exported_total,
    )
