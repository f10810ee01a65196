"""Printing and saving benchmark results the same way in every script."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path


def print_table(records: list[dict], text_columns: tuple[str, ...] = ()) -> None:
    """The machine line and a Markdown table of `records` (one row each, the first record's
    keys as columns; `text_columns` left-aligned, the rest right-aligned)."""
    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    print(f"Machine: {machine}, Python {platform.python_version()}")
    columns = list(records[0]) if records else []
    print("| " + " | ".join(columns) + " |")
    print("|" + "|".join("---" if c in text_columns else "---:" for c in columns) + "|")
    for row in records:
        print("| " + " | ".join(str(row[c]) for c in columns) + " |")


def write_json(path: str | None, records: list[dict]) -> None:
    """`records` as a JSON list at `path` (folders created); nothing when `path` is None."""
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
