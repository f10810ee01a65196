"""prefect.yaml works for real: a server, the pool, `prefect deploy --all`, a worker, a run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

DEPLOYMENTS = {
    "intake/files",
    "plan/nightly",
    "plan/manual",
    "replan/on-demand",
    "export-costs/monthly",
    "demo/sample",
}


@pytest.fixture(scope="module")
def deployed(prefect_server):
    """The `fieldplan` process pool and every deployment of prefect.yaml, on the server."""
    prefect_server.cli("work-pool", "create", "fieldplan", "--type", "process", "--overwrite")
    prefect_server.cli("deploy", "--all", timeout=180)
    return prefect_server


def test_every_flow_is_deployed_with_its_schedule(deployed):
    """All five flows are deployed; the nightly plan and the monthly export are scheduled."""
    listing = deployed.cli("deployment", "ls")
    for name in DEPLOYMENTS:
        assert name in listing
    nightly = deployed.cli("deployment", "inspect", "plan/nightly")
    assert "0 2 * * 1-5" in nightly and "Asia/Shanghai" in nightly
    monthly = deployed.cli("deployment", "inspect", "export-costs/monthly")
    assert "0 6 1 * *" in monthly and "Asia/Shanghai" in monthly


def test_worker_runs_the_plan_deployment_to_completion(deployed, tiny_database, tmp_path):
    """A plan triggered on the deployment is picked up by a process worker and completes."""
    params = {
        "database_url": tiny_database,
        "start": "2026-11-30",
        "now": "2026-11-30T08:00:00+08:00",
        "time_limit": 3,
        "output": str(tmp_path / "plan"),
    }
    out = deployed.cli("deployment", "run", "plan/manual", "--params", json.dumps(params))
    run_id = re.search(r"UUID:\s*([0-9a-f-]{36})", out) or re.search(r"([0-9a-f-]{36})", out)
    assert run_id, out
    with deployed.worker(tmp_path / "worker.log"):
        state = deployed.wait_for_run(run_id.group(1), timeout=180)
    assert state == "COMPLETED", (tmp_path / "worker.log").read_text()[-4000:]
    plan = json.loads(Path(params["output"], "plan.json").read_text(encoding="utf-8"))
    assert plan["visits"], "the tiny data set has plannable requests"
