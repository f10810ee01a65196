"""`fieldplan plan` / `replan`: bad input is refused with exit code 2 before any planning."""

from __future__ import annotations

from typer.testing import CliRunner

from flows.cli import app


def run(*args: str):
    """Invoke the CLI in-process."""
    return CliRunner().invoke(app, list(args))


def test_plan_with_a_malformed_start_date_exits_2():
    """A horizon start that is not a date is bad input (exit 2), with the value named."""
    result = run("plan", "--start", "2026-13-01")
    assert result.exit_code == 2
    assert "2026-13-01" in result.output


def test_replan_with_an_unknown_event_exits_2():
    """An unknown event is bad input, and the message lists the known ones."""
    result = run("replan", "--event", "flood")
    assert result.exit_code == 2
    assert "engineer_unavailable" in result.output


def test_replan_of_an_illness_without_the_engineer_exits_2(tmp_path, monkeypatch):
    """An illness without its engineer is refused before Prefect or the planner start."""
    monkeypatch.setenv("FIELDPLAN_DATABASE_URL", f"sqlite:///{tmp_path / 'fp.sqlite'}")
    result = run("replan", "--event", "engineer_unavailable", "--from", "2026-12-01")
    assert result.exit_code == 2
    assert "engineer_id" in result.output
