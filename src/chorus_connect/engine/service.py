"""The engine's small facade, for the CLI, the web application and the REST API.

>>> from chorus_connect.engine.service import Engine, open_store
>>> with Engine(open_store()) as engine:                                        # doctest: +SKIP
...     report = engine.import_files("acme", ["invoices.csv"])
...     engine.check(report.invoice_ids)
...     engine.queue([o.invoice_id for o in engine.check(report.invoice_ids) if o.ok])
...     engine.deposit_now()        # or let `chorus worker run` do it
...     engine.sync()

Every method takes invoice ids (``find_invoice`` turns an id or number into one) and raises the engine's,
the store's or the client's errors, each with a ``fix``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chorus_connect.engine.actions import ActionResult, Actions, Attachment
from chorus_connect.engine.checking import CheckOutcome, check_invoices
from chorus_connect.engine.connection import Connections
from chorus_connect.engine.deposits import QueueReport, queue_invoices
from chorus_connect.engine.directory import Directories
from chorus_connect.engine.errors import EngineError
from chorus_connect.engine.imports import ImportReport, import_contents, import_documents, import_files
from chorus_connect.engine.settings import DEFAULT_SETTINGS, EngineSettings
from chorus_connect.engine.states import allowed_actions
from chorus_connect.engine.storage import snapshot
from chorus_connect.engine.tracking import SyncReport, Tracker
from chorus_connect.engine.worker import Worker, WorkerOptions, WorkerReport
from chorus_connect.invoice import Invoice, OutputFormat
from chorus_connect.store import (
    ENV_DATABASE_URL,
    InvoiceFilter,
    InvoiceRecord,
    InvoiceStatus,
    NotFoundError,
    Page,
    Store,
    StructureRole,
)

ENV_STORE_URL = "CHORUS_STORE_URL"
DEFAULT_STORE_FILE = "chorus.sqlite3"
Progress = Callable[[int], None]


def default_store_url(environ: Mapping[str, str] | None = None) -> str:
    """``CHORUS_STORE_URL``, else the store's ``CHORUS_DATABASE_URL``, else a SQLite file
    ``chorus.sqlite3`` in the working directory (as the CLI)."""
    env = os.environ if environ is None else environ
    return store_url(env.get(ENV_STORE_URL) or env.get(ENV_DATABASE_URL) or DEFAULT_STORE_FILE)


def store_url(value: str) -> str:
    """A database URL as given, or a file path turned into a SQLite URL."""
    text = value.strip()
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def open_store(url: str | None = None, **options: Any) -> Store:
    return Store.open(store_url(url) if url else default_store_url(), **options)


@dataclass(frozen=True)
class InvoiceView:
    """An invoice with its history, deposit attempts and the actions it allows (for ``show``)."""

    invoice: dict[str, Any]
    history: list[dict[str, Any]]
    attempts: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    allowed_actions: list[str]
    replaced_by: list[int] = field(default_factory=list)


class Engine:
    def __init__(
        self,
        store: Store,
        *,
        settings: EngineSettings = DEFAULT_SETTINGS,
        actor: str = "user",
        connections: Connections | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.actor = actor
        self._own_connections = connections is None
        self.connections = connections or Connections(store, settings)
        self.directories = Directories(settings.directory_ttl)
        self.actions = Actions(store, self.connections, actor=actor)

    def close(self) -> None:
        if self._own_connections:
            self.connections.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- structures and invoices ---------------------------------------------------------------------

    def structure_id(self, key: int | str) -> int:
        """A structure by id or name (a string of digits is tried as an id first)."""
        with snapshot(self.store) as tx:
            if isinstance(key, str) and key.strip().isdigit():
                found = tx.structures.find(int(key))
                if found is not None:
                    return found.id
            return tx.structures.get(key).id

    def find_invoice(self, reference: int | str, *, structure: int | str | None = None) -> int:
        """An invoice by id, or by number (within ``structure`` when given; the newest if several)."""
        text = str(reference).strip()
        with snapshot(self.store) as tx:
            if text.isdigit():
                record = tx.session.get(InvoiceRecord, int(text))
                if record is not None:
                    return record.id
            ids = [self.structure_id(structure)] if structure is not None else None
            page = tx.invoices.search(InvoiceFilter(structure_ids=ids, number_contains=text), limit=50)
            exact = [r for r in page.items if r.number == text]
        if len(exact) == 1:
            return exact[0].id
        if len(exact) > 1:
            raise EngineError(
                f"Invoice number {text!r} exists in {len(exact)} structures or years.",
                fix="Give the invoice id (see `chorus invoices list`) or the structure (--structure).",
            )
        raise NotFoundError(
            "invoice", text, fix="List the invoices (`chorus invoices list`) to see ids and numbers."
        )

    def import_files(
        self, structure: int | str, paths: Sequence[str | Path], *, skip_existing: bool = False
    ) -> ImportReport:
        return import_files(
            self.store, self.structure_id(structure), paths, actor=self.actor, skip_existing=skip_existing
        )

    def import_contents(
        self, structure: int | str, files: Sequence[tuple[str, bytes]], *, skip_existing: bool = False
    ) -> ImportReport:
        """Import files received as (name, bytes), e.g. uploads; `name` is what messages show."""
        return import_contents(
            self.store, self.structure_id(structure), files, actor=self.actor, skip_existing=skip_existing
        )

    def import_documents(
        self,
        structure: int | str,
        documents: Sequence[Invoice | Mapping[str, Any]],
        *,
        skip_existing: bool = False,
    ) -> ImportReport:
        return import_documents(
            self.store, self.structure_id(structure), documents, actor=self.actor, skip_existing=skip_existing
        )

    def check(
        self,
        invoice_ids: Sequence[int],
        *,
        target: OutputFormat | None = None,
        progress: Progress | None = None,
    ) -> list[CheckOutcome]:
        return check_invoices(
            self.store,
            invoice_ids,
            directory_for=lambda structure_id: self.directories.get(self.connections.get(structure_id)),
            target=target,
            actor=self.actor,
            progress=progress,
        )

    def queue(
        self, invoice_ids: Sequence[int], *, batch_size: int | None = None, progress: Progress | None = None
    ) -> QueueReport:
        return queue_invoices(
            self.store, invoice_ids, batch_size=batch_size, actor=self.actor, progress=progress
        )

    def deposit_now(
        self,
        *,
        structure: int | str | None = None,
        on_progress: Callable[[str, int], None] | None = None,
    ) -> WorkerReport:
        """Settle open deposits and deposit everything queued, here and now (no sync): what a worker does
        in one round. Safe beside running workers (claims)."""
        ids = (self.structure_id(structure),) if structure is not None else None
        worker = Worker(
            self.store,
            worker_id=f"{self.actor}:deposit",
            settings=self.settings,
            options=WorkerOptions(once=True, sync=False, notify=False, structure_ids=ids),
            connections=self.connections,
            on_progress=on_progress,
        )
        return worker.run()

    def sync(self, structure: int | str | None = None) -> list[SyncReport]:
        """Sync one structure (or every active supplier structure) now."""
        tracker = Tracker(
            self.store, self.connections, self.settings, self.actor, directories=self.directories
        )
        with snapshot(self.store) as tx:
            if structure is not None:
                ids = [self.structure_id(structure)]
            else:
                ids = [s.id for s in tx.structures.list(role=StructureRole.SUPPLIER, active_only=True)]
        return [tracker.sync(structure_id) for structure_id in ids]

    # --- reading -------------------------------------------------------------------------------------

    def invoices(
        self,
        *,
        structure: int | str | None = None,
        statuses: Sequence[InvoiceStatus] | None = None,
        chorus_statuses: Sequence[str] | None = None,
        number_contains: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page:
        ids = [self.structure_id(structure)] if structure is not None else None
        with snapshot(self.store) as tx:
            return tx.invoices.search(
                InvoiceFilter(
                    structure_ids=ids,
                    statuses=statuses,
                    chorus_statuses=chorus_statuses,
                    number_contains=number_contains,
                ),
                limit=limit,
                offset=offset,
            )

    def show(self, invoice_id: int) -> InvoiceView:
        with snapshot(self.store) as tx:
            record = tx.invoices.get(invoice_id)
            history = [
                {
                    "at": e.at.isoformat(),
                    "source": e.source.value,
                    "status": e.status.value,
                    "chorus_status": e.chorus_status,
                    "comment": e.comment,
                    "actor": e.actor,
                    "details": e.details,
                }
                for e in tx.invoices.history(invoice_id)
            ]
            attempts = [
                {
                    "attempt": a.attempt_number,
                    "state": a.state.value,
                    "batch_id": a.batch_id,
                    "file_name": a.file_name,
                    "flux_number": a.flux_number,
                    "worker": a.worker,
                    "created_at": a.created_at.isoformat(),
                    "error": a.error,
                }
                for a in _attempts(tx, record)
            ]
            replaced_by = [
                r.id
                for r in tx.session.query(InvoiceRecord).filter(
                    InvoiceRecord.replaces_invoice_id == invoice_id
                )
            ]
            return InvoiceView(
                invoice=invoice_summary(record),
                history=history,
                attempts=attempts,
                findings=list(record.findings or []),
                allowed_actions=[a.value for a in allowed_actions(record)],
                replaced_by=replaced_by,
            )

    # --- actions -------------------------------------------------------------------------------------

    def complete(
        self, invoice_id: int, *, comment: str, attachments: Sequence[str | Path | Attachment] = ()
    ) -> ActionResult:
        files = [a if isinstance(a, Attachment) else Attachment.from_path(a) for a in attachments]
        return self.actions.complete(invoice_id, comment=comment, attachments=files)

    def recycle(
        self,
        invoice_id: int,
        *,
        recipient_siret: str | None = None,
        service_code: str | None = None,
        engagement_number: str | None = None,
        comment: str | None = None,
    ) -> ActionResult:
        return self.actions.recycle(
            invoice_id,
            recipient_siret=recipient_siret,
            service_code=service_code,
            engagement_number=engagement_number,
            comment=comment,
        )

    def resend(
        self,
        invoice_id: int,
        *,
        number: str,
        issue_date: dt.date | None = None,
        changes: Mapping[str, Any] | None = None,
    ) -> ActionResult:
        return self.actions.resend(invoice_id, number=number, issue_date=issue_date, changes=changes)

    def cancel(
        self, invoice_id: int, *, number: str, issue_date: dt.date | None = None, reason: str | None = None
    ) -> ActionResult:
        return self.actions.cancel(invoice_id, number=number, issue_date=issue_date, reason=reason)

    def withdraw(self, invoice_id: int, *, reason: str | None = None) -> ActionResult:
        return self.actions.withdraw(invoice_id, reason=reason)

    def edit(self, invoice_id: int, document: Invoice | Mapping[str, Any]) -> ActionResult:
        return self.actions.edit(invoice_id, document)


def invoice_summary(record: InvoiceRecord) -> dict[str, Any]:
    """The listing view of an invoice (JSON-ready)."""
    return {
        "id": record.id,
        "structure_id": record.structure_id,
        "environment": record.environment.value,
        "number": record.number,
        "issue_date": record.issue_date.isoformat(),
        "type_code": record.type_code,
        "recipient_siret": record.recipient_siret,
        "recipient_name": record.recipient_name,
        "service_code": record.service_code,
        "engagement_number": record.engagement_number,
        "market_number": record.market_number,
        "amount_tax_inclusive": str(record.amount_tax_inclusive)
        if record.amount_tax_inclusive is not None
        else None,
        "currency": record.currency,
        "status": record.status.value,
        "chorus_status": record.chorus_status,
        "chorus_status_at": record.chorus_status_at.isoformat() if record.chorus_status_at else None,
        "is_terminal": record.is_terminal,
        "syntax": record.syntax,
        "batch_id": record.batch_id,
        "flux_number": record.flux_number,
        "deposited_at": record.deposited_at.isoformat() if record.deposited_at else None,
        "chorus_invoice_id": record.chorus_invoice_id,
        "replaces_invoice_id": record.replaces_invoice_id,
        "status_changed_at": record.status_changed_at.isoformat(),
    }


def _attempts(tx: Any, record: InvoiceRecord) -> list[Any]:
    own = tx.deposits.attempts(invoice_id=record.id)
    batch = tx.deposits.attempts(batch_id=record.batch_id) if record.batch_id is not None else []
    return sorted([*own, *batch], key=lambda a: a.created_at)
