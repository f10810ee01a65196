"""Where the flows keep things: output folders, the database URL, Prefect's quiet defaults.

Importing this module is cheap (no Prefect, no SQLAlchemy); the CLI calls
:func:`prefect_environment` before the first Prefect import so that `fieldplan demo` run outside
`make` gets the same private, quiet, patient embedded server as `make demo`.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
VAR_ENV = "FIELDPLAN_VAR_DIR"
DATABASE_ENV = "FIELDPLAN_DATABASE_URL"
DASK_ENV = "FIELDPLAN_DASK_ADDRESS"
RUNNER_ENV = "FIELDPLAN_TASK_RUNNER"
SAMPLE_DIR = REPO_ROOT / "data" / "sample"

# The sample data's "now" (data/sample is two weeks of requests received before it).
DEMO_NOW = "2026-11-30T08:00:00+08:00"
DEMO_START = "2026-11-30"

# A bounded pool: Prefect's default thread pool is unbounded (NOTES-prefect.md), and the
# solver is CPU-bound, so more threads than cores only adds contention.
DEFAULT_MAX_WORKERS = max(1, min(4, os.cpu_count() or 1))


def var_dir() -> Path:
    """The folder for generated files: `$FIELDPLAN_VAR_DIR`, else `var/` of the checkout."""
    return Path(os.environ.get(VAR_ENV) or REPO_ROOT / "var")


def default_plan_dir() -> Path:
    """Where `fieldplan plan` writes plan.json, the Gantt chart and itineraries by default."""
    return var_dir() / "plan"


def prefect_environment() -> None:
    """Give Prefect a private home under var/, no telemetry and a patient start-up.

    Only fills what the user has not set: a dispatcher pointing `PREFECT_API_URL` at a real
    server keeps it. Must run before the first `import prefect` to take effect.
    """
    os.environ.setdefault("PREFECT_HOME", str(var_dir() / "prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", "0.3")
    # Prefect creates its home without parents and only warns when it cannot, then fails
    # later on its database: a fresh `$FIELDPLAN_VAR_DIR` (or a clean clone) needs this.
    Path(os.environ["PREFECT_HOME"]).expanduser().mkdir(parents=True, exist_ok=True)


def resolve_database_url(url: str | None = None) -> str:
    """The database URL a flow should use: `url` if given, else the storage default."""
    if url:
        return url
    from scheduling.store.db import database_url

    return database_url()


def task_runner():
    """The task runner of the planning flows: a Dask cluster or a bounded thread pool.

    With `$FIELDPLAN_DASK_ADDRESS` (e.g. `tcp://scheduler:8786`, read when the flows are
    imported, i.e. when a worker starts a run) the per-office solves run on that Dask cluster
    through `prefect-dask`; otherwise on `DEFAULT_MAX_WORKERS` threads of this process.
    """
    address = os.environ.get(DASK_ENV, "").strip()
    if address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=address)
    if os.environ.get(RUNNER_ENV, "").strip() == "processes":
        from prefect.task_runners import ProcessPoolTaskRunner

        return ProcessPoolTaskRunner(max_workers=DEFAULT_MAX_WORKERS)
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=DEFAULT_MAX_WORKERS)
