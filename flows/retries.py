"""When a task may try again: a transient database failure yes, bad data never."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import DisconnectionError, OperationalError

# Bounded: a database that is down for longer than this is an outage, not a blip.
DB_RETRIES = 2
DB_RETRY_DELAY_SECONDS = [2, 10]


def transient_database_error(task: Any, task_run: Any, state: Any) -> bool:
    """True when the failed task's error is a lost or locked connection (`OperationalError`).

    Used as a Prefect `retry_condition_fn`: a bad row, a validation error or a bug fails at
    once, because trying again would give the same answer.
    """
    error = state.data if isinstance(state.data, BaseException) else None
    if error is None:
        try:
            state.result()
        except BaseException as exc:  # the state's own exception, re-raised by result()
            error = exc
    return isinstance(error, OperationalError | DisconnectionError)


def db_task_options() -> dict[str, Any]:
    """Keyword arguments for `@task` on tasks that read or write fieldplan's database."""
    from prefect.cache_policies import NO_CACHE

    return {
        "retries": DB_RETRIES,
        "retry_delay_seconds": DB_RETRY_DELAY_SECONDS,
        "retry_condition_fn": transient_database_error,
        "cache_policy": NO_CACHE,
    }
