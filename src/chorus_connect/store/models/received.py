"""Invoices received by public-buyer structures, and what was done with them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chorus_connect.store.enums import EnvironmentName, EventSource
from chorus_connect.store.models.base import Base, Timestamps, utcnow
from chorus_connect.store.types import Amount, EnumText, JsonDocument


class ReceivedInvoice(Timestamps, Base):
    __tablename__ = "received_invoices"
    __table_args__ = (
        UniqueConstraint("structure_id", "environment", "chorus_invoice_id"),
        Index("ix_received_invoices_structure_status", "structure_id", "chorus_status"),
    )
    _repr_columns: ClassVar[tuple[str, ...]] = ("structure_id", "number", "chorus_status")

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"))
    environment: Mapped[EnvironmentName] = mapped_column(EnumText(EnvironmentName, 20))
    chorus_invoice_id: Mapped[int] = mapped_column(BigInteger)  # identifiantFactureCPP
    number: Mapped[str] = mapped_column(String(100))
    issue_date: Mapped[dt.date | None] = mapped_column(Date)
    type_code: Mapped[str | None] = mapped_column(String(20))
    supplier_name: Mapped[str | None] = mapped_column(String(200))
    supplier_identifier: Mapped[str | None] = mapped_column(String(50))
    supplier_identifier_type: Mapped[str | None] = mapped_column(String(20))  # SIRET, UE_HORS_FRANCE, …
    service_code: Mapped[str | None] = mapped_column(String(100))
    engagement_number: Mapped[str | None] = mapped_column(String(50))
    currency: Mapped[str | None] = mapped_column(String(3))
    amount_tax_exclusive: Mapped[Decimal | None] = mapped_column(Amount())
    amount_tax_inclusive: Mapped[Decimal | None] = mapped_column(Amount())
    chorus_status: Mapped[str | None] = mapped_column(String(60))
    chorus_status_at: Mapped[dt.datetime | None]
    file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id", ondelete="SET NULL"))
    downloaded_at: Mapped[dt.datetime | None]
    summary: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)  # the search result as received

    events: Mapped[list[ReceivedInvoiceEvent]] = relationship(
        order_by="ReceivedInvoiceEvent.id", cascade="all, delete-orphan", passive_deletes=True
    )


class ReceivedInvoiceEvent(Base):
    __tablename__ = "received_invoice_events"
    __table_args__ = (UniqueConstraint("received_invoice_id", "external_key"),)
    _repr_columns: ClassVar[tuple[str, ...]] = ("received_invoice_id", "source", "chorus_status")

    id: Mapped[int] = mapped_column(primary_key=True)
    received_invoice_id: Mapped[int] = mapped_column(
        ForeignKey("received_invoices.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    source: Mapped[EventSource] = mapped_column(EnumText(EventSource, 20))
    chorus_status: Mapped[str | None] = mapped_column(String(60))
    comment: Mapped[str | None] = mapped_column(Text)  # the motif of a suspension or rejection
    actor: Mapped[str | None] = mapped_column(String(200))
    external_key: Mapped[str | None] = mapped_column(String(200))
