"""Bulk intake: loading a generated data set into a fresh database, then loading it again.

Usage::

    python benchmarks/intake.py [--requests 5000] [--engineers 300] [--seed 3]
        [--url sqlite:///PATH | postgresql+psycopg://...] [--json PATH]

Generates the data set with :func:`scheduling.generate.generate_dataset` (customers = 5/4 of
the requests), writes it as the contract's CSV files, and times
:func:`scheduling.store.intake_store.load_path` twice: the first load (everything created)
and a second one of the same files (everything unchanged). Without ``--url`` a new SQLite
file in a temporary folder is used; a PostgreSQL URL must name an empty database at the
newest migration. Prints a table to paste into BENCHMARKS.md; ``--json`` writes the rows.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.report import print_table, write_json
from scheduling.generate import generate_dataset, write_dataset
from scheduling.store.db import open_database
from scheduling.store.intake_store import load_path

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--engineers", type=int, default=300)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--url", default=None)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        data = generate_dataset(args.requests, args.engineers, args.seed, NOW)
        write_dataset(data, folder)
        rows = sum(len(f.read_text(encoding="utf-8").splitlines()) - 1 for f in folder.iterdir())
        engine = open_database(args.url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        records = []
        for run in ("first load", "same files again"):
            began = time.perf_counter()
            report = load_path(engine, folder, now=NOW)
            seconds = time.perf_counter() - began
            records.append(
                {
                    "database": engine.dialect.name,
                    "run": run,
                    "rows": rows,
                    "created": sum(f.created for f in report.files),
                    "unchanged": sum(f.unchanged for f in report.files),
                    "refused": sum(f.refused for f in report.files),
                    "seconds": round(seconds, 2),
                    "rows_per_second": round(rows / seconds),
                }
            )
        engine.dispose()
    print_table(records, ("database", "run"))
    write_json(args.json, records)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
