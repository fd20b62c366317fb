"""The worker: one loop that settles unknown deposits, deposits queued invoices and batches, and syncs
the structures' invoice statuses — safely shared by several processes on PostgreSQL.

Each round, in this order (a deposit is never sent while its previous attempt is unsettled):

1. **resolve** — claim ``depositing`` invoices and batches that are free (their worker released them after
   an unknown outcome, or died and its lease expired) and due, and settle them
   (:mod:`chorus_connect.engine.resolution`);
2. **deposit** — claim ``queued`` invoices (not in a batch) and ``queued`` batches, ``claim_size`` at a
   time, and deposit each (:mod:`chorus_connect.engine.deposits`), until none is left;
3. **sync** — claim the sync cursor of each structure not synced for ``sync_interval`` and sync it
   (:mod:`chorus_connect.engine.tracking`).

Claims are row leases (``FOR UPDATE SKIP LOCKED`` on PostgreSQL): two workers never hold the same
invoice, batch or cursor; a dead worker's claims come back when its lease expires. On SQLite run ONE
worker. SIGTERM / SIGINT stop the loop after the item in hand (a Chorus call is never cut in the middle);
a second SIGINT interrupts at once — the deposit journal then settles what was in flight at the next start.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from sqlalchemy import ColumnElement, or_, select

from chorus_connect.engine.connection import Connections
from chorus_connect.engine.deposits import Depositor, DepositOutcome
from chorus_connect.engine.directory import Directories
from chorus_connect.engine.errors import EngineError
from chorus_connect.engine.resolution import Resolution, Resolver
from chorus_connect.engine.settings import DEFAULT_SETTINGS, EngineSettings
from chorus_connect.engine.storage import snapshot
from chorus_connect.engine.tracking import SyncReport, Tracker
from chorus_connect.store import (
    Batch,
    BatchStatus,
    Claim,
    InvoiceFilter,
    InvoiceRecord,
    InvoiceStatus,
    LeaseLostError,
    Store,
    Structure,
    StructureRole,
    SyncCursor,
    leases,
)
from chorus_connect.store.leases import database_now
from chorus_connect.store.repositories.cursors import SUPPLIER_INVOICES

log = logging.getLogger("chorus_connect.engine.worker")


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class WorkerOptions:
    once: bool = False  # one round, then exit
    exit_when_idle: bool = False  # exit once no invoice or batch is queued or depositing
    poll_interval: float = 2.0  # seconds between rounds when there is nothing to do
    sync: bool = True
    notify: bool = True  # deliver the notification outbox; enqueue password-expiry warnings daily
    structure_ids: tuple[int, ...] | None = None  # restrict to these structures (default: all)
    max_rounds: int | None = None


@dataclass
class WorkerReport:
    worker_id: str
    rounds: int = 0
    deposits: Counter[str] = field(default_factory=Counter)
    resolutions: Counter[str] = field(default_factory=Counter)
    syncs: list[SyncReport] = field(default_factory=list)
    errors: int = 0
    stopped_by_signal: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "worker_id": self.worker_id,
            "rounds": self.rounds,
            "deposits": dict(self.deposits),
            "resolutions": dict(self.resolutions),
            "syncs": [s.as_dict() for s in self.syncs],
            "errors": self.errors,
            "stopped_by_signal": self.stopped_by_signal,
        }


class Worker:
    def __init__(
        self,
        store: Store,
        *,
        worker_id: str | None = None,
        settings: EngineSettings = DEFAULT_SETTINGS,
        options: WorkerOptions = WorkerOptions(),
        connections: Connections | None = None,
        on_progress: Callable[[str, int], None] | None = None,
    ) -> None:
        if settings.client_timeout >= settings.lease.total_seconds():
            raise EngineError(
                f"The lease ({settings.lease.total_seconds():g} s) must outlast the Chorus call timeout "
                f"({settings.client_timeout:g} s), or another worker could take an invoice over mid-call.",
                fix="Raise the lease (--lease-seconds) or lower the timeout (--timeout).",
            )
        self.store = store
        self.worker_id = worker_id or default_worker_id()
        self.settings = settings
        self.options = options
        self._own_connections = connections is None
        self.connections = connections or Connections(store, settings)
        directories = Directories(settings.directory_ttl)
        self.depositor = Depositor(store, self.connections, settings, self.worker_id)
        self.resolver = Resolver(store, self.connections, settings, self.worker_id)
        self.tracker = Tracker(store, self.connections, settings, self.worker_id, directories=directories)
        self.report = WorkerReport(self.worker_id)
        self.stop_requested = threading.Event()
        self._on_progress = on_progress
        self._password_check_day: dt.date | None = None

    # --- loop ----------------------------------------------------------------------------------------

    def run(self) -> WorkerReport:
        with snapshot(self.store) as tx:
            open_attempts = len(tx.deposits.unresolved())
        log.info("engine.worker.start id=%s open_attempts=%d", self.worker_id, open_attempts)
        try:
            while not self.stop_requested.is_set():
                busy = self.run_round()
                self.report.rounds += 1
                if self.options.once or self._rounds_done():
                    break
                if self.options.exit_when_idle and self.is_idle():
                    break
                if not busy:
                    self.stop_requested.wait(self.options.poll_interval)
        finally:
            if self._own_connections:
                self.connections.close()
        log.info("engine.worker.stop id=%s rounds=%d", self.worker_id, self.report.rounds)
        return self.report

    def run_round(self) -> bool:
        """One round of each duty; True when something was done (so the next round comes at once)."""
        busy = self.resolve_pass() > 0
        busy = self.deposit_pass() > 0 or busy
        if self.options.sync:
            busy = self.sync_pass() > 0 or busy
        if self.options.notify:
            self.notify_pass()
        return busy

    def request_stop(self) -> None:
        self.stop_requested.set()

    def is_idle(self) -> bool:
        """No invoice of an active structure waits to be deposited or settled (due now or later)."""
        with snapshot(self.store) as tx:
            ids = [s.id for s in tx.structures.list(active_only=True) if self._wanted(s.id)]
            counts = tx.invoices.status_counts(
                InvoiceFilter(structure_ids=ids, statuses=[InvoiceStatus.QUEUED, InvoiceStatus.DEPOSITING])
            )
        return sum(c.count for c in counts) == 0

    # --- duties --------------------------------------------------------------------------------------

    def resolve_pass(self) -> int:
        done = 0
        for claim in self._claim(InvoiceRecord, self._invoice_where(InvoiceStatus.DEPOSITING)):
            done += self._guarded(claim, lambda c: self._count_resolution(self.resolver.resolve_invoice(c)))
        for claim in self._claim(Batch, self._batch_where(BatchStatus.DEPOSITING)):
            done += self._guarded(claim, lambda c: self._count_resolution(self.resolver.resolve_batch(c)))
        return done

    def deposit_pass(self) -> int:
        """Deposit everything queued and due, claim after claim, until none is left (or stop). Each row is
        taken at most once per pass, so an item that cannot be deposited now never loops."""
        done = 0
        seen_batches: set[int] = set()
        seen_invoices: set[int] = set()
        while not self.stop_requested.is_set():
            batch_where = self._batch_where(BatchStatus.QUEUED)
            if seen_batches:
                batch_where.append(Batch.id.not_in(seen_batches))
            invoice_where = self._invoice_where(InvoiceStatus.QUEUED)
            if seen_invoices:
                invoice_where.append(InvoiceRecord.id.not_in(seen_invoices))
            claims = self._claim(Batch, batch_where, limit=1) + self._claim(InvoiceRecord, invoice_where)
            if not claims:
                break
            for claim in claims:
                batch = claim.table == Batch.__tablename__
                (seen_batches if batch else seen_invoices).add(claim.row_id)
                if self.stop_requested.is_set():
                    self._release(claim)
                    continue
                fresh = self._renewed(claim)
                if fresh is None:
                    continue  # taken over meanwhile: the other worker deposits it
                deposit = self.depositor.deposit_batch if batch else self.depositor.deposit_invoice
                done += self._guarded(fresh, lambda c, d=deposit: self._count_deposit(d(c)))
        return done

    def sync_pass(self) -> int:
        """Sync each structure whose last sync is older than ``sync_interval`` (one worker per structure
        at a time: the cursor is claimed)."""
        with self.store.transaction(actor=self.worker_id) as tx:
            structures = tx.structures.list(role=StructureRole.SUPPLIER, active_only=True)
            ids = [s.id for s in structures if self._wanted(s.id)]
            tx.cursors.ensure(ids)
        done = 0
        synced_before = _utc_now() - self.settings.sync_interval
        attempted: set[int] = set()
        while not self.stop_requested.is_set() and ids:
            claim = self._claim_cursor(ids, synced_before, attempted)
            if claim is None:
                break
            attempted.add(claim.row_id)
            try:
                with snapshot(self.store) as tx:
                    cursor = tx.session.get(SyncCursor, claim.row_id)
                    structure_id = cursor.structure_id if cursor is not None else None
                if structure_id is not None:
                    self.report.syncs.append(self.tracker.sync(structure_id, claim=claim))
                    done += 1
            except Exception:
                self.report.errors += 1
                log.exception("engine.worker.sync_failed cursor=%s", claim.row_id)
            finally:
                self._release_cursor(claim)
        return done

    def _claim_cursor(
        self, structure_ids: list[int], synced_before: dt.datetime, attempted: set[int]
    ) -> Claim | None:

        where: list[ColumnElement[bool]] = [
            SyncCursor.kind == SUPPLIER_INVOICES,
            SyncCursor.structure_id.in_(structure_ids),
            or_(SyncCursor.last_synced_at.is_(None), SyncCursor.last_synced_at < synced_before),
        ]
        if attempted:
            where.append(SyncCursor.id.not_in(attempted))
        with self.store.transaction(actor=self.worker_id) as tx:
            claims = leases.claim(
                tx.session,
                SyncCursor,
                self.worker_id,
                where=where,
                order_by=(SyncCursor.last_synced_at.is_not(None), SyncCursor.last_synced_at, SyncCursor.id),
                limit=1,
                ttl=self.settings.lease,
            )
        return claims[0] if claims else None

    def notify_pass(self) -> None:
        """Deliver due notifications (claimed: never twice) and, once a day, enqueue the technical
        password warnings. A failure here never stops deposits and tracking."""
        from chorus_connect.engine.notifications import check_password_expiries, deliver_pending

        try:
            today = _utc_now().date()
            if self._password_check_day != today:
                check_password_expiries(self.store)
                self._password_check_day = today
            deliver_pending(self.store, worker=f"{self.worker_id}:notifications")
        except Exception:
            self.report.errors += 1
            log.exception("engine.worker.notifications_failed")

    # --- claims --------------------------------------------------------------------------------------

    def _claim(
        self, model: type[Any], where: list[ColumnElement[bool]], *, limit: int | None = None
    ) -> list[Claim]:
        if self.stop_requested.is_set():
            return []
        with self.store.transaction(actor=self.worker_id) as tx:
            now = database_now(tx.session)
            due = or_(model.next_attempt_at.is_(None), model.next_attempt_at <= now)
            return leases.claim(
                tx.session,
                model,
                self.worker_id,
                where=[*where, due],
                limit=limit or self.settings.claim_size,
                ttl=self.settings.lease,
                now=now,
            )

    def _invoice_where(self, status: InvoiceStatus) -> list[ColumnElement[bool]]:
        # Paused structures (is_active false) are left alone, deposits included.
        where = [
            InvoiceRecord.status == status,
            InvoiceRecord.batch_id.is_(None),
            InvoiceRecord.structure_id.in_(_ACTIVE_STRUCTURES),
        ]
        if self.options.structure_ids is not None:
            where.append(InvoiceRecord.structure_id.in_(self.options.structure_ids))
        return where

    def _batch_where(self, status: BatchStatus) -> list[ColumnElement[bool]]:
        where = [Batch.status == status, Batch.structure_id.in_(_ACTIVE_STRUCTURES)]
        if self.options.structure_ids is not None:
            where.append(Batch.structure_id.in_(self.options.structure_ids))
        return where

    def _renewed(self, claim: Claim) -> Claim | None:
        """The claim, renewed when less than two call timeouts of it are left (items of one claim are
        deposited one after the other); None if it was lost."""
        margin = dt.timedelta(seconds=2 * self.settings.client_timeout)
        with self.store.transaction(actor=self.worker_id) as tx:
            if claim.lease_until - database_now(tx.session) > margin:
                return claim
            try:
                return leases.renew(tx.session, _model_of(claim), claim, ttl=self.settings.lease)
            except LeaseLostError:
                return None

    def _guarded(self, claim: Claim, work: Callable[[Claim], object]) -> int:
        """Run one item; an unexpected error is logged and the item put back with a back-off."""
        try:
            work(claim)
            return 1
        except Exception:
            self.report.errors += 1
            log.exception("engine.worker.item_failed table=%s id=%s", claim.table, claim.row_id)
            self._back_off(claim)
            return 0

    def _back_off(self, claim: Claim) -> None:
        model = _model_of(claim)
        try:
            with self.store.transaction(actor=self.worker_id) as tx:
                leases.check_held(tx.session, model, claim)
                row = tx.session.get(model, claim.row_id)
                if row is not None:
                    row.next_attempt_at = tx.now() + self.settings.error_backoff
                leases.release(tx.session, model, claim)
        except Exception:  # lease already lost: the other holder decides
            log.debug("engine.worker.back_off_skipped id=%s", claim.row_id)

    def _release(self, claim: Claim) -> None:
        with self.store.transaction(actor=self.worker_id) as tx:
            leases.release(tx.session, _model_of(claim), claim)

    def _release_cursor(self, claim: Claim) -> None:
        with self.store.transaction(actor=self.worker_id) as tx:
            tx.cursors.release(claim)

    def _wanted(self, structure_id: int) -> bool:
        return self.options.structure_ids is None or structure_id in self.options.structure_ids

    def _rounds_done(self) -> bool:
        return self.options.max_rounds is not None and self.report.rounds >= self.options.max_rounds

    def _count_deposit(self, outcome: DepositOutcome) -> None:
        self.report.deposits[outcome.value] += 1
        if self._on_progress is not None:
            self._on_progress("deposit", 1)

    def _count_resolution(self, outcome: Resolution) -> None:
        self.report.resolutions[outcome.value] += 1


def run_worker(
    store: Store,
    *,
    worker_id: str | None = None,
    once: bool = False,
    exit_when_idle: bool = False,
    settings: EngineSettings = DEFAULT_SETTINGS,
    poll_interval: float = 2.0,
    structure_ids: tuple[int, ...] | None = None,
    handle_signals: bool = True,
    connections: Connections | None = None,
) -> WorkerReport:
    """Run the worker loop until stopped (SIGTERM / SIGINT), or one round with ``once``."""
    worker = Worker(
        store,
        worker_id=worker_id,
        settings=settings,
        options=WorkerOptions(
            once=once, exit_when_idle=exit_when_idle, poll_interval=poll_interval, structure_ids=structure_ids
        ),
        connections=connections,
    )
    with run_signals(worker, enabled=handle_signals):
        return worker.run()


@contextmanager
def run_signals(worker: Worker, *, enabled: bool = True) -> Iterator[None]:
    """SIGTERM / SIGINT ask the worker to stop after the item in hand (main thread only)."""
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: FrameType | None) -> None:
        if worker.stop_requested.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt  # second Ctrl+C: stop now (the journal settles what was in flight)
        log.info("engine.worker.signal %s: stopping after the current item", signal.Signals(signum).name)
        worker.report.stopped_by_signal = True
        worker.request_stop()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


_ACTIVE_STRUCTURES = select(Structure.id).where(Structure.is_active.is_(True)).scalar_subquery()


def _model_of(claim: Claim) -> type[Any]:
    return Batch if claim.table == Batch.__tablename__ else InvoiceRecord


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
