"""`fieldplan calendar workdays`, `deadline` and `entitlement` (typer CliRunner)."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app

DATA = Path(__file__).resolve().parent.parent / "data" / "calendar"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_database(monkeypatch, tmp_path):
    """Point the CLI at an empty SQLite file so no test touches a real database."""
    monkeypatch.setenv("FIELDPLAN_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")


def run(*args: str):
    return runner.invoke(app, list(args))


def test_workdays_lists_make_up_days_and_holidays_as_json():
    """The dispatcher sees 28 Sep and 11 Oct 2025 as working and why, 1-8 Oct off."""
    result = run("calendar", "workdays", "--region", "CN", "--from", "2025-09-27",
                 "--to", "2025-10-12", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    days = {d["date"]: d for d in json.loads(result.stdout)["days"]}
    assert len(days) == 16
    assert (
        days["2025-09-28"]["working"] and days["2025-09-28"]["reason_code"] == "makeup_working_day"
    )
    assert days["2025-10-11"]["working"]
    assert not any(days[f"2025-10-0{i}"]["working"] for i in range(1, 9))
    assert days["2025-10-01"]["holiday"] == "National Day"


def test_workdays_table_counts_working_days():
    """The table's title counts the working days of the range (6 from 27 Sep to 12 Oct)."""
    result = run("calendar", "workdays", "--from", "2025-09-27", "--to", "2025-10-12")
    assert result.exit_code == 0, result.output
    assert "6 working days" in result.stdout
    assert "调休" in result.stdout


def test_workdays_uses_an_office_calendar_from_data():
    """--office with --data applies the office's own days off."""
    result = run("calendar", "workdays", "--office", "SH", "--data", str(DATA),
                 "--from", "2025-12-31", "--to", "2025-12-31", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    [day] = json.loads(result.stdout)["days"]
    assert day["reason_code"] == "office_day_off" and not day["working"]


@pytest.mark.parametrize(
    "args",
    [
        ("--region", "XX", "--from", "2025-01-01", "--to", "2025-01-02"),
        ("--from", "2025-13-01", "--to", "2025-12-02"),
        ("--from", "2025-02-01", "--to", "2025-01-02"),
    ],
)
def test_workdays_bad_input_exits_2(args):
    """Unknown region, malformed date or reversed range exit 2 with a message."""
    result = run("calendar", "workdays", *args)
    assert result.exit_code == 2
    assert "error" in result.output


def test_deadline_prints_the_make_up_saturday():
    """An out-of-town request received 2025-09-30 10:00 is due Sat 2025-10-11 18:00."""
    result = run("deadline", "--received", "2025-09-30T10:00+08:00", "--zone", "out_of_town")
    assert result.exit_code == 0, result.output
    assert "deadline: 2025-10-11T18:00:00+08:00" in result.stdout
    assert "2025-10-09" in result.stdout and "2025-10-11" in result.stdout


def test_deadline_json_for_a_city_request():
    """--json gives the deadline, the clock start and the counted days."""
    result = run("deadline", "--received", "2025-11-21T17:00+08:00", "--zone", "city", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["deadline"] == "2025-11-25T17:00:00+08:00"
    assert answer["counted_days"] == ["2025-11-21", "2025-11-24", "2025-11-25"]


def test_deadline_for_training_with_window():
    """--kind training --window-end gives the end of hours on the window's last working day."""
    result = run("deadline", "--received", "2025-11-03T10:00+08:00", "--kind", "training",
                 "--window-end", "2025-11-30", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["deadline"] == "2025-11-28T18:00:00+08:00"


@pytest.mark.parametrize(
    "args",
    [
        ("--received", "yesterday", "--zone", "city"),
        ("--received", "2025-09-30T10:00+08:00", "--zone", "moon"),
        ("--received", "2025-09-30T10:00+08:00"),
        ("--received", "2025-09-30T10:00+08:00", "--zone", "city", "--kind", "party"),
    ],
)
def test_deadline_bad_input_exits_2(args):
    """A malformed time, unknown zone or kind, or a missing zone exit 2."""
    assert run("deadline", *args).exit_code == 2


def test_entitlement_holds_a_major_upgrade_from_data():
    """C001 asking for 9.00 → 10.00 in its paid period is held `needs_upgrade_agreement`."""
    result = run("entitlement", "--customer", "C001", "--on", "2026-11-24",
                 "--upgrade-to", "10.00", "--data", str(DATA), "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["status"] == "held" and answer["reason_code"] == "needs_upgrade_agreement"
    assert answer["validity"] == "paid" and answer["upgrade"] == "major"
    assert answer["zone"] == "city" and answer["office"] == "SH"


def test_entitlement_refuses_custom_module_and_unlicensed():
    """A custom-module upgrade and an unlicensed customer are refused with their codes."""
    custom = run("entitlement", "--customer", "C001", "--on", "2026-11-24", "--upgrade-to",
                 "9.12", "--module", "spa-billing", "--data", str(DATA), "--json")  # fmt: skip
    assert json.loads(custom.stdout)["reason_code"] == "custom_module"
    unlicensed = run("entitlement", "--customer", "C002", "--on", "2025-06-01",
                     "--data", str(DATA))  # fmt: skip
    assert unlicensed.exit_code == 0
    assert "not_licensed" in unlicensed.stdout


def test_entitlement_expired_day():
    """After the paid period the customer is expired: priority is the expired score."""
    result = run("entitlement", "--customer", "C001", "--on", "2027-02-01",
                 "--data", str(DATA), "--json")  # fmt: skip
    answer = json.loads(result.stdout)
    assert answer["status"] == "expired" and answer["priority"] == 0


@pytest.mark.parametrize(
    "args",
    [
        ("--customer", "C999", "--on", "2026-11-24"),
        ("--customer", "C001", "--on", "24/11/2026"),
        ("--customer", "C001", "--on", "2026-11-24", "--upgrade-to", "10"),
    ],
)
def test_entitlement_bad_input_exits_2(args):
    """An unknown customer, a malformed date or version exit 2."""
    assert run("entitlement", *args, "--data", str(DATA)).exit_code == 2


def test_entitlement_without_data_or_database_exits_2():
    """Without --data and with an empty database the command says so and exits 2."""
    result = run("entitlement", "--customer", "C001", "--on", "2026-11-24")
    assert result.exit_code == 2


def test_entitlement_of_a_customer_not_loaded_says_how_to_load_it(tmp_path, monkeypatch):
    """An empty embedded database is migrated on the spot; the unknown customer is named,
    with the way out (intake, or --data), and the exit code is 2 (bad input)."""
    monkeypatch.setenv("FIELDPLAN_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite'}")
    result = runner.invoke(app, ["entitlement", "--customer", "C0404", "--on", "2026-11-24"])
    assert result.exit_code == 2
    said = " ".join(result.output.split())  # rich wraps long lines
    assert "C0404" in said and "fieldplan intake" in said
