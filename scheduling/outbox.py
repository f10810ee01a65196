"""Issuing itineraries to a per-engineer outbox, and remembering what was issued.

`issue_itineraries` writes, for every engineer with visits (or with an earlier issue to
update), ``<out_dir>/<engineer_id>/itinerary.ics``, ``itinerary.html`` and ``issued.json``.
The manifest ``issued.json`` records each issued calendar event (content, hash, SEQUENCE,
DTSTAMP, STATUS), so the next issue can tell new, updated, unchanged and cancelled events
apart without any database:

- an event whose UID was never issued is new (SEQUENCE 0);
- same UID, same content: unchanged, issued again byte for byte (same SEQUENCE, DTSTAMP);
- same UID, other content: updated, SEQUENCE + 1, new DTSTAMP;
- issued before, absent now: cancelled, SEQUENCE + 1, STATUS:CANCELLED, kept in the file
  (and the manifest) until it is over, so a calendar that missed an issue still learns it;
- absent now and already over at issue time: retired (dropped from file and manifest, the
  engineer's calendar keeps it as it was: work done is never "cancelled" by a later plan).

Re-issuing an identical plan changes nothing on disk, so the change marks of the last real
change stay visible.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from scheduling.ical import (
    CANCELLED,
    CONFIRMED,
    DEFAULT_ORGANIZER,
    EventSpec,
    IssuedEvent,
    event_specs,
    render_calendar,
)
from scheduling.itineraries import (
    CancelledVisit,
    EngineerItinerary,
    ItineraryDiff,
    VisitChange,
    build_itineraries,
)
from scheduling.itinerary_html import render_itinerary_html
from scheduling.model import Plan, Problem
from scheduling.policy import Policy

MANIFEST = "issued.json"
ICS_FILE = "itinerary.ics"
HTML_FILE = "itinerary.html"
MANIFEST_FORMAT = 1


class OutboxError(ValueError):
    """An outbox that cannot be used (unreadable manifest, unsafe engineer id)."""


@dataclass(frozen=True, slots=True)
class IssuedRecord:
    """One event as the manifest remembers it."""

    spec: EventSpec
    hash: str
    sequence: int
    dtstamp: datetime
    status: str

    def to_json(self) -> dict:
        """The manifest entry."""
        return {
            "uid": self.spec.uid,
            "hash": self.hash,
            "sequence": self.sequence,
            "dtstamp": self.dtstamp.isoformat(),
            "status": self.status,
            "spec": self.spec.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict) -> IssuedRecord:
        """The record of a manifest entry."""
        return cls(
            spec=EventSpec.from_json(data["spec"]),
            hash=data["hash"],
            sequence=int(data["sequence"]),
            dtstamp=datetime.fromisoformat(data["dtstamp"]),
            status=data["status"],
        )


@dataclass(frozen=True, slots=True)
class Manifest:
    """What was last issued to one engineer."""

    engineer_id: str
    engineer_name: str
    timezone: str
    issued_at: datetime
    events: dict[str, IssuedRecord]

    def to_json(self) -> dict:
        """The JSON document written to ``issued.json``."""
        return {
            "format": MANIFEST_FORMAT,
            "engineer_id": self.engineer_id,
            "engineer_name": self.engineer_name,
            "timezone": self.timezone,
            "issued_at": self.issued_at.isoformat(),
            "events": [record.to_json() for record in self.events.values()],
        }


def read_manifest(path: Path) -> Manifest | None:
    """The manifest at `path`, or None when there is none (nothing issued yet).

    Raises `OutboxError` naming the file when it exists but cannot be read.
    """
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != MANIFEST_FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {MANIFEST_FORMAT}")
        events = [IssuedRecord.from_json(e) for e in data["events"]]
        return Manifest(
            engineer_id=data["engineer_id"],
            engineer_name=data.get("engineer_name", data["engineer_id"]),
            timezone=data["timezone"],
            issued_at=datetime.fromisoformat(data["issued_at"]),
            events={record.spec.uid: record for record in events},
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise OutboxError(f"{path}: not a fieldplan issue manifest ({exc})") from exc


@dataclass(frozen=True, slots=True)
class Reconciled:
    """The events to issue now and what happened to each UID."""

    events: list[IssuedEvent]
    outcome: dict[str, str]  # uid -> "new", "updated", "unchanged", "cancelled"


def reconcile(previous: Manifest | None, specs: list[EventSpec], issued_at: datetime) -> Reconciled:
    """Decide SEQUENCE, DTSTAMP and STATUS of every event, given the last issue.

    See the module docstring for the rules. The result lists current events in time order,
    then the cancelled ones still to announce.
    """
    before = previous.events if previous else {}
    events: list[IssuedEvent] = []
    outcome: dict[str, str] = {}
    current = {spec.uid for spec in specs}
    for spec in specs:
        digest = spec.content_hash
        old = before.get(spec.uid)
        if old is None:
            events.append(IssuedEvent(spec, 0, issued_at, CONFIRMED))
            outcome[spec.uid] = "new"
        elif old.status == CANCELLED:
            # re-instated: a higher SEQUENCE than the cancellation, or calendars ignore it
            events.append(IssuedEvent(spec, old.sequence + 1, issued_at, CONFIRMED))
            outcome[spec.uid] = "new"
        elif old.hash == digest:
            events.append(IssuedEvent(spec, old.sequence, old.dtstamp, CONFIRMED))
            outcome[spec.uid] = "unchanged"
        else:
            events.append(IssuedEvent(spec, old.sequence + 1, issued_at, CONFIRMED))
            outcome[spec.uid] = "updated"
    for uid, old in before.items():
        if uid in current or old.spec.end <= issued_at:
            continue  # still planned, or over: retired without a cancellation
        if old.status == CANCELLED:
            events.append(IssuedEvent(old.spec, old.sequence, old.dtstamp, CANCELLED))
            outcome[uid] = "unchanged"
        else:
            events.append(IssuedEvent(old.spec, old.sequence + 1, issued_at, CANCELLED))
            outcome[uid] = "cancelled"
    return Reconciled(events, outcome)


def _when(spec: EventSpec) -> str:
    return f"{spec.start:%a %d %b %H:%M}, stop {spec.order}"


_LABELS = {
    "Customer": "customer",
    "Address": "address",
    "Contact": "contact",
    "Arrive": "times",
    "Version": "versions",
    "Deadline": "deadline",
    "EMERGENCY": "emergency",
    "Travel before": "travel before",
    "Lodging tonight": "lodging",
}


def _what_changed(old: EventSpec, new: EventSpec) -> str:
    """In words, which parts of a visit's description differ, e.g. 'contact, travel before'.

    Reads the lines `scheduling.ical.visit_description` writes: the first is the work, the
    numbered and indented ones are the checklist, the others start with their label.
    """
    old_lines, new_lines = old.description.splitlines(), new.description.splitlines()
    before, after = set(old_lines), set(new_lines)
    labels: list[str] = []
    for index, line in enumerate([*old_lines, *new_lines]):
        if line in before and line in after:
            continue
        if index in (0, len(old_lines)) and not line.startswith(tuple(_LABELS)):
            label = "work"
        elif line[:1].isdigit() or line.startswith((" ", "Checklist")):
            label = "checklist"
        else:
            label = next((v for k, v in _LABELS.items() if line.startswith(k)), "details")
        if label not in labels:
            labels.append(label)
    return ", ".join(labels) or "details"


def diff_itinerary(
    itinerary: EngineerItinerary, previous: Manifest | None, issued_at: datetime
) -> ItineraryDiff:
    """What changed in the engineer's visits since the last issue (for the page's marks).

    A visit is new when it was not in the last issued itinerary (or was cancelled there),
    moved when its day, start time or position in the day's order changed, updated when
    only other details changed. Cancelled lists last-issued visits that are gone and not
    yet over.
    """
    if previous is None:
        return ItineraryDiff(first_issue=True, changes={}, was={}, cancelled=())
    specs = {s.uid: s for s in event_specs(itinerary) if s.kind == "visit"}
    changes: dict[tuple[str, int], VisitChange] = {}
    was: dict[tuple[str, int], str] = {}
    what: dict[tuple[str, int], str] = {}
    for spec in specs.values():
        key = (spec.request_ref, spec.session)
        old = previous.events.get(spec.uid)
        if old is None or old.status == CANCELLED:
            changes[key] = VisitChange.NEW
        elif (old.spec.day, old.spec.start, old.spec.order) != (spec.day, spec.start, spec.order):
            changes[key] = VisitChange.MOVED
            was[key] = _when(old.spec)
        elif old.hash != spec.content_hash:
            changes[key] = VisitChange.UPDATED
            what[key] = _what_changed(old.spec, spec)
        else:
            changes[key] = VisitChange.UNCHANGED
    cancelled = [
        CancelledVisit(
            request_ref=old.spec.request_ref,
            session=old.spec.session,
            day=old.spec.day or old.spec.start.date(),
            start=old.spec.start.astimezone(itinerary.tz),
            customer_name=old.spec.customer_name,
            address=old.spec.address,
        )
        for uid, old in previous.events.items()
        if old.spec.kind == "visit"
        and old.status != CANCELLED
        and uid not in specs
        and old.spec.end > issued_at
    ]
    cancelled.sort(key=lambda c: (c.start, c.request_ref, c.session))
    return ItineraryDiff(
        first_issue=False, changes=changes, was=was, cancelled=tuple(cancelled), what=what
    )


@dataclass(frozen=True, slots=True)
class EngineerIssue:
    """What one engineer's outbox received: event counts and the files."""

    engineer_id: str
    visits: int
    new: int
    updated: int
    cancelled: int
    unchanged: int
    folder: Path
    written: bool  # False when nothing changed and the files were left as they were


@dataclass(frozen=True, slots=True)
class IssueReport:
    """The result of one issue, per engineer (sorted by engineer id)."""

    out_dir: Path
    issued_at: datetime
    engineers: tuple[EngineerIssue, ...] = field(default_factory=tuple)

    @property
    def totals(self) -> dict[str, int]:
        """Sums over engineers of visits and event counts."""
        keys = ("visits", "new", "updated", "cancelled", "unchanged")
        return {k: sum(getattr(e, k) for e in self.engineers) for k in keys}


def engineer_folder(out_dir: Path, engineer_id: str) -> Path:
    """The outbox folder of an engineer; the id is percent-encoded so it stays one folder."""
    name = quote(engineer_id, safe="-._@")
    if name in ("", ".", ".."):
        raise OutboxError(f"engineer id {engineer_id!r} cannot name an outbox folder")
    return out_dir / name


def _write(path: Path, data: bytes) -> None:
    # write-then-rename: a reader (or a crash) never sees half a file
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def issue_itinerary(
    itinerary: EngineerItinerary,
    out_dir: Path,
    issued_at: datetime,
    organizer: str = DEFAULT_ORGANIZER,
) -> EngineerIssue:
    """Issue one engineer's itinerary into ``out_dir/<engineer_id>/`` (see module doc)."""
    folder = engineer_folder(Path(out_dir), itinerary.engineer_id)
    previous = read_manifest(folder / MANIFEST)
    specs = event_specs(itinerary)
    result = reconcile(previous, specs, issued_at)
    counts = {k: 0 for k in ("new", "updated", "cancelled", "unchanged")}
    for outcome in result.outcome.values():
        counts[outcome] += 1
    nothing_changed = (
        previous is not None
        and counts["unchanged"] == len(result.outcome)
        and set(result.outcome) == set(previous.events)
        and all((folder / name).exists() for name in (ICS_FILE, HTML_FILE))
    )
    if not nothing_changed:
        diff = diff_itinerary(itinerary, previous, issued_at)
        folder.mkdir(parents=True, exist_ok=True)
        ics = render_calendar(
            result.events,
            name=f"fieldplan — {itinerary.engineer_name}",
            timezone=itinerary.timezone,
            organizer=organizer,
        )
        html = render_itinerary_html(itinerary, diff, issued_at)
        manifest = Manifest(
            engineer_id=itinerary.engineer_id,
            engineer_name=itinerary.engineer_name,
            timezone=itinerary.timezone,
            issued_at=issued_at,
            events={
                e.spec.uid: IssuedRecord(
                    e.spec, e.spec.content_hash, e.sequence, e.dtstamp, e.status
                )
                for e in result.events
            },
        )
        _write(folder / ICS_FILE, ics)
        _write(folder / HTML_FILE, html.encode("utf-8"))
        text = json.dumps(manifest.to_json(), ensure_ascii=False, indent=1)
        _write(folder / MANIFEST, text.encode("utf-8"))
    return EngineerIssue(
        engineer_id=itinerary.engineer_id,
        visits=len(itinerary.stops),
        folder=folder,
        written=not nothing_changed,
        **counts,
    )


def issue_itineraries(
    plan: Plan,
    problem: Problem,
    policy: Policy,
    out_dir: Path | str,
    *,
    issued_at: datetime | None = None,
    organizer: str = DEFAULT_ORGANIZER,
) -> IssueReport:
    """Write every engineer's calendar, page and manifest under `out_dir`; report counts.

    Engineers with visits in `plan` get their itinerary; engineers issued before (a manifest
    in `out_dir`) who have no visit any more get an itinerary with none, so their calendar
    learns the cancellations. `issued_at` (default: now) stamps changed events and decides
    which past events are retired.
    """
    out = Path(out_dir)
    when = issued_at or datetime.now(UTC)
    if when.tzinfo is None:
        raise OutboxError(f"issued_at must be timezone-aware, got {when!r}")
    itineraries = {it.engineer_id: it for it in build_itineraries(plan, problem, policy)}
    engineers = {e.engineer_id: e for e in problem.engineers}
    if out.exists():
        for manifest_path in sorted(out.glob(f"*/{MANIFEST}")):
            manifest = read_manifest(manifest_path)
            if manifest is None or manifest.engineer_id in itineraries:
                continue
            engineer = engineers.get(manifest.engineer_id)
            office_name = ""
            if engineer is not None:
                try:
                    office_name = problem.office(engineer.office_id).name
                except KeyError:
                    office_name = engineer.office_id
            itineraries[manifest.engineer_id] = EngineerItinerary(
                engineer_id=manifest.engineer_id,
                engineer_name=engineer.name if engineer else manifest.engineer_name,
                email=engineer.email if engineer else "",
                phone=engineer.phone if engineer else "",
                office_id=engineer.office_id if engineer else "",
                office_name=office_name,
                timezone=manifest.timezone,
                days=(),
            )
    issues = [
        issue_itinerary(itineraries[eid], out, when, organizer) for eid in sorted(itineraries)
    ]
    return IssueReport(out_dir=out, issued_at=when, engineers=tuple(issues))
