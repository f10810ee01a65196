"""Service requests and their assessments in and out of the database, with a change log.

A request is keyed by `request_ref`. Storing it again with different content updates it and
records every changed field in `request_changes`; identical content changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from scheduling.model import (
    Assessment,
    Channel,
    Kind,
    RequestStatus,
    ServiceRequest,
    Urgency,
    Validity,
    Zone,
)
from scheduling.store.localtime import local, office_zones
from scheduling.store.models import PlanRow, RequestChangeRow, RequestRow, VisitRow

_REQUEST_FIELDS = tuple(f.name for f in fields(ServiceRequest))
_ASSESSMENT_FIELDS = tuple(f.name for f in fields(Assessment) if f.name != "request_ref")


@dataclass(frozen=True, slots=True)
class RequestChange:
    """One field of one request changed by a later load."""

    request_ref: str
    changed_at: datetime
    field: str
    old: str | None
    new: str | None
    load_id: int | None = None


def to_request(row: RequestRow, zone: ZoneInfo | None = None) -> ServiceRequest:
    """The plain request stored in `row`, its times in `zone` (default Asia/Shanghai)."""
    return ServiceRequest(
        request_ref=row.request_ref,
        customer_id=row.customer_id,
        kind=Kind(row.kind),
        subtype=row.subtype,
        urgency=Urgency(row.urgency),
        channel=Channel(row.channel),
        received_at=local(row.received_at, zone),
        duration_hours=row.duration_hours,
        sessions=row.sessions,
        required_skills=frozenset(row.required_skills or ()),
        target_version=row.target_version,
        module=row.module,
        backup_confirmed=row.backup_confirmed,
        window_start=row.window_start,
        window_end=row.window_end,
        emergency=row.emergency,
        notes=row.notes,
    )


def to_assessment(row: RequestRow, zone: ZoneInfo | None = None) -> Assessment:
    """The assessment stored with the request in `row`, its deadline in `zone`."""
    return Assessment(
        request_ref=row.request_ref,
        status=RequestStatus(row.status),
        reason_code=row.reason_code,
        reason=row.reason,
        validity=None if row.validity is None else Validity(row.validity),
        zone=None if row.zone is None else Zone(row.zone),
        deadline=local(row.deadline, zone),
        priority=row.priority,
        office_id=row.office_id,
    )


def _column_value(name: str, value: Any) -> Any:
    if name == "required_skills":
        return sorted(value)
    if hasattr(value, "value") and isinstance(value.value, str):  # enums: their string value
        return value.value
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, frozenset | set):
        return ";".join(sorted(value))
    if isinstance(value, datetime):
        return value.isoformat()
    return str(getattr(value, "value", value))


def is_planned(session: Session, request_ref: str) -> bool:
    """True when the active plan has a visit for this request."""
    query = select(
        exists().where(
            VisitRow.request_ref == request_ref,
            VisitRow.plan_id == PlanRow.plan_id,
            PlanRow.status == "active",
        )
    )
    return bool(session.scalar(query))


def planned_refs(session: Session) -> set[str]:
    """References of the requests the active plan has a visit for."""
    query = (
        select(VisitRow.request_ref)
        .join(PlanRow, PlanRow.plan_id == VisitRow.plan_id)
        .where(PlanRow.status == "active")
    )
    return set(session.scalars(query))


def preload_requests(session: Session, refs: Iterable[str]) -> list[RequestRow]:
    """Load the stored requests among `refs` into the session in a few queries, so that
    :func:`store_request` and :func:`get_request` find them without one query each.

    Keep the returned list while working: the session only holds rows weakly.
    """
    wanted = sorted(set(refs))
    rows: list[RequestRow] = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows.extend(session.scalars(select(RequestRow).where(RequestRow.request_ref.in_(chunk))))
    return rows


def store_request(
    session: Session,
    request: ServiceRequest,
    assessment: Assessment,
    *,
    load_id: int | None = None,
    now: datetime | None = None,
    rows: dict[str, RequestRow] | None = None,
) -> tuple[str, list[str]]:
    """Insert or update a request with its assessment; returns (outcome, changed fields).

    Outcome is "created", "updated" or "unchanged". Each changed field of the request or of
    its assessment is recorded in `request_changes` with old and new values and `load_id`.
    The caller decides whether an update is allowed (see :func:`is_planned`). `rows` (the
    stored rows by reference, from :func:`preload_requests`) makes a bulk load fast: no
    query per request, and the writes are left for the session's next flush (the commit);
    it gains the rows created.
    """
    now = now or datetime.now(UTC)
    if rows is None:
        row = session.get(RequestRow, request.request_ref)
    else:
        row = rows.get(request.request_ref)
    if row is None:
        row = RequestRow(request_ref=request.request_ref, created_at=now, updated_at=now)
        _fill(row, request, assessment)
        session.add(row)
        if rows is None:
            session.flush()
        else:
            rows[request.request_ref] = row
        return "created", []
    before = {**_as_dict(to_request(row)), **_as_dict(to_assessment(row), _ASSESSMENT_FIELDS)}
    after = {**_as_dict(request), **_as_dict(assessment, _ASSESSMENT_FIELDS)}
    # Aware datetimes compare as instants, so UTC from the database equals +08:00 from a file.
    changed = [name for name in after if before[name] != after[name]]
    if not changed:
        return "unchanged", []
    for name in changed:
        session.add(
            RequestChangeRow(
                request_ref=request.request_ref,
                changed_at=now,
                field=name,
                old=_text(before[name]),
                new=_text(after[name]),
                load_id=load_id,
            )
        )
    _fill(row, request, assessment)
    row.updated_at = now
    if rows is None:
        session.flush()
    return "updated", changed


def _as_dict(obj: Any, names: Iterable[str] = _REQUEST_FIELDS) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def _fill(row: RequestRow, request: ServiceRequest, assessment: Assessment) -> None:
    for name in _REQUEST_FIELDS:
        setattr(row, name, _column_value(name, getattr(request, name)))
    for name in _ASSESSMENT_FIELDS:
        setattr(row, name, _column_value(name, getattr(assessment, name)))


def get_request(
    session: Session, request_ref: str, zones: dict[str, ZoneInfo] | None = None
) -> tuple[ServiceRequest, Assessment] | None:
    """The request with this reference and its assessment, or None. `zones` (the offices'
    time zones, :func:`office_zones`) saves a query per call in a loop."""
    row = session.get(RequestRow, request_ref)
    if row is None:
        return None
    zones = office_zones(session) if zones is None else zones
    zone = zones.get(row.office_id or "")
    return to_request(row, zone), to_assessment(row, zone)


def list_requests(
    session: Session, statuses: Iterable[RequestStatus] | None = None
) -> list[tuple[ServiceRequest, Assessment]]:
    """Every request with its assessment (only those in `statuses` if given), by reference."""
    query = select(RequestRow).order_by(RequestRow.request_ref)
    if statuses is not None:
        query = query.where(RequestRow.status.in_([RequestStatus(s).value for s in statuses]))
    zones = office_zones(session)
    return [
        (
            to_request(r, zones.get(r.office_id or "")),
            to_assessment(r, zones.get(r.office_id or "")),
        )
        for r in session.scalars(query)
    ]


def request_changes(session: Session, request_ref: str | None = None) -> list[RequestChange]:
    """The change log (of one request if given), oldest first."""
    query = select(RequestChangeRow).order_by(RequestChangeRow.id)
    if request_ref is not None:
        query = query.where(RequestChangeRow.request_ref == request_ref)
    return [
        RequestChange(r.request_ref, r.changed_at, r.field, r.old, r.new, r.load_id)
        for r in session.scalars(query)
    ]


def withdraw_request(
    session: Session, request_ref: str, reason: str, *, now: datetime | None = None
) -> None:
    """Mark a request withdrawn (the customer cancelled it), recording the change.

    A withdrawn request is no longer planned; KeyError if the reference is unknown.
    """
    row = session.get(RequestRow, request_ref)
    if row is None:
        raise KeyError(request_ref)
    if row.status == RequestStatus.WITHDRAWN.value:
        return
    now = now or datetime.now(UTC)
    session.add(
        RequestChangeRow(
            request_ref=request_ref,
            changed_at=now,
            field="status",
            old=row.status,
            new=RequestStatus.WITHDRAWN.value,
        )
    )
    row.status = RequestStatus.WITHDRAWN.value
    row.reason_code = "withdrawn"
    row.reason = reason
    row.updated_at = now
    session.flush()
