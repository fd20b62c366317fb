"""The exactly-once deposit journal.

Protocol (see docs/store.md): ``begin`` and COMMIT, then call Chorus Pro, then ``mark_sent`` (flux number
known), ``mark_failed`` (definitely not deposited) or ``mark_unknown`` (no answer); after a crash, every
``pending`` / ``unknown`` attempt is settled by asking Chorus Pro before anything is sent again — the
database refuses a second open attempt for the same invoice or batch.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from chorus_connect.store import leases
from chorus_connect.store.enums import OPEN_DEPOSIT_STATES, DepositState
from chorus_connect.store.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    OpenDepositAttemptError,
)
from chorus_connect.store.models.deposits import DepositAttempt
from chorus_connect.store.models.invoices import Batch, InvoiceRecord
from chorus_connect.store.repositories.base import Repository

ALLOWED = {
    DepositState.PENDING: {
        DepositState.SENT,
        DepositState.UNKNOWN,
        DepositState.FAILED,
        DepositState.CONFIRMED,
    },
    DepositState.UNKNOWN: {DepositState.SENT, DepositState.CONFIRMED, DepositState.FAILED},
    DepositState.SENT: {DepositState.CONFIRMED},
    DepositState.CONFIRMED: set(),
    DepositState.FAILED: set(),
}


class DepositJournal(Repository):
    def begin(
        self,
        *,
        file_name: str,
        invoice_id: int | None = None,
        batch_id: int | None = None,
        file_sha256: str | None = None,
        syntax: str | None = None,
        claim: leases.Claim | None = None,
    ) -> DepositAttempt:
        """Journal a deposit about to be made. COMMIT before calling Chorus Pro."""
        if (invoice_id is None) == (batch_id is None):
            raise InvalidInputError.single(
                "deposit.target",
                "give exactly one of invoice_id and batch_id",
                "deposit one invoice or one batch",
            )
        if not file_name.strip():
            raise InvalidInputError.single("deposit.file_name", "is empty", "name the deposited file")
        if claim is not None:
            leases.check_held(self.session, InvoiceRecord if invoice_id is not None else Batch, claim)
        structure_id = self._structure_of(invoice_id, batch_id)
        open_attempt = self.open_attempt(invoice_id=invoice_id, batch_id=batch_id)
        if open_attempt is not None:
            raise OpenDepositAttemptError(
                f"Deposit attempt #{open_attempt.attempt_number} of this "
                f"{'invoice' if invoice_id is not None else 'batch'} is still {open_attempt.state.value}."
            )
        target = (
            DepositAttempt.invoice_id == invoice_id
            if invoice_id is not None
            else DepositAttempt.batch_id == batch_id
        )
        number = (self.session.scalar(select(func.max(DepositAttempt.attempt_number)).where(target)) or 0) + 1
        attempt = DepositAttempt(
            structure_id=structure_id,
            invoice_id=invoice_id,
            batch_id=batch_id,
            attempt_number=number,
            state=DepositState.PENDING,
            worker=claim.worker if claim is not None else self.uow.actor,
            file_name=file_name.strip(),
            file_sha256=file_sha256,
            syntax=syntax,
        )
        self.session.add(attempt)
        self.flush(
            lambda _e: OpenDepositAttemptError("Another deposit attempt was journaled at the same time.")
        )
        return attempt

    def mark_sent(
        self, attempt_id: int, *, flux_number: str, deposited_at: dt.datetime | None = None
    ) -> DepositAttempt:
        """Chorus Pro answered with a ``numeroFluxDepot``: the deposit happened."""
        if not flux_number.strip():
            raise InvalidInputError.single(
                "deposit.flux_number", "is empty", "give the numeroFluxDepot received"
            )
        attempt = self._move(attempt_id, DepositState.SENT)
        attempt.flux_number = flux_number.strip()
        attempt.deposited_at = deposited_at
        attempt.sent_at = self.uow.now()
        self.session.flush()
        return attempt

    def mark_unknown(self, attempt_id: int, *, error: str) -> DepositAttempt:
        """The call's outcome is unknown (timeout, dropped connection, crash found at restart)."""
        attempt = self._move(attempt_id, DepositState.UNKNOWN)
        attempt.error = error
        self.session.flush()
        return attempt

    def mark_failed(self, attempt_id: int, *, error: str) -> DepositAttempt:
        """Definitely not deposited (refused before processing, or not found on Chorus Pro): retry is safe."""
        attempt = self._move(attempt_id, DepositState.FAILED)
        attempt.error = error
        attempt.resolved_at = self.uow.now()
        self.session.flush()
        return attempt

    def mark_confirmed(
        self, attempt_id: int, *, flux_number: str | None = None, deposited_at: dt.datetime | None = None
    ) -> DepositAttempt:
        """Closed: the outcome is recorded on the invoice(s) (after ``sent``, or found on Chorus Pro)."""
        attempt = self._move(attempt_id, DepositState.CONFIRMED)
        if flux_number:
            attempt.flux_number = flux_number
        if deposited_at:
            attempt.deposited_at = deposited_at
        attempt.resolved_at = self.uow.now()
        self.session.flush()
        return attempt

    def get(self, attempt_id: int) -> DepositAttempt:
        attempt = self.session.get(DepositAttempt, attempt_id)
        if attempt is None:
            raise NotFoundError("deposit attempt", attempt_id)
        return attempt

    def open_attempt(
        self, *, invoice_id: int | None = None, batch_id: int | None = None
    ) -> DepositAttempt | None:
        query = select(DepositAttempt).where(DepositAttempt.state.in_(OPEN_DEPOSIT_STATES))
        if invoice_id is not None:
            query = query.where(DepositAttempt.invoice_id == invoice_id)
        else:
            query = query.where(DepositAttempt.batch_id == batch_id)
        return self.session.scalars(query).first()

    def attempts(self, *, invoice_id: int | None = None, batch_id: int | None = None) -> list[DepositAttempt]:
        query = select(DepositAttempt).order_by(DepositAttempt.attempt_number)
        if invoice_id is not None:
            query = query.where(DepositAttempt.invoice_id == invoice_id)
        if batch_id is not None:
            query = query.where(DepositAttempt.batch_id == batch_id)
        return list(self.session.scalars(query))

    def unresolved(
        self, *, structure_id: int | None = None, created_before: dt.datetime | None = None
    ) -> list[DepositAttempt]:
        """Open attempts (pending, sent, unknown): after a crash, settle them before any new deposit."""
        query = select(DepositAttempt).where(DepositAttempt.state.in_(OPEN_DEPOSIT_STATES))
        if structure_id is not None:
            query = query.where(DepositAttempt.structure_id == structure_id)
        if created_before is not None:
            query = query.where(DepositAttempt.created_at < created_before)
        return list(self.session.scalars(query.order_by(DepositAttempt.id)))

    def invoice_ids(self, attempt: DepositAttempt) -> list[int]:
        """The invoices an attempt deposits: its invoice, or its batch's invoices."""
        if attempt.invoice_id is not None:
            return [attempt.invoice_id]
        assert attempt.batch_id is not None
        return self.uow.batches.invoice_ids(attempt.batch_id)

    def _move(self, attempt_id: int, target: DepositState) -> DepositAttempt:
        attempt = self.get(attempt_id)
        if target not in ALLOWED[attempt.state]:
            raise ConflictError(
                f"Deposit attempt {attempt_id} is {attempt.state.value}; it cannot become {target.value}.",
                fix="Reload the attempt: another worker may have settled it.",
            )
        attempt.state = target
        return attempt

    def _structure_of(self, invoice_id: int | None, batch_id: int | None) -> int:
        if invoice_id is not None:
            return self.uow.invoices.get(invoice_id).structure_id
        assert batch_id is not None
        return self.uow.batches.get(batch_id).structure_id
