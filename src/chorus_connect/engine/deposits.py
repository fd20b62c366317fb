"""Exactly-once deposits: queueing (the deposit file is built once, so every attempt sends the same bytes)
and the deposit of one claimed invoice or batch.

The protocol, for one invoice (a batch is the same with the batch's claim):

1. the worker holds a claim (lease) on the invoice;
2. ``deposits.begin`` + status ``depositing`` are COMMITTED before the call;
3. ``deposer/flux`` is called, with the invoice numbers and supplier in the client's ``context``;
4. a ``numeroFluxDepot`` → ``mark_sent``, status ``deposited``, ``mark_confirmed`` in one transaction;
   a definite refusal before processing → ``mark_failed`` (queued again after a back-off, or refused);
   anything else (``OutcomeUnknownError``, an unreadable answer, a crash) → the attempt stays open and
   :mod:`chorus_connect.engine.resolution` asks Chorus Pro before anything is sent again.

The database refuses a second open attempt for the same invoice or batch, whatever the code does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from chorus_connect.api import (
    ApiNotSubscribedError,
    AuthenticationError,
    BusinessError,
    ChorusError,
    ConfigurationError,
    InvalidRequestError,
    OutcomeUnknownError,
    RequestRejectedError,
    TransientError,
)
from chorus_connect.api.models.factures import DepositFluxRequest, DepositFluxResponse
from chorus_connect.engine.connection import Connection, Connections
from chorus_connect.engine.payloads import build_deposit_file, format_of_syntax, plan_deposit
from chorus_connect.engine.recording import chorus_moment, record_deposited
from chorus_connect.engine.settings import EngineSettings
from chorus_connect.engine.states import Action, require_action, require_transition
from chorus_connect.engine.storage import snapshot
from chorus_connect.store import (
    Batch,
    BatchStatus,
    Claim,
    ConflictError,
    DepositState,
    EventSource,
    FilePurpose,
    InvoiceStatus,
    LeaseLostError,
    NewFile,
    Store,
    UnitOfWork,
    leases,
)

log = logging.getLogger("chorus_connect.engine")

# Errors that prove the deposit was NOT made: refused by the gateway or by Chorus Pro before processing,
# or never sent. Everything else after the request left may have been processed.
PERMANENT_REFUSALS: tuple[type[ChorusError], ...] = (BusinessError, RequestRejectedError, InvalidRequestError)
NOT_SENT: tuple[type[ChorusError], ...] = (
    TransientError,  # 429 refused by the gateway; no connection / connect timeout (the client never
    # raises these for a state-changing call once the request may have been processed)
    AuthenticationError,
    ApiNotSubscribedError,
    ConfigurationError,
)
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)  # fixed member dates: the same batch always gives the same bytes


class DepositOutcome(StrEnum):
    DEPOSITED = "deposited"
    UNKNOWN = "unknown"  # settled later by the resolution
    RETRY = "retry"  # definitely not made; queued again after a back-off
    REFUSED = "refused"  # refused by Chorus Pro before processing
    SKIPPED = "skipped"  # nothing to do (someone else changed it)
    LEASE_LOST = "lease_lost"


@dataclass
class QueueReport:
    invoice_ids: list[int] = field(default_factory=list)
    batch_ids: list[int] = field(default_factory=list)


# --- queueing -------------------------------------------------------------------------------------------


def queue_invoices(
    store: Store,
    invoice_ids: Sequence[int],
    *,
    batch_size: int | None = None,
    actor: str = "engine",
    progress: Callable[[int], None] | None = None,
) -> QueueReport:
    """Build each invoice's deposit file (in the format it was checked in) and queue it for the worker;
    with ``batch_size``, group the invoices of each structure and syntax into zip batches of that size."""
    if batch_size is not None and not 1 <= batch_size <= 500:
        raise ValueError("batch_size must be between 1 and 500 (an E1 flux holds at most 500 invoices)")
    with snapshot(store) as tx:
        for invoice_id in invoice_ids:
            require_action(tx.invoices.get(invoice_id), Action.QUEUE)
    report = QueueReport()
    groups: dict[tuple[int, str], list[int]] = {}
    for invoice_id in invoice_ids:
        structure_id, syntax = _queue_one(store, invoice_id, actor)
        groups.setdefault((structure_id, syntax), []).append(invoice_id)
        report.invoice_ids.append(invoice_id)
        if progress is not None:
            progress(1)
    if batch_size is not None:
        for (structure_id, syntax), ids in groups.items():
            for start in range(0, len(ids), batch_size):
                report.batch_ids.append(
                    _create_batch(store, structure_id, syntax, ids[start : start + batch_size], actor)
                )
    return report


def _queue_one(store: Store, invoice_id: int, actor: str) -> tuple[int, str]:
    with snapshot(store) as tx:
        record = tx.invoices.get(invoice_id)
        document = tx.invoices.document(record)
        source = tx.files.content(record.source_file_id) if record.source_file_id else None
        source_name = tx.files.get(record.source_file_id).file_name if record.source_file_id else ""
    plan = plan_deposit(document, source, source_name, format_of_syntax(record.syntax))
    deposit = build_deposit_file(document, plan)
    with store.transaction(actor=actor) as tx:
        record = tx.invoices.get(invoice_id)
        require_action(record, Action.QUEUE)
        stored = tx.files.add(
            record.structure_id,
            FilePurpose.DEPOSIT,
            NewFile(file_name=deposit.file_name, content=deposit.content, media_type=deposit.media_type),
        )
        tx.invoices.transition(
            invoice_id,
            source=EventSource.USER,
            status=InvoiceStatus.QUEUED,
            deposit_file_id=stored.id,
            syntax=deposit.syntax,
            next_attempt_at=None,
            comment=f"Queued for deposit as {deposit.file_name} ({deposit.syntax}).",
        )
        return record.structure_id, deposit.syntax


def _create_batch(store: Store, structure_id: int, syntax: str, invoice_ids: list[int], actor: str) -> int:
    with store.transaction(actor=actor) as tx:
        batch = tx.batches.create(structure_id, invoice_ids, syntax=syntax)
        members: list[tuple[str, bytes]] = []
        used: set[str] = set()
        for invoice_id in invoice_ids:
            record = tx.invoices.get(invoice_id)
            assert record.deposit_file_id is not None
            stored = tx.files.get(record.deposit_file_id)
            name = stored.file_name if stored.file_name not in used else f"{record.id}-{stored.file_name}"
            used.add(name)
            members.append((name, tx.files.content(stored.id)))
        file_name = f"lot_{batch.id}_{len(members)}_factures.zip"
        zipped = tx.files.add(
            structure_id,
            FilePurpose.BATCH,
            NewFile(file_name=file_name, content=_zip(members), media_type="application/zip"),
        )
        tx.batches.set_status(batch.id, BatchStatus.QUEUED, file_id=zipped.id, file_name=file_name)
        for invoice_id in invoice_ids:
            tx.invoices.transition(
                invoice_id,
                source=EventSource.ENGINE,
                comment=f"Grouped in batch {batch.id} ({file_name}, {len(members)} invoices).",
            )
        return batch.id


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


# --- depositing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    """Everything needed for the call, gathered BEFORE the attempt is journaled (a failure here must not
    leave an open attempt behind)."""

    structure_id: int
    numbers: list[str]
    invoice_ids: list[int]
    file_name: str
    content: bytes
    syntax: str
    connection: Connection
    platform_time: dt.datetime  # Chorus Pro's time just before the call: bounds the resolution's search


class Depositor:
    """Deposits claimed invoices and batches, one Chorus call each."""

    def __init__(self, store: Store, connections: Connections, settings: EngineSettings, worker: str) -> None:
        self.store = store
        self.connections = connections
        self.settings = settings
        self.worker = worker

    # --- one invoice ---------------------------------------------------------------------------------

    def deposit_invoice(self, claim: Claim) -> DepositOutcome:
        prepared = self._prepare_invoice(claim)
        if prepared is None:
            return DepositOutcome.SKIPPED
        try:
            attempt_id, attempt_number = self._begin_invoice(claim, prepared)
        except LeaseLostError:
            return DepositOutcome.LEASE_LOST
        return self._call_and_record(prepared, attempt_id, attempt_number, claim, batch=False)

    def _prepare_invoice(self, claim: Claim) -> _Prepared | None:
        with snapshot(self.store) as tx:
            record = tx.invoices.get(claim.row_id)
            ready = record.status == InvoiceStatus.QUEUED and record.batch_id is None
            missing_file = ready and record.deposit_file_id is None
            ready = ready and not missing_file
            if not ready:
                content, file_name = b"", ""
            else:
                assert record.deposit_file_id is not None
                content = tx.files.content(record.deposit_file_id)
                file_name = tx.files.get(record.deposit_file_id).file_name
            structure_id, number, syntax = record.structure_id, record.number, record.syntax or ""
        if missing_file:
            self._unqueue(claim)
            return None
        if not ready:
            self._release(InvoiceRecordClaim(claim))
            return None
        connection = self.connections.get(structure_id)
        return _Prepared(
            structure_id,
            [number],
            [claim.row_id],
            file_name,
            content,
            syntax,
            connection,
            connection.clock.now(),
        )

    def _begin_invoice(self, claim: Claim, prepared: _Prepared) -> tuple[int, int]:
        with self.store.transaction(actor=self.worker) as tx:
            record = tx.invoices.get(claim.row_id)
            require_transition(record, InvoiceStatus.DEPOSITING)
            attempt = tx.deposits.begin(
                invoice_id=record.id,
                file_name=prepared.file_name,
                file_sha256=hashlib.sha256(prepared.content).hexdigest(),
                syntax=prepared.syntax,
                claim=claim,
            )
            tx.invoices.transition(
                record.id,
                source=EventSource.ENGINE,
                status=InvoiceStatus.DEPOSITING,
                claim=claim,
                comment=f"Deposit attempt #{attempt.attempt_number}: sending {prepared.file_name} "
                f"({prepared.syntax}).",
                details={
                    "attempt_id": attempt.id,
                    "attempt": attempt.attempt_number,
                    "platform_time": prepared.platform_time.isoformat(),
                },
            )
            return attempt.id, attempt.attempt_number

    # --- one batch -----------------------------------------------------------------------------------

    def deposit_batch(self, claim: Claim) -> DepositOutcome:
        prepared = self._prepare_batch(claim)
        if prepared is None:
            return DepositOutcome.SKIPPED
        try:
            attempt_id, attempt_number = self._begin_batch(claim, prepared)
        except LeaseLostError:
            return DepositOutcome.LEASE_LOST
        return self._call_and_record(prepared, attempt_id, attempt_number, claim, batch=True)

    def _prepare_batch(self, claim: Claim) -> _Prepared | None:
        with snapshot(self.store) as tx:
            batch = tx.batches.get(claim.row_id)
            ready = batch.status == BatchStatus.QUEUED and batch.file_id is not None
            ids = tx.batches.invoice_ids(batch.id) if ready else []
            numbers = [tx.invoices.get(i).number for i in ids]
            content = tx.files.content(batch.file_id) if ready and batch.file_id else b""
            structure_id, file_name, syntax = batch.structure_id, batch.file_name or "", batch.syntax or ""
        if not ready or not ids:
            self._release(BatchClaim(claim))
            return None
        connection = self.connections.get(structure_id)
        return _Prepared(
            structure_id, numbers, ids, file_name, content, syntax, connection, connection.clock.now()
        )

    def _begin_batch(self, claim: Claim, prepared: _Prepared) -> tuple[int, int]:
        with self.store.transaction(actor=self.worker) as tx:
            attempt = tx.deposits.begin(
                batch_id=claim.row_id,
                file_name=prepared.file_name,
                file_sha256=hashlib.sha256(prepared.content).hexdigest(),
                syntax=prepared.syntax,
                claim=claim,
            )
            tx.batches.set_status(claim.row_id, BatchStatus.DEPOSITING, claim=claim)
            for invoice_id in prepared.invoice_ids:
                tx.invoices.transition(
                    invoice_id,
                    source=EventSource.ENGINE,
                    status=InvoiceStatus.DEPOSITING,
                    comment=f"Deposit attempt #{attempt.attempt_number} of batch {claim.row_id}: sending "
                    f"{prepared.file_name} ({len(prepared.invoice_ids)} invoices, {prepared.syntax}).",
                    details={
                        "attempt_id": attempt.id,
                        "batch_id": claim.row_id,
                        "platform_time": prepared.platform_time.isoformat(),
                    },
                )
            return attempt.id, attempt.attempt_number

    # --- the call ------------------------------------------------------------------------------------

    def _call_and_record(
        self, prepared: _Prepared, attempt_id: int, attempt_number: int, claim: Claim, *, batch: bool
    ) -> DepositOutcome:
        request = DepositFluxRequest.from_bytes(
            prepared.content, file_name=prepared.file_name, syntax=prepared.syntax
        )
        context = {
            "invoice_numbers": prepared.numbers[:50],
            "invoice_count": len(prepared.numbers),
            "supplier_siret": prepared.connection.siret,
            "deposit_attempt_id": attempt_id,
        }
        target: _Target = BatchClaim(claim) if batch else InvoiceRecordClaim(claim)
        try:
            answer = prepared.connection.client.factures.deposit_flux(request, context=context)
        except OutcomeUnknownError as doubt:
            return self._record_unknown(
                target, prepared, attempt_id, attempt_number, doubt.cause, doubt.to_dict()
            )
        except PERMANENT_REFUSALS as error:
            return self._record_failure(target, prepared, attempt_id, attempt_number, error, permanent=True)
        except NOT_SENT as error:
            return self._record_failure(target, prepared, attempt_id, attempt_number, error, permanent=False)
        except Exception as error:  # an unreadable answer, a bug: it may have been processed
            cause = f"{type(error).__name__}: {error}"
            return self._record_unknown(target, prepared, attempt_id, attempt_number, cause, {})
        return self._record_sent(target, prepared, attempt_id, attempt_number, answer)

    def _record_sent(
        self,
        target: _Target,
        prepared: _Prepared,
        attempt_id: int,
        attempt_number: int,
        answer: DepositFluxResponse,
    ) -> DepositOutcome:
        flux = (answer.flux_number or "").strip()
        if not flux:
            return self._record_unknown(
                target, prepared, attempt_id, attempt_number, "answer without numeroFluxDepot", {}
            )
        # dateDepot (Chorus Pro's date) is kept as the deposit time: tracking compares it with platform times.
        deposited_at = chorus_moment(answer.deposit_date)
        try:
            with self.store.transaction(actor=self.worker) as tx:
                deposited_at = deposited_at or tx.now()
                tx.deposits.mark_sent(attempt_id, flux_number=flux, deposited_at=deposited_at)
                target.check(tx)
                record_deposited(tx, prepared.invoice_ids, flux, deposited_at, attempt_number, target)
                tx.deposits.mark_confirmed(attempt_id)
                target.release(tx)
        except LeaseLostError:
            # Another worker took over: keep what we know in the journal (unfenced), it settles the rest.
            _keep_flux_number(self.store, self.worker, attempt_id, flux)
            return DepositOutcome.LEASE_LOST
        log.info("engine.deposit.sent flux=%s invoices=%d", flux, len(prepared.invoice_ids))
        return DepositOutcome.DEPOSITED

    def _record_unknown(
        self,
        target: _Target,
        prepared: _Prepared,
        attempt_id: int,
        attempt_number: int,
        cause: str,
        doubt: dict[str, Any],
    ) -> DepositOutcome:
        log.warning("engine.deposit.unknown attempt=%s cause=%s", attempt_id, cause)
        try:
            with self.store.transaction(actor=self.worker) as tx:
                tx.deposits.mark_unknown(attempt_id, error=cause[:2000])
                target.check(tx)
                target.set_next_attempt(tx, tx.now())
                for invoice_id in prepared.invoice_ids:
                    tx.invoices.transition(
                        invoice_id,
                        source=EventSource.ENGINE,
                        comment=f"Deposit attempt #{attempt_number}: outcome unknown ({cause}). Chorus Pro "
                        "will be asked whether it arrived before anything is sent again.",
                        details={"attempt_id": attempt_id, "doubt": _jsonable(doubt)},
                    )
                target.release(tx)
        except LeaseLostError:
            return DepositOutcome.LEASE_LOST
        return DepositOutcome.UNKNOWN

    def _record_failure(
        self,
        target: _Target,
        prepared: _Prepared,
        attempt_id: int,
        attempt_number: int,
        error: ChorusError,
        *,
        permanent: bool,
    ) -> DepositOutcome:
        reason = error.message
        try:
            with self.store.transaction(actor=self.worker) as tx:
                tx.deposits.mark_failed(attempt_id, error=str(error)[:2000])
                target.check(tx)
                if permanent:
                    target.refuse(tx, prepared.invoice_ids, attempt_number, str(error))
                else:
                    failures = sum(1 for a in target.attempts(tx) if a.state == DepositState.FAILED)
                    retry_at = tx.now() + self.settings.backoff(prepared.connection.environment, failures)
                    target.requeue(tx, prepared.invoice_ids, attempt_number, reason, retry_at)
                target.release(tx)
        except LeaseLostError:
            return DepositOutcome.LEASE_LOST
        return DepositOutcome.REFUSED if permanent else DepositOutcome.RETRY

    def _unqueue(self, claim: Claim) -> None:
        log.warning("engine.deposit.no_file invoice=%s", claim.row_id)
        with self.store.transaction(actor=self.worker) as tx:
            tx.invoices.transition(
                claim.row_id,
                source=EventSource.ENGINE,
                status=InvoiceStatus.CHECKED,
                claim=claim,
                comment="Queued without a deposit file: queue it again (`chorus invoices deposit`).",
            )
            tx.invoices.release(claim)

    def _release(self, target: _Target) -> None:
        with self.store.transaction(actor=self.worker) as tx:
            target.release(tx)


# --- what a claim points at: an invoice or a batch -------------------------------------------------------


class _Target:
    def __init__(self, claim: Claim) -> None:
        self.claim = claim

    def check(self, tx: UnitOfWork) -> None:
        raise NotImplementedError

    def release(self, tx: UnitOfWork) -> None:
        raise NotImplementedError

    def set_next_attempt(self, tx: UnitOfWork, at: dt.datetime | None) -> None:
        raise NotImplementedError

    def attempts(self, tx: UnitOfWork) -> list[Any]:
        raise NotImplementedError

    def after_deposit(self, tx: UnitOfWork, flux: str) -> None:
        raise NotImplementedError

    def requeue(
        self, tx: UnitOfWork, invoice_ids: list[int], attempt: int, reason: str, retry_at: dt.datetime
    ) -> None:
        raise NotImplementedError

    def refuse(self, tx: UnitOfWork, invoice_ids: list[int], attempt: int, reason: str) -> None:
        raise NotImplementedError


class InvoiceRecordClaim(_Target):
    def check(self, tx: UnitOfWork) -> None:
        tx.invoices.check_claim(self.claim)

    def release(self, tx: UnitOfWork) -> None:
        tx.invoices.release(self.claim)

    def set_next_attempt(self, tx: UnitOfWork, at: dt.datetime | None) -> None:
        tx.invoices.get(self.claim.row_id).next_attempt_at = at

    def attempts(self, tx: UnitOfWork) -> list[Any]:
        return tx.deposits.attempts(invoice_id=self.claim.row_id)

    def after_deposit(self, tx: UnitOfWork, flux: str) -> None:
        return None

    def requeue(
        self, tx: UnitOfWork, invoice_ids: list[int], attempt: int, reason: str, retry_at: dt.datetime
    ) -> None:
        tx.invoices.transition(
            self.claim.row_id,
            source=EventSource.ENGINE,
            status=InvoiceStatus.QUEUED,
            next_attempt_at=retry_at,
            comment=f"Deposit attempt #{attempt} was not made ({reason}); next try after "
            f"{retry_at.isoformat(timespec='seconds')}.",
        )

    def refuse(self, tx: UnitOfWork, invoice_ids: list[int], attempt: int, reason: str) -> None:
        tx.invoices.transition(
            self.claim.row_id,
            source=EventSource.CHORUS,
            status=InvoiceStatus.REFUSED_AT_INTEGRATION,
            terminal=True,
            comment=f"Chorus Pro refused deposit attempt #{attempt}: {reason}",
        )


class BatchClaim(_Target):
    def check(self, tx: UnitOfWork) -> None:
        leases.check_held(tx.session, Batch, self.claim)

    def release(self, tx: UnitOfWork) -> None:
        tx.batches.release(self.claim)

    def set_next_attempt(self, tx: UnitOfWork, at: dt.datetime | None) -> None:
        tx.batches.get(self.claim.row_id).next_attempt_at = at

    def attempts(self, tx: UnitOfWork) -> list[Any]:
        return tx.deposits.attempts(batch_id=self.claim.row_id)

    def after_deposit(self, tx: UnitOfWork, flux: str) -> None:
        tx.batches.set_status(self.claim.row_id, BatchStatus.DEPOSITED, flux_number=flux, claim=self.claim)

    def requeue(
        self, tx: UnitOfWork, invoice_ids: list[int], attempt: int, reason: str, retry_at: dt.datetime
    ) -> None:
        tx.batches.set_status(
            self.claim.row_id, BatchStatus.QUEUED, next_attempt_at=retry_at, claim=self.claim
        )
        for invoice_id in invoice_ids:
            tx.invoices.transition(
                invoice_id,
                source=EventSource.ENGINE,
                status=InvoiceStatus.QUEUED,
                comment=f"Deposit attempt #{attempt} of batch {self.claim.row_id} was not made ({reason}); "
                f"next try after {retry_at.isoformat(timespec='seconds')}.",
            )

    def refuse(self, tx: UnitOfWork, invoice_ids: list[int], attempt: int, reason: str) -> None:
        tx.batches.set_status(self.claim.row_id, BatchStatus.FAILED, claim=self.claim)
        for invoice_id in invoice_ids:
            tx.invoices.transition(
                invoice_id,
                source=EventSource.CHORUS,
                status=InvoiceStatus.REFUSED_AT_INTEGRATION,
                terminal=True,
                comment=f"Chorus Pro refused deposit attempt #{attempt} of batch {self.claim.row_id}: "
                f"{reason}",
            )


def _keep_flux_number(store: Store, worker: str, attempt_id: int, flux: str) -> None:
    try:
        with store.transaction(actor=worker) as tx:
            tx.deposits.mark_sent(attempt_id, flux_number=flux, deposited_at=tx.now())
    except ConflictError:
        pass  # already settled by the worker that took over


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
