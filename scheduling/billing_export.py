"""Finance exports and reconciliation of the billing ledger (POLICY.md 6).

- :func:`export_period`: every line version is exported at most once (the database refuses
  a second time). A line exported before whose amount changed goes out again as an
  ``adjustment`` carrying only the difference. Re-running an export with nothing new
  returns the previous batch of the same period and customer filter, with the same id and
  byte-identical files.
- :func:`batch_lines`: a stored batch's lines, as its files hold them.
- :func:`reconcile`: trip costs = billed lines (+ what a capped degenerate trip could not
  bill) and exported = billed lines, for a period.

The lines come from :mod:`scheduling.billing` (the ledger). Functions take an open
SQLAlchemy session and flush; the caller commits (one transaction).
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduling.billing import ZERO, BillingError, stamp
from scheduling.export_files import BatchHeader, ExportLine, per_customer, sha256, write_files
from scheduling.policy import Policy
from scheduling.store.billing_models import (
    CostLineRow,
    ExportBatchLineRow,
    ExportBatchRow,
    TripRow,
)


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
        created_at=stamp(now),
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
