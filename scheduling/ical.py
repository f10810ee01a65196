"""iCalendar (RFC 5545) files of an engineer's itinerary, with UIDs stable across re-plans.

One VEVENT per visit and one per travel leg (the way back to home or hotel included), in the
zone of the engineer's office with its VTIMEZONE. UIDs are derived from what identifies the
work, never from a counter, so re-issuing after a re-plan updates the events already in the
engineer's calendar instead of duplicating them:

- visit: ``visit-<request_ref>-<session>@fieldplan``
- leg before a visit: ``travel-<engineer_id>-<request_ref>-<session>@fieldplan``
- way back after a day: ``return-<engineer_id>-<YYYYMMDD>@fieldplan``

Method (RFC 5546 3.2): the file is ``METHOD:PUBLISH``. The dispatcher publishes the
engineer's schedule; nobody is invited to answer it, so ``REQUEST`` (which needs ATTENDEEs
and replies) does not fit. PUBLISH requires an ORGANIZER, forbids ATTENDEEs, lets the
organizer update an event by publishing it again with a higher SEQUENCE, and allows
``STATUS:CANCELLED`` on a VEVENT: so a single file carries the whole schedule, its updates
and its cancellations, and a calendar that re-imports it converges to the plan.

The sequencing itself (which event is new, changed or gone) is decided by
`scheduling.outbox` from the issued manifest; this module turns decided events into bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import icalendar

from scheduling.itineraries import DayItinerary, EngineerItinerary, Stop, TravelLeg

PRODID = "-//fieldplan//itineraries//EN"
UID_DOMAIN = "fieldplan"
DEFAULT_ORGANIZER = "mailto:dispatch@fieldplan.invalid"

CONFIRMED = "CONFIRMED"
CANCELLED = "CANCELLED"


def _part(text: str) -> str:
    # UIDs must be stable and plain: keep the usual id characters, percent-encode the rest.
    return quote(str(text), safe="-._")


def visit_uid(request_ref: str, session: int) -> str:
    """The UID of a visit: the same for the same (request, session) in every re-plan."""
    return f"visit-{_part(request_ref)}-{session}@{UID_DOMAIN}"


def travel_uid(engineer_id: str, request_ref: str, session: int) -> str:
    """The UID of the leg an engineer travels to reach a visit."""
    return f"travel-{_part(engineer_id)}-{_part(request_ref)}-{session}@{UID_DOMAIN}"


def return_uid(engineer_id: str, day: date) -> str:
    """The UID of an engineer's way back (home or hotel) at the end of `day`."""
    return f"return-{_part(engineer_id)}-{day:%Y%m%d}@{UID_DOMAIN}"


@dataclass(frozen=True, slots=True)
class EventSpec:
    """The content of one calendar event, independent of when and how often it was issued."""

    uid: str
    kind: str  # "visit", "travel" or "return"
    summary: str
    start: datetime
    end: datetime
    location: str
    description: str
    geo: tuple[float, float] | None = None
    categories: tuple[str, ...] = ()
    # what the change marks of the printable page need (not part of the calendar event)
    request_ref: str = ""
    session: int = 0
    day: date | None = None
    order: int = 0
    customer_name: str = ""
    address: str = ""

    @property
    def content_hash(self) -> str:
        """A digest of everything the calendar shows; it changes iff the event changes."""
        payload = {
            "summary": self.summary,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "tz": str(getattr(self.start.tzinfo, "key", self.start.tzinfo)),
            "location": self.location,
            "description": self.description,
            "geo": list(self.geo) if self.geo else None,
            "categories": list(self.categories),
        }
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def to_json(self) -> dict:
        """A JSON-ready dict that `from_json` reads back to an equal spec."""
        data = asdict(self)
        data["start"] = self.start.isoformat()
        data["end"] = self.end.isoformat()
        data["tz"] = str(getattr(self.start.tzinfo, "key", "UTC"))
        data["day"] = self.day.isoformat() if self.day else None
        data["geo"] = list(self.geo) if self.geo else None
        data["categories"] = list(self.categories)
        return data

    @classmethod
    def from_json(cls, data: dict) -> EventSpec:
        """The spec written by `to_json`."""
        tz = ZoneInfo(data.get("tz") or "UTC")
        return cls(
            uid=data["uid"],
            kind=data["kind"],
            summary=data["summary"],
            start=datetime.fromisoformat(data["start"]).astimezone(tz),
            end=datetime.fromisoformat(data["end"]).astimezone(tz),
            location=data["location"],
            description=data["description"],
            geo=tuple(data["geo"]) if data.get("geo") else None,
            categories=tuple(data.get("categories") or ()),
            request_ref=data.get("request_ref", ""),
            session=int(data.get("session", 0)),
            day=date.fromisoformat(data["day"]) if data.get("day") else None,
            order=int(data.get("order", 0)),
            customer_name=data.get("customer_name", ""),
            address=data.get("address", ""),
        )


@dataclass(frozen=True, slots=True)
class IssuedEvent:
    """An event as issued: its content, its SEQUENCE, its DTSTAMP and its STATUS."""

    spec: EventSpec
    sequence: int
    dtstamp: datetime
    status: str = CONFIRMED


def _hm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def _leg_text(leg: TravelLeg) -> str:
    return (
        f"{leg.km:.1f} km, {leg.minutes} min by {leg.mode.label}, "
        f"from {leg.from_label} to {leg.to_label}"
    )


def visit_description(stop: Stop, day: DayItinerary) -> str:
    """The text an engineer reads in the calendar event of a visit."""
    lines = [f"{stop.request_ref} · {stop.work}", f"Customer: {stop.customer_name}"]
    lines.append(f"Address: {stop.address}, {stop.city}")
    contact = ", ".join(p for p in (stop.contact_name, stop.contact_phone) if p)
    lines.append(f"Contact: {contact or 'none on file'}")
    lines.append(
        f"Arrive {_hm(stop.arrival)}, work {_hm(stop.start)}–{_hm(stop.end)} "
        f"({stop.duration_hours} h requested"
        f"{', lunch break included' if stop.lunch_included else ''})"
    )
    if stop.from_version or stop.to_version:
        lines.append(f"Version: {stop.from_version} → {stop.to_version}")
    if stop.deadline:
        late = " (LATE: after the deadline)" if stop.late else ""
        lines.append(f"Deadline: {stop.deadline:%Y-%m-%d %H:%M}{late}")
    if stop.emergency:
        lines.append("EMERGENCY request")
    lines.append(f"Travel before: {_leg_text(stop.leg)}")
    lines.append("Checklist:")
    for number, item in enumerate(stop.checklist, start=1):
        lines.append(f"{number}. {item.text}")
        if item.warning:
            lines.append(f"   {item.warning}")
    if stop is day.stops[-1] and day.lodging is not None:
        lines.append(f"Lodging tonight: {day.end_label}")
    return "\n".join(lines)


def event_specs(itinerary: EngineerItinerary) -> list[EventSpec]:
    """Every calendar event of an itinerary, in time order (legs of zero length skipped)."""
    specs: list[EventSpec] = []
    eid = itinerary.engineer_id
    for day in itinerary.days:
        for stop in day.stops:
            leg = stop.leg
            if leg.minutes > 0 or leg.km > 0:
                specs.append(
                    EventSpec(
                        uid=travel_uid(eid, stop.request_ref, stop.session),
                        kind="travel",
                        summary=f"Travel to {stop.customer_name} ({leg.mode.label})",
                        start=leg.depart,
                        end=leg.arrive,
                        location=f"{leg.from_label} → {leg.to_label}",
                        description=f"Travel {_leg_text(leg)}, for {stop.request_ref}.",
                        categories=("travel", leg.mode.value),
                        request_ref=stop.request_ref,
                        session=stop.session,
                        day=day.day,
                        order=stop.order,
                    )
                )
            session = f" ({stop.session}/{stop.sessions})" if stop.sessions > 1 else ""
            warn = "⚠ " if stop.warnings else ""
            specs.append(
                EventSpec(
                    uid=visit_uid(stop.request_ref, stop.session),
                    kind="visit",
                    summary=f"{warn}{stop.request_ref} {stop.work}{session} — {stop.customer_name}",
                    start=stop.start,
                    end=stop.end,
                    location=f"{stop.customer_name}, {stop.address}, {stop.city}",
                    description=visit_description(stop, day),
                    geo=(round(stop.lat, 6), round(stop.lon, 6)),
                    categories=(stop.kind.value, stop.subtype),
                    request_ref=stop.request_ref,
                    session=stop.session,
                    day=day.day,
                    order=stop.order,
                    customer_name=stop.customer_name,
                    address=stop.address,
                )
            )
        back = day.return_leg
        if back.minutes > 0 or back.km > 0:
            specs.append(
                EventSpec(
                    uid=return_uid(eid, day.day),
                    kind="return",
                    summary=f"Travel to {day.end_label} ({back.mode.label})",
                    start=back.depart,
                    end=back.arrive,
                    location=f"{back.from_label} → {back.to_label}",
                    description=(
                        f"Travel {_leg_text(back)}, "
                        + ("a travel day." if day.travel_only else "end of the day.")
                    ),
                    categories=("travel", back.mode.value),
                    day=day.day,
                )
            )
    return specs


def render_calendar(
    events: Sequence[IssuedEvent],
    *,
    name: str,
    timezone: str,
    organizer: str = DEFAULT_ORGANIZER,
    organizer_name: str = "fieldplan dispatch",
) -> bytes:
    """The .ics bytes of `events` (METHOD:PUBLISH, with the VTIMEZONE of `timezone`).

    Times are written with ``TZID=<timezone>``; cancelled events keep their UID, carry
    ``STATUS:CANCELLED`` and the SEQUENCE they were given.
    """
    tz = ZoneInfo(timezone)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", timezone)
    for issued in events:
        spec = issued.spec
        event = icalendar.Event()
        event.add("uid", spec.uid)
        event.add("dtstamp", issued.dtstamp)
        event.add("sequence", issued.sequence)
        event.add("status", issued.status)
        summary = spec.summary
        if issued.status == CANCELLED:
            # clients that ignore STATUS still tell the engineer not to go
            summary = f"CANCELLED: {summary}"
        event.add("summary", summary)
        event.add("dtstart", spec.start.astimezone(tz))
        event.add("dtend", spec.end.astimezone(tz))
        event.add("location", spec.location)
        event.add("description", spec.description)
        if spec.geo:
            event.add("geo", spec.geo)
        if spec.categories:
            event.add("categories", list(spec.categories))
        event.add("transp", "TRANSPARENT" if issued.status == CANCELLED else "OPAQUE")
        organizer_address = icalendar.vCalAddress(organizer)
        organizer_address.params["cn"] = icalendar.vText(organizer_name)
        event.add("organizer", organizer_address)
        cal.add_component(event)
    if events:
        years = [e.spec.start.year for e in events]
        cal.add_missing_timezones(
            first_date=date(min(years) - 1, 1, 1), last_date=date(max(years) + 2, 1, 1)
        )
    else:
        cal.add_component(icalendar.Timezone.from_tzid(timezone))
    return cal.to_ical()


def itinerary_ics(
    itinerary: EngineerItinerary, dtstamp: datetime, organizer: str = DEFAULT_ORGANIZER
) -> bytes:
    """A first-issue calendar of `itinerary` (every event SEQUENCE 0, CONFIRMED)."""
    events = [IssuedEvent(spec, 0, dtstamp) for spec in event_specs(itinerary)]
    return render_calendar(
        events,
        name=f"fieldplan — {itinerary.engineer_name}",
        timezone=itinerary.timezone,
        organizer=organizer,
    )
