"""Column types for exact non-money quantities (hours of work), on every backend."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

_CENT = Decimal("0.01")


class Hours(TypeDecorator[Decimal]):
    """A duration in hours to two decimals: NUMERIC(8, 2) on PostgreSQL, a string on SQLite.

    SQLite has no exact decimals (it would go through float), so it stores the text.
    """

    impl = Numeric(8, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(16))
        return dialect.type_descriptor(Numeric(8, 2, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect):
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"hours must be Decimal, got {type(value).__name__} {value!r}")
        quantized = value.quantize(_CENT)
        if quantized != value:
            raise ValueError(f"hours {value} has more than two decimal places")
        return str(quantized) if dialect.name == "sqlite" else quantized

    def process_result_value(self, value, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(_CENT)
