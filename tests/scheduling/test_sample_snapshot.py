"""Snapshot of every sample request's decision and deadline, so a change in behaviour
(calendar, deadline rule, entitlement, zone) shows as a diff in review.

The file `tests/data/snapshots/sample_deadlines.csv` is the reviewed expectation. After an
intended change, rewrite it with ``FIELDPLAN_UPDATE_SNAPSHOTS=1 pytest -k snapshot`` and
review the diff like code.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from scheduling.assessment import assess
from scheduling.intake import parse_folder
from scheduling.model import Customer, Office, ServiceRequest
from scheduling.policy import load_policy

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "tests" / "data" / "snapshots" / "sample_deadlines.csv"
COLUMNS = (
    "request_ref",
    "customer_id",
    "kind",
    "received_at",
    "status",
    "reason_code",
    "zone",
    "office_id",
    "priority",
    "deadline",
)


def sample_table() -> str:
    """The sample requests' assessments as CSV text, in file order."""
    policy = load_policy()
    files = {f.kind: f for f in parse_folder(ROOT / "data" / "sample")}
    offices = [r for r in files["offices"].records if isinstance(r, Office)]
    customers = {r.customer_id: r for r in files["customers"].records if isinstance(r, Customer)}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for request in files["requests"].records:
        assert isinstance(request, ServiceRequest)
        decision = assess(request, customers[request.customer_id], offices, policy)
        writer.writerow(
            (
                request.request_ref,
                request.customer_id,
                request.kind.value,
                request.received_at.isoformat(),
                decision.status.value,
                decision.reason_code,
                decision.zone.value if decision.zone else "",
                decision.office_id or "",
                decision.priority,
                decision.deadline.isoformat() if decision.deadline else "",
            )
        )
    return out.getvalue()


def test_sample_deadlines_match_the_reviewed_snapshot():
    table = sample_table()
    if os.environ.get("FIELDPLAN_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(table, encoding="utf-8")
    expected = SNAPSHOT.read_text(encoding="utf-8")
    changed = [
        (old, new)
        for old, new in zip(expected.splitlines(), table.splitlines(), strict=False)
        if old != new
    ]
    assert table == expected, f"{len(changed)} row(s) changed, first: {changed[:3]}"
