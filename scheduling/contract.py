"""The data contract: which files a vendor hands over, their columns and how each cell reads.

One declarative table (:data:`CONTRACT`) is the single source of truth: the readers in
`scheduling/intake.py` parse cells with it, the generator's writer formats cells with it and
`docs/data-contract.md` is rendered from it (:func:`render_markdown`). A column's name is
also the name of the domain object's field it fills (`scheduling/model.py`).

Each :class:`CellType` parses a stripped, non-empty cell text into a value or raises
:class:`CellError` whose message says why (the reader adds file, row, column and value).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum, StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduling.model import (
    Channel,
    Customer,
    Engineer,
    Kind,
    Level,
    Office,
    PaidPeriod,
    ServiceRequest,
    Urgency,
    Zone,
)


class CellError(ValueError):
    """A cell whose text does not read as its column's type; the message says why."""


class Region(StrEnum):
    """POLICY.md 4: the official holiday calendars an office can follow."""

    CN = "CN"
    HK = "HK"
    MO = "MO"
    TW = "TW"


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """One row of `office_calendar`: a day an office works or rests against its region."""

    office_id: str
    date: date
    working: bool
    note: str = ""


# --- cell types ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CellType:
    """How a cell reads (`parse`) and writes (`format`), with the format's description."""

    name: str
    parse: Callable[[str], Any]
    format: Callable[[Any], str]
    doc: str


def _text(value: str) -> str:
    return value


def _identifier(value: str) -> str:
    if any(ch.isspace() for ch in value) or ";" in value:
        raise CellError("an identifier must not contain spaces or ';'")
    if len(value) > 64:
        raise CellError("an identifier has at most 64 characters")
    return value


_WORD = re.compile(r"^[a-z][a-z0-9_]*$")


def _word(value: str) -> str:
    if not _WORD.match(value):
        raise CellError("expected a lower-case word such as 'install' (letters, digits, _)")
    return value


def _float_in(low: float, high: float, what: str) -> Callable[[str], float]:
    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise CellError(f"not a number ({what})") from None
        if not low <= number <= high:
            raise CellError(f"{what} must lie between {low:g} and {high:g}")
        return number

    return parse


def _format_float(value: float) -> str:
    return repr(float(value))


def _hours(value: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise CellError("not a number of hours such as 2 or 1.5") from None
    if not number.is_finite() or number <= 0:
        raise CellError("a duration must be more than 0 hours")
    if number > 24:
        raise CellError("a duration is at most 24 hours (per visit or per training session)")
    return number


def _positive_int(value: str) -> int:
    if not re.fullmatch(r"\+?\d+", value):
        raise CellError("not a whole number")
    number = int(value)
    if number < 1:
        raise CellError("must be at least 1")
    return number


_TRUE = {"true", "yes", "y", "1", "是", "t"}
_FALSE = {"false", "no", "n", "0", "否", "f"}


def _boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise CellError("not a yes/no value (true/false, yes/no, 1/0, 是/否)")


def _format_bool(value: bool) -> str:
    return "true" if value else "false"


# Excel re-saves ISO dates in the display format of a Chinese locale (2026/11/27 10:15).
_EXCEL_HINT = "; Excel may have reformatted it: format the column as text before saving"
_SLASHED = re.compile(r"^\d{4}/\d{1,2}/\d{1,2}")


def _date(value: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        hint = _EXCEL_HINT if _SLASHED.match(value) else ""
        raise CellError(f"not a date as YYYY-MM-DD{hint}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CellError("not a date as YYYY-MM-DD (no such day)") from None


def _aware_datetime(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        hint = _EXCEL_HINT if _SLASHED.match(value) else ""
        raise CellError(
            f"not an ISO 8601 time with offset, e.g. 2026-11-27T10:15+08:00{hint}"
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CellError("an ISO 8601 time needs its offset, e.g. 2026-11-27T10:15+08:00")
    return moment


def _format_datetime(value: datetime) -> str:
    if value.microsecond:
        return value.isoformat()
    return value.isoformat(timespec="minutes" if value.second == 0 else "seconds")


def _word_list(value: str) -> frozenset[str]:
    items = [item.strip() for item in value.split(";")]
    items = [item for item in items if item]
    for item in items:
        if any(ch.isspace() for ch in item):
            raise CellError(f"list item {item!r} contains a space; separate items with ';'")
    return frozenset(items)


def _format_list(value: frozenset[str]) -> str:
    return ";".join(sorted(value))


def _periods(value: str) -> tuple[PaidPeriod, ...]:
    periods = []
    for item in (part.strip() for part in value.split(";")):
        if not item:
            continue
        start, sep, end = item.partition("..")
        if not sep:
            raise CellError(f"period {item!r} is not YYYY-MM-DD..YYYY-MM-DD")
        try:
            first, last = _date(start.strip()), _date(end.strip())
        except CellError as exc:
            raise CellError(f"period {item!r}: {exc}") from None
        if last < first:
            raise CellError(f"period {item!r} ends before it starts")
        periods.append(PaidPeriod(first, last))
    return tuple(sorted(periods, key=lambda p: p.start))


def _format_periods(value: tuple[PaidPeriod, ...]) -> str:
    return ";".join(f"{p.start.isoformat()}..{p.end.isoformat()}" for p in value)


_VERSION = re.compile(r"^\d+\.\d{2}$")


def _version(value: str) -> str:
    # Syntax only; what major/medium/minor mean is scheduling/versions.py's (POLICY.md 2).
    if not _VERSION.match(value):
        raise CellError("not a version such as 9.12 (major digits, a point, two digits)")
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Asia" is a folder
        raise CellError("not an IANA time zone such as Asia/Shanghai") from None
    return value


def _enum(cls: type[Enum]) -> CellType:
    values = [member.value for member in cls]  # type: ignore[attr-defined]

    def parse(value: str) -> Enum:
        for member in cls:
            if member.value.lower() == value.lower():
                return member
        raise CellError(f"not one of {', '.join(values)}")

    return CellType(cls.__name__.lower(), parse, lambda v: v.value, " \\| ".join(values))


TEXT = CellType("text", _text, str, "free text")
IDENTIFIER = CellType("id", _identifier, str, "identifier without spaces or `;`")
WORD = CellType("word", _word, str, "lower-case word, e.g. `install`")
LATITUDE = CellType(
    "latitude", _float_in(-90, 90, "a latitude"), _format_float, "decimal degrees, -90 to 90"
)
LONGITUDE = CellType(
    "longitude", _float_in(-180, 180, "a longitude"), _format_float, "decimal degrees, -180 to 180"
)
HOURS = CellType("hours", _hours, str, "hours, decimal, > 0 and ≤ 24, e.g. `1.5`")
COUNT = CellType("count", _positive_int, str, "whole number ≥ 1")
BOOLEAN = CellType("bool", _boolean, _format_bool, "true/false, yes/no, 1/0, 是/否")
DATE = CellType("date", _date, date.isoformat, "`YYYY-MM-DD`")
DATETIME = CellType(
    "datetime",
    _aware_datetime,
    _format_datetime,
    "ISO 8601 with offset, e.g. `2026-11-27T10:15+08:00`",
)
WORDS = CellType("list", _word_list, _format_list, "`;`-separated list, e.g. `pms;pos`")
PERIODS = CellType(
    "periods",
    _periods,
    _format_periods,
    "`YYYY-MM-DD..YYYY-MM-DD`, `;`-separated, both ends included",
)
VERSION = CellType("version", _version, str, "`9.12`: major, a point, medium and minor digit")
TIMEZONE = CellType("timezone", _timezone, str, "IANA zone, e.g. `Asia/Shanghai`")
_REGION = _enum(Region)
REGION = CellType("region", lambda v: _REGION.parse(v).value, str, _REGION.doc)


# --- the table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a file: name (= field of the record), requiredness, type and default.

    `default` is used when an optional column is absent or its cell is empty.
    """

    name: str
    type: CellType
    required: bool
    description: str
    default: Any = None


@dataclass(frozen=True)
class FileKind:
    """One file of the contract: its columns in writing order and the record it yields."""

    kind: str
    key: str  # the column whose value must be unique inside the file
    record: type
    description: str
    columns: tuple[Column, ...]
    optional: bool = False

    @property
    def column_names(self) -> tuple[str, ...]:
        """Column names in the contract's (and the writer's) order."""
        return tuple(column.name for column in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the columns a file must have."""
        return tuple(column.name for column in self.columns if column.required)

    def column(self, name: str) -> Column:
        """The column called `name`; KeyError if the contract has none."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


def _req(name: str, type_: CellType, description: str) -> Column:
    return Column(name, type_, True, description)


def _opt(name: str, type_: CellType, description: str, default: Any = None) -> Column:
    return Column(name, type_, False, description, default)


OFFICES = FileKind(
    "offices",
    key="office_id",
    record=Office,
    description="Service offices: where engineers start from and whose calendar they follow.",
    columns=(
        _req("office_id", IDENTIFIER, "unique id of the office"),
        _req("name", TEXT, "display name"),
        _req("city", TEXT, "city the office serves (decides the city zone, POLICY.md 4)"),
        _opt("calendar", REGION, "official holiday calendar (POLICY.md 4)", Region.CN.value),
        _req("lat", LATITUDE, "latitude of the office"),
        _req("lon", LONGITUDE, "longitude of the office"),
        _opt("timezone", TIMEZONE, "time zone of the office", "Asia/Shanghai"),
        _opt("lunch_break", BOOLEAN, "lunch break 12:00–13:00; empty: the policy's default"),
    ),
)

ENGINEERS = FileKind(
    "engineers",
    key="engineer_id",
    record=Engineer,
    description="Field engineers, each attached to one office.",
    columns=(
        _req("engineer_id", IDENTIFIER, "unique id of the engineer"),
        _req("name", TEXT, "full name"),
        _req("office_id", IDENTIFIER, "the office the engineer belongs to"),
        _req("skills", WORDS, "skills, e.g. `pms;pos;interface`"),
        _opt("email", TEXT, "e-mail for itineraries", ""),
        _opt("phone", TEXT, "mobile phone", ""),
        _opt("home_lat", LATITUDE, "home latitude; empty: the office's"),
        _opt("home_lon", LONGITUDE, "home longitude; empty: the office's"),
    ),
)

CUSTOMERS = FileKind(
    "customers",
    key="customer_id",
    record=Customer,
    description="Hotel customers: where they are, their licence, validity and product version.",
    columns=(
        _req("customer_id", IDENTIFIER, "unique id of the customer"),
        _req("name", TEXT, "hotel name"),
        _req("city", TEXT, "city of the hotel"),
        _req("address", TEXT, "street address shown on itineraries"),
        _req("lat", LATITUDE, "latitude of the hotel"),
        _req("lon", LONGITUDE, "longitude of the hotel"),
        _opt("office_id", IDENTIFIER, "serving office; empty: the nearest office"),
        _opt("zone", _enum(Zone), "zone (POLICY.md 4); empty: derived from distance and city"),
        _req("level", _enum(Level), "service level, weighs in priority (POLICY.md 4)"),
        _req("licensed", BOOLEAN, "holds a legal licence (POLICY.md 1)"),
        _req("purchase_date", DATE, "purchase date; the first year is free (POLICY.md 1)"),
        _opt("paid_periods", PERIODS, "paid service periods (POLICY.md 1)", ()),
        _req("product_version", VERSION, "installed version (POLICY.md 2)"),
        _opt("custom_modules", WORDS, "custom modules, never upgraded (POLICY.md 2)", frozenset()),
        _opt("upgrade_agreement", BOOLEAN, "has a major-upgrade agreement (POLICY.md 2)", False),
        _opt("contact_name", TEXT, "contact on site", ""),
        _opt("contact_phone", TEXT, "contact's phone", ""),
    ),
)

REQUESTS = FileKind(
    "requests",
    key="request_ref",
    record=ServiceRequest,
    description="Received service, training and health-check requests.",
    columns=(
        _req("request_ref", IDENTIFIER, "unique reference of the request"),
        _req("customer_id", IDENTIFIER, "the requesting customer"),
        _req("kind", _enum(Kind), "kind of work (POLICY.md 3)"),
        _opt("subtype", WORD, "install, configure, troubleshoot, upgrade…; empty: the kind", ""),
        _req("urgency", _enum(Urgency), "urgency, weighs in priority (POLICY.md 4)"),
        _req("channel", _enum(Channel), "how the request came in"),
        _req("received_at", DATETIME, "when the request was logged; starts the clock"),
        _req("duration_hours", HOURS, "hours on site per visit (per session for training)"),
        _opt("sessions", COUNT, "days of training, one visit each (training only)", 1),
        _opt("required_skills", WORDS, "skills the engineer needs", frozenset()),
        _opt("target_version", VERSION, "version to install (upgrades: required)"),
        _opt("module", WORD, "module to upgrade (upgrades)"),
        _opt("backup_confirmed", BOOLEAN, "customer confirmed the backup (POLICY.md 1)", False),
        _opt("window_start", DATE, "first date the customer accepts"),
        _opt("window_end", DATE, "last date the customer accepts"),
        _opt("emergency", BOOLEAN, "dispatcher marks an emergency (POLICY.md 4)", False),
        _opt("notes", TEXT, "free notes", ""),
    ),
)

OFFICE_CALENDAR = FileKind(
    "office_calendar",
    key="",  # the pair (office_id, date) is unique; checked by the reader
    record=CalendarDay,
    description=(
        "Optional. Per-office exceptions to the official calendar (POLICY.md 4): "
        "extra days off (`working` false) and extra working days (`working` true)."
    ),
    columns=(
        _req("office_id", IDENTIFIER, "the office"),
        _req("date", DATE, "the day"),
        _req("working", BOOLEAN, "true: the office works that day; false: a day off"),
        _opt("note", TEXT, "why, e.g. company outing", ""),
    ),
    optional=True,
)

CONTRACT: dict[str, FileKind] = {
    spec.kind: spec for spec in (OFFICES, OFFICE_CALENDAR, ENGINEERS, CUSTOMERS, REQUESTS)
}


def format_cell(column: Column, value: Any) -> str:
    """The cell text of `value` for `column`; None and empty lists give an empty cell."""
    if value is None:
        return ""
    if isinstance(value, frozenset | tuple) and not value:
        return ""
    return column.type.format(value)


def to_row(kind: str, record: object) -> dict[str, str]:
    """The cells of one record of `kind`, in the contract's column order."""
    spec = CONTRACT[kind]
    return {
        column.name: format_cell(column, getattr(record, column.name)) for column in spec.columns
    }


def render_markdown() -> str:
    """The data contract as Markdown: one table per file (source of docs/data-contract.md)."""
    lines = [
        "# Data contract",
        "",
        "<!-- Generated from scheduling/contract.py by `python -m scheduling.contract > "
        "docs/data-contract.md`; edit contract.py, not this file. -->",
        "",
        "A vendor hands fieldplan a folder holding `offices`, `engineers`, `customers` and "
        "`requests` (and optionally `office_calendar`), each as `.csv` or `.xlsx`, or one "
        "such file. Files are loaded in that order.",
        "",
        "- **Encodings.** CSV may be UTF-8 with or without BOM, GBK/GB18030 (Chinese Excel's "
        'plain "CSV") or UTF-16 with BOM; a file that is none of them is refused as a '
        "whole. XLSX: the sheet named like the file kind, else the first sheet. Format "
        "versions and ids as text in Excel (a number cell `9.10` reads `9.1`).",
        "- **Header.** The first row names the columns, in any order and case. Extra "
        "columns are ignored; an absent optional column takes its default; an absent "
        "required column refuses the file and every row in it (`missing_column`).",
        "- **Cells.** Leading and trailing spaces are ignored. An empty optional cell takes "
        "the default; an empty required cell is refused (`missing_value`). Lists are "
        "`;`-separated. Times need their UTC offset.",
        "- **Errors** name the file, the spreadsheet row (the header is row 1), the column, "
        "the value and why, e.g. `requests.csv:7 received_at='2026-11-31 10:00': not an "
        "ISO 8601 time with offset, e.g. 2026-11-27T10:15+08:00`. A refused row is still "
        "stored with its reason (POLICY.md 1: 100 % of received requests are logged).",
        "",
        "Rules across cells and files:",
        "",
        "- an id (`office_id`, `engineer_id`, `customer_id`, `request_ref`; `office_id` + "
        "`date` in `office_calendar`) appears once per file: the second and later rows are "
        "refused `duplicate_ref`;",
        "- references must exist: an engineer's or customer's `office_id`, a request's "
        "`customer_id`, a calendar day's `office_id` (`unknown_reference`);",
        "- `home_lat` and `home_lon` go together; `window_start` ≤ `window_end`; "
        "`sessions` > 1 only for a training; an `upgrade` needs `target_version`;",
        "- entitlement (licence, validity, upgrade rules) is judged after intake "
        "(POLICY.md 1–2): such a row is read here and refused or held there.",
        "",
    ]
    for spec in CONTRACT.values():
        suffix = " (optional file)" if spec.optional else ""
        lines += [f"## `{spec.kind}`{suffix}", "", spec.description, ""]
        lines += ["| column | required | format | default | meaning |", "|---|---|---|---|---|"]
        for column in spec.columns:
            if column.required:
                default = ""
            elif column.default in (None, "", (), frozenset()):
                default = "empty"
            else:
                default = f"`{format_cell(column, column.default)}`"
            lines.append(
                f"| `{column.name}` | {'yes' if column.required else 'no'} | {column.type.doc} "
                f"| {default} | {column.description} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(render_markdown(), end="")
