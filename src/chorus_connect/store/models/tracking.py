"""Per-structure synchronisation cursors (what was already seen on Chorus Pro)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chorus_connect.store.models.base import Base, Leased, Timestamps
from chorus_connect.store.types import JsonDocument


class SyncCursor(Timestamps, Leased, Base):
    """``last_change_at`` feeds ``periodeDateHeureEtatCourantDu`` of the next search; the lease makes one
    worker at a time sync a given structure and kind."""

    __tablename__ = "sync_cursors"
    __table_args__ = (UniqueConstraint("structure_id", "kind"),)
    _repr_columns: ClassVar[tuple[str, ...]] = ("structure_id", "kind", "last_change_at")

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(50))  # e.g. supplier_invoices, received_invoices, flux
    last_change_at: Mapped[dt.datetime | None]
    last_synced_at: Mapped[dt.datetime | None]
    state: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)  # anything else the engine keeps
