"""Engineers' unavailability and overtime shifts: the dispatcher's inputs to planning."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduling.model import OvertimeShift, Unavailability
from scheduling.store.models import OvertimeShiftRow, UnavailabilityRow


def record_unavailability(session: Session, absence: Unavailability) -> bool:
    """Record that an engineer cannot work from `start` to `end`; False if already recorded.

    ValueError when `end` is before `start`.
    """
    if absence.end < absence.start:
        raise ValueError(
            f"unavailability of {absence.engineer_id}: "
            f"end {absence.end} before start {absence.start}"
        )
    same = session.scalars(
        select(UnavailabilityRow).where(
            UnavailabilityRow.engineer_id == absence.engineer_id,
            UnavailabilityRow.start == absence.start,
            UnavailabilityRow.end == absence.end,
        )
    ).first()
    if same is not None:
        return False
    session.add(
        UnavailabilityRow(
            engineer_id=absence.engineer_id,
            start=absence.start,
            end=absence.end,
            reason=absence.reason,
        )
    )
    session.flush()
    return True


def list_unavailability(session: Session, since: date | None = None) -> list[Unavailability]:
    """Recorded absences (those ending on or after `since` if given), by engineer and start."""
    query = select(UnavailabilityRow).order_by(
        UnavailabilityRow.engineer_id, UnavailabilityRow.start
    )
    if since is not None:
        query = query.where(UnavailabilityRow.end >= since)
    return [Unavailability(r.engineer_id, r.start, r.end, r.reason) for r in session.scalars(query)]


def record_overtime(session: Session, shift: OvertimeShift) -> None:
    """Open (or re-time) an overtime shift for an engineer on a day."""
    row = session.scalars(
        select(OvertimeShiftRow).where(
            OvertimeShiftRow.engineer_id == shift.engineer_id, OvertimeShiftRow.day == shift.day
        )
    ).first()
    if row is None:
        row = OvertimeShiftRow(engineer_id=shift.engineer_id, day=shift.day)
        session.add(row)
    row.start, row.end = shift.start, shift.end
    session.flush()


def list_overtime(session: Session, since: date | None = None) -> list[OvertimeShift]:
    """Open overtime shifts (on or after `since` if given), by engineer and day."""
    query = select(OvertimeShiftRow).order_by(OvertimeShiftRow.engineer_id, OvertimeShiftRow.day)
    if since is not None:
        query = query.where(OvertimeShiftRow.day >= since)
    return [OvertimeShift(r.engineer_id, r.day, r.start, r.end) for r in session.scalars(query)]
