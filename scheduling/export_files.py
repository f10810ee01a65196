"""The finance export's files: CSV (UTF-8 with BOM) and XLSX, byte-for-byte reproducible.

CSV is UTF-8 *with* a byte-order mark so Excel (notably a Chinese-locale Excel) opens the
customers' Chinese names correctly. XLSX has three sheets: ``lines`` (one row per exported
line), ``per customer`` (sums) and ``totals``. Both files depend only on the batch: the
workbook's created/modified properties and every zip entry's timestamp are the batch's
creation time, so exporting the same batch again yields the same bytes (and sha256).
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

COLUMNS = (
    "batch_id",
    "entry",
    "line_id",
    "customer_id",
    "customer_name",
    "request_ref",
    "visit_date",
    "engineer_id",
    "engineer_name",
    "trip_id",
    "item",
    "zone_or_fare",
    "quantity",
    "unit_rate",
    "amount",
    "currency",
    "basis",
    "estimate",
    "allocation_method",
    "share",
)
MONEY_COLUMNS = ("unit_rate", "amount", "estimate")


@dataclass(frozen=True, slots=True)
class BatchHeader:
    """What identifies a batch and its totals (the ``totals`` sheet)."""

    batch_id: str
    period_from: date
    period_to: date
    customer: str  # "" when the batch covers every customer
    created_at: datetime
    currency: str
    line_count: int
    new_total: Decimal
    adjustment_total: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class ExportLine:
    """One row of the ``lines`` sheet: a cost line's new amount or an adjustment (delta)."""

    batch_id: str
    entry: str  # new | adjustment
    line_id: str
    customer_id: str
    customer_name: str
    request_ref: str
    visit_date: date
    engineer_id: str
    engineer_name: str
    trip_id: str
    item: str
    zone_or_fare: str
    quantity: Decimal
    unit_rate: Decimal | None
    amount: Decimal
    currency: str
    basis: str  # estimate | actual
    estimate: Decimal
    allocation_method: str
    share: Decimal


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def render_csv(lines: Sequence[ExportLine]) -> bytes:
    """The ``lines`` table as CSV bytes: UTF-8 with BOM, CRLF line ends (as Excel writes)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for line in lines:
        writer.writerow([_text(getattr(line, column)) for column in COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def per_customer(lines: Sequence[ExportLine]) -> list[dict[str, object]]:
    """Sums per customer (new, adjustments, total, line count), sorted by customer id."""
    sums: dict[str, dict[str, object]] = {}
    for line in lines:
        row = sums.setdefault(
            line.customer_id,
            {
                "customer_id": line.customer_id,
                "customer_name": line.customer_name,
                "currency": line.currency,
                "lines": 0,
                "new": Decimal("0.00"),
                "adjustments": Decimal("0.00"),
                "total": Decimal("0.00"),
            },
        )
        row["lines"] += 1
        row["adjustments" if line.entry == "adjustment" else "new"] += line.amount
        row["total"] += line.amount
    return [sums[k] for k in sorted(sums)]


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    utc = moment.astimezone(UTC)
    # Zip timestamps cannot go before 1980 and have 2-second resolution.
    return (max(utc.year, 1980), utc.month, utc.day, utc.hour, utc.minute, utc.second // 2 * 2)


def render_xlsx(header: BatchHeader, lines: Sequence[ExportLine]) -> bytes:
    """The workbook (sheets ``lines``, ``per customer``, ``totals``) as reproducible bytes."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    created = header.created_at.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "lines"
    sheet.append(list(COLUMNS))
    for line in lines:
        sheet.append([_cell(getattr(line, column)) for column in COLUMNS])
    _money_format(sheet, [COLUMNS.index(c) + 1 for c in MONEY_COLUMNS])
    sheet.freeze_panes = "A2"

    customers = workbook.create_sheet("per customer")
    summary_columns = [
        "customer_id",
        "customer_name",
        "currency",
        "lines",
        "new",
        "adjustments",
        "total",
    ]
    customers.append(summary_columns)
    for row in per_customer(lines):
        customers.append([_cell(row[c]) for c in summary_columns])
    _money_format(customers, [5, 6, 7])

    totals = workbook.create_sheet("totals")
    for key, value in (
        ("batch_id", header.batch_id),
        ("period_from", header.period_from),
        ("period_to", header.period_to),
        ("customer", header.customer or "all"),
        ("created_at", header.created_at.astimezone(UTC).isoformat()),
        ("currency", header.currency),
        ("lines", header.line_count),
        ("new", header.new_total),
        ("adjustments", header.adjustment_total),
        ("total", header.total),
    ):
        totals.append([key, _cell(value)])

    workbook.properties.creator = "fieldplan"
    workbook.properties.created = created
    workbook.properties.modified = created
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        # ExcelWriter (not save_workbook) keeps our `modified` instead of stamping "now".
        ExcelWriter(workbook, archive).write_data()
    return _restamp(raw.getvalue(), _zip_time(header.created_at))


def _cell(value: object) -> object:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()  # ISO text: no locale-dependent date formats
    return value


def _money_format(sheet, columns: list[int]) -> None:
    for column in columns:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = "0.00"


def _restamp(data: bytes, stamp: tuple[int, int, int, int, int, int]) -> bytes:
    """The same zip with every entry dated `stamp` (zipfile stamps entries with "now")."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def sha256(data: bytes) -> str:
    """Hex sha256 of `data` (stored with the batch to prove a re-export is identical)."""
    return hashlib.sha256(data).hexdigest()


def write_files(header: BatchHeader, lines: Sequence[ExportLine], out_dir: Path) -> dict[str, Path]:
    """Write ``<batch_id>.csv`` and ``<batch_id>.xlsx`` into `out_dir` (created); their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {"csv": render_csv(lines), "xlsx": render_xlsx(header, lines)}
    paths = {}
    for kind, data in files.items():
        path = out_dir / f"{header.batch_id}.{kind}"
        path.write_bytes(data)
        paths[kind] = path
    return paths
