"""The planning lock: at most one plan or replan per database, a clear message for the next."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from flows.locking import PlanBusy, ensure_not_busy, plan_lock


@pytest.fixture
def pg_url() -> str:
    """The CI PostgreSQL server (advisory locks need no database of their own)."""
    return os.environ.get(
        "FIELDPLAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )


def test_second_planner_on_a_sqlite_file_is_refused_with_the_holder_named(tmp_path):
    """While a plan holds the lock, a second plan on the same SQLite file fails at once."""
    url = f"sqlite:///{tmp_path / 'fp.sqlite'}"
    busy = r"another plan or replan is running.*a plan started"
    with plan_lock(url, "plan"), pytest.raises(PlanBusy, match=busy), plan_lock(url, "replan"):
        pass
    with plan_lock(url, "replan"):  # free again once the first has finished
        pass


def test_lock_is_seen_by_another_process_and_released_when_it_ends(tmp_path):
    """A lock held by another process (a worker, the CLI) refuses us; its exit frees it."""
    url = f"sqlite:///{tmp_path / 'fp.sqlite'}"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
                import sys
                from flows.locking import plan_lock
                with plan_lock({url!r}, "plan"):
                    print("held", flush=True)
                    sys.stdin.readline()
            """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(PlanBusy, match=f"process {holder.pid}"):
            ensure_not_busy(url)
    finally:
        holder.communicate("\n", timeout=30)
    ensure_not_busy(url)


def test_in_memory_database_lock_is_per_process():
    """An in-memory database is private to this process: the lock still allows one planner."""
    url = "sqlite://"
    with plan_lock(url), pytest.raises(PlanBusy):
        ensure_not_busy(url)
    ensure_not_busy(url)


@pytest.mark.postgres
def test_postgres_advisory_lock_refuses_a_second_planner(pg_url):
    """On PostgreSQL the advisory lock refuses a second planner and frees on release."""
    with plan_lock(pg_url), pytest.raises(PlanBusy):
        ensure_not_busy(pg_url)
    ensure_not_busy(pg_url)
