"""Settling deposits whose outcome is unknown — BEFORE anything is sent again.

An attempt is open (``pending`` / ``unknown`` / ``sent``) after an ``OutcomeUnknownError`` (timeout,
dropped connection, 5xx after sending), or when a worker died between journaling the attempt and
recording its answer. The invoice (or batch) stays ``depositing``; the worker that claims it next (the
dead worker's lease must have expired first, so nobody else is still calling) asks Chorus Pro:

1. ``sent`` (the flux number is known): confirm it.
2. Search ``rechercher/fournisseur`` by supplier (``idFournisseur``), invoice number and deposit date
   (from the day before the attempt; a batch: every invoice deposited since then), matching number and
   invoice year (Chorus Pro's duplicate key). Found → the deposit happened: record the flux number, the
   Chorus id and status (invoice ``integrated``); never send again.
3. Not found: a flux still being integrated is NOT visible in that search yet. The first "not found" is
   stamped with the platform's time P0 (an invoice event); the attempt is declared "not deposited" only
   when a search made at or after P0 + the settle delay (1 h on the real platforms, 30 simulated seconds
   on the simulator) still finds nothing. Then ``mark_failed`` and the invoice is queued again — the
   only path to a second deposit. Until then the invoice is looked at again every
   ``resolution_retry``.

Platform time: Chorus Pro's clock (real time; the simulator's simulated clock), because the integration
delay runs there, whatever our clock says. Residual risk, written down in docs/engine.md: an invoice
whose first deposit was refused at integration never shows in the search, so after the settle delay it
is deposited again (and refused again: Chorus Pro holds no duplicate).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from chorus_connect.api.models.factures import SearchSupplierInvoicesRequest, SupplierInvoiceSummary
from chorus_connect.engine.connection import Connection, Connections, resolve_chorus_structure_id
from chorus_connect.engine.deposits import BatchClaim, InvoiceRecordClaim
from chorus_connect.engine.recording import chorus_moment, record_chorus_status, record_deposited
from chorus_connect.engine.settings import EngineSettings
from chorus_connect.engine.storage import snapshot
from chorus_connect.store import (
    BatchStatus,
    Claim,
    DepositAttempt,
    DepositState,
    EventSource,
    InvoiceStatus,
    LeaseLostError,
    Store,
    UnitOfWork,
)

log = logging.getLogger("chorus_connect.engine")
NOT_FOUND_KEY = "deposit:{attempt}:not-found"


class Resolution(StrEnum):
    CONFIRMED = "confirmed"  # the deposit happened (found, or flux number known)
    FAILED = "failed"  # it did not: queued again
    WAITING = "waiting"  # not found yet; looked at again later
    SKIPPED = "skipped"
    LEASE_LOST = "lease_lost"


@dataclass(frozen=True)
class _Subject:
    """The invoices of one open attempt, as read before asking Chorus Pro."""

    structure_id: int
    attempt: DepositAttempt | None
    invoice_ids: list[int]
    numbers: dict[str, tuple[int, int]]  # number → (invoice id, year)
    first_invoice_id: int


class Resolver:
    def __init__(self, store: Store, connections: Connections, settings: EngineSettings, worker: str) -> None:
        self.store = store
        self.connections = connections
        self.settings = settings
        self.worker = worker

    def resolve_invoice(self, claim: Claim) -> Resolution:
        with snapshot(self.store) as tx:
            record = tx.invoices.get(claim.row_id)
            if record.status != InvoiceStatus.DEPOSITING or record.batch_id is not None:
                subject = None
            else:
                subject = _Subject(
                    record.structure_id,
                    tx.deposits.open_attempt(invoice_id=record.id),
                    [record.id],
                    {record.number: (record.id, record.year)},
                    record.id,
                )
        return self._resolve(subject, InvoiceRecordClaim(claim))

    def resolve_batch(self, claim: Claim) -> Resolution:
        with snapshot(self.store) as tx:
            batch = tx.batches.get(claim.row_id)
            subject = None
            if batch.status == BatchStatus.DEPOSITING:
                ids = tx.batches.invoice_ids(batch.id)
                records = [tx.invoices.get(i) for i in ids]
                subject = _Subject(
                    batch.structure_id,
                    tx.deposits.open_attempt(batch_id=batch.id),
                    ids,
                    {r.number: (r.id, r.year) for r in records},
                    ids[0] if ids else 0,
                )
        return self._resolve(subject, BatchClaim(claim))

    # --- the decision --------------------------------------------------------------------------------

    def _resolve(self, subject: _Subject | None, target: InvoiceRecordClaim | BatchClaim) -> Resolution:
        if subject is None or not subject.invoice_ids:
            self._run(lambda tx: target.release(tx))
            return Resolution.SKIPPED
        attempt = subject.attempt
        try:
            if attempt is None:
                return self._repair(subject, target)
            if attempt.state == DepositState.SENT and attempt.flux_number:
                return self._confirm_known_flux(subject, attempt, target)
            connection = self.connections.get(subject.structure_id)
            found = self._search(connection, subject, attempt)
            if found:
                return self._confirm_found(subject, attempt, found, target)
            return self._not_found(subject, attempt, connection, target)
        except LeaseLostError:
            return Resolution.LEASE_LOST

    def _search(
        self, connection: Connection, subject: _Subject, attempt: DepositAttempt
    ) -> list[SupplierInvoiceSummary]:
        """Chorus Pro invoices of this supplier matching the attempt's invoice numbers and years."""
        supplier_id = resolve_chorus_structure_id(self.store, connection)
        criteria: dict[str, object] = {"supplier_id": supplier_id}
        if len(subject.numbers) == 1:
            # Number + supplier is narrow enough; no date window (our clock and the platform's may differ).
            criteria["invoice_number"] = next(iter(subject.numbers))
        else:
            # A batch: every invoice deposited since the day before the attempt (platform date).
            began = self._platform_time_at_begin(subject.first_invoice_id, attempt.id)
            criteria["deposit_date_from"] = ((began or connection.clock.now()) - dt.timedelta(days=1)).date()
        request = SearchSupplierInvoicesRequest.model_validate(criteria)
        found = []
        for item in connection.client.factures.iter_supplier_invoices(
            request, page_size=self.settings.search_page_size
        ):
            wanted = subject.numbers.get(item.invoice_number or "")
            year = item.invoice_date.year if item.invoice_date else None
            if wanted is not None and (year is None or year == wanted[1]):
                found.append(item)
        return found

    def _confirm_found(
        self,
        subject: _Subject,
        attempt: DepositAttempt,
        found: Sequence[SupplierInvoiceSummary],
        target: InvoiceRecordClaim | BatchClaim,
    ) -> Resolution:
        flux = next((item.flux_number for item in found if item.flux_number), None) or "?"
        deposited_at = chorus_moment(found[0].deposit_date)

        def write(tx: UnitOfWork) -> None:
            target.check(tx)
            tx.deposits.mark_confirmed(attempt.id, flux_number=flux, deposited_at=deposited_at)
            for invoice_id in subject.invoice_ids:
                tx.invoices.transition(
                    invoice_id,
                    source=EventSource.ENGINE,
                    comment=f"Deposit attempt #{attempt.attempt_number} did reach Chorus Pro (found by the "
                    f"search, flux {flux}): it is not sent again.",
                )
            record_deposited(tx, subject.invoice_ids, flux, deposited_at, attempt.attempt_number, target)
            for item in found:
                record_chorus_status(
                    tx,
                    subject.numbers[item.invoice_number or ""][0],
                    chorus_invoice_id=item.invoice_id,
                    status=str(item.status) if item.status is not None else None,
                    at=chorus_moment(item.status_changed_at),
                    comment=item.status_comment,
                    payment_not_reported=False,
                    integrate=True,
                    flux_number=item.flux_number,
                )
            target.set_next_attempt(tx, None)
            target.release(tx)

        self._run(write)
        log.info("engine.resolution.found attempt=%s flux=%s", attempt.id, flux)
        return Resolution.CONFIRMED

    def _confirm_known_flux(
        self, subject: _Subject, attempt: DepositAttempt, target: InvoiceRecordClaim | BatchClaim
    ) -> Resolution:
        flux = attempt.flux_number or ""

        def write(tx: UnitOfWork) -> None:
            target.check(tx)
            record_deposited(
                tx, subject.invoice_ids, flux, attempt.deposited_at, attempt.attempt_number, target
            )
            tx.deposits.mark_confirmed(attempt.id)
            target.release(tx)

        self._run(write)
        return Resolution.CONFIRMED

    def _not_found(
        self,
        subject: _Subject,
        attempt: DepositAttempt,
        connection: Connection,
        target: InvoiceRecordClaim | BatchClaim,
    ) -> Resolution:
        platform_now = connection.clock.now()
        settle = self.settings.settle(connection.environment)
        first = self._first_not_found(subject.first_invoice_id, attempt.id)
        if first is not None and platform_now >= first + settle:
            self._declare_failed(subject, attempt, first, settle, target)
            return Resolution.FAILED
        retry = self.settings.retry_resolution(connection.environment)

        def write(tx: UnitOfWork) -> None:
            target.check(tx)
            if attempt.state == DepositState.PENDING:
                tx.deposits.mark_unknown(
                    attempt.id, error="the worker stopped between journaling the deposit and its answer"
                )
            if first is None:
                for invoice_id in subject.invoice_ids:
                    tx.invoices.transition(
                        invoice_id,
                        source=EventSource.ENGINE,
                        comment=f"Deposit attempt #{attempt.attempt_number} not found on Chorus Pro yet; a "
                        "flux being integrated is not visible yet, so nothing is sent again before "
                        f"{_when(platform_now + settle)} (platform time).",
                        details={"attempt_id": attempt.id, "platform_time": platform_now.isoformat()},
                        external_key=NOT_FOUND_KEY.format(attempt=attempt.id),
                    )
            target.set_next_attempt(tx, tx.now() + retry)
            target.release(tx)

        self._run(write)
        return Resolution.WAITING

    def _declare_failed(
        self,
        subject: _Subject,
        attempt: DepositAttempt,
        first: dt.datetime,
        settle: dt.timedelta,
        target: InvoiceRecordClaim | BatchClaim,
    ) -> None:
        reason = (
            f"not found on Chorus Pro {_duration(settle)} after the first search ({_when(first)}, "
            "platform time)"
        )

        def write(tx: UnitOfWork) -> None:
            target.check(tx)
            tx.deposits.mark_failed(attempt.id, error=f"Did not reach Chorus Pro: {reason}.")
            if isinstance(target, BatchClaim):
                tx.batches.set_status(target.claim.row_id, BatchStatus.QUEUED, claim=target.claim)
            for invoice_id in subject.invoice_ids:
                tx.invoices.transition(
                    invoice_id,
                    source=EventSource.ENGINE,
                    status=InvoiceStatus.QUEUED,
                    next_attempt_at=None,
                    comment=f"Deposit attempt #{attempt.attempt_number} did not reach Chorus Pro ({reason}): "
                    "the invoice will be deposited again.",
                )
            target.release(tx)

        self._run(write)
        log.info("engine.resolution.not_deposited attempt=%s", attempt.id)

    def _repair(self, subject: _Subject, target: InvoiceRecordClaim | BatchClaim) -> Resolution:
        """``depositing`` without an open attempt (a crash between two of our own writes cannot cause this,
        but a manual change could): follow the last attempt."""

        def write(tx: UnitOfWork) -> None:
            target.check(tx)
            attempts = target.attempts(tx)
            last = attempts[-1] if attempts else None
            if last is not None and last.state == DepositState.CONFIRMED and last.flux_number:
                record_deposited(
                    tx, subject.invoice_ids, last.flux_number, last.deposited_at, last.attempt_number, target
                )
            else:
                if isinstance(target, BatchClaim):
                    tx.batches.set_status(target.claim.row_id, BatchStatus.QUEUED, claim=target.claim)
                for invoice_id in subject.invoice_ids:
                    tx.invoices.transition(
                        invoice_id,
                        source=EventSource.ENGINE,
                        status=InvoiceStatus.QUEUED,
                        comment="No deposit attempt in flight: queued again.",
                    )
            target.release(tx)

        self._run(write)
        return Resolution.CONFIRMED

    def _platform_time_at_begin(self, invoice_id: int, attempt_id: int) -> dt.datetime | None:
        with snapshot(self.store) as tx:
            for event in tx.invoices.history(invoice_id):
                details = event.details or {}
                if details.get("attempt_id") == attempt_id and "platform_time" in details:
                    return dt.datetime.fromisoformat(str(details["platform_time"]))
        return None

    def _first_not_found(self, invoice_id: int, attempt_id: int) -> dt.datetime | None:
        key = NOT_FOUND_KEY.format(attempt=attempt_id)
        with snapshot(self.store) as tx:
            for event in tx.invoices.history(invoice_id):
                if event.external_key == key and event.details and "platform_time" in event.details:
                    return dt.datetime.fromisoformat(str(event.details["platform_time"]))
        return None

    def _run(self, write: Callable[[UnitOfWork], None]) -> None:
        with self.store.transaction(actor=self.worker) as tx:
            write(tx)


def _when(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _duration(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"
