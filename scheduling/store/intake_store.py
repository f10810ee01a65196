"""Loading the vendor's files into the database: every received row stored, nothing twice.

:func:`load_path` reads a file or a folder with the pure readers of `scheduling.intake`,
checks references against the files and the database, assesses each valid request
(`scheduling.assessment.assess`) and stores, one transaction per file:

* every received row in `intake_rows` with its raw cells and outcome, so that
  received = accepted + refused, always (POLICY.md 1, seed 四.2);
* offices, calendar exceptions, engineers, customers and requests, upserted by id: the same
  file twice changes nothing (`unchanged`); a changed row updates the record and, for a
  request, each changed field is logged in `request_changes`;
* a changed row for a request the active plan already has a visit for is refused
  `already_planned`: the plan and the field would disagree silently otherwise.

A crash inside a file rolls that file back entirely; files already loaded stay loaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from scheduling.contract import CONTRACT, CalendarDay
from scheduling.intake import (
    IntakeError,
    ParsedFile,
    ParsedRow,
    RowError,
    check_references,
    find_files,
    kind_of,
    parse_file,
)
from scheduling.model import (
    Assessment,
    Customer,
    Engineer,
    Office,
    RequestStatus,
    ServiceRequest,
)
from scheduling.policy import Policy, load_policy
from scheduling.store import reference
from scheduling.store.db import session_scope
from scheduling.store.localtime import office_zones
from scheduling.store.models import (
    CustomerRow,
    EngineerRow,
    IntakeLoadRow,
    IntakeRowRow,
    OfficeRow,
    RequestRow,
)
from scheduling.store.requests import (
    get_request,
    planned_refs,
    preload_requests,
    store_request,
)

__all__ = ["FileReport", "IntakeError", "IntakeReport", "load_path"]

# The cell an entitlement refusal is about (POLICY.md 1-2); others point at the customer.
_REFUSAL_COLUMNS = {
    "before_purchase": "received_at",
    "custom_module": "module",
    "bad_version": "target_version",
    "downgrade": "target_version",
}

Assess = Callable[[ServiceRequest, Customer, list[Office], Policy], Assessment]


@dataclass
class FileReport:
    """What one file's load did: counts by outcome and the refused rows with their reasons.

    `accepted` = created + updated + unchanged, and received = accepted + refused.
    """

    file: str
    kind: str
    sha256: str = ""
    load_id: int | None = None
    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    refused_rows: list[RowError] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        """Rows stored: new, updated or identical to what the database had."""
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        """The counts and refused rows as plain JSON-ready values."""
        return {
            "file": self.file,
            "kind": self.kind,
            "load_id": self.load_id,
            "sha256": self.sha256,
            "received": self.received,
            "accepted": self.accepted,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "refused": self.refused,
            "refused_rows": [_error_dict(e) for e in self.refused_rows],
        }


@dataclass
class IntakeReport:
    """The result of one `load_path`: a report per file, in load order."""

    files: list[FileReport] = field(default_factory=list)

    @property
    def received(self) -> int:
        """Rows received over all files."""
        return sum(f.received for f in self.files)

    @property
    def accepted(self) -> int:
        """Rows stored (new, updated or unchanged) over all files."""
        return sum(f.accepted for f in self.files)

    @property
    def refused(self) -> int:
        """Rows refused over all files."""
        return sum(f.refused for f in self.files)

    @property
    def refused_rows(self) -> list[RowError]:
        """Every refusal (and whole-file error), file by file, with file, row, column, value."""
        return [e for f in self.files for e in f.refused_rows]

    def file(self, kind: str) -> FileReport:
        """The report of the file of `kind`; KeyError if no such file was loaded."""
        for report in self.files:
            if report.kind == kind:
                return report
        raise KeyError(kind)

    def as_dict(self) -> dict[str, Any]:
        """Totals and per-file reports as plain JSON-ready values."""
        return {
            "received": self.received,
            "accepted": self.accepted,
            "refused": self.refused,
            "files": [f.as_dict() for f in self.files],
        }


def _error_dict(error: RowError) -> dict[str, Any]:
    return {
        "file": error.file,
        "row": error.row,
        "column": error.column,
        "value": error.value,
        "code": error.code,
        "reason": error.reason,
    }


def _default_assess() -> Assess:
    from scheduling.assessment import assess

    return assess


def load_path(
    engine: Engine,
    path: str | Path,
    policy: Policy | None = None,
    *,
    assess: Assess | None = None,
    now: datetime | None = None,
) -> IntakeReport:
    """Load a data file, or a folder of them (offices, office_calendar, engineers, customers,
    requests as .csv or .xlsx, in that order), into the database behind `engine`.

    Returns the counts and refused rows per file. Raises :class:`IntakeError` when `path`
    cannot be read as a whole (missing, not a data file, an empty folder).
    """
    path = Path(path)
    policy = policy or load_policy()
    assess = assess or _default_assess()
    now = now or datetime.now(UTC)
    if path.is_dir():
        paths = find_files(path)
    elif path.is_file():
        kind = kind_of(path)
        if kind is None:
            expected = ", ".join(f"{k}.csv" for k in CONTRACT)
            raise IntakeError(f"{path}: cannot tell what the file holds (expected {expected})")
        paths = {kind: path}
    else:
        raise IntakeError(f"{path}: no such file or folder")
    files = [parse_file(p, kind) for kind, p in paths.items()]
    with session_scope(engine) as session:
        known = _known_ids(session)
    files = check_references(files, known)
    report = IntakeReport()
    for parsed in files:
        with session_scope(engine) as session:
            report.files.append(_load_file(session, parsed, policy, assess, now))
    return report


def _known_ids(session: Session) -> dict[str, set[str]]:
    return {
        "offices": set(session.scalars(select(OfficeRow.office_id))),
        "engineers": set(session.scalars(select(EngineerRow.engineer_id))),
        "customers": set(session.scalars(select(CustomerRow.customer_id))),
    }


def _load_file(
    session: Session, parsed: ParsedFile, policy: Policy, assess: Assess, now: datetime
) -> FileReport:
    """Store one parsed file in the caller's transaction; returns its report."""
    path = parsed.path
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
    report = FileReport(file=path.name, kind=parsed.kind, sha256=digest)
    load = IntakeLoadRow(file_name=path.name, file_kind=parsed.kind, sha256=digest, loaded_at=now)
    session.add(load)
    session.flush()
    report.load_id = load.load_id
    report.refused_rows.extend(e for e in parsed.file_errors)
    store = _Storer(session, path.name, policy, assess, now, load.load_id)
    store.preload(parsed)
    key = CONTRACT[parsed.kind].key if parsed.kind in CONTRACT else ""  # "": no single key
    for row in parsed.rows:
        outcome, errors = store.row(row)
        report.received += 1
        if outcome == "refused":
            report.refused += 1
            report.refused_rows.extend(errors)
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)
        first = errors[0] if errors else None
        session.add(
            IntakeRowRow(
                load_id=load.load_id,
                file_name=path.name,
                file_kind=parsed.kind,
                row_number=row.row,
                record_id=(row.raw.get(key) or "").strip()[:64] or None,
                raw=dict(row.raw),
                outcome="accepted" if outcome == "created" else outcome,
                reason_code=first.code if first else "",
                reason="; ".join(e.reason for e in errors),
                column=first.column if first else None,
                value=first.value if first else None,
            )
        )
    load.received, load.accepted, load.refused = report.received, report.accepted, report.refused
    load.created, load.updated, load.unchanged = report.created, report.updated, report.unchanged
    session.flush()
    return report


def _renamed(error: RowError) -> RowError:
    # A dangling reference says which kind it misses: unknown_customer, unknown_office.
    if error.code == "unknown_reference" and error.column:
        return replace(error, code=f"unknown_{error.column.removesuffix('_id')}")
    return error


class _Storer:
    """Stores valid rows of each kind; returns (outcome, errors) per row."""

    def __init__(
        self,
        session: Session,
        file: str,
        policy: Policy,
        assess: Assess,
        now: datetime,
        load_id: int,
    ) -> None:
        self.session, self.file, self.policy, self.assess = session, file, policy, assess
        self.now, self.load_id = now, load_id
        self._offices: list[Office] | None = None
        self._customers: dict[str, Customer | None] = {}
        self._planned: set[str] | None = None
        self._kept: list[object] = []  # rows preloaded for the whole file
        self._customer_rows: dict[str, CustomerRow] | None = None
        self._request_rows: dict[str, RequestRow] | None = None
        self._zones: dict[str, ZoneInfo] | None = None

    def preload(self, parsed: ParsedFile) -> None:
        """Fetch what the file's rows will look up, in a few queries instead of one per row."""
        if parsed.kind in ("offices", "engineers"):
            self._kept = reference.preload(self.session, parsed.kind)
        elif parsed.kind == "customers":
            self._customer_rows = reference.customer_rows(self.session)
        elif parsed.kind == "requests":
            refs = [r.record.request_ref for r in parsed.rows if r.ok]
            self._kept = reference.preload(self.session, "customers")
            stored = preload_requests(self.session, refs)
            self._request_rows = {row.request_ref: row for row in stored}
            self._planned = planned_refs(self.session)

    def row(self, row: ParsedRow) -> tuple[str, list[RowError]]:
        if row.errors or row.record is None:
            errors = [_renamed(e) for e in row.errors] or [
                RowError(self.file, row.row, None, None, "row could not be read")
            ]
            return "refused", errors
        record = row.record
        if isinstance(record, Office):
            # Calendar exceptions come from office_calendar, with their notes.
            office = replace(record, extra_days_off=(), extra_working_days=())
            return reference.upsert_office(self.session, office), []
        if isinstance(record, CalendarDay):
            return reference.upsert_calendar_day(self.session, record), []
        if isinstance(record, Engineer):
            return reference.upsert_engineer(self.session, record), []
        if isinstance(record, Customer):
            return reference.upsert_customer(self.session, record, self._customer_rows), []
        if isinstance(record, ServiceRequest):
            return self._request(record, row)
        raise TypeError(f"no storage for {type(record).__name__} rows")

    def _customer(self, customer_id: str) -> Customer | None:
        if customer_id not in self._customers:
            self._customers[customer_id] = reference.get_customer(self.session, customer_id)
        return self._customers[customer_id]

    def _request(self, request: ServiceRequest, row: ParsedRow) -> tuple[str, list[RowError]]:
        customer = self._customer(request.customer_id)
        if customer is None:
            return "refused", [
                RowError(
                    self.file,
                    row.row,
                    "customer_id",
                    request.customer_id,
                    "unknown customer: not in the customers file nor in the database",
                    "unknown_customer",
                )
            ]
        known = self._request_rows is None or request.request_ref in self._request_rows
        if known and self._zones is None:
            self._zones = office_zones(self.session)
        stored = get_request(self.session, request.request_ref, self._zones) if known else None
        if stored is not None and stored[1].status is RequestStatus.WITHDRAWN:
            if stored[0] == request:
                return "unchanged", []
            return "refused", [
                RowError(
                    self.file,
                    row.row,
                    "request_ref",
                    request.request_ref,
                    f"request {request.request_ref} was withdrawn ({stored[1].reason}); "
                    "a new request needs a new request_ref",
                    "withdrawn",
                )
            ]
        if stored is not None and self._is_planned(request.request_ref):
            # A planned request is left alone: its visit was planned for what is stored.
            if stored[0] == request:
                return "unchanged", []
            return "refused", [self._already_planned(stored[0], request, row)]
        if self._offices is None:
            self._offices = reference.list_offices(self.session)
        # Re-assessed even when the row is identical: its customer may have changed.
        assessment = self.assess(request, customer, self._offices, self.policy)
        outcome, _changed = store_request(
            self.session,
            request,
            assessment,
            load_id=self.load_id,
            now=self.now,
            rows=self._request_rows,
        )
        if assessment.status is RequestStatus.REFUSED:
            column = _REFUSAL_COLUMNS.get(assessment.reason_code, "customer_id")
            return "refused", [
                RowError(
                    self.file,
                    row.row,
                    column,
                    row.raw.get(column, ""),
                    assessment.reason,
                    assessment.reason_code,
                )
            ]
        return outcome, []

    def _is_planned(self, request_ref: str) -> bool:
        if self._planned is None:
            self._planned = planned_refs(self.session)
        return request_ref in self._planned

    def _already_planned(
        self, stored: ServiceRequest, request: ServiceRequest, row: ParsedRow
    ) -> RowError:
        changed = [
            f.name for f in fields(request) if getattr(stored, f.name) != getattr(request, f.name)
        ]
        return RowError(
            self.file,
            row.row,
            changed[0],
            row.raw.get(changed[0], ""),
            f"request {request.request_ref} is already planned (it has a visit in the active "
            f"plan), so the change of {', '.join(changed)} was not applied; withdraw the "
            "request or have the dispatcher change the visit first",
            "already_planned",
        )
