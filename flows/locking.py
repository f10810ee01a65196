"""At most one `plan` or `replan` at a time, per fieldplan database.

Two planners writing plans for the same engineers would each start from the same previous
plan and the second save would silently undo the first one's moves. The lock lives with the
data, not in Prefect, so it holds whether a run comes from the CLI, a deployment or a test:

- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a dedicated
  connection; the server drops it if the process dies.
- SQLite file: an exclusive `flock` on `<database>.plan-lock` beside the file; the kernel drops
  it if the process dies. The file also says who holds it, for the busy message.
- SQLite in memory: a lock inside this process (nothing else can see that database).

A second caller does not wait: it gets :class:`PlanBusy` at once, which the CLI turns into
exit code 3.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

# Any fixed 64-bit number works; this one is "fieldplan" hashed, so it will not collide with
# another application's advisory locks on a shared server by accident.
ADVISORY_KEY = 0x6669656C64706C6E

_memory_locks: dict[str, threading.Lock] = {}
_memory_guard = threading.Lock()


class PlanBusy(RuntimeError):
    """Another plan or replan holds the lock on this database."""


def _busy_message(what: str, holder: dict | None) -> str:
    who = ""
    if holder:
        who = (
            f" (a {holder.get('what', 'plan')} started {holder.get('since', '?')}"
            f" by process {holder.get('pid', '?')} on {holder.get('host', '?')})"
        )
    return (
        f"cannot start {what}: another plan or replan is running on this database{who}. "
        "Only one may run at a time; try again when it has finished."
    )


@contextmanager
def plan_lock(database_url: str, what: str = "plan") -> Iterator[None]:
    """Hold the planning lock of the database at `database_url` for the `with` block.

    Raises :class:`PlanBusy` immediately, with a message naming the current holder when known,
    if another plan or replan holds it. `what` names this run in that message.
    """
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "postgresql":
        with _advisory_lock(database_url, what):
            yield
    elif backend == "sqlite" and url.database not in (None, "", ":memory:"):
        with _file_lock(Path(url.database), what):
            yield
    else:
        with _memory_lock(database_url, what):
            yield


def ensure_not_busy(database_url: str, what: str = "plan") -> None:
    """Raise :class:`PlanBusy` now if a plan or replan is running; take nothing.

    The CLI calls this before starting Prefect, so a busy dispatcher learns it in a second
    rather than after the start-up of a flow; the flow still takes the lock itself.
    """
    with plan_lock(database_url, what):
        pass


@contextmanager
def _advisory_lock(database_url: str, what: str) -> Iterator[None]:
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
            ).scalar()
            connection.commit()
            if not got:
                raise PlanBusy(_busy_message(what, None))
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                connection.commit()
    finally:
        engine.dispose()


@contextmanager
def _file_lock(database: Path, what: str) -> Iterator[None]:
    import fcntl  # POSIX only; fieldplan's servers and CI are Linux.

    path = database.with_name(database.name + ".plan-lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PlanBusy(_busy_message(what, _read_holder(path))) from None
        holder = {
            "what": what,
            "pid": os.getpid(),
            "host": os.uname().nodename,
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_holder(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text() or "null")
    except (OSError, ValueError):
        return None


@contextmanager
def _memory_lock(database_url: str, what: str) -> Iterator[None]:
    with _memory_guard:
        lock = _memory_locks.setdefault(database_url, threading.Lock())
    if not lock.acquire(blocking=False):
        raise PlanBusy(_busy_message(what, None))
    try:
        yield
    finally:
        lock.release()
