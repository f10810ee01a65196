"""The `plan` flow: plan the horizon, persist it atomically, write plan.json, Gantt, itineraries.

Read top to bottom, this is the dispatcher's recipe:

1. take the planning lock (one plan or replan at a time; a second caller gets `PlanBusy`),
2. load the problem (open requests, engineers, calendar, pinned visits) from the database,
3. cut it into one problem per office and solve them in parallel on the flow's task runner
   (threads by default; a Dask cluster with `prefect-dask`),
4. join the parts, re-check the whole plan with the independent validator,
5. save it as the active plan in one transaction (the previous plan stays active until then),
6. write plan.json and the Gantt chart, issue the engineers' itineraries, publish artifacts.

Data between tasks: URLs, dates, paths and the domain's frozen dataclasses; never sessions or
engines (NOTES-prefect.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows import artifacts
from flows.gantt import write_gantt
from flows.locking import plan_lock
from flows.partition import merge_plans, split_by_office
from flows.retries import db_task_options
from flows.settings import default_plan_dir, resolve_database_url, task_runner
from scheduling.model import Plan, Problem
from scheduling.policy import Policy, load_policy

Partition = Literal["office", "none"]
# KPI key marking plans made with the fallback's fewer pins (a replan that could not keep
# every unaffected visit in place); its value counts the parts concerned.
RELAXED = "pins_relaxed"


@dataclass(frozen=True)
class PlanOutcome:
    """What a plan run produced: the stored plan's id, its files and its headline counts."""

    plan_id: int | None
    horizon_start: date | None
    output_dir: str | None = None
    plan_json: str | None = None
    gantt: str | None = None
    itineraries: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    kpis: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None  # why nothing was planned (a non-working day)
    moves: tuple[dict[str, Any], ...] = ()  # replan only: what changed

    @property
    def exit_code(self) -> int:
        """0 when every visit is planned on time, 1 when some are late or unassigned."""
        return 1 if self.counts.get("late") or self.counts.get("unassigned") else 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly view for `--json` output."""
        return {**asdict(self), "exit_code": self.exit_code}


# --- tasks --------------------------------------------------------------------------------


@task(name="prepare-database", **db_task_options())
def prepare_database(database_url: str) -> None:
    """Apply migrations so the database is at the newest revision."""
    from scheduling.store.db import ensure_database

    ensure_database(database_url).dispose()


@task(name="load-problem", **db_task_options())
def load_problem_task(database_url: str, start: date, policy: Policy) -> Problem:
    """Read the planning problem for the horizon starting `start` from the database."""
    from scheduling.store.db import make_engine, session_scope
    from scheduling.store.repository import load_problem

    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            return load_problem(session, start, policy)
    finally:
        engine.dispose()


@task(name="solve", cache_policy=NO_CACHE)
def solve_part(
    problem: Problem,
    policy: Policy,
    seed: int,
    time_limit: float | None,
    solution_limit: int | None = None,
    fallback: Problem | None = None,
) -> Plan:
    """Solve one independent part (one office) with the planner.

    When the planner cannot keep the part's pinned visits (`PlanningError`) and a `fallback`
    problem with fewer pins is given, that one is solved instead, with a warning.
    """
    from scheduling.planner import PlanningError, plan

    logger = get_run_logger()
    office = problem.offices[0].office_id if len(problem.offices) == 1 else "all offices"
    logger.info(
        "Planning %s: %d request(s), %d engineer(s), %d pinned visit(s)",
        office,
        len(problem.requests),
        len(problem.engineers),
        len(problem.pinned),
    )
    try:
        return plan(
            problem, policy, seed=seed, time_limit=time_limit, solution_limit=solution_limit
        )
    except PlanningError as exc:
        if fallback is None:
            raise
        logger.warning(
            "%s: the planner could not keep every unaffected visit in place (%s); re-planning "
            "with only the committed and started visits pinned, from the previous plan",
            office,
            exc,
        )
        relaxed = plan(
            fallback, policy, seed=seed, time_limit=time_limit, solution_limit=solution_limit
        )
        return replace(relaxed, kpis={**relaxed.kpis, RELAXED: 1})


class InvalidPlan(RuntimeError):
    """The joined plan fails the independent validator; it is not saved."""


@task(name="validate", cache_policy=NO_CACHE)
def validate_task(problem: Problem, plan: Plan, policy: Policy) -> None:
    """Re-check the whole joined plan against the whole problem; a broken plan is never saved.

    Each part was validated by the planner; this catches what only the whole can show
    (an engineer or a request appearing in two parts).
    """
    from scheduling.validate import validate_plan

    violations = validate_plan(plan, problem, policy)
    if violations:
        listed = "\n  ".join(str(v) for v in violations[:20])
        raise InvalidPlan(f"the joined plan breaks {len(violations)} rule(s):\n  {listed}")


@task(name="save-plan", **db_task_options())
def save_plan_task(
    database_url: str, plan: Plan, problem: Problem, policy: Policy, now: datetime | None
) -> int:
    """Store the plan as the active one and its estimated travel costs, in one transaction.

    Either both are saved or neither: finance never sees costs of a plan that is not active.
    """
    from scheduling.billing import record_plan_costs
    from scheduling.store.db import make_engine, session_scope
    from scheduling.store.repository import save_plan

    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            plan_id = save_plan(session, plan, problem.start)
            costs = record_plan_costs(session, plan_id, plan, problem, policy, now=now)
            get_run_logger().info(
                "Plan %s: %d trip(s) priced, %s billed to customers",
                plan_id,
                costs.trips,
                costs.billed_total,
            )
            return plan_id
    finally:
        engine.dispose()


@task(name="write-plan-files", cache_policy=NO_CACHE)
def write_plan_files(plan: Plan, problem: Problem, out_dir: str, title: str) -> dict[str, str]:
    """Write plan.json and the Gantt chart into `out_dir`; returns their paths."""
    from scheduling.planjson import write_plan_json

    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    plan_json = folder / "plan.json"
    write_plan_json(plan, plan_json)
    customers = {c.customer_id: c.name for c in problem.customers}
    labels = {r.request_ref: customers.get(r.customer_id, "") for r in problem.requests}
    gantt = write_gantt(
        plan,
        folder / "gantt.html",
        title=title,
        engineer_names={e.engineer_id: e.name for e in problem.engineers},
        request_labels=labels,
    )
    return {"plan.json": str(plan_json), "gantt": str(gantt)}


@task(name="issue-itineraries", cache_policy=NO_CACHE)
def issue_itineraries_task(
    plan: Plan, problem: Problem, policy: Policy, out_dir: str, issued_at: datetime | None
) -> str:
    """Write each engineer's itinerary (calendar file and page) into `out_dir`."""
    from scheduling.outbox import issue_itineraries

    report = issue_itineraries(plan, problem, policy, Path(out_dir), issued_at=issued_at)
    get_run_logger().info(
        "Itineraries for %d engineer(s) in %s: %s", len(report.engineers), out_dir, report.totals
    )
    return out_dir


# --- the shared recipe ----------------------------------------------------------------------


def horizon_start_for(start: date | None, policy: Policy, now: datetime | None = None) -> date:
    """`start`, else the day of `now` (default: the current time) in the policy's zone."""
    return start or (now or datetime.now(policy.general.tz)).astimezone(policy.general.tz).date()


def solve(
    problem: Problem,
    policy: Policy,
    seed: int,
    time_limit: float | None,
    partition: str,
    solution_limit: int | None = None,
    fallback: Problem | None = None,
) -> tuple[Plan, Problem]:
    """Solve `problem`, split by office when asked, the parts side by side; join the plans.

    The joined plan's KPIs are computed on the whole problem, with the wall-clock seconds of
    the parallel solve. `fallback` is a version of `problem` with fewer pins, tried for a
    part whose pins the planner cannot keep; the problem returned is the one the plan was
    made for (with the fallback's pins where it was used), to validate the plan against.
    """
    from scheduling.kpis import plan_kpis

    began = time.perf_counter()

    def cut(whole: Problem) -> list[Problem]:
        return split_by_office(whole) if partition == "office" else [whole]

    parts = cut(problem)
    # Both versions have the same offices, engineers and requests, so they cut alike.
    spares: list[Problem | None] = cut(fallback) if fallback is not None else [None] * len(parts)
    futures = [
        solve_part.submit(part, policy, seed, time_limit, solution_limit, spare)
        for part, spare in zip(parts, spares, strict=True)
    ]
    plans = [f.result() for f in futures]
    relaxed = [p.kpis.get(RELAXED) for p in plans]
    if any(relaxed):
        # Judge the plan by the pins each part was actually solved with.
        used = [s if r else p for p, s, r in zip(parts, spares, relaxed, strict=True)]
        problem = replace(problem, pinned=tuple(v for u in used for v in u.pinned))  # type: ignore[union-attr]
    if len(plans) == 1:
        return plans[0], problem
    joined = merge_plans(plans)
    kpis = plan_kpis(joined, problem, policy, time.perf_counter() - began)
    extra = {
        "parts": len(plans),
        **({RELAXED: sum(1 for r in relaxed if r)} if any(relaxed) else {}),
    }
    return replace(joined, kpis={**kpis, **extra}), problem


def plan_and_publish(
    *,
    database_url: str,
    policy: Policy,
    start: date,
    output: str | None,
    seed: int,
    time_limit: float | None,
    partition: str,
    itineraries: bool,
    title: str,
    now: datetime | None = None,
    solution_limit: int | None = None,
    adjust: Callable[[Problem], Problem] | None = None,
    relax: Callable[[Problem], Problem] | None = None,
) -> tuple[PlanOutcome, Problem, Plan]:
    """Load, solve, validate, save, write files and publish artifacts (under the lock)."""
    logger = get_run_logger()
    prepare_database(database_url)
    problem = load_problem_task(database_url, start, policy)
    fallback = relax(problem) if relax is not None else None
    if adjust is not None:
        problem = adjust(problem)
    plan, problem = solve(problem, policy, seed, time_limit, partition, solution_limit, fallback)
    logger.info("Solved: %s", plan.kpis)
    validate_task(problem, plan, policy)
    plan_id = save_plan_task(database_url, plan, problem, policy, now)
    out_dir = Path(output) if output else default_plan_dir()
    files = write_plan_files(plan, problem, str(out_dir), title)
    outbox = None
    if itineraries:
        outbox = issue_itineraries_task(plan, problem, policy, str(out_dir / "itineraries"), now)
        files["itineraries"] = outbox
    artifacts.publish_plan(plan, title, files, gantt=Path(files["gantt"]))
    counts = artifacts.plan_counts(plan)
    logger.info("Plan %s saved: %s", plan_id, counts)
    outcome = PlanOutcome(
        plan_id=plan_id,
        horizon_start=start,
        output_dir=str(out_dir),
        plan_json=files["plan.json"],
        gantt=files["gantt"],
        itineraries=outbox,
        counts=counts,
        kpis=dict(plan.kpis),
    )
    return outcome, problem, plan


def non_working_today(policy: Policy, today: date | None = None) -> str | None:
    """Why today is not a working day in the policy's default region, or None if it is."""
    from scheduling.calendars import region_calendar

    today = today or datetime.now(policy.general.tz).date()
    calendar = region_calendar(policy.calendar.default_region, policy)
    if calendar.is_working_day(today):
        return None
    return f"{today.isoformat()} is not a working day ({calendar.explain(today).why})"


# --- the flow -----------------------------------------------------------------------------


@flow(
    name="plan",
    task_runner=task_runner(),
    description="Plan the horizon, save it atomically, write plan.json, Gantt and itineraries.",
)
def plan_flow(
    start: date | None = None,
    output: str | None = None,
    seed: int = 0,
    time_limit: float | None = None,
    database_url: str | None = None,
    policy_path: str | None = None,
    partition: Partition = "office",
    working_days_only: bool = False,
    itineraries: bool = True,
    now: datetime | None = None,
    solution_limit: int | None = None,
) -> PlanOutcome:
    """Plan the horizon from `start` (default: the day of `now`) and make it the active plan.

    `partition="office"` solves each office on its own, in parallel; `"none"` solves all at
    once. `working_days_only` (the nightly schedule) skips a non-working day of the policy's
    default region. `now` (default: the current time) stamps the itineraries.
    `solution_limit` stops each solve after that many improving solutions, so the plan does
    not depend on the machine's speed (the time limit is then a safety net). Raises
    `PlanBusy` if another plan or replan is running.
    """
    policy = load_policy(policy_path)
    if working_days_only:
        reason = non_working_today(policy, now.date() if now else None)
        if reason:
            get_run_logger().info("Nothing to plan: %s", reason)
            return PlanOutcome(plan_id=None, horizon_start=None, skipped=reason)
    url = resolve_database_url(database_url)
    horizon = horizon_start_for(start, policy, now)
    with plan_lock(url, "plan"):
        outcome, _, _ = plan_and_publish(
            database_url=url,
            policy=policy,
            start=horizon,
            output=output,
            seed=seed,
            time_limit=time_limit,
            partition=partition,
            itineraries=itineraries,
            title=f"Plan from {horizon.isoformat()}",
            now=now,
            solution_limit=solution_limit,
        )
    return outcome
