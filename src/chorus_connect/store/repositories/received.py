"""Invoices received by public-buyer structures (rechercher/recipiendaire), their files and treatment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from chorus_connect.store.enums import EventSource, FilePurpose, StructureRole
from chorus_connect.store.errors import ConflictError, NotFoundError
from chorus_connect.store.models.received import ReceivedInvoice, ReceivedInvoiceEvent
from chorus_connect.store.repositories.base import Repository
from chorus_connect.store.repositories.files import NewFile


@dataclass(kw_only=True)
class ReceivedInvoiceData:
    """What a recipient search returns about one invoice (wire names mapped by the engine)."""

    chorus_invoice_id: int
    number: str
    issue_date: dt.date | None = None
    type_code: str | None = None
    supplier_name: str | None = None
    supplier_identifier: str | None = None
    supplier_identifier_type: str | None = None
    service_code: str | None = None
    engagement_number: str | None = None
    currency: str | None = None
    amount_tax_exclusive: Decimal | None = None
    amount_tax_inclusive: Decimal | None = None
    chorus_status: str | None = None
    chorus_status_at: dt.datetime | None = None
    summary: dict[str, Any] | None = None


class ReceivedInvoiceRepository(Repository):
    def upsert(self, structure_id: int, data: ReceivedInvoiceData) -> tuple[ReceivedInvoice, bool]:
        """Insert or refresh a received invoice; returns it and whether it was new. A status change is
        added to its history."""
        structure = self.uow.structures.get(structure_id)
        if structure.role != StructureRole.PUBLIC_BUYER:
            raise ConflictError(
                f"Structure {structure.name!r} is a supplier: it has no received invoices.",
                fix="Use the public-buyer structure that receives these invoices.",
            )
        record = self.find(structure_id, data.chorus_invoice_id)
        created = record is None
        if record is None:
            record = ReceivedInvoice(structure_id=structure_id, environment=structure.environment)
            self.session.add(record)
        previous_status = record.chorus_status
        for item in fields(data):
            value = getattr(data, item.name)
            if value is not None or created:
                setattr(record, item.name, value)
        self.session.flush()
        if data.chorus_status and data.chorus_status != previous_status:
            self._event(record, EventSource.CHORUS, data.chorus_status, None, data.chorus_status_at)
        return record, created

    def record_treatment(
        self, received_id: int, chorus_status: str, *, motif: str | None = None, at: dt.datetime | None = None
    ) -> ReceivedInvoiceEvent:
        """The buyer's decision sent through traiter/recue (approve, suspend, reject with a motif)."""
        record = self.get(received_id)
        record.chorus_status = chorus_status
        record.chorus_status_at = at or self.uow.now()
        return self._event(record, EventSource.USER, chorus_status, motif, record.chorus_status_at)

    def attach_file(self, received_id: int, file: NewFile) -> ReceivedInvoice:
        record = self.get(received_id)
        record.file_id = self.uow.files.add(record.structure_id, FilePurpose.RECEIVED, file).id
        record.downloaded_at = self.uow.now()
        self.session.flush()
        return record

    def get(self, received_id: int, *, structure_ids: Iterable[int] | None = None) -> ReceivedInvoice:
        record = self.session.get(ReceivedInvoice, received_id)
        if record is None or (structure_ids is not None and record.structure_id not in set(structure_ids)):
            raise NotFoundError("received invoice", received_id)
        return record

    def find(self, structure_id: int, chorus_invoice_id: int) -> ReceivedInvoice | None:
        structure = self.uow.structures.get(structure_id)
        return self.session.scalars(
            select(ReceivedInvoice).where(
                ReceivedInvoice.structure_id == structure_id,
                ReceivedInvoice.environment == structure.environment,
                ReceivedInvoice.chorus_invoice_id == chorus_invoice_id,
            )
        ).first()

    def list(
        self,
        structure_id: int,
        *,
        chorus_statuses: Sequence[str] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[ReceivedInvoice]:
        query = select(ReceivedInvoice).where(ReceivedInvoice.structure_id == structure_id)
        if chorus_statuses:
            query = query.where(ReceivedInvoice.chorus_status.in_(list(chorus_statuses)))
        query = (
            query.order_by(ReceivedInvoice.issue_date.desc(), ReceivedInvoice.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(self.session.scalars(query))

    def history(self, received_id: int) -> list[ReceivedInvoiceEvent]:
        return list(
            self.session.scalars(
                select(ReceivedInvoiceEvent)
                .where(ReceivedInvoiceEvent.received_invoice_id == received_id)
                .order_by(ReceivedInvoiceEvent.id)
            )
        )

    def _event(
        self,
        record: ReceivedInvoice,
        source: EventSource,
        chorus_status: str,
        comment: str | None,
        at: dt.datetime | None,
    ) -> ReceivedInvoiceEvent:
        event = ReceivedInvoiceEvent(
            received_invoice_id=record.id,
            at=at or self.uow.now(),
            source=source,
            chorus_status=chorus_status,
            comment=comment,
            actor=self.uow.actor,
        )
        self.session.add(event)
        self.session.flush()
        return event
