"""Local time zones for what the database gives back in UTC.

The database stores instants; people read local times. Visits and routes come back in the
time zone of the engineer's office, requests in that of their serving office, so a
`visit.start.hour` is the hour on the engineer's watch.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduling.store.models import EngineerRow, OfficeRow

DEFAULT_TIMEZONE = "Asia/Shanghai"  # POLICY.md general: the policy's default time zone


def office_zones(session: Session) -> dict[str, ZoneInfo]:
    """Time zone of each office, by office id."""
    rows = session.execute(select(OfficeRow.office_id, OfficeRow.timezone))
    return {office_id: ZoneInfo(name or DEFAULT_TIMEZONE) for office_id, name in rows}


def engineer_zones(session: Session) -> dict[str, ZoneInfo]:
    """Time zone of each engineer's office, by engineer id."""
    rows = session.execute(
        select(EngineerRow.engineer_id, OfficeRow.timezone).join(
            OfficeRow, OfficeRow.office_id == EngineerRow.office_id
        )
    )
    return {engineer_id: ZoneInfo(name or DEFAULT_TIMEZONE) for engineer_id, name in rows}


def local(value: datetime | None, zone: ZoneInfo | None) -> datetime | None:
    """`value` as the same instant in `zone` (the default zone when None)."""
    if value is None:
        return None
    return value.astimezone(zone or ZoneInfo(DEFAULT_TIMEZONE))
