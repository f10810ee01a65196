"""Rebuild data/sample/: the generator's output for a fixed seed plus hand-written rows.

Run from the checkout: `.venv/bin/python data/sample/rebuild.py`. The generated part is
byte-for-byte reproducible; the rows below are appended by hand because they must be
refused (intake: unknown customer, malformed time, duplicate ref, negative duration;
entitlement: unlicensed customer). See README.md in this folder for the story.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from scheduling.contract import CONTRACT, CalendarDay
from scheduling.generate import generate_dataset, write_dataset

HERE = Path(__file__).resolve().parent
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday
SEED = 7
REQUESTS, ENGINEERS, CUSTOMERS = 120, 25, 150

OFFICE_CALENDAR = (
    CalendarDay("SH", date(2026, 12, 5), True, "Saturday make-up day for the company trip"),
    CalendarDay("SH", date(2026, 12, 18), False, "company trip"),
    CalendarDay("CD", date(2026, 12, 11), False, "annual company meeting"),
)

# Hand-written rows that must be refused; "{unlicensed}" and "{duplicate}" are filled in by
# main(). Columns not given are left empty (their defaults).
_BASE = {"kind": "onsite_service", "urgency": "P3", "channel": "hotline", "duration_hours": "2"}
REFUSED_ROWS = (
    {"request_ref": "SR-90001", "customer_id": "C9999", "subtype": "troubleshoot",
     "received_at": "2026-11-27T11:20+08:00", "notes": "unknown customer: intake refuses it"},
    {"request_ref": "SR-90002", "customer_id": "C0010", "subtype": "configure",
     "received_at": "27/11/2026 14:00", "notes": "malformed received_at: intake refuses it"},
    {"request_ref": "{duplicate}", "customer_id": "C0011", "subtype": "install",
     "received_at": "2026-11-27T15:00+08:00",
     "notes": "same ref typed twice: intake refuses the second"},
    {"request_ref": "SR-90003", "customer_id": "C0012", "subtype": "troubleshoot",
     "received_at": "2026-11-26T10:00+08:00", "duration_hours": "-2",
     "notes": "negative duration: intake refuses it"},
    {"request_ref": "SR-90004", "customer_id": "{unlicensed}", "subtype": "troubleshoot",
     "urgency": "P2", "received_at": "2026-11-27T09:30+08:00",
     "notes": "unlicensed customer: entitlement refuses it (not_licensed)"},
)  # fmt: skip


def main() -> None:
    """Write the sample folder."""
    dataset = generate_dataset(REQUESTS, ENGINEERS, SEED, NOW, offices=3, customers=CUSTOMERS)
    dataset = type(dataset)(**{**dataset.__dict__, "office_calendar": OFFICE_CALENDAR})
    written = write_dataset(dataset, HERE)
    unlicensed = next(c.customer_id for c in dataset.customers if not c.licensed)
    duplicate = dataset.requests[0].request_ref
    with written["requests"].open("a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, CONTRACT["requests"].column_names, lineterminator="\n")
        for row in REFUSED_ROWS:
            cells = {**_BASE, **row}
            writer.writerow(
                {k: v.format(unlicensed=unlicensed, duplicate=duplicate) for k, v in cells.items()}
            )
    for kind, path in written.items():
        print(f"{kind:<16} {path}")


if __name__ == "__main__":
    main()
