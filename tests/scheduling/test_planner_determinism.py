"""The planner's bookings do not depend on the process: Python salts string hashes per
process, so anything decided in set order would change from one run to the next."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The bookings (trainings, trips, the stranded visits' rebooking) of the steady 500/40
# scenario of generator seed 4, whose rebooking differed between hash seeds 0 and 2 while
# its model was built in set order.
BOOKINGS = """
import sys
from benchmarks.field import scenario
from scheduling.planner import prepare
from scheduling.policy import load_policy
from scheduling.travel import GreatCircleTravel
policy = load_policy()
problem = scenario(500, 40, 4, policy, "steady")
prepared = prepare(problem, policy, GreatCircleTravel(policy))
print(sorted((v.request_ref, v.session, v.engineer_id, str(v.day)) for v in prepared.visits))
print(sorted(u.request_ref for u in prepared.unassigned))
"""


def _bookings(hash_seed: int) -> str:
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
    done = subprocess.run(
        [sys.executable, "-c", BOOKINGS], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_bookings_are_the_same_whatever_the_string_hashing():
    """Three processes with different hash seeds book the same visits on the same days."""
    first = _bookings(0)
    assert "SR-" in first
    assert _bookings(2) == first
    assert _bookings(4) == first
