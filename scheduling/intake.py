"""Pure readers of the vendor's files: every cell checked against the data contract.

No database here: the readers return what they read, row by row, with the domain record when
the row is valid and the errors when it is not, so the caller can store every received row
(POLICY.md 1, seed 四.2: 100 % of received requests are logged). Columns and cell formats
come from :data:`scheduling.contract.CONTRACT`.

CSV files may be UTF-8 (with or without BOM), GBK/GB18030 (Chinese Excel's "CSV") or UTF-16
with BOM (Excel's "Unicode text"); XLSX workbooks are read with openpyxl.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from scheduling.contract import CONTRACT, CalendarDay, CellError, FileKind
from scheduling.model import Kind, Office

KINDS = ("offices", "engineers", "customers", "requests")  # load order
OPTIONAL_KINDS = ("office_calendar",)
LOAD_ORDER = ("offices", "office_calendar", "engineers", "customers", "requests")
SUFFIXES = (".csv", ".xlsx")

# Which column of which kind refers to the key of which other kind.
REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "office_calendar": (("office_id", "offices"),),
    "engineers": (("office_id", "offices"),),
    "customers": (("office_id", "offices"),),
    "requests": (("customer_id", "customers"),),
}

PARAMETERS_FILE = "parameters"


class IntakeError(ValueError):
    """A folder that cannot be read as a whole (missing, empty, ambiguous files)."""


@dataclass(frozen=True)
class RowError:
    """Why a row (or, with `row` None, a whole file) was refused."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str
    code: str = "invalid"  # invalid, missing_value, missing_column, duplicate_ref, ...

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}:{self.row}"
        if self.column is not None:
            where += f" {self.column}" if self.value is None else f" {self.column}={self.value!r}"
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class ParsedRow:
    """One data row: its spreadsheet number, raw cells, record when valid, and errors."""

    row: int
    raw: dict[str, str]
    record: object | None
    errors: tuple[RowError, ...]

    @property
    def ok(self) -> bool:
        """True when the row gave a record and has no error."""
        return self.record is not None and not self.errors


@dataclass(frozen=True)
class ParsedFile:
    """One file read against the contract of `kind`."""

    path: Path
    kind: str
    rows: tuple[ParsedRow, ...]
    file_errors: tuple[RowError, ...]

    @property
    def records(self) -> list[object]:
        """The domain records of the valid rows, in file order."""
        return [row.record for row in self.rows if row.ok]

    @property
    def errors(self) -> list[RowError]:
        """File errors, then every row's errors, in file order."""
        return [*self.file_errors, *(error for row in self.rows for error in row.errors)]


class _FileProblem(Exception):
    def __init__(self, reason: str, code: str = "unreadable") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


# --- reading tables -----------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes; returns (text, encoding). Raises ValueError naming what was tried.

    Order matters: UTF-8 is tried first because GB18030 would also accept most UTF-8 bytes
    (as the wrong characters); UTF-8 text almost never decodes by accident from GBK bytes.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data:
        raise ValueError("not a text file (it holds NUL bytes); save it as 'CSV UTF-8'")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ValueError(
        "the file is neither UTF-8 nor GBK/GB18030 text; save it from Excel as 'CSV UTF-8'"
    )


def _read_csv(path: Path) -> list[tuple[int, list[str]]]:
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        raise _FileProblem("this is an Excel workbook, not CSV: name it .xlsx")
    try:
        text, _ = decode_text(data)
    except ValueError as exc:
        raise _FileProblem(str(exc), "encoding") from None
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise _FileProblem(f"not readable as CSV: {exc}") from None
    return [(number, cells) for number, cells in enumerate(records, start=1)]


def _xlsx_text(value: Any) -> str:
    # Excel turns typed cells into numbers and dates; bring them back to contract text.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if value.tzinfo is None and value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _read_xlsx(path: Path, kind: str) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # only when a workbook comes in
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise _FileProblem(f"not a readable .xlsx workbook: {exc}") from None
    try:
        sheet = workbook[kind] if kind in workbook.sheetnames else workbook.worksheets[0]
        return [
            (number, [_xlsx_text(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()


def kind_of(path: Path) -> str | None:
    """The contract kind a file name stands for (`requests.csv` -> requests), else None."""
    stem = path.stem.strip().lower()
    return stem if stem in CONTRACT else None


def find_files(folder: Path) -> dict[str, Path]:
    """The contract files in `folder`, as kind -> path, in load order.

    Raises :class:`IntakeError` when the folder is missing, holds no contract file, or holds
    one kind both as .csv and .xlsx (which one is meant would be a guess).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise IntakeError(f"{folder}: not a folder")
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        kind = kind_of(path)
        if path.is_file() and path.suffix.lower() in SUFFIXES and kind is not None:
            found.setdefault(kind, []).append(path)
    for kind, paths in found.items():
        if len(paths) > 1:
            names = " and ".join(p.name for p in paths)
            raise IntakeError(f"{folder}: both {names} hold {kind}; keep one of them")
    if not found:
        expected = ", ".join(f"{kind}.csv" for kind in KINDS)
        raise IntakeError(f"{folder}: no data file found (expected {expected} or .xlsx)")
    return {kind: found[kind][0] for kind in LOAD_ORDER if kind in found}


# --- parsing rows -------------------------------------------------------------------------


def _normalise_header(cells: list[str]) -> list[str]:
    return [cell.strip().lstrip("\ufeff").strip().lower() for cell in cells]


def _check_row(spec: FileKind, values: dict[str, Any], error: Any) -> None:
    """Rules that tie several cells of one row together."""
    if spec.kind == "engineers":
        if (values.get("home_lat") is None) != (values.get("home_lon") is None):
            error("home_lon", "home_lat and home_lon go together: give both or neither")
    elif spec.kind == "requests":
        start, end = values.get("window_start"), values.get("window_end")
        if start is not None and end is not None and end < start:
            error("window_end", f"the window ends before it starts ({start})")
        kind = values.get("kind")
        if values.get("sessions", 1) > 1 and kind is not None and kind is not Kind.TRAINING:
            error("sessions", "only a training has more than one session")
        if kind is not None and not values.get("subtype"):
            values["subtype"] = kind.value
        if values.get("subtype") == "upgrade" and values.get("target_version") is None:
            error("target_version", "an upgrade needs the version to install")


def _parse_row(
    spec: FileKind,
    file: str,
    number: int | None,
    raw: Mapping[str, str],
    missing: Iterable[str] = (),
) -> tuple[object | None, list[RowError]]:
    errors: list[RowError] = []

    def error(column: str, reason: str, code: str = "invalid") -> None:
        errors.append(RowError(file, number, column, raw.get(column), reason, code))

    values: dict[str, Any] = {}
    for column in spec.columns:
        text = (raw.get(column.name) or "").strip()
        if column.name in missing:
            errors.append(
                RowError(
                    file,
                    number,
                    column.name,
                    None,
                    "column missing from the file",
                    code="missing_column",
                )
            )
            continue
        if not text:
            if column.required:
                error(column.name, "a value is required", "missing_value")
            else:
                values[column.name] = column.default
            continue
        try:
            values[column.name] = column.type.parse(text)
        except CellError as exc:
            error(column.name, str(exc))
    if not errors:
        _check_row(spec, values, error)
    if errors:
        return None, errors
    return spec.record(**values), []


def _key_of(spec: FileKind, raw: Mapping[str, str]) -> str | None:
    if spec.kind == "office_calendar":
        office, day = (raw.get("office_id") or "").strip(), (raw.get("date") or "").strip()
        return f"{office} {day}" if office and day else None
    return (raw.get(spec.key) or "").strip() or None


def parse_rows(
    spec: FileKind, file: str, header: list[str], body: Iterable[tuple[int, list[str]]]
) -> tuple[tuple[ParsedRow, ...], tuple[RowError, ...]]:
    """Parse a table already split in cells; returns (rows, file errors)."""
    file_errors: list[RowError] = []
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        if not name:
            continue
        if name in columns:
            reason = "column appears twice in the header; the first one is read"
            file_errors.append(RowError(file, 1, name, None, reason, code="duplicate_column"))
            continue
        columns[name] = index
    missing = [name for name in spec.required if name not in columns]
    if missing:
        reason = f"required column(s) missing: {', '.join(missing)}"
        file_errors.append(RowError(file, None, None, None, reason, code="missing_column"))
    rows: list[ParsedRow] = []
    seen: dict[str, int] = {}
    for number, cells in body:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are not rows a user meant
        raw = {
            name: (cells[index] if index < len(cells) else "") for name, index in columns.items()
        }
        record, errors = _parse_row(spec, file, number, raw, missing)
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
            reason = (
                f"the row has {len(cells)} cells but the header only {len(header)} "
                "(a stray comma or quote?)"
            )
            errors.append(RowError(file, number, None, None, reason))
            record = None
        key = _key_of(spec, raw)
        if key is not None:
            if key in seen:
                column = spec.key or "date"
                reason = f"duplicate of row {seen[key]}; only the first is read"
                errors.append(
                    RowError(file, number, column, raw.get(column), reason, code="duplicate_ref")
                )
                record = None
            else:
                seen[key] = number
        rows.append(ParsedRow(number, raw, record, tuple(errors)))
    return tuple(rows), tuple(file_errors)


def parse_file(path: Path, kind: str | None = None) -> ParsedFile:
    """Read one .csv or .xlsx file of `kind` (else the kind its name says) row by row.

    Never raises for bad content: an unreadable file or a missing required column gives
    `file_errors`; each row carries its own errors, and its domain record when valid. When
    required columns are missing, every row also carries a `missing_column` error, so every
    received row can still be stored as refused.
    """
    path = Path(path)
    if kind is not None and kind not in CONTRACT:
        raise ValueError(f"unknown file kind {kind!r}; expected one of {', '.join(CONTRACT)}")
    kind = kind or kind_of(path)
    try:
        if kind is None:
            names = ", ".join(f"{k}.csv" for k in LOAD_ORDER)
            raise _FileProblem(
                f"cannot tell what the file holds from its name; expected one of {names} "
                "(or .xlsx)",
                "unknown_file",
            )
        if not path.is_file():
            raise _FileProblem("file not found", "not_found")
        suffix = path.suffix.lower()
        if suffix not in SUFFIXES:
            raise _FileProblem("expected a .csv or .xlsx file", "unknown_file")
        try:
            table = _read_xlsx(path, kind) if suffix == ".xlsx" else _read_csv(path)
        except OSError as exc:
            raise _FileProblem(f"cannot read: {exc}") from None
        if not table:
            raise _FileProblem("the file is empty", "missing_column")
    except _FileProblem as problem:
        error = RowError(path.name, None, None, None, problem.reason, problem.code)
        return ParsedFile(path, kind or path.stem, (), (error,))
    (_, header_cells), body = table[0], table[1:]
    rows, file_errors = parse_rows(CONTRACT[kind], path.name, _normalise_header(header_cells), body)
    return ParsedFile(path, kind, rows, file_errors)


# --- cross-file checks --------------------------------------------------------------------


def check_references(
    files: list[ParsedFile], known: Mapping[str, Iterable[str]] | None = None
) -> list[ParsedFile]:
    """Refuse rows whose references point nowhere (a request for an unknown customer...).

    The ids a kind offers are those of its valid rows in `files`, plus `known[kind]` (e.g.
    ids already in the database). A reference to a kind neither in `files` nor in `known`
    is not checked here: whoever stores the row must check it.
    """
    known = known or {}
    offered: dict[str, set[str]] = {kind: set(ids) for kind, ids in known.items()}
    for parsed in files:
        spec = CONTRACT.get(parsed.kind)
        if spec is None or not spec.key:
            continue
        ids = offered.setdefault(parsed.kind, set())
        ids.update(getattr(record, spec.key) for record in parsed.records)
    checked = []
    for parsed in files:
        references = REFERENCES.get(parsed.kind, ())
        rows = []
        for row in parsed.rows:
            extra = []
            for column, target in references:
                if target not in offered:
                    continue
                value = (row.raw.get(column) or "").strip()
                if value and value not in offered[target]:
                    extra.append(
                        RowError(
                            parsed.path.name,
                            row.row,
                            column,
                            value,
                            f"unknown {target[:-1]}: not among the valid {target} read "
                            "nor those already stored",
                            "unknown_reference",
                        )
                    )
            if extra:
                row = replace(row, record=None, errors=(*row.errors, *extra))
            rows.append(row)
        checked.append(replace(parsed, rows=tuple(rows)))
    return checked


def apply_office_calendar(files: list[ParsedFile]) -> list[ParsedFile]:
    """Fill the offices' `extra_days_off` / `extra_working_days` from `office_calendar` rows."""
    days: dict[str, list[CalendarDay]] = {}
    for parsed in files:
        if parsed.kind == "office_calendar":
            for record in parsed.records:
                assert isinstance(record, CalendarDay)
                days.setdefault(record.office_id, []).append(record)
    if not days:
        return files
    result = []
    for parsed in files:
        if parsed.kind == "offices":
            rows = []
            for row in parsed.rows:
                office = row.record
                if isinstance(office, Office) and office.office_id in days:
                    own = sorted(days[office.office_id], key=lambda d: d.date)
                    office = replace(
                        office,
                        extra_days_off=tuple(d.date for d in own if not d.working),
                        extra_working_days=tuple(d.date for d in own if d.working),
                    )
                    row = replace(row, record=office)
                rows.append(row)
            parsed = replace(parsed, rows=tuple(rows))
        result.append(parsed)
    return result


def parse_folder(folder: Path) -> list[ParsedFile]:
    """Read every contract file of `folder`, in load order, references checked.

    Offices come back with their `office_calendar` days applied. Raises
    :class:`IntakeError` only when the folder as a whole cannot be read (see
    :func:`find_files`); bad files and rows are reported inside the result.
    """
    files = [parse_file(path, kind) for kind, path in find_files(Path(folder)).items()]
    return apply_office_calendar(check_references(files))


def parse_request_params(**fields: Any) -> ParsedRow:
    """Read one request entered as parameters (e.g. in the Prefect UI) like a file row.

    Values may be contract text or already typed (date, datetime, bool, list of skills,
    number); errors name the file as `parameters` and have no row number.
    """
    spec = CONTRACT["requests"]
    raw: dict[str, str] = {}
    for name, value in fields.items():
        raw[name] = _param_text(value)
    errors: list[RowError] = [
        RowError(
            PARAMETERS_FILE,
            None,
            name,
            raw[name],
            f"not a field of a request; expected one of {', '.join(spec.column_names)}",
        )
        for name in fields
        if name not in spec.column_names
    ]
    record, row_errors = _parse_row(spec, PARAMETERS_FILE, None, raw)
    errors += row_errors
    return ParsedRow(0, raw, None if errors else record, tuple(errors))


def _param_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return ";".join(str(item) for item in value)
    return str(value)
