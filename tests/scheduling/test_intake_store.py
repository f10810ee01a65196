"""Loading files into the database: every row kept, nothing twice, changes logged, per-file
transactions; on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from scheduling.model import RequestStatus
from scheduling.store import intake_store
from scheduling.store import repository as repo
from scheduling.store.db import session_scope
from scheduling.store.intake_store import IntakeError, load_path
from scheduling.store.models import (
    CustomerRow,
    IntakeLoadRow,
    IntakeRowRow,
    OfficeRow,
    RequestChangeRow,
    RequestRow,
)
from tests.scheduling.test_store import _plan, _visit


def _count(engine, model, *where) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def folder(tiny_dir, tmp_path) -> Path:
    """A private copy of the tiny data set the test may edit."""
    target = tmp_path / "tiny"
    shutil.copytree(tiny_dir, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_every_received_row_is_stored_and_counted(engine, folder):
    """received = accepted + refused for every file, and every row is in intake_rows."""
    report = load_path(engine, folder)
    assert [f.kind for f in report.files] == ["offices", "engineers", "customers", "requests"]
    for file in report.files:
        assert file.received == file.accepted + file.refused
        assert _count(engine, IntakeRowRow, IntakeRowRow.load_id == file.load_id) == file.received
    requests = report.file("requests")
    assert (requests.received, requests.accepted, requests.refused) == (6, 4, 2)
    assert report.received == report.accepted + report.refused == 16


def test_refused_rows_say_file_row_column_value_and_why(engine, folder):
    """A refused row is stored with its raw cells, and reported with file, row, column, value."""
    report = load_path(engine, folder)
    by_code = {e.code: e for e in report.refused_rows}
    unknown = by_code["unknown_customer"]
    assert (unknown.file, unknown.row, unknown.column, unknown.value) == (
        "requests.csv",
        7,
        "customer_id",
        "C999",
    )
    assert "not_licensed" in by_code
    with session_scope(engine) as session:
        row = session.scalars(
            select(IntakeRowRow).where(IntakeRowRow.reason_code == "unknown_customer")
        ).one()
        assert row.outcome == "refused" and row.raw["request_ref"] == "R-006"
        assert row.raw["notes"].startswith("unknown customer")
        # Entitlement refusals are kept as requests too, with the reason.
        refused = session.get(RequestRow, "R-005")
        assert refused.status == RequestStatus.REFUSED.value
        assert refused.reason_code == "not_licensed"


def test_loading_the_same_folder_twice_changes_nothing(engine, folder):
    """The second load creates no request and logs no change; every stored row is unchanged."""
    load_path(engine, folder)
    requests_before = _count(engine, RequestRow)
    second = load_path(engine, folder)
    assert _count(engine, RequestRow) == requests_before
    assert _count(engine, RequestChangeRow) == 0
    for file in second.files:
        assert file.created == file.updated == 0
        assert file.unchanged == file.accepted
    assert second.file("requests").refused == 2  # bad rows stay refused


def test_changed_row_updates_an_unplanned_request_and_logs_it(engine, folder):
    """A changed row updates an unplanned request; each changed field is logged once."""
    load_path(engine, folder)
    _edit(folder / "requests.csv", "front desk cannot check out", "printer jams too")
    _edit(
        folder / "requests.csv",
        "R-001,C001,onsite_service,troubleshoot,P2",
        "R-001,C001,onsite_service,troubleshoot,P1",
    )
    report = load_path(engine, folder / "requests.csv")
    assert report.file("requests").updated == 1
    with session_scope(engine) as session:
        changes = repo.request_changes(session, "R-001")
        request, _ = repo.get_request(session, "R-001")
    fields = {c.field: (c.old, c.new) for c in changes}
    assert fields["notes"] == ("front desk cannot check out", "printer jams too")
    assert fields["urgency"] == ("P2", "P1")
    assert all(c.load_id == report.file("requests").load_id for c in changes)
    assert request.notes == "printer jams too"


def test_a_reload_updates_a_customers_paid_periods_and_modules(engine, folder):
    """A renewed contract and a new custom module in a reloaded customers file replace the
    stored ones; new and unchanged customers of the same file are stored as such."""
    load_path(engine, folder)
    _edit(
        folder / "customers.csv",
        ",2025-05-10..2027-05-09,9.05,,",
        ",2025-05-10..2026-05-09;2026-05-10..2028-05-09,9.05,spa,",
    )
    report = load_path(engine, folder / "customers.csv")
    customers = report.file("customers")
    assert (customers.updated, customers.created) == (1, 0)
    assert customers.unchanged == customers.received - 1
    with session_scope(engine) as session:
        c002 = repo.get_customer(session, "C002")
    assert [(p.start.isoformat(), p.end.isoformat()) for p in c002.paid_periods] == [
        ("2025-05-10", "2026-05-09"),
        ("2026-05-10", "2028-05-09"),
    ]
    assert c002.custom_modules == frozenset({"spa"})


def test_changed_row_of_a_planned_request_is_refused(engine, folder):
    """A change to a request the active plan has a visit for is refused `already_planned`."""
    load_path(engine, folder)
    with session_scope(engine) as session:
        repo.save_plan(session, _plan((_visit("R-001"),)), _visit().day)
    _edit(folder / "requests.csv", "front desk cannot check out", "printer jams too")
    report = load_path(engine, folder / "requests.csv")
    requests = report.file("requests")
    assert requests.refused == 3 and requests.unchanged == 3
    refusal = next(e for e in requests.refused_rows if e.code == "already_planned")
    assert (refusal.row, refusal.column, refusal.value) == (2, "notes", "printer jams too")
    assert "already planned" in refusal.reason
    with session_scope(engine) as session:
        assert repo.get_request(session, "R-001")[0].notes == "front desk cannot check out"
    assert _count(engine, RequestChangeRow) == 0


def test_withdrawn_request_is_not_revived_by_a_reload(engine, folder):
    """Reloading the file of a withdrawn request leaves it withdrawn."""
    load_path(engine, folder)
    with session_scope(engine) as session:
        repo.withdraw_request(session, "R-002", "solved by phone")
    assert load_path(engine, folder).file("requests").unchanged == 4
    with session_scope(engine) as session:
        assert repo.get_request(session, "R-002")[1].status is RequestStatus.WITHDRAWN


def test_unknown_office_refuses_the_engineer(engine, folder):
    """An engineer of an office neither in the file nor in the database is refused."""
    with (folder / "engineers.csv").open("a", encoding="utf-8") as out:
        out.write("E09,Zhou Jie,BJ,pms,,,,\n")
    report = load_path(engine, folder)
    refusal = report.file("engineers").refused_rows[0]
    assert (refusal.code, refusal.column, refusal.value) == ("unknown_office", "office_id", "BJ")


def test_a_single_file_is_checked_against_the_database(engine, folder):
    """A requests file alone refers to customers already loaded; unknown ones are refused."""
    load_path(engine, folder)
    report = load_path(engine, folder / "requests.csv")
    requests = report.file("requests")
    assert requests.unchanged == 4
    assert {e.code for e in requests.refused_rows} == {"not_licensed", "unknown_customer"}


def test_a_crash_mid_file_rolls_that_file_back(engine, folder, monkeypatch):
    """A failure inside a file leaves no trace of it; the files before it stay loaded."""
    real = intake_store.store_request
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(intake_store, "store_request", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        load_path(engine, folder)
    assert _count(engine, RequestRow) == 0
    assert _count(engine, IntakeRowRow, IntakeRowRow.file_kind == "requests") == 0
    assert _count(engine, IntakeLoadRow, IntakeLoadRow.file_kind == "requests") == 0
    assert _count(engine, OfficeRow) == 2 and _count(engine, CustomerRow) == 5


def test_unreadable_path_raises(engine, tmp_path):
    """A missing path or a file of no known kind is an IntakeError, nothing is loaded."""
    with pytest.raises(IntakeError):
        load_path(engine, tmp_path / "missing")
    stray = tmp_path / "notes.csv"
    stray.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(IntakeError):
        load_path(engine, stray)
    assert _count(engine, IntakeLoadRow) == 0


_GARBAGE = ("", "x", "P9", "2026-13-01", "-1", "C999", "yes please", "9..1")


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=5),  # which tiny request to copy
            st.integers(min_value=1, max_value=16),  # which cell to spoil (0: none)
            st.sampled_from(_GARBAGE),
            st.booleans(),  # spoil it or not
        ),
        min_size=1,
        max_size=12,
    )
)
def test_received_is_always_accepted_plus_refused(engine, tiny_dir, tmp_path_factory, rows):
    """Whatever mix of good, bad and repeated rows a file holds, received = accepted + refused,
    and every received row is in intake_rows."""
    load_path(engine, tiny_dir)  # reference data (idempotent after the first example)
    lines = (tiny_dir / "requests.csv").read_text(encoding="utf-8").splitlines()
    header, body = lines[0], lines[1:]
    out = [header]
    for number, (source, cell, garbage, spoil) in enumerate(rows):
        cells = body[source].split(",")
        cells[0] = f"P-{number % 7}"  # repeated refs on purpose: duplicates are refused
        if spoil:
            cells[cell] = garbage
        out.append(",".join(cells))
    path = tmp_path_factory.mktemp("prop") / "requests.csv"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    report = load_path(engine, path).file("requests")
    assert report.received == len(rows)
    assert report.received == report.accepted + report.refused
    assert report.refused == len({(e.file, e.row) for e in report.refused_rows})
    assert _count(engine, IntakeRowRow, IntakeRowRow.load_id == report.load_id) == len(rows)


def test_chinese_excel_exports_load_as_the_same_customers(engine, tmp_path):
    """A GBK export and a UTF-8-with-BOM export of the same sheet store the same customers."""
    encodings = Path(__file__).resolve().parents[1] / "data" / "encodings"
    gbk, bom = tmp_path / "gbk", tmp_path / "bom"
    for folder, name in ((gbk, "customers-gbk.csv"), (bom, "customers-bom.csv")):
        folder.mkdir()
        shutil.copy(encodings / name, folder / "customers.csv")
    first = load_path(engine, gbk / "customers.csv").file("customers")
    assert (first.received, first.created) == (2, 2)
    second = load_path(engine, bom / "customers.csv").file("customers")
    assert (second.received, second.unchanged) == (2, 2)
    with session_scope(engine) as session:
        assert repo.get_customer(session, "C101").name == "广州白云宾馆"


def test_an_xlsx_file_loads_like_its_csv(engine, folder, tmp_path):
    """The same offices as .xlsx after .csv change nothing: both read to the same records."""
    from openpyxl import Workbook

    load_path(engine, folder / "offices.csv")
    book = Workbook()
    sheet = book.active
    for line in (folder / "offices.csv").read_text(encoding="utf-8").splitlines():
        sheet.append(line.split(","))
    book.save(tmp_path / "offices.xlsx")
    report = load_path(engine, tmp_path / "offices.xlsx").file("offices")
    assert (report.received, report.unchanged, report.refused) == (2, 2, 0)


def test_long_free_text_is_stored_the_same_on_every_backend(engine, folder):
    """A 300-character hotel name and address are accepted on PostgreSQL as on SQLite."""
    name = "Grand " * 50
    _edit(folder / "customers.csv", "Pearl River Hotel", name.strip())
    report = load_path(engine, folder)
    assert report.file("customers").refused == 0
    with session_scope(engine) as session:
        assert repo.get_customer(session, "C001").name == name.strip()
