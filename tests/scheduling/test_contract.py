"""The data contract table: consistent with the domain model, its docs and its own formats."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduling.contract import (
    BOOLEAN,
    CONTRACT,
    DATE,
    DATETIME,
    HOURS,
    PERIODS,
    TIMEZONE,
    VERSION,
    WORDS,
    CellError,
    render_markdown,
    to_row,
)
from scheduling.intake import KINDS
from scheduling.model import Channel, Kind, Level, PaidPeriod, Urgency, Zone

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-contract.md"


def test_the_doc_is_rendered_from_the_contract():
    """docs/data-contract.md is exactly what the contract renders (regenerate it if not)."""
    assert DOC.read_text(encoding="utf-8") == render_markdown(), (
        "run: .venv/bin/python -m scheduling.contract > docs/data-contract.md"
    )


def test_every_contract_column_appears_in_the_doc():
    """Every column of every file is documented."""
    text = DOC.read_text(encoding="utf-8")
    for spec in CONTRACT.values():
        assert f"## `{spec.kind}`" in text
        for name in spec.column_names:
            assert f"| `{name}` |" in text, (spec.kind, name)


def test_the_four_kinds_are_in_the_contract_in_load_order():
    """The loader's kinds are all in the contract, in the order the contract lists them."""
    assert [kind for kind in CONTRACT if kind in KINDS] == list(KINDS)
    assert CONTRACT["office_calendar"].optional


@pytest.mark.parametrize("kind", list(CONTRACT))
def test_columns_are_exactly_the_record_fields_without_defaults(kind):
    """Each column fills a field of the same name; a mandatory field always gets a value."""
    spec = CONTRACT[kind]
    fields = {f.name: f for f in dataclasses.fields(spec.record)}
    assert set(spec.column_names) <= set(fields)
    for name, field in fields.items():
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            # A mandatory field is a required column, or an optional one with a real default
            # (calendar: CN; subtype: the reader puts the kind when empty).
            column = spec.column(name)
            assert column.required or column.default is not None, name
    for column in spec.columns:
        field = fields[column.name]
        if not column.required and field.default is not dataclasses.MISSING:
            assert column.default == field.default, column.name


def test_enum_columns_list_the_model_values():
    """Kinds, urgencies, channels, levels and zones accept exactly the model's values."""
    for kind, column, enum in [
        ("requests", "kind", Kind),
        ("requests", "urgency", Urgency),
        ("requests", "channel", Channel),
        ("customers", "level", Level),
        ("customers", "zone", Zone),
    ]:
        cell = CONTRACT[kind].column(column).type
        assert [cell.parse(member.value) for member in enum] == list(enum)
        with pytest.raises(CellError):
            cell.parse("other")


@pytest.mark.parametrize(
    ("cell", "text", "value"),
    [
        (BOOLEAN, "是", True),
        (BOOLEAN, "否", False),
        (DATE, "2026-02-28", date(2026, 2, 28)),
        (VERSION, "10.05", "10.05"),
        (HOURS, "1.5", Decimal("1.5")),
        (WORDS, "pos;pms", frozenset({"pms", "pos"})),
        (PERIODS, "2026-01-01..2026-12-31", (PaidPeriod(date(2026, 1, 1), date(2026, 12, 31)),)),
    ],
)
def test_cells_read_their_documented_formats(cell, text, value):
    """Each cell type reads the format the doc shows."""
    assert cell.parse(text) == value


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        (DATE, "2026-11-31"),
        (DATE, "2026/11/30"),
        (VERSION, "9.1"),
        (VERSION, "v9.12"),
        (VERSION, "9.123"),
        (HOURS, "0"),
        (HOURS, "NaN"),
        (HOURS, "25"),
        (DATETIME, "2026-11-30T08:00"),
        (PERIODS, "2026-01-01"),
        (WORDS, "pms pos"),
        (TIMEZONE, "Asia"),
        (TIMEZONE, "Mars/Olympus"),
        (TIMEZONE, "x" * 300),
    ],
)
def test_cells_refuse_what_is_not_their_format(cell, text):
    """Malformed cell text raises CellError with a reason."""
    with pytest.raises(CellError) as error:
        cell.parse(text)
    assert str(error.value)


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([timezone(timedelta(hours=h)) for h in (-5, 0, 8, 9)]),
    )
)
def test_datetimes_survive_format_then_parse(moment):
    """Any aware time written by the contract reads back as the same instant."""
    assert DATETIME.parse(DATETIME.format(moment)) == moment


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("24"), places=2))
def test_hours_survive_format_then_parse(hours):
    """Any duration written by the contract reads back equal."""
    assert HOURS.parse(HOURS.format(hours)) == hours


@given(
    st.lists(
        st.tuples(st.dates(), st.integers(0, 800)).map(
            lambda t: (
                PaidPeriod(t[0], t[0] + timedelta(days=t[1]))
                if t[0] <= date(9000, 1, 1)
                else PaidPeriod(t[0], t[0])
            )
        ),
        max_size=4,
    )
)
def test_paid_periods_survive_format_then_parse(periods):
    """Paid periods written by the contract read back, sorted by start."""
    periods = tuple(sorted(periods, key=lambda p: p.start))
    text = PERIODS.format(periods) if periods else ""
    assert (PERIODS.parse(text) if text else ()) == periods


def test_to_row_writes_in_column_order_with_empty_optionals():
    """A record's row follows the contract's column order; None and empty sets are empty."""
    spec = CONTRACT["requests"]
    record = spec.record(
        request_ref="R1",
        customer_id="C1",
        kind=Kind.TRAINING,
        subtype="training",
        urgency=Urgency.P3,
        channel=Channel.WEB,
        received_at=datetime(2026, 11, 20, 9, 0, tzinfo=timezone(timedelta(hours=8))),
        duration_hours=Decimal("7"),
        sessions=3,
    )
    row = to_row("requests", record)
    assert list(row) == list(spec.column_names)
    assert row["received_at"] == "2026-11-20T09:00+08:00"
    assert (row["sessions"], row["required_skills"], row["target_version"]) == ("3", "", "")
    assert row["emergency"] == "false"
