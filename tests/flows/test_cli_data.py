"""`fieldplan db upgrade` and `fieldplan intake`: what a clerk sees, and the exit codes."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()


def _env(tmp_path) -> dict[str, str]:
    return {"FIELDPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 'fp.sqlite'}"}


def test_db_upgrade_migrates_then_says_it_is_current(tmp_path):
    """The first upgrade migrates an empty database; the second finds nothing to do."""
    first = runner.invoke(app, ["db", "upgrade"], env=_env(tmp_path))
    assert first.exit_code == 0, first.output
    assert "upgraded from an empty database" in first.output
    again = runner.invoke(app, ["db", "upgrade"], env=_env(tmp_path))
    assert again.exit_code == 0 and "already at revision" in again.output


def test_intake_reports_refused_rows_and_exits_1(tmp_path, tiny_dir):
    """Refused rows are listed with file, row, column and value, and the exit code is 1."""
    result = runner.invoke(app, ["intake", str(tiny_dir), "--json"], env=_env(tmp_path))
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["received"] == report["accepted"] + report["refused"]
    refused = {r["code"]: r for f in report["files"] for r in f["refused_rows"]}
    assert refused["unknown_customer"]["value"] == "C999"
    assert refused["not_licensed"]["column"] == "customer_id"


def test_intake_of_clean_file_exits_0(tmp_path, tiny_dir):
    """A file whose every row is accepted exits 0 and prints the counts table."""
    result = runner.invoke(app, ["intake", str(tiny_dir / "offices.csv")], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert "offices.csv" in result.output and "total" in result.output


def test_intake_of_missing_path_exits_2(tmp_path):
    """A path that cannot be read is a usage error (exit 2) naming the path."""
    result = runner.invoke(app, ["intake", str(tmp_path / "nope")], env=_env(tmp_path))
    assert result.exit_code == 2
    assert "nope" in result.output
