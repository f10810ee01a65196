"""`fieldplan generate`: writes a seeded data set that intake reads without error."""

from __future__ import annotations

from typer.testing import CliRunner

from flows.cli import app
from scheduling.intake import parse_folder

runner = CliRunner()


def test_generate_writes_files_intake_reads(tmp_path):
    """The command writes the four files; the same seed writes the same bytes."""
    for name in ("a", "b"):
        result = runner.invoke(
            app,
            ["generate", "--requests", "30", "--engineers", "6", "--seed", "4",
             "--out", str(tmp_path / name)],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    assert "requests" in result.output
    files = {parsed.kind: parsed for parsed in parse_folder(tmp_path / "a")}
    assert [len(files[k].records) for k in ("engineers", "requests")] == [6, 30]
    assert all(parsed.errors == [] for parsed in files.values())
    for kind in files:
        assert (tmp_path / "a" / f"{kind}.csv").read_bytes() == (
            tmp_path / "b" / f"{kind}.csv"
        ).read_bytes()


def test_generate_refuses_a_time_without_offset(tmp_path):
    """--now must be aware: a bare local time is a usage error (exit 2)."""
    result = runner.invoke(app, ["generate", "--out", str(tmp_path), "--now", "2026-11-30T08:00"])
    assert result.exit_code == 2
    assert "needs an offset" in result.output
