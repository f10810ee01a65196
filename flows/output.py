"""Printing results for people (rich tables) or for scripts (`--json`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console()
errors = Console(stderr=True)


def to_jsonable(value: Any) -> Any:
    """Turn dates, decimals, enums, sets and dataclass-like mappings into JSON values."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(to_jsonable(v) for v in value)
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def print_json(value: Any) -> None:
    """Print `value` as indented JSON on standard output, nothing else."""
    print(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2))


def print_table(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str], title: str | None = None
) -> None:
    """Print `rows` as a table with the given columns, in order."""
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(
            *("" if row.get(c) is None else str(to_jsonable(row.get(c))) for c in columns)
        )
    console.print(table)
