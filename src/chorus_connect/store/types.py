"""Column types that behave the same on SQLite and PostgreSQL.

- ``UtcDateTime``: aware UTC datetimes in Python; ``timestamptz`` on PostgreSQL, naive UTC ISO text on SQLite
  (which compares correctly as text because every value has the same format and zone).
- ``Amount``: exact ``Decimal`` amounts; ``numeric(19, 6)`` on PostgreSQL, integer micro-units on SQLite
  (SQLite has no decimal type and would store floats), so sums, ranges and ordering stay exact in SQL.
- ``EnumText``: a ``StrEnum`` stored as its value in a ``varchar`` (no database ENUM to migrate).
- ``JsonDocument``: ``jsonb`` on PostgreSQL, JSON text on SQLite.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

AMOUNT_SCALE = 6  # Chorus Pro amounts: up to 6 decimals, 19 positions (reference §4.10)
_MICRO = Decimal(10) ** AMOUNT_SCALE


class UtcDateTime(TypeDecorator[dt.datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store: pass an aware datetime (UTC)")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Amount(TypeDecorator[Decimal]):
    impl = Numeric(19, AMOUNT_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(19, AMOUNT_SCALE, asdecimal=True))

    def process_bind_param(self, value: Decimal | int | str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = Decimal(value)
        if dialect.name == "sqlite":
            return int((amount * _MICRO).to_integral_value())
        return amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(value) / _MICRO).normalize() + Decimal("0.00")
        return Decimal(value).normalize() + Decimal("0.00")


E = TypeVar("E", bound=StrEnum)


class EnumText(TypeDecorator[E], Generic[E]):
    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int = 40) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


JsonDocument = JSON().with_variant(JSONB(), "postgresql")
