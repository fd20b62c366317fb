"""Everything the simulated platform remembers, in memory, optionally written through to a SQLite file.

Records are pydantic models kept in dictionaries; every change goes through `SimulatorState.save`
so that a restart with the same file finds every token, flux, invoice, attachment and status again.
"""

from __future__ import annotations

import datetime as dt
import heapq
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field

from chorus_connect.simulator.dataset import Dataset

Record = TypeVar("Record", bound=BaseModel)


class AccessToken(BaseModel):
    token: str
    client_id: str
    expires_at: dt.datetime
    revoked: bool = False


class DpError(BaseModel):
    """One entry of `listeErreurDP`: an invoice of the flux refused at integration."""

    invoice_number: str
    supplier_identifier: str
    recipient_identifier: str
    message: str


class TechnicalErrorRecord(BaseModel):
    """One entry of `listeErreurTechnique`: the file itself could not be processed."""

    code: str
    label: str
    nature: str


class Flux(BaseModel):
    flux_number: str
    syntax: str
    interface_code: str
    file_name: str
    signed: bool = False
    deposited_at: dt.datetime
    depositor_login: str
    depositor_structure_id: int | None
    status: str
    status_at: dt.datetime
    dp_errors: list[DpError] = Field(default_factory=list)
    technical_errors: list[TechnicalErrorRecord] = Field(default_factory=list)
    invoice_ids: list[int] = Field(default_factory=list)


class HistoryEntry(BaseModel):
    history_id: int
    status: str
    at: dt.datetime
    comment: str = ""
    user_login: str = ""


class ActionEntry(BaseModel):
    action_id: int
    code: str
    at: dt.datetime
    user_login: str = ""


class Invoice(BaseModel):
    invoice_id: int
    number: str
    flux_number: str | None
    deposit_mode: str
    payment_request_type: str = "FACTURE"
    invoice_type: str  # FACTURE / AVOIR
    invoice_date: dt.date | None
    deposited_at: dt.datetime
    currency: str = "EUR"
    supplier_structure_id: int
    supplier_identifier: str
    recipient_structure_id: int
    recipient_identifier: str
    service_id: int | None = None
    service_code: str | None = None
    engagement_number: str | None = None
    market_number: str | None = None
    preceding_invoice_number: str | None = None
    cadre: str = "A1_FACTURE_FOURNISSEUR"
    payment_mode: str | None = None
    bank_account_id: int | None = None
    vat_type: str | None = None
    amount_without_tax: str = "0.00"
    vat_amount: str = "0.00"
    amount_with_tax: str = "0.00"
    amount_due: str = "0.00"
    status: str
    status_at: dt.datetime
    status_comment: str = ""
    mandate_number: str | None = None
    downloaded_by_recipient: bool = False
    rejection_acknowledged: bool = False
    scenario: str | None = None
    file_key: str | None = None  # blob of the invoice document (PDF or XML)
    file_name: str | None = None
    attachment_ids: list[int] = Field(default_factory=list)
    history: list[HistoryEntry] = Field(default_factory=list)
    actions: list[ActionEntry] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)  # details read from the file (lines, VAT…)


class Attachment(BaseModel):
    attachment_id: int
    name: str
    mime_type: str
    extension: str
    size: int
    owner_login: str
    uploaded_at: dt.datetime
    blob_key: str


class Event(BaseModel):
    """Something the platform will do by itself once simulated time reaches `due`."""

    due: dt.datetime
    seq: int
    kind: str
    payload: dict[str, Any] = Field(default_factory=dict)


class Counters(BaseModel):
    next_invoice_id: int = 1000
    next_attachment_id: int = 5000
    next_history_id: int = 1
    next_event_seq: int = 1
    flux_sequence: dict[str, int] = Field(default_factory=dict)
    deposits_by_supplier: dict[str, int] = Field(default_factory=dict)
    requests_by_operation: dict[str, int] = Field(default_factory=dict)
    clock_offset_seconds: float = 0.0
    clock_now: dt.datetime | None = None


_KINDS: dict[str, type[BaseModel]] = {
    "token": AccessToken,
    "flux": Flux,
    "invoice": Invoice,
    "attachment": Attachment,
    "event": Event,
    "counters": Counters,
}


class _SqliteBackend:
    """Write-through persistence: one JSON row per record, one row per blob."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS records (kind TEXT, key TEXT, body TEXT, PRIMARY KEY (kind, key))"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS blobs (key TEXT PRIMARY KEY, data BLOB)")
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        self._db.commit()

    def put(self, kind: str, key: str, body: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO records VALUES (?, ?, ?)", (kind, key, body))
        self._db.commit()

    def delete(self, kind: str, key: str) -> None:
        self._db.execute("DELETE FROM records WHERE kind = ? AND key = ?", (kind, key))
        self._db.commit()

    def put_blob(self, key: str, data: bytes) -> None:
        self._db.execute("INSERT OR REPLACE INTO blobs VALUES (?, ?)", (key, data))
        self._db.commit()

    def get_blob(self, key: str) -> bytes | None:
        row = self._db.execute("SELECT data FROM blobs WHERE key = ?", (key,)).fetchone()
        return bytes(row[0]) if row else None

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        self._db.commit()

    def records(self) -> Iterator[tuple[str, str, str]]:
        yield from self._db.execute("SELECT kind, key, body FROM records")

    def close(self) -> None:
        self._db.close()


class SimulatorState:
    """The platform's memory. All access happens under `lock` (the server is single-threaded, the
    admin helpers and background integration may not be)."""

    def __init__(self, dataset: Dataset, path: Path | None = None) -> None:
        self.lock = threading.RLock()
        self.dataset = dataset
        self.tokens: dict[str, AccessToken] = {}
        self.fluxes: dict[str, Flux] = {}
        self.invoices: dict[int, Invoice] = {}
        self.attachments: dict[int, Attachment] = {}
        self.counters = Counters()
        self._events: list[tuple[dt.datetime, int, Event]] = []
        self._blobs: dict[str, bytes] = {}
        self._backend = _SqliteBackend(path) if path else None
        if self._backend:
            self._load_or_initialise()

    # -- persistence -------------------------------------------------------------------------------
    def _load_or_initialise(self) -> None:
        assert self._backend is not None
        stored = self._backend.get_meta("dataset")
        if stored is None:
            self._backend.put_meta("dataset", self.dataset.model_dump_json())
        else:
            # The file's own data set wins: its fluxes and invoices refer to its structures.
            self.dataset = Dataset.model_validate_json(stored)
        for kind, _key, body in self._backend.records():
            self._restore(kind, body)

    def _restore(self, kind: str, body: str) -> None:
        record = _KINDS[kind].model_validate_json(body)
        if isinstance(record, AccessToken):
            self.tokens[record.token] = record
        elif isinstance(record, Flux):
            self.fluxes[record.flux_number] = record
        elif isinstance(record, Invoice):
            self.invoices[record.invoice_id] = record
        elif isinstance(record, Attachment):
            self.attachments[record.attachment_id] = record
        elif isinstance(record, Event):
            heapq.heappush(self._events, (record.due, record.seq, record))
        elif isinstance(record, Counters):
            self.counters = record

    def save(self, record: BaseModel) -> None:
        """Record a change (write-through when a state file is used)."""
        if self._backend is None:
            return
        kind, key = _identity(record)
        self._backend.put(kind, key, record.model_dump_json())

    def save_counters(self) -> None:
        self.save(self.counters)

    def put_blob(self, key: str, data: bytes) -> None:
        if self._backend:
            self._backend.put_blob(key, data)
        else:
            self._blobs[key] = data

    def get_blob(self, key: str) -> bytes | None:
        if self._backend:
            return self._backend.get_blob(key)
        return self._blobs.get(key)

    def close(self) -> None:
        if self._backend:
            self._backend.close()

    # -- identifiers -------------------------------------------------------------------------------
    def next_invoice_id(self) -> int:
        self.counters.next_invoice_id += 1
        return self.counters.next_invoice_id

    def next_attachment_id(self) -> int:
        self.counters.next_attachment_id += 1
        return self.counters.next_attachment_id

    def next_history_id(self) -> int:
        self.counters.next_history_id += 1
        return self.counters.next_history_id

    def next_flux_sequence(self, interface_digits: str) -> int:
        current = self.counters.flux_sequence.get(interface_digits, 0) + 1
        self.counters.flux_sequence[interface_digits] = current
        return current

    # -- scheduled events --------------------------------------------------------------------------
    def schedule(self, due: dt.datetime, kind: str, **payload: Any) -> Event:
        seq = self.counters.next_event_seq
        self.counters.next_event_seq += 1
        event = Event(due=due, seq=seq, kind=kind, payload=payload)
        heapq.heappush(self._events, (event.due, event.seq, event))
        self.save(event)
        self.save_counters()
        return event

    def pop_due_event(self, now: dt.datetime) -> Event | None:
        if not self._events or self._events[0][0] > now:
            return None
        _due, _seq, event = heapq.heappop(self._events)
        if self._backend:
            self._backend.delete("event", str(event.seq))
        return event

    def pending_events(self) -> int:
        return len(self._events)


def _identity(record: BaseModel) -> tuple[str, str]:
    if isinstance(record, AccessToken):
        return "token", record.token
    if isinstance(record, Flux):
        return "flux", record.flux_number
    if isinstance(record, Invoice):
        return "invoice", str(record.invoice_id)
    if isinstance(record, Attachment):
        return "attachment", str(record.attachment_id)
    if isinstance(record, Event):
        return "event", str(record.seq)
    if isinstance(record, Counters):
        return "counters", "singleton"
    raise TypeError(f"not a state record: {type(record).__name__}")
