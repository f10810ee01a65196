"""Reading the vendor's files: every row read or refused with file, row, column, value, why."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.contract import CONTRACT, CalendarDay, to_row
from scheduling.generate import generate_dataset, write_dataset
from scheduling.intake import (
    KINDS,
    IntakeError,
    ParsedFile,
    RowError,
    decode_text,
    find_files,
    parse_file,
    parse_folder,
    parse_request_params,
    parse_rows,
)
from scheduling.model import Customer, Kind, Level, Office, ServiceRequest, Urgency

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=timezone(timedelta(hours=8)))
DATA = Path(__file__).resolve().parent.parent / "data"
TINY = DATA / "tiny"
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
SAMPLE_NOW = datetime(2026, 11, 30, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

REQUEST_HEADER = "request_ref,customer_id,kind,subtype,urgency,channel,received_at,duration_hours"


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def requests_file(tmp_path: Path, *rows: str, header: str = REQUEST_HEADER) -> ParsedFile:
    path = write(tmp_path, "requests.csv", "\n".join([header, *rows]) + "\n")
    return parse_file(path)


def only_error(parsed: ParsedFile) -> RowError:
    assert len(parsed.errors) == 1, parsed.errors
    return parsed.errors[0]


GOOD = "R1,C1,onsite_service,troubleshoot,P2,hotline,2026-11-27T10:15+08:00,2"


def test_tiny_folder_reads_every_row_and_refuses_the_unknown_customer():
    """The tiny fixture reads completely; its request for an unknown customer is refused."""
    files = {parsed.kind: parsed for parsed in parse_folder(TINY)}
    assert list(files) == list(KINDS)
    assert [len(files[k].rows) for k in KINDS] == [2, 3, 5, 6]
    assert [len(files[k].records) for k in KINDS] == [2, 3, 5, 5]
    (error,) = files["requests"].errors
    assert (error.row, error.column, error.value, error.code) == (
        7,
        "customer_id",
        "C999",
        "unknown_reference",
    )


def test_valid_row_gives_the_domain_record_with_defaults(tmp_path):
    """A valid row yields a ServiceRequest; absent optional columns take their defaults."""
    (row,) = requests_file(tmp_path, GOOD).rows
    assert row.errors == ()
    assert row.record == ServiceRequest(
        request_ref="R1",
        customer_id="C1",
        kind=Kind.ONSITE_SERVICE,
        subtype="troubleshoot",
        urgency=Urgency.P2,
        channel="hotline",
        received_at=datetime(2026, 11, 27, 10, 15, tzinfo=timezone(timedelta(hours=8))),
        duration_hours=Decimal("2"),
    )


def test_error_names_file_row_column_value_and_why(tmp_path):
    """A malformed time is refused with file:row column='value': reason (header = row 1)."""
    bad = GOOD.replace("2026-11-27T10:15+08:00", "2026-11-31 10:00").replace("R1", "R2")
    parsed = requests_file(tmp_path, GOOD, GOOD.replace("R1", "R3"), "", bad)
    error = only_error(parsed)
    assert str(error) == (
        "requests.csv:5 received_at='2026-11-31 10:00': "
        "not an ISO 8601 time with offset, e.g. 2026-11-27T10:15+08:00"
    )
    assert parsed.rows[-1].record is None


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("received_at", "2026-11-27T10:15", "needs its offset"),
        ("duration_hours", "-1", "more than 0 hours"),
        ("duration_hours", "two", "not a number of hours"),
        ("kind", "repair", "not one of onsite_service, training, health_check"),
        ("urgency", "P5", "not one of P1, P2, P3, P4"),
        ("channel", "fax", "not one of web, hotline, remote, im"),
        ("customer_id", "C 1", "must not contain spaces"),
    ],
)
def test_bad_cells_are_refused_with_the_reason(tmp_path, column, value, reason):
    """Each cell is checked against its column's type; the error names column and value."""
    header = REQUEST_HEADER.split(",")
    cells = GOOD.split(",")
    cells[header.index(column)] = value
    error = only_error(requests_file(tmp_path, ",".join(cells)))
    assert (error.file, error.row, error.column, error.value) == ("requests.csv", 2, column, value)
    assert reason in error.reason


@pytest.mark.parametrize(
    ("extra_header", "extra_cells", "column", "reason"),
    [
        (",sessions", ",3", "sessions", "only a training"),
        (",window_start,window_end", ",2026-12-10,2026-12-01", "window_end", "ends before"),
        (",window_start", ",2026-02-30", "window_start", "no such day"),
        (",window_start", ",30/11/2026", "window_start", "YYYY-MM-DD"),
        (",window_start", ",2026/12/1", "window_start", "Excel may have reformatted it"),
        (",target_version", ",9.1", "target_version", "such as 9.12"),
        (",emergency", ",maybe", "emergency", "yes/no"),
    ],
)
def test_row_rules_tie_cells_together(tmp_path, extra_header, extra_cells, column, reason):
    """Cross-cell rules (windows ordered, sessions for trainings only) and formats hold."""
    parsed = requests_file(tmp_path, GOOD + extra_cells, header=REQUEST_HEADER + extra_header)
    error = only_error(parsed)
    assert error.column == column
    assert reason in error.reason


def test_upgrade_needs_a_target_version(tmp_path):
    """An upgrade without the version to install is refused on target_version."""
    error = only_error(requests_file(tmp_path, GOOD.replace("troubleshoot", "upgrade")))
    assert (error.column, error.row) == ("target_version", 2)


def test_empty_required_cell_is_missing_value(tmp_path):
    """A required cell left empty is refused as missing_value."""
    error = only_error(requests_file(tmp_path, GOOD.replace(",P2,", ",,")))
    assert (error.column, error.code) == ("urgency", "missing_value")


def test_duplicate_refs_refuse_the_second_and_later_rows(tmp_path):
    """Inside one file the first row with a request_ref wins; later ones are duplicate_ref."""
    parsed = requests_file(tmp_path, GOOD, GOOD.replace("R1", "R2"), GOOD, GOOD)
    assert [row.record is not None for row in parsed.rows] == [True, True, False, False]
    errors = parsed.errors
    assert [(e.row, e.code, e.value) for e in errors] == [
        (4, "duplicate_ref", "R1"),
        (5, "duplicate_ref", "R1"),
    ]
    assert "duplicate of row 2" in errors[0].reason


def test_extra_columns_are_ignored_and_header_case_does_not_matter(tmp_path):
    """Columns the contract does not know are ignored; header names are case-insensitive."""
    header = " Request_Ref ," + REQUEST_HEADER.split(",", 1)[1] + ",internal_note"
    parsed = requests_file(tmp_path, GOOD + ",ignore me", header=header)
    assert parsed.errors == []
    assert parsed.rows[0].raw["internal_note"] == "ignore me"


def test_missing_required_columns_are_a_file_error_naming_them(tmp_path):
    """A file without required columns fails as a whole, and every row is refused."""
    header = "request_ref,customer_id,kind,urgency,channel"
    parsed = requests_file(tmp_path, "R1,C1,training,P3,web", header=header)
    (file_error,) = parsed.file_errors
    assert file_error.code == "missing_column"
    assert str(file_error) == (
        "requests.csv: required column(s) missing: received_at, duration_hours"
    )
    (row,) = parsed.rows
    assert row.record is None
    assert {e.column for e in row.errors} == {"received_at", "duration_hours"}


def test_overlong_row_is_refused(tmp_path):
    """A row with more non-empty cells than the header (a stray comma) is refused."""
    parsed = requests_file(tmp_path, GOOD + ",oops")
    assert "stray comma" in only_error(parsed).reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [("是", True), ("否", False), ("Yes", True), ("0", False), ("TRUE", True), ("no", False)],
)
def test_booleans_accept_the_usual_spellings(tmp_path, text, expected):
    """Booleans read true/false, yes/no, 1/0 and 是/否."""
    parsed = requests_file(tmp_path, GOOD + "," + text, header=REQUEST_HEADER + ",backup_confirmed")
    assert parsed.records[0].backup_confirmed is expected


def test_lists_and_paid_periods_are_semicolon_separated(tmp_path):
    """Skills, modules and paid periods split on ';' and ignore blanks around items."""
    path = write(
        tmp_path,
        "customers.csv",
        "customer_id,name,city,address,lat,lon,level,licensed,purchase_date,paid_periods,"
        "product_version,custom_modules\n"
        "C1,Hotel,Guangzhou,Road 1,23.1,113.2,A,yes,2024-01-01,"
        '"2025-01-01..2025-12-31; 2026-01-01..2026-12-31",9.12," spa ; banquet ;"\n',
    )
    (customer,) = parse_file(path).records
    assert isinstance(customer, Customer)
    assert [(p.start, p.end) for p in customer.paid_periods] == [
        (date(2025, 1, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 12, 31)),
    ]
    assert customer.custom_modules == frozenset({"spa", "banquet"})
    assert customer.level is Level.A


def test_bad_paid_period_names_the_period(tmp_path):
    """A paid period that ends before it starts is refused, quoting the period."""
    path = write(
        tmp_path,
        "customers.csv",
        "customer_id,name,city,address,lat,lon,level,licensed,purchase_date,paid_periods,"
        "product_version\n"
        "C1,Hotel,Guangzhou,Road 1,23.1,113.2,A,yes,2024-01-01,2025-12-31..2025-01-01,9.12\n",
    )
    error = only_error(parse_file(path))
    assert error.column == "paid_periods"
    assert "'2025-12-31..2025-01-01' ends before it starts" in error.reason


@pytest.mark.parametrize("name", ["customers-gbk.csv", "customers-bom.csv"])
def test_chinese_excel_exports_load(name):
    """Files from Chinese Excel, GBK or UTF-8 with BOM, read to the same Chinese text."""
    parsed = parse_file(DATA / "encodings" / name, "customers")
    assert parsed.errors == []
    first, second = parsed.records
    assert (first.name, first.address, first.contact_name) == (
        "广州白云宾馆",
        "环市东路367号",
        "黄小姐",
    )
    assert (first.licensed, second.licensed) == (True, False)


def test_neither_utf8_nor_gbk_is_a_clear_file_error(tmp_path):
    """Bytes that are neither UTF-8 nor GB18030 give one file error saying what to do."""
    path = tmp_path / "offices.csv"
    path.write_bytes(b"office_id,name\n\x80\x80\xff,x\n")
    error = only_error(parse_file(path))
    assert error.code == "encoding"
    assert "neither UTF-8 nor GBK/GB18030" in str(error)
    with pytest.raises(ValueError):
        decode_text(b"\xff\xff")


def test_workbook_named_csv_is_a_file_error(tmp_path):
    """An .xlsx renamed .csv is recognised and refused with a hint."""
    path = tmp_path / "offices.csv"
    path.write_bytes(b"PK\x03\x04rest-of-a-zip")
    assert "Excel workbook" in only_error(parse_file(path)).reason


def test_unknown_file_name_and_missing_file(tmp_path):
    """A file whose name is no contract kind, or that does not exist, is a file error."""
    assert only_error(parse_file(write(tmp_path, "stuff.csv", "a\n1\n"))).code == "unknown_file"
    assert only_error(parse_file(tmp_path / "requests.csv")).code == "not_found"


def test_find_files_refuses_both_csv_and_xlsx(tmp_path):
    """A folder with requests.csv and requests.xlsx is ambiguous and refused."""
    write(tmp_path, "requests.csv", REQUEST_HEADER + "\n")
    write(tmp_path, "requests.xlsx", "")
    with pytest.raises(IntakeError, match=r"both requests\.csv and requests\.xlsx"):
        find_files(tmp_path)


def test_find_files_refuses_a_folder_without_data(tmp_path):
    """A folder without any contract file is refused, saying what was expected."""
    write(tmp_path, "notes.txt", "hello")
    with pytest.raises(IntakeError, match="no data file found"):
        find_files(tmp_path)


def test_office_calendar_days_reach_the_offices(tmp_path):
    """office_calendar rows become the office's extra days off and extra working days."""
    write(tmp_path, "offices.csv", (TINY / "offices.csv").read_text())
    write(
        tmp_path,
        "office_calendar.csv",
        "office_id,date,working,note\n"
        "GZ,2026-12-24,false,company outing\n"
        "GZ,2026-12-26,true,stock-take Saturday\n"
        "GZ,2026-12-24,false,twice\n"
        "XX,2026-12-24,false,no such office\n",
    )
    files = {parsed.kind: parsed for parsed in parse_folder(tmp_path)}
    assert list(files) == ["offices", "office_calendar"]
    gz = next(o for o in files["offices"].records if o.office_id == "GZ")
    assert isinstance(gz, Office)
    assert gz.extra_days_off == (date(2026, 12, 24),)
    assert gz.extra_working_days == (date(2026, 12, 26),)
    assert files["office_calendar"].records[0] == CalendarDay(
        "GZ", date(2026, 12, 24), False, "company outing"
    )
    assert [(e.row, e.code) for e in files["office_calendar"].errors] == [
        (4, "duplicate_ref"),
        (5, "unknown_reference"),
    ]


def test_request_params_read_like_a_row():
    """A request entered as parameters reads typed or text values like a file row."""
    row = parse_request_params(
        request_ref="UI-1",
        customer_id="C001",
        kind="training",
        urgency="P3",
        channel="web",
        received_at=datetime(2026, 11, 30, 9, 0, tzinfo=timezone(timedelta(hours=8))),
        duration_hours=7,
        sessions=3,
        required_skills=["training", "pms"],
        window_start=date(2026, 12, 7),
        window_end="2026-12-11",
    )
    assert row.errors == ()
    assert row.record.sessions == 3
    assert row.record.subtype == "training"
    assert row.record.required_skills == frozenset({"training", "pms"})


def test_request_params_errors_name_the_field():
    """Bad parameters are refused naming the field and value; unknown fields are refused."""
    row = parse_request_params(
        request_ref="UI-2",
        customer_id="C001",
        kind="onsite_service",
        urgency="P1",
        channel="web",
        received_at="2026-11-30 09:00",
        duration_hours=2,
        colour="red",
    )
    assert row.record is None
    assert {str(e) for e in row.errors} == {
        "parameters colour='red': not a field of a request; expected one of "
        "request_ref, customer_id, kind, subtype, urgency, channel, received_at, "
        "duration_hours, sessions, required_skills, target_version, module, backup_confirmed,"
        " window_start, window_end, emergency, notes",
        "parameters received_at='2026-11-30 09:00': an ISO 8601 time needs its offset, "
        "e.g. 2026-11-27T10:15+08:00",
    }


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_generate_write_parse_gives_equal_objects(tmp_path, fmt):
    """What the generator writes, CSV or XLSX, reads back to equal domain objects."""
    data = generate_dataset(60, 8, seed=21, now=NOW)
    day_off = CalendarDay("SH", date(2026, 12, 4), False, "office move")
    data = replace(data, office_calendar=(day_off,))
    write_dataset(data, tmp_path, fmt)
    files = {parsed.kind: parsed for parsed in parse_folder(tmp_path)}
    assert [parsed.errors for parsed in files.values()] == [[]] * 5
    expected_offices = tuple(
        replace(o, extra_days_off=(day_off.date,)) if o.office_id == "SH" else o
        for o in data.offices
    )
    assert tuple(files["offices"].records) == expected_offices
    assert tuple(files["office_calendar"].records) == data.office_calendar
    assert tuple(files["engineers"].records) == data.engineers
    assert tuple(files["customers"].records) == data.customers
    assert tuple(files["requests"].records) == data.requests


def test_xlsx_typed_cells_read_as_their_text(tmp_path):
    """Excel's typed cells (numbers, dates, booleans) read like their text in a CSV."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["office_id", "date", "working", "note"])
    sheet.append(["GZ", datetime(2026, 12, 24), False, 7])
    sheet.append(["GZ", date(2026, 12, 26), True, 1.5])
    workbook.save(tmp_path / "office_calendar.xlsx")
    parsed = parse_file(tmp_path / "office_calendar.xlsx")
    assert parsed.errors == []
    assert parsed.records == [
        CalendarDay("GZ", date(2026, 12, 24), False, "7"),
        CalendarDay("GZ", date(2026, 12, 26), True, "1.5"),
    ]


def test_sample_folder_refuses_exactly_its_hand_written_rows():
    """data/sample reads completely; intake refuses exactly the four hand-written bad rows."""
    files = {parsed.kind: parsed for parsed in parse_folder(SAMPLE)}
    assert {kind: len(parsed.rows) for kind, parsed in files.items()} == {
        "offices": 3,
        "office_calendar": 3,
        "engineers": 25,
        "customers": 150,
        "requests": 125,
    }
    refused = {(e.row, e.column, e.code) for e in files["requests"].errors}
    assert refused == {
        (122, "customer_id", "unknown_reference"),
        (123, "received_at", "invalid"),
        (124, "request_ref", "duplicate_ref"),
        (125, "duration_hours", "invalid"),
    }
    assert all(files[kind].errors == [] for kind in files if kind != "requests")


def test_sample_folder_is_what_its_rebuild_script_writes(tmp_path):
    """The committed sample equals the generator's output for its seed (no hand drift)."""
    data = generate_dataset(120, 25, seed=7, now=SAMPLE_NOW, offices=3, customers=150)
    write_dataset(data, tmp_path)
    for kind in ("offices", "engineers", "customers"):
        assert (SAMPLE / f"{kind}.csv").read_text() == (tmp_path / f"{kind}.csv").read_text()
    generated = (tmp_path / "requests.csv").read_text()
    assert (SAMPLE / "requests.csv").read_text().startswith(generated)


# Texts that broke, or could break, a parser: NaN and infinities, a time-zone folder,
# Unicode digits, full-width digits, impossible dates, Excel's reformatting.
TRICKY = (
    "Asia", "NaN", "sNaN", "inf", "-inf", "1e400", "-0", "0", "1", "２", "٣", "1_000",
    "0x10", "9.1", "9.12", "2026-02-29", "2028-02-29", "2026-13-01", "2026/11/27 10:15",
    "2026-11-27T10:15+08:00", "2026-11-27T10:15", "是", "否", "..", ";", "a;b c",
    "2026-01-01..2025-01-01", "P1", "CN", "A", "city", "training", "upgrade", " ",
)  # fmt: skip


@pytest.mark.parametrize("kind", list(CONTRACT))
@settings(max_examples=80, deadline=None)
@given(cells=st.lists(st.one_of(st.sampled_from(TRICKY), st.text(max_size=12)), max_size=20))
def test_any_cell_text_is_read_or_refused_never_crashes(kind, cells):
    """Whatever the cells hold, the reader returns a record or errors naming row and value."""
    spec = CONTRACT[kind]
    header = list(spec.column_names)
    rows, _ = parse_rows(spec, "data.csv", header, [(2, cells)])
    for row in rows:
        assert (row.record is None) == bool(row.errors)
        for error in row.errors:
            assert (error.file, error.row) == ("data.csv", 2)
            if error.column in row.raw:
                assert error.value == row.raw[error.column]


def test_workbook_sheet_named_like_the_kind_is_read(tmp_path):
    """In a workbook with several sheets, the one named like the file kind is read."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "notes"
    workbook.active.append(["nothing", "here"])
    sheet = workbook.create_sheet("offices")
    sheet.append(["office_id", "name", "city", "lat", "lon"])
    sheet.append(["GZ", "Guangzhou", "Guangzhou", 23.1291, 113.2644])
    workbook.save(tmp_path / "offices.xlsx")
    (office,) = parse_file(tmp_path / "offices.xlsx").records
    assert (office.office_id, office.lat, office.calendar) == ("GZ", 23.1291, "CN")


def test_every_tricky_text_in_every_column_is_read_or_refused():
    """Each tricky text put in each column of a valid row is read or refused, never a crash."""
    data = generate_dataset(10, 3, seed=1, now=NOW)
    data = replace(data, office_calendar=(CalendarDay("GZ", date(2026, 12, 4), False),))
    samples = {
        "offices": data.offices[0],
        "office_calendar": data.office_calendar[0],
        "engineers": data.engineers[0],
        "customers": data.customers[0],
        "requests": data.requests[0],
    }
    for kind, record in samples.items():
        spec = CONTRACT[kind]
        valid = to_row(kind, record)
        header = list(valid)
        for column in header:
            for text in TRICKY:
                cells = [text if name == column else valid[name] for name in header]
                (row,) = parse_rows(spec, "data.csv", header, [(2, cells)])[0]
                assert (row.record is None) == bool(row.errors), (kind, column, text)
                for error in row.errors:
                    assert error.column in header, (kind, column, text, error)
                    assert error.value == row.raw[error.column]
