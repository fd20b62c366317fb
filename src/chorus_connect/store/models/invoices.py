"""Invoices (issued by supplier structures), their history and the zip batches that group them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chorus_connect.store.enums import BatchStatus, EnvironmentName, EventSource, InvoiceStatus
from chorus_connect.store.models.base import Base, Leased, Timestamps, utcnow
from chorus_connect.store.types import Amount, EnumText, JsonDocument


class Batch(Timestamps, Leased, Base):
    """Invoices deposited together in one zip flux."""

    __tablename__ = "batches"
    _repr_columns: ClassVar[tuple[str, ...]] = ("structure_id", "status", "invoice_count")

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"), index=True)
    environment: Mapped[EnvironmentName] = mapped_column(EnumText(EnvironmentName, 20))
    status: Mapped[BatchStatus] = mapped_column(EnumText(BatchStatus, 20), default=BatchStatus.OPEN)
    syntax: Mapped[str | None] = mapped_column(String(60))  # syntaxeFlux of the zip
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id", ondelete="SET NULL"))
    invoice_count: Mapped[int] = mapped_column(Integer, default=0)
    flux_number: Mapped[str | None] = mapped_column(String(60), index=True)  # numeroFluxDepot
    next_attempt_at: Mapped[dt.datetime | None]


class InvoiceRecord(Timestamps, Leased, Base):
    __tablename__ = "invoices"
    __table_args__ = (
        # Chorus Pro refuses a number already used by the supplier in the same year (reference §4.7); the
        # environment is part of the key so that sandbox tests never block the real invoice after a move.
        UniqueConstraint("structure_id", "environment", "number", "year"),
        Index("ix_invoices_structure_status", "structure_id", "status"),
        Index("ix_invoices_structure_chorus_status", "structure_id", "chorus_status"),
        Index("ix_invoices_tracking", "structure_id", "is_terminal", "status"),
        Index("ix_invoices_claims", "status", "lease_until"),
    )
    _repr_columns: ClassVar[tuple[str, ...]] = ("structure_id", "number", "status", "chorus_status")

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"))
    environment: Mapped[EnvironmentName] = mapped_column(EnumText(EnvironmentName, 20))

    # Key columns copied from the invoice document, for listing and filtering.
    number: Mapped[str] = mapped_column(String(100))
    issue_date: Mapped[dt.date] = mapped_column(Date)
    year: Mapped[int] = mapped_column(Integer)
    type_code: Mapped[str] = mapped_column(String(3))  # BT-3: 380 invoice, 381 credit note, …
    currency: Mapped[str] = mapped_column(String(3))
    recipient_siret: Mapped[str | None] = mapped_column(String(14), index=True)
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    service_code: Mapped[str | None] = mapped_column(String(100))
    engagement_number: Mapped[str | None] = mapped_column(String(50))
    market_number: Mapped[str | None] = mapped_column(String(50))
    market_id: Mapped[int | None] = mapped_column(ForeignKey("markets.id", ondelete="SET NULL"), index=True)
    billing_frame: Mapped[str | None] = mapped_column(String(3))
    amount_tax_exclusive: Mapped[Decimal | None] = mapped_column(Amount())
    amount_tax: Mapped[Decimal | None] = mapped_column(Amount())
    amount_tax_inclusive: Mapped[Decimal | None] = mapped_column(Amount())
    amount_payable: Mapped[Decimal | None] = mapped_column(Amount())

    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)  # chorus_connect.invoice.Invoice as JSON
    source_file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id", ondelete="SET NULL"))
    deposit_file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id", ondelete="SET NULL"))
    syntax: Mapped[str | None] = mapped_column(String(60))  # syntaxeFlux of the deposited file
    findings: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonDocument)

    status: Mapped[InvoiceStatus] = mapped_column(EnumText(InvoiceStatus, 30), default=InvoiceStatus.IMPORTED)
    status_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    is_terminal: Mapped[bool] = mapped_column(Boolean, default=False)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id", ondelete="SET NULL"), index=True)
    flux_number: Mapped[str | None] = mapped_column(String(60), index=True)  # numeroFluxDepot
    deposited_at: Mapped[dt.datetime | None]
    chorus_invoice_id: Mapped[int | None] = mapped_column(BigInteger, index=True)  # identifiantFactureCPP
    chorus_status: Mapped[str | None] = mapped_column(String(60))
    chorus_status_at: Mapped[dt.datetime | None]
    next_attempt_at: Mapped[dt.datetime | None]  # earliest time a worker should pick it up again
    replaces_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"))

    events: Mapped[list[InvoiceEvent]] = relationship(
        back_populates="invoice",
        order_by="InvoiceEvent.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def is_credit_note(self) -> bool:
        return self.type_code in ("381", "261", "262", "396", "532")


class InvoiceEvent(Base):
    """One line of an invoice's history. ``external_key`` lets the engine record a Chorus history entry
    idempotently (the same entry seen by two syncs is stored once)."""

    __tablename__ = "invoice_events"
    __table_args__ = (UniqueConstraint("invoice_id", "external_key"),)
    _repr_columns: ClassVar[tuple[str, ...]] = ("invoice_id", "source", "status", "chorus_status")

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    source: Mapped[EventSource] = mapped_column(EnumText(EventSource, 20))
    status: Mapped[InvoiceStatus] = mapped_column(EnumText(InvoiceStatus, 30))
    chorus_status: Mapped[str | None] = mapped_column(String(60))
    comment: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(200))  # user name or worker id
    details: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    external_key: Mapped[str | None] = mapped_column(String(200))

    invoice: Mapped[InvoiceRecord] = relationship(back_populates="events")
