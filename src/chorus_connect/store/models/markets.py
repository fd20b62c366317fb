"""Public contracts (marchés publics) whose routing data invoices inherit."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chorus_connect.store.models.base import Base, Timestamps


class Market(Timestamps, Base):
    __tablename__ = "markets"
    __table_args__ = (UniqueConstraint("structure_id", "number"),)
    _repr_columns: ClassVar[tuple[str, ...]] = ("structure_id", "number", "recipient_siret")

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(50))  # numéro de marché (BT-12)
    label: Mapped[str | None] = mapped_column(String(200))
    recipient_siret: Mapped[str] = mapped_column(String(14))
    service_code: Mapped[str | None] = mapped_column(String(100))
    engagement_number: Mapped[str | None] = mapped_column(String(50))
    billing_frame: Mapped[str] = mapped_column(String(3), default="A1")  # cadre de facturation, "A1"…"A25"
