"""Prefect for the flow tests: quiet, private, patient, and started once per session.

The environment is set here, before anything imports Prefect, so `pytest` alone behaves like
`make test` (NOTES-prefect.md: private PREFECT_HOME, no telemetry, 90 s start-up timeout).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("PREFECT_HOME", str(_ROOT / "var" / "prefect-test"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.setdefault("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", "0.3")
# Prefect does not create missing parents of its home (a clean clone has no var/).
Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API for every flow test of the session (~12 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


# --- a real Prefect server, for the deployment and Dask tests ------------------------------


PREFECT = str(Path(sys.executable).with_name("prefect"))
SERVER_START_TIMEOUT = 90


@dataclass(frozen=True)
class PrefectServer:
    """A `prefect server start` on loopback with its own PREFECT_HOME."""

    api_url: str
    env: dict[str, str]
    home: Path
    log: Path

    def get(self, path: str) -> dict:
        """GET a JSON document from the API."""
        with urllib.request.urlopen(f"{self.api_url}{path}", timeout=10) as response:
            return json.loads(response.read())

    def cli(self, *args: str, timeout: float = 120, check: bool = True) -> str:
        """Run `prefect ARGS` against this server from the repository root; its output."""
        done = subprocess.run(
            [PREFECT, "--no-prompt", *args],
            cwd=_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"prefect {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
            )
        return done.stdout + done.stderr

    @contextlib.contextmanager
    def worker(self, log: Path, pool: str = "fieldplan"):
        """A process worker on `pool` polling every second, stopped when the block ends."""
        with log.open("w") as out:
            process = subprocess.Popen(
                [PREFECT, "worker", "start", "--pool", pool, "--type", "process"],
                cwd=_ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                yield process
            finally:
                _stop(process)

    def wait_for_run(self, run_id: str, timeout: float = 120) -> str:
        """Poll a flow run until it is terminal; returns its state type."""
        deadline = time.monotonic() + timeout
        state = "UNKNOWN"
        while time.monotonic() < deadline:
            state = (self.get(f"/flow_runs/{run_id}").get("state") or {}).get("type", "UNKNOWN")
            if state in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                return state
            time.sleep(1)
        return state


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    """Stop a process started in its own session, and everything it started."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    """A real Prefect server (SQLite in a temporary PREFECT_HOME), stopped at the end."""
    home = tmp_path_factory.mktemp("prefect-server")
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "5",
        "PREFECT_LOGGING_TO_API_BATCH_INTERVAL": "0.3",
        # The worker runs flows with its own interpreter; `python` must be this venv's.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("PREFECT_API_KEY", None)
    log = home / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env={k: v for k, v in env.items() if k != "PREFECT_API_URL"},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"prefect server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield PrefectServer(api_url, env, home, log)
    finally:
        _stop(server)


@pytest.fixture(scope="session")
def tiny_database(tmp_path_factory) -> str:
    """A SQLite database with tests/data/tiny loaded (no Prefect involved)."""
    from scheduling.store.db import ensure_database
    from scheduling.store.intake_store import load_path

    url = f"sqlite:///{tmp_path_factory.mktemp('tiny-db') / 'fieldplan.sqlite'}"
    engine = ensure_database(url)
    try:
        report = load_path(engine, _ROOT / "tests" / "data" / "tiny")
        assert report.accepted > 0
    finally:
        engine.dispose()
    return url
