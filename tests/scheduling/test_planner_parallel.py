"""The offices' searches side by side in worker processes give the plan of one process."""

from __future__ import annotations

import os
import threading

import pytest

from benchmarks.field import scenario
from scheduling import planner
from scheduling.planner_parallel import can_fork, run_side_by_side, shares
from scheduling.policy import load_policy
from scheduling.validate import assert_valid

POLICY = load_policy()


def test_each_search_gets_its_part_of_the_processes_time_and_never_more_than_all():
    """Two processes of 10 s: sizes 50/30/20 get 10 s (capped), 6 s and 4 s."""
    assert shares([50, 30, 20], 10.0, 2) == [10.0, 6.0, 4.0]
    assert shares([1, 1], 10.0, 1) == [5.0, 5.0]


def test_jobs_run_in_other_processes_and_come_back_in_their_order():
    """Three jobs on two forked workers: each result in its job's place, none computed
    by this process; the workers fork, so the jobs need not be picklable (lambdas)."""
    jobs = [lambda i=i: (i, os.getpid()) for i in range(3)]
    assert can_fork(2, len(jobs))
    results = run_side_by_side(jobs, [1, 3, 2], workers=2)
    assert [i for i, _ in results] == [0, 1, 2]
    assert os.getpid() not in {pid for _, pid in results}


def test_two_threads_each_get_their_own_jobs_results():
    """Two threads of one process (a flow's task runner) run pools at the same time: each
    gets the results of its own jobs."""
    got: dict[str, list] = {}

    def run(name: str) -> None:
        jobs = [lambda i=i: f"{name}{i}" for i in range(3)]
        got[name] = run_side_by_side(jobs, [1, 1, 1], workers=2)

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == {"a": ["a0", "a1", "a2"], "b": ["b0", "b1", "b2"]}


def test_a_failing_job_raises_its_error_here():
    def fails():
        raise ValueError("office EAST: no engineer")

    with pytest.raises(ValueError, match="office EAST"):
        run_side_by_side([lambda: 1, fails], [1, 1], workers=2)


def test_one_worker_or_one_search_runs_in_this_process():
    assert not can_fork(1, 3)
    assert not can_fork(2, 1)


def test_offices_searched_side_by_side_give_the_plan_searched_in_turn(monkeypatch, tmp_path):
    """A three-office scenario, the searches bounded by solutions found (not by time)
    from the dispatcher's plan: two worker processes give exactly the plan one process
    gives, valid, and the offices' searches did run in the workers."""
    settings = POLICY.planner.model_copy(update={"first_solution": "greedy"})
    policy = POLICY.model_copy(update={"planner": settings})
    problem = scenario(40, 6, seed=3, policy=policy, load="steady")
    assert len({e.office_id for e in problem.engineers}) > 1
    in_turn = planner.plan(problem, policy, seed=0, time_limit=60, solution_limit=10)
    assert_valid(in_turn, problem, policy)

    log = tmp_path / "pids"
    real = planner._route_part

    def spy(*args, **kwargs):
        with log.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return real(*args, **kwargs)

    monkeypatch.setattr(planner, "_route_part", spy)
    side_by_side = planner.plan(problem, policy, seed=0, time_limit=60, solution_limit=10,
                                workers=2)  # fmt: skip
    assert_valid(side_by_side, problem, policy)
    assert side_by_side.visits == in_turn.visits
    assert side_by_side.unassigned == in_turn.unassigned
    pids = log.read_text().split()
    assert len(pids) > 1 and str(os.getpid()) not in pids
