"""Beyond one machine: the per-office solves on a Dask cluster give the same plan as threads."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Run in a child process against the real server: Dask's worker processes inherit its
# PREFECT_API_URL (in ephemeral mode each worker would start a server of its own).
SCRIPT = textwrap.dedent(
    """
    import json
    import sys
    from datetime import date
    from pathlib import Path

    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    from flows.plan_flow import plan_flow
    from scheduling.store.db import ensure_database
    from scheduling.store.intake_store import load_path

    TMP, TINY = Path(sys.argv[1]), Path(sys.argv[2])


    def fresh(name):
        url = f"sqlite:///{TMP / name}.sqlite"
        engine = ensure_database(url)
        load_path(engine, TINY)
        engine.dispose()
        return url


    def run(name, runner):
        outcome = plan_flow.with_options(task_runner=runner)(
            start=date(2026, 11, 30),
            database_url=fresh(name),
            output=str(TMP / name),
            time_limit=10,
            solution_limit=30,
            itineraries=False,
        )
        plan = json.loads(Path(outcome.plan_json).read_text(encoding="utf-8"))
        return {"visits": plan["visits"], "unassigned": plan["unassigned"]}


    if __name__ == "__main__":
        from distributed import Client, LocalCluster, get_task_stream

        threads = run("threads", ThreadPoolTaskRunner(max_workers=1))
        with LocalCluster(n_workers=2, processes=True, threads_per_worker=1) as cluster:
            with Client(cluster) as client, get_task_stream(client) as stream:
                dask = run("dask", DaskTaskRunner(address=cluster.scheduler_address))
            workers = sorted({t["worker"] for t in stream.data})
        print("RESULT " + json.dumps({"threads": threads, "dask": dask, "workers": workers}))
    """
)


def test_dask_cluster_plans_like_the_sequential_run(prefect_server, tmp_path):
    """Two Dask worker processes solve the offices and the plan equals the sequential one."""
    script = tmp_path / "dask_plan.py"
    script.write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path), str(ROOT / "tests" / "data" / "tiny")],
        cwd=ROOT,
        env=prefect_server.env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(lines[-1].removeprefix("RESULT "))
    assert result["threads"]["visits"], "the tiny data set has plannable requests"
    assert result["dask"] == result["threads"]
    assert result["workers"], "the solves ran on the Dask cluster's workers"
