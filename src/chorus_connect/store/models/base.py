"""Declarative base, naming convention (stable constraint names for Alembic) and shared column groups."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import Integer, MetaData, String, inspect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chorus_connect.store.types import UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Marks a column holding a Fernet token: key rotation finds every such column through this flag.
ENCRYPTED: dict[str, Any] = {"encrypted": True}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UtcDateTime()}

    # Shown by repr: the id plus a few identifying columns; encrypted columns never.
    _repr_columns: ClassVar[tuple[str, ...]] = ()

    def __repr__(self) -> str:
        state = inspect(self)
        shown = ["id", *self._repr_columns]
        parts = []
        for name in shown:
            if name in state.unloaded:
                continue
            parts.append(f"{name}={getattr(self, name, None)!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


class Timestamps:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Leased:
    """Columns of a row that workers claim: who holds it, until when, and a fencing token.

    ``lease_token`` grows by one at every claim, so a worker whose lease expired and was taken over cannot
    write any more (its writes check the token it was given).
    """

    claimed_by: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[dt.datetime | None]
    lease_token: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
