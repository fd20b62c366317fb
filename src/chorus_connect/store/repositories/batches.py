"""Batches: several invoices of one structure deposited together in one zip flux."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import or_, select

from chorus_connect.store import leases
from chorus_connect.store.enums import BatchStatus, InvoiceStatus
from chorus_connect.store.errors import ConflictError, InvalidInputError, NotFoundError
from chorus_connect.store.models.invoices import Batch, InvoiceRecord
from chorus_connect.store.repositories.base import Repository

BATCH_MAX_INVOICES = 500  # an E1 flow holds up to 500 invoices (reference §4.5)
BATCHABLE = (InvoiceStatus.CHECKED, InvoiceStatus.QUEUED)


class BatchRepository(Repository):
    def create(self, structure_id: int, invoice_ids: Sequence[int], *, syntax: str | None = None) -> Batch:
        """A batch (status ``open``) of checked/queued invoices of the structure not in another batch."""
        structure = self.uow.structures.get(structure_id)
        batch = Batch(structure_id=structure_id, environment=structure.environment, syntax=syntax)
        self.session.add(batch)
        self.session.flush()
        self.add_invoices(batch.id, invoice_ids)
        return batch

    def add_invoices(self, batch_id: int, invoice_ids: Sequence[int]) -> Batch:
        batch = self.get(batch_id)
        if batch.status != BatchStatus.OPEN:
            raise ConflictError(f"Batch {batch_id} is {batch.status.value}.", fix="Create a new batch.")
        ids = list(dict.fromkeys(invoice_ids))
        records = self.session.scalars(select(InvoiceRecord).where(InvoiceRecord.id.in_(ids))).all()
        found = {record.id: record for record in records}
        problems = []
        for invoice_id in ids:
            record = found.get(invoice_id)
            if record is None or record.structure_id != batch.structure_id:
                problems.append(f"#{invoice_id} is not an invoice of this structure")
            elif record.status not in BATCHABLE:
                problems.append(f"{record.number} is {record.status.value}")
            elif record.batch_id not in (None, batch_id):
                problems.append(f"{record.number} is already in batch {record.batch_id}")
        if problems:
            raise InvalidInputError.single(
                "batch.invoice_ids", "; ".join(problems), "batch only checked invoices not yet in a batch"
            )
        for record in records:
            record.batch_id = batch.id
        self.session.flush()
        batch.invoice_count = len(self.invoice_ids(batch.id))
        if batch.invoice_count > BATCH_MAX_INVOICES:
            raise InvalidInputError.single(
                "batch.invoice_ids",
                f"{batch.invoice_count} invoices, at most {BATCH_MAX_INVOICES} per flux",
                "split them into several batches",
            )
        return batch

    def get(self, batch_id: int) -> Batch:
        batch = self.session.get(Batch, batch_id)
        if batch is None:
            raise NotFoundError("batch", batch_id)
        return batch

    def invoice_ids(self, batch_id: int) -> list[int]:
        return list(
            self.session.scalars(
                select(InvoiceRecord.id).where(InvoiceRecord.batch_id == batch_id).order_by(InvoiceRecord.id)
            )
        )

    def set_status(
        self,
        batch_id: int,
        status: BatchStatus,
        *,
        claim: leases.Claim | None = None,
        flux_number: str | None = None,
        file_id: int | None = None,
        file_name: str | None = None,
        next_attempt_at: dt.datetime | None = None,
    ) -> Batch:
        if claim is not None:
            leases.check_held(self.session, Batch, claim)
        batch = self.get(batch_id)
        batch.status = status
        for name, value in (("flux_number", flux_number), ("file_id", file_id), ("file_name", file_name)):
            if value is not None:
                setattr(batch, name, value)
        batch.next_attempt_at = next_attempt_at
        self.session.flush()
        return batch

    def claim(
        self,
        worker: str,
        *,
        statuses: Sequence[BatchStatus] = (BatchStatus.QUEUED,),
        limit: int = 1,
        ttl: dt.timedelta = leases.DEFAULT_LEASE,
        now: dt.datetime | None = None,
    ) -> list[leases.Claim]:
        current = now or leases.database_now(self.session)
        return leases.claim(
            self.session,
            Batch,
            worker,
            where=[
                Batch.status.in_(statuses),
                or_(Batch.next_attempt_at.is_(None), Batch.next_attempt_at <= current),
            ],
            limit=limit,
            ttl=ttl,
            now=current,
        )

    def release(self, claim: leases.Claim) -> bool:
        return leases.release(self.session, Batch, claim)
