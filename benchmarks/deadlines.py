"""Response deadlines for many requests at once: the vectorized path's throughput.

Usage::

    python benchmarks/deadlines.py --n 1000000 [--seed 7] [--repeat 3] [--policy PATH]
        [--requests CSV] [--json PATH]

Without ``--requests`` it draws ``--n`` synthetic requests (seeded): receipt moments spread
over 2024-2026 at any hour, zones city/suburban/out_of_town, 10 % training (half with a
window), 5 % expired. With ``--requests CSV`` it reads columns ``received_at`` (ISO 8601),
``zone`` and optionally ``kind``, ``window_end``, ``validity`` instead. It times
:func:`scheduling.deadlines.deadlines_for` on the mainland calendar (the first run includes
building the working-day index) and prints a table you can paste into BENCHMARKS.md;
``--json`` writes the same figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scheduling.calendars import WorkingCalendar
from scheduling.deadlines import deadlines_for
from scheduling.policy import load_policy


def synthetic_requests(n: int, seed: int) -> pd.DataFrame:
    """`n` seeded synthetic requests received between 2024-01-01 and 2026-12-31 (Shanghai)."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01T00:00", "m")
    minutes = rng.integers(0, 3 * 365 * 24 * 60, n)
    local = (start + minutes.astype("timedelta64[m]")).astype("datetime64[ns]")
    received = pd.Series(local).dt.tz_localize("Asia/Shanghai")
    zone = rng.choice(np.array(["city", "suburban", "out_of_town"]), n)
    kind = np.where(rng.random(n) < 0.10, "training", "onsite_service")
    window = np.where(
        (kind == "training") & (rng.random(n) < 0.5),
        (local.astype("datetime64[D]") + rng.integers(0, 40, n).astype("timedelta64[D]")),
        np.datetime64("NaT"),
    )
    validity = np.where(rng.random(n) < 0.05, "expired", "paid")
    return pd.DataFrame(
        {
            "received_at": received,
            "zone": zone,
            "kind": kind,
            "window_end": window,
            "validity": validity,
        }
    )


def read_requests(path: Path) -> pd.DataFrame:
    """Requests from a CSV file with at least `received_at` and `zone` columns."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["received_at"] = pd.to_datetime(frame["received_at"], utc=True)
    if "window_end" in frame:
        frame["window_end"] = pd.to_datetime(frame["window_end"].replace("", None))
    return frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="synthetic requests")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs after the first")
    parser.add_argument("--policy", type=Path, default=None, help="policy file")
    parser.add_argument("--requests", type=Path, default=None, help="CSV of requests")
    parser.add_argument("--json", type=Path, default=None, help="write figures as JSON")
    parser.add_argument(
        "--check", type=int, default=1000, help="rows re-computed by the scalar path (0: none)"
    )
    args = parser.parse_args(argv)

    policy = load_policy(args.policy)
    frame = read_requests(args.requests) if args.requests else synthetic_requests(args.n, args.seed)
    calendar = WorkingCalendar("CN", hours=policy.working_hours)

    runs = []
    for _ in range(1 + max(0, args.repeat)):
        began = time.perf_counter()
        result = deadlines_for(frame, calendar, policy)
        runs.append(time.perf_counter() - began)
    n = len(frame)
    mismatches = check(frame, result, calendar, policy, args.check, args.seed)
    best = min(runs[1:]) if len(runs) > 1 else runs[0]
    figures = {
        "n": n,
        "first_seconds": round(runs[0], 3),
        "best_seconds": round(best, 3),
        "rate_per_second": round(n / best) if best else None,
        "deadlines": int(result.notna().sum()),
        "checked_rows": min(args.check, n),
        "mismatches": mismatches,
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
    }
    print("| n | first run (s, index build included) | best of repeats (s) | rate (requests/s) |")
    print("|---:|---:|---:|---:|")
    print(
        f"| {n:,} | {figures['first_seconds']:.3f} | {figures['best_seconds']:.3f} "
        f"| {figures['rate_per_second']:,} |"
    )
    print(
        f"\n{figures['deadlines']:,} deadlines (expired rows have none); {figures['machine']}; "
        f"{figures['checked_rows']} random rows re-computed by the scalar path: "
        f"{mismatches} mismatches"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 1 if mismatches else 0


def check(frame: pd.DataFrame, result: pd.Series, calendar, policy, rows: int, seed: int) -> int:
    """Re-compute `rows` random rows with the scalar path; the number that differ."""
    from scheduling.deadlines import deadline_for

    if rows <= 0 or frame.empty:
        return 0
    picks = np.random.default_rng(seed).choice(len(frame), min(rows, len(frame)), replace=False)
    bad = 0
    for i in picks:
        row = frame.iloc[i]
        window = row.get("window_end")
        window = None if window is None or pd.isna(window) else pd.Timestamp(window).date()
        expected = (
            None
            if row.get("validity") == "expired"
            else deadline_for(
                row["received_at"].to_pydatetime(),
                row["zone"],
                calendar,
                policy,
                kind=row.get("kind", "onsite_service"),
                window_end=window,
            ).deadline
        )
        got = result.iloc[i]
        got = None if pd.isna(got) else got.to_pydatetime()
        bad += got != expected
    return bad


if __name__ == "__main__":
    raise SystemExit(main())
