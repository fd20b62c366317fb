"""The notification outbox: written in the same transaction as the change it reports, sent later."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chorus_connect.store.enums import NotificationChannel, NotificationKind
from chorus_connect.store.models.base import Base, Leased, Timestamps
from chorus_connect.store.types import EnumText, JsonDocument


class Notification(Timestamps, Leased, Base):
    __tablename__ = "notifications"
    __table_args__ = (
        # The same event is announced once per channel even if the engine sees it twice.
        UniqueConstraint("structure_id", "channel", "dedupe_key"),
        Index("ix_notifications_pending", "sent_at", "next_attempt_at"),
    )
    _repr_columns: ClassVar[tuple[str, ...]] = ("structure_id", "kind", "channel", "sent_at")

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    kind: Mapped[NotificationKind] = mapped_column(EnumText(NotificationKind, 30))
    channel: Mapped[NotificationChannel] = mapped_column(EnumText(NotificationChannel, 20))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    sent_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
