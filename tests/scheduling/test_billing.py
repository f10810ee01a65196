"""The billing ledger: never billed twice, idempotent and incremental exports, adjustments,
actuals, effective-dated rates, and files Excel-compatible readers open (SQLite and
PostgreSQL through the suite's `session` fixture)."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from scheduling.billing import BillingError, import_actuals, record_actual, record_plan_costs
from scheduling.billing_export import batch_lines, export_period, reconcile
from scheduling.costs import plan_trips
from scheduling.export_files import COLUMNS
from scheduling.model import Place
from scheduling.policy import load_policy
from scheduling.store.billing_models import CostLineRow, ExportBatchLineRow, ExportBatchRow
from tests.scheduling.costs_fixtures import BY_ID, build, hotel_near, lasting, route

POLICY = load_policy()
NOV_FROM, NOV_TO = date(2026, 11, 1), date(2026, 11, 30)
D1, D2, D3 = date(2026, 11, 3), date(2026, 11, 4), date(2026, 11, 5)
T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
T2 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def _november():
    """Three trips: a city round, an out-of-town day ending at a hotel, the day after."""
    return build(
        route("E1", D1, ["C001", "C003", "C002"]),
        route("E2", D1, ["C004", "C005"], end=hotel_near("C005")),
        _hangzhou_day(),
    )


def _hangzhou_day():
    """The day after the Suzhou night: five hours in Hangzhou, too long for a day trip
    from home, so the night is Hangzhou's as much as Suzhou's (everything is billed)."""
    return lasting(route("E2", D2, ["C006"], start=hotel_near("C005")), 5)


def _exported_sum(session, line_ids=None) -> Decimal:
    rows = session.scalars(select(ExportBatchLineRow)).all()
    return sum((r.amount for r in rows if line_ids is None or r.line_id in line_ids), Decimal(0))


def test_an_export_bills_every_line_once_and_totals_reconcile(session, tmp_path):
    """The export's total equals the sum of the period's trip costs (POLICY.md 6)."""
    plan, problem = _november()
    recorded = record_plan_costs(session, 1, plan, problem, POLICY, now=T0)
    trips = plan_trips(plan, problem, POLICY)
    assert recorded.trips == 3 and recorded.unallocated == 0
    result = export_period(session, NOV_FROM, NOV_TO, out_dir=tmp_path, policy=POLICY, now=T0)
    assert not result.reused
    assert result.totals["total"] == sum(t.total for t in trips) == recorded.billed_total
    assert result.adjustments == 0 and result.new_lines == result.line_count > 0
    assert sum(c["amount"] for c in result.totals_by_customer) == result.total
    check = reconcile(session, NOV_FROM, NOV_TO)
    assert check.balanced and check.pending_total == 0
    assert check.exported_total == check.trip_costs == result.totals["total"]


def test_running_the_same_export_again_returns_the_same_batch_and_bytes(session, tmp_path):
    """Same period, nothing new: same batch id, byte-identical CSV and XLSX files."""
    plan, problem = _november()
    record_plan_costs(session, 1, plan, problem, POLICY, now=T0)
    first = export_period(session, NOV_FROM, NOV_TO, out_dir=tmp_path / "a", now=T0)
    first_bytes = [p.read_bytes() for p in first.files]
    session.commit()
    again = export_period(session, NOV_FROM, NOV_TO, out_dir=tmp_path / "b", now=T1)
    assert again.reused and again.batch_id == first.batch_id
    assert [p.read_bytes() for p in again.files] == first_bytes
    batch = session.get(ExportBatchRow, first.batch_id)
    assert (batch.csv_sha256, batch.xlsx_sha256) == (again.sha256["csv"], again.sha256["xlsx"])
    assert session.scalars(select(ExportBatchRow)).all() == [batch]


def test_a_later_export_carries_only_new_lines(session, tmp_path):
    """Trips added after an export go out in a new batch; nothing already billed repeats."""
    plan, problem = _november()
    record_plan_costs(session, 1, plan, problem, POLICY, now=T0)
    first = export_period(session, NOV_FROM, NOV_TO, out_dir=tmp_path, now=T0)
    more_plan, more_problem = build(
        route("E1", D1, ["C001", "C003", "C002"]),
        route("E2", D1, ["C004", "C005"], end=hotel_near("C005")),
        _hangzhou_day(),
        route("E1", D3, ["C002"]),
    )
    record_plan_costs(session, 2, more_plan, more_problem, POLICY, now=T1)
    second = export_period(session, NOV_FROM, NOV_TO, out_dir=tmp_path, now=T1)
    assert second.batch_id != first.batch_id and not second.reused
    lines = batch_lines(session, second.batch_id)
    assert lines and {line.trip_id for line in lines} == {"E1-2026-11-05"}
    assert {line.entry for line in lines} == {"new"}
    rows = session.scalars(select(ExportBatchLineRow)).all()
    assert len({(r.line_id, r.line_version) for r in rows}) == len(rows)
    assert reconcile(session, NOV_FROM, NOV_TO).pending_total == 0


def test_a_replan_after_export_appears_as_adjustments_not_silent_changes(session, tmp_path):
    """A changed route bills the difference as adjustment lines; dropped trips go negative."""
    plan, problem = _november()
    record_plan_costs(session, 1, plan, problem, POLICY, now=T0)
    export_period(session, NOV_FROM, NOV_TO, out_dir=tmp_path, now=T0)
    exported_before = _exported_sum(session)
    # Re-plan: E1 now serves only C001 and C002; the Hangzhou day is dropped.
    replan, reproblem = build(
        route("E1", D1, ["C002", "C001"]),
        route("E2", D1, ["C004", "C005"], end=hotel_near("C005")),
    )
    result = record_plan_costs(session, 2, replan, reproblem, POLICY, now=T1)
    assert result.lines_voided > 0 and result.lines_changed > 0
    second = export_period(session, NOV_FROM, NOV_TO, out_dir=tmp_path, now=T1)
    lines = batch_lines(session, second.batch_id)
    assert {line.entry for line in lines} == {"adjustment"}
    dropped = [line for line in lines if line.trip_id == "E2-2026-11-04"]
    assert dropped and all(line.amount < 0 for line in dropped)
    trips = plan_trips(replan, reproblem, POLICY)
    assert exported_before + second.totals["total"] == sum(t.total for t in trips)
    check = reconcile(session, NOV_FROM, NOV_TO)
    assert check.balanced and check.exported_total == check.trip_costs


def test_recording_the_same_plan_twice_changes_nothing(session, tmp_path):
    """Recording is idempotent: no new version, so no spurious adjustment."""
    plan, problem = _november()
    record_plan_costs(session, 1, plan, problem, POLICY, now=T0)
    again = record_plan_costs(session, 1, plan, problem, POLICY, now=T1)
    assert (again.lines_new, again.lines_changed, again.lines_voided) == (0, 0, 0)
    versions = {r.version for r in session.scalars(select(CostLineRow))}
    assert versions == {1}


def test_an_actual_replaces_the_estimate_and_an_exported_one_is_adjusted(session, tmp_path):
    """Actual lodging 412.00 after export: the next batch adjusts by +12.00, estimate kept."""
    plan, problem = _november()
    record_plan_costs(session, 1, plan, problem, POLICY, now=T0)
    export_period(session, NOV_FROM, NOV_TO, out_dir=tmp_path, now=T0)
    actual = record_actual(session, "E2-2026-11-03", "lodging", Decimal("412.00"), note="receipt")
    assert (actual.estimate, actual.difference) == (Decimal("400.00"), Decimal("12.00"))
    second = export_period(session, NOV_FROM, NOV_TO, out_dir=tmp_path, now=T1)
    lines = batch_lines(session, second.batch_id)
    assert {(line.item, line.entry, line.basis) for line in lines} == {
        ("lodging", "adjustment", "actual")
    }
    assert second.totals["total"] == Decimal("12.00")
    assert sum(line.estimate for line in lines) == Decimal("400.00")
    # A re-plan keeps the actual: the lodging lines still bill 412.00.
    record_plan_costs(session, 2, plan, problem, POLICY, now=T2)
    current = session.scalars(select(CostLineRow).where(CostLineRow.item == "lodging")).all()
    assert sum(r.amount for r in current) == Decimal("412.00")
    assert reconcile(session, NOV_FROM, NOV_TO).balanced


def test_actuals_are_refused_for_unknown_trips_items_and_bad_amounts(session):
    """An actual names a recorded trip, a known item and an amount to the cent."""
    plan, problem = _november()
    record_plan_costs(session, 1, plan, problem, POLICY, now=T0)
    with pytest.raises(BillingError, match="unknown trip"):
        record_actual(session, "E9-2026-11-03", "lodging", Decimal("1.00"))
    with pytest.raises(BillingError, match="unknown item"):
        record_actual(session, "E1-2026-11-03", "parking", Decimal("1.00"))
    with pytest.raises(BillingError, match="2 decimals"):
        record_actual(session, "E1-2026-11-03", "distance", Decimal("1.005"))


def test_import_actuals_is_all_or_nothing_with_row_and_column(session, tmp_path):
    """A bad row names file, row, column and value, and no row of the file is recorded."""
    plan, problem = _november()
    record_plan_costs(session, 1, plan, problem, POLICY, now=T0)
    bad = tmp_path / "actuals.csv"
    bad.write_text(
        "\ufefftrip_id,item,amount,note\nE2-2026-11-03,lodging,412.00,ok\n"
        "E1-2026-11-03,distance,lots,?\n",
        encoding="utf-8",
    )
    with pytest.raises(BillingError, match=r"row 3 column amount: 'lots'"):
        import_actuals(session, bad)
    lodging = session.scalars(select(CostLineRow).where(CostLineRow.item == "lodging")).all()
    assert {r.basis for r in lodging} == {"estimate"}
    good = tmp_path / "good.csv"
    good.write_text("trip_id,item,amount\nE2-2026-11-03,lodging,412.00\n", encoding="utf-8")
    (result,) = import_actuals(session, good)
    assert result.difference == Decimal("12.00")


def test_a_rate_change_on_1_march_applies_to_exported_trips_from_1_march(session, tmp_path):
    """Lines of 27 Feb carry the old city rate, lines of 2 March the new one."""
    plan, problem = build(
        route("E1", date(2026, 2, 27), ["C001"]), route("E1", date(2026, 3, 2), ["C001"])
    )
    record_plan_costs(session, 1, plan, problem, POLICY, now=T0)
    result = export_period(session, date(2026, 2, 1), date(2026, 3, 31), out_dir=tmp_path, now=T0)
    rates = {line.visit_date: line.unit_rate for line in batch_lines(session, result.batch_id)}
    assert rates == {date(2026, 2, 27): Decimal("2.50"), date(2026, 3, 2): Decimal("2.60")}


def test_a_customer_export_then_a_full_export_never_bills_twice(session, tmp_path):
    """Lines exported for one customer do not go out again in the all-customer batch."""
    plan, problem = _november()
    record_plan_costs(session, 1, plan, problem, POLICY, now=T0)
    one = export_period(session, NOV_FROM, NOV_TO, customer="C001", out_dir=tmp_path, now=T0)
    assert {line.customer_id for line in batch_lines(session, one.batch_id)} == {"C001"}
    full = export_period(session, NOV_FROM, NOV_TO, out_dir=tmp_path, now=T1)
    assert "C001" not in {line.customer_id for line in batch_lines(session, full.batch_id)}
    check = reconcile(session, NOV_FROM, NOV_TO)
    assert check.exported_total == check.trip_costs


def test_the_database_refuses_a_line_version_in_two_batches(session, tmp_path):
    """The ledger's unique (line_id, line_version) makes double billing impossible."""
    plan, problem = _november()
    record_plan_costs(session, 1, plan, problem, POLICY, now=T0)
    result = export_period(session, NOV_FROM, NOV_TO, out_dir=tmp_path, now=T0)
    session.commit()
    first = session.scalars(select(ExportBatchLineRow)).first()
    clone = ExportBatchLineRow(
        **{
            c.name: getattr(first, c.name)
            for c in ExportBatchLineRow.__table__.columns
            if c.name != "id"
        }
    )
    assert clone.batch_id == result.batch_id
    session.add(clone)
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_export_files_open_in_excel_compatible_readers(session, tmp_path):
    """CSV starts with a UTF-8 BOM; pandas and openpyxl read back Chinese names and totals."""
    plan, problem = _november()
    record_plan_costs(session, 1, plan, problem, POLICY, now=T0)
    result = export_period(session, NOV_FROM, NOV_TO, out_dir=tmp_path, now=T0)
    raw = result.csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=str)
    assert tuple(frame.columns) == COLUMNS
    assert "上海和平饭店" in set(frame["customer_name"])
    assert sum(Decimal(a) for a in frame["amount"]) == result.totals["total"]
    assert set(frame["batch_id"]) == {result.batch_id}

    sheets = pd.read_excel(result.xlsx_path, sheet_name=None, engine="openpyxl")
    assert list(sheets) == ["lines", "per customer", "totals"]
    assert len(sheets["lines"]) == len(frame)
    workbook = openpyxl.load_workbook(result.xlsx_path)
    lines = list(workbook["lines"].iter_rows(min_row=2, values_only=True))
    amount = COLUMNS.index("amount")
    assert sum(Decimal(str(r[amount])) for r in lines) == result.totals["total"]
    per_customer = list(workbook["per customer"].iter_rows(min_row=2, values_only=True))
    assert sum(Decimal(str(r[-1])) for r in per_customer) == result.totals["total"]
    totals = dict(workbook["totals"].iter_rows(values_only=True))
    assert Decimal(str(totals["total"])) == result.totals["total"]
    assert workbook.properties.modified == T0.replace(tzinfo=None)


def _journey():
    """E2: home -> Hangzhou (a 6-hour visit: no day trip fits) -> hotel; the next day back
    home from the hotel with no visit."""
    customer = BY_ID["C006"]
    hotel = Place("hotel", customer.lat, customer.lon, "hotel:C006")
    r, visits, requests = route("E2", D1, ["C006"], end=hotel)
    visits = [replace(v, end=v.start + timedelta(hours=6)) for v in visits]
    return build((r, visits, requests), route("E2", D2, [], start=hotel))


def test_a_day_back_without_visits_is_exported_and_reconciles(session, tmp_path):
    """POLICY.md 5: the fare home and the allowance of a travel-only day reach the export as
    the journey customer's lines (method named), and trip costs = exported total."""
    plan, problem = _journey()
    recorded = record_plan_costs(session, 1, plan, problem, POLICY, now=T0)
    assert recorded.trips == 2 and recorded.unallocated == 0
    result = export_period(session, NOV_FROM, NOV_TO, out_dir=tmp_path, policy=POLICY, now=T0)
    travel = [line for line in batch_lines(session, result.batch_id) if line.visit_date == D2]
    assert {(line.item, line.zone_or_fare) for line in travel} == {
        ("fare", "rail"),
        ("allowance", ""),
    }
    assert {(line.customer_id, line.request_ref, line.trip_id) for line in travel} == {
        ("C006", "R-C006-1103", "E2-2026-11-04")
    }
    assert {line.allocation_method for line in travel} == {"journey_proportional_standalone"}
    trips = plan_trips(plan, problem, POLICY)
    check = reconcile(session, NOV_FROM, NOV_TO)
    assert check.balanced and check.pending_total == 0
    assert check.exported_total == result.total == sum(t.total for t in trips)
    # An actual fare for the travel day replaces its estimate on the same customer's line.
    record_actual(session, "E2-2026-11-04", "fare", Decimal("150.00"))
    fare = session.scalars(
        select(CostLineRow).where(
            CostLineRow.trip_id == "E2-2026-11-04", CostLineRow.item == "fare"
        )
    ).one()
    assert (fare.amount, fare.basis, fare.customer_id) == (Decimal("150.00"), "actual", "C006")
    assert reconcile(session, NOV_FROM, NOV_TO).balanced


def test_a_call_on_the_way_to_a_hotel_is_exported_within_the_journey(session, tmp_path):
    """Suzhou (a day trip on its own) on the way to five hours in Hangzhou and a night
    there, then home: both days reach the export split over the journey's customers, in
    full, nobody above its stand-alone journey (POLICY.md 5)."""
    customer = BY_ID["C006"]
    hotel = Place("hotel", customer.lat, customer.lon, "hotel:C006")
    plan, problem = build(
        lasting(route("E2", D1, ["C004", "C006"], end=hotel), 5, only="C006"),
        route("E2", D2, [], start=hotel),
    )
    trips = plan_trips(plan, problem, POLICY)
    assert all(t.journey_billed for t in trips)
    record_plan_costs(session, 1, plan, problem, POLICY, now=T0)
    result = export_period(session, NOV_FROM, NOV_TO, out_dir=tmp_path, policy=POLICY, now=T0)
    lines = batch_lines(session, result.batch_id)
    assert {line.allocation_method for line in lines} == {"journey_proportional_standalone"}
    assert result.total == sum(t.total for t in trips)
    for trip in trips:
        assert sum(line.amount for line in lines if line.trip_id == trip.trip_id) == trip.total
    for customer_id, standalone in trips[-1].standalone:
        assert sum(line.amount for line in lines if line.customer_id == customer_id) <= standalone


# --- the sample data's real plan ----------------------------------------------------------


@pytest.fixture(scope="module")
def sample_export(tmp_path_factory):
    """The sample data taken in, planned as the demo plans it, costed and exported (SQLite)."""
    from scheduling.planner import plan
    from scheduling.store.db import make_engine, session_scope, upgrade
    from scheduling.store.intake_store import load_path
    from scheduling.store.repository import load_problem
    from scheduling.validate import validate_plan

    root = tmp_path_factory.mktemp("sample")
    engine = make_engine(f"sqlite:///{root / 'fieldplan.sqlite'}")
    upgrade(engine)
    sample = Path(__file__).resolve().parents[2] / "data" / "sample"
    load_path(engine, sample, POLICY, now=datetime.fromisoformat("2026-11-30T08:00:00+08:00"))
    with session_scope(engine) as session:
        problem = load_problem(session, date(2026, 11, 30), POLICY)
    planned = plan(problem, POLICY, seed=0, time_limit=20)
    assert validate_plan(planned, problem, POLICY) == []
    days = [r.day for r in planned.routes]
    start, end = min(days), max(days)
    with session_scope(engine) as session:
        record_plan_costs(session, 1, planned, problem, POLICY, now=T0)
        result = export_period(session, start, end, None, root / "out", POLICY, now=T0)
        check = reconcile(session, start, end)
    yield planned, problem, result, check
    engine.dispose()


def test_the_sample_export_reconciles_with_the_sample_plan(sample_export):
    """The sample's export total equals the sum of its planned trips' costs, to the cent."""
    planned, problem, result, check = sample_export
    trips = plan_trips(planned, problem, POLICY)
    assert trips and result.line_count > 0
    assert result.total == sum(t.total for t in trips) == check.trip_costs
    assert check.balanced and check.pending_total == 0 and check.unallocated == 0


def test_the_sample_travel_days_are_billed_to_their_journeys_customers(sample_export):
    """The sample plan's days without visits (to or from a hotel) are in the export, in
    full, under the journey method (POLICY.md 5: nobody else pays them, nothing is lost)."""
    planned, problem, result, _ = sample_export
    travel = {t.trip_id: t for t in plan_trips(planned, problem, POLICY) if t.travel_only}
    assert travel, "the sample plan should hold out-of-town journeys with travel days"
    frame = pd.read_csv(result.csv_path, encoding="utf-8-sig", dtype=str)
    lines = frame[frame["trip_id"].isin(list(travel))]
    assert set(lines["allocation_method"]) == {"journey_proportional_standalone"}
    for trip_id, trip in travel.items():
        billed = sum(Decimal(a) for a in lines[lines["trip_id"] == trip_id]["amount"])
        assert billed == trip.total
        assert set(lines[lines["trip_id"] == trip_id]["customer_id"]) <= set(trip.customers)


def test_the_sample_export_reads_back_in_pandas_and_openpyxl(sample_export):
    """The sample's CSV and XLSX open in Excel-compatible readers with the same total."""
    _, _, result, _ = sample_export
    frame = pd.read_csv(result.csv_path, encoding="utf-8-sig", dtype=str)
    assert sum(Decimal(a) for a in frame["amount"]) == result.total
    lines = pd.read_excel(result.xlsx_path, sheet_name="lines", dtype=str)
    assert sum(Decimal(a) for a in lines["amount"]) == result.total
    assert list(lines["line_id"]) == list(frame["line_id"])
    workbook = openpyxl.load_workbook(result.xlsx_path, read_only=True)
    assert workbook.sheetnames == ["lines", "per customer", "totals"]


def test_long_hotel_names_are_stored_and_exported_on_every_backend(session, tmp_path):
    """A 300-character customer name goes through the ledger and the files unchanged."""
    from dataclasses import replace as _replace

    from tests.scheduling.costs_fixtures import CUSTOMERS

    long_name = "上海" + "国际大酒店" * 60
    customers = tuple(
        _replace(c, name=long_name) if c.customer_id == "C001" else c for c in CUSTOMERS
    )
    plan, problem = build(route("E1", D1, ["C001"]), customers=customers)
    record_plan_costs(session, 1, plan, problem, POLICY, now=T0)
    result = export_period(session, NOV_FROM, NOV_TO, out_dir=tmp_path, now=T0)
    assert {line.customer_name for line in batch_lines(session, result.batch_id)} == {long_name}
