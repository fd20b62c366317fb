"""The exactly-once journal: one row per deposit call, committed before the call is made."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from chorus_connect.store.enums import DepositState
from chorus_connect.store.models.base import Base, Timestamps
from chorus_connect.store.types import EnumText

_OPEN = text("state IN ('pending', 'sent', 'unknown')")


class DepositAttempt(Timestamps, Base):
    """A deposit of one invoice (``invoice_id``) or of one zip batch (``batch_id``), never both."""

    __tablename__ = "deposit_attempts"
    __table_args__ = (
        CheckConstraint("(invoice_id IS NULL) <> (batch_id IS NULL)", name="one_target"),
        UniqueConstraint("invoice_id", "attempt_number"),
        UniqueConstraint("batch_id", "attempt_number"),
        # At most one open attempt per invoice and per batch: a second call can only be journaled once the
        # first one's outcome is settled — the database itself refuses a blind retry.
        Index(
            "uq_deposit_attempts_open_invoice",
            "invoice_id",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
        Index(
            "uq_deposit_attempts_open_batch",
            "batch_id",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
        Index("ix_deposit_attempts_state", "structure_id", "state"),
    )
    _repr_columns: ClassVar[tuple[str, ...]] = ("invoice_id", "batch_id", "attempt_number", "state")

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    attempt_number: Mapped[int] = mapped_column(Integer)
    state: Mapped[DepositState] = mapped_column(EnumText(DepositState, 20), default=DepositState.PENDING)
    worker: Mapped[str | None] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    syntax: Mapped[str | None] = mapped_column(String(60))
    flux_number: Mapped[str | None] = mapped_column(String(60), index=True)  # numeroFluxDepot
    deposited_at: Mapped[dt.datetime | None]  # dateDepot as answered by Chorus Pro
    sent_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
