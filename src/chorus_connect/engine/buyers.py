"""Public buyers: the invoices a public structure receives on Chorus Pro, and what it decides about them.

For a structure with the ``public_buyer`` role:

- :meth:`ReceivedInvoices.sync` reads ``rechercher/recipiendaire`` (every page; the "no result" answer,
  ``codeRetour`` 20000, is an empty list) into the store's received-invoices table, incrementally from the
  last status change already seen;
- :meth:`ReceivedInvoices.list` / :meth:`ReceivedInvoices.get` read the store (no API call);
- :meth:`ReceivedInvoices.download` fetches the invoice with ``telecharger/groupe`` once and keeps the file
  in the store;
- :meth:`ReceivedInvoices.approve`, :meth:`suspend`, :meth:`reject` (and the generic :meth:`process`) send
  ``traiter/recue``. The motif rule (mandatory for SUSPENDUE and REJETEE) is checked before any call; which
  status may follow which is Chorus Pro's decision (our table of §3.4.1 is partly inferred), so a refusal
  is reported with the statuses Chorus Pro says are allowed.

See docs/buyers.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from chorus_connect.api import BusinessError, ChorusClient, ChorusError, OutcomeUnknownError
from chorus_connect.api.models.factures import RecipientInvoiceSummary
from chorus_connect.api.models.transverses import ActiveStructure
from chorus_connect.engine.connection import Connections
from chorus_connect.engine.errors import EngineError
from chorus_connect.store import (
    NewFile,
    ReceivedInvoice,
    ReceivedInvoiceData,
    Store,
    Structure,
    StructureRole,
    UnitOfWork,
)
from chorus_connect.store.repositories.cursors import RECEIVED_INVOICES

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
# The status-change filter is sent as a day (the shape Pastell sends; finer shapes are not attested): a sync
# re-reads the changes of the day of the newest change already seen (upserts make that harmless), from a few
# minutes earlier so that a change stamped just before midnight but committed later is not missed.
SYNC_OVERLAP = dt.timedelta(minutes=5)
SYNC_CHUNK = 100  # invoices written per transaction during a sync
PAGE_SIZE = 100

# Statuses a recipient may set through traiter/recue (union of the targets of reference §3.4.1).
SUSPENDED = "SUSPENDUE"
REJECTED = "REJETEE"
MANDATED = "MANDATEE"
APPROVAL_STATUSES = (
    "SERVICE_FAIT",
    "PRISE_EN_COMPTE_DESTINATAIRE",
    MANDATED,
    "MISE_A_DISPOSITION_COMPTABLE",
    "COMPTABILISEE",
    "MISE_EN_PAIEMENT",
)
SETTABLE_STATUSES = (*APPROVAL_STATUSES, SUSPENDED, REJECTED, "A_RECYCLER")
MOTIF_REQUIRED = frozenset({SUSPENDED, REJECTED})  # attested (AIFE)
FINAL_STATUSES = frozenset({REJECTED, "MISE_EN_PAIEMENT", "ABANDONNEE", "SUPPRIMEE"})
MOTIF_MAX = 1000  # no documented limit; long enough for a real motif, short enough to catch a pasted file


class BuyerError(EngineError):
    """A public-buyer action that cannot be done: ``message`` says why, ``fix`` what to do."""


@dataclass(frozen=True, slots=True)
class ReceivedInvoiceView:
    """A received invoice as stored, detached from the database session."""

    id: int
    structure_id: int
    chorus_invoice_id: int
    number: str
    issue_date: dt.date | None
    type_code: str | None
    supplier_name: str | None
    supplier_identifier: str | None
    service_code: str | None
    engagement_number: str | None
    currency: str | None
    amount_tax_exclusive: Decimal | None
    amount_tax_inclusive: Decimal | None
    chorus_status: str | None
    chorus_status_at: dt.datetime | None
    downloaded_at: dt.datetime | None
    has_file: bool

    @classmethod
    def of(cls, row: ReceivedInvoice) -> ReceivedInvoiceView:
        return cls(
            id=row.id,
            structure_id=row.structure_id,
            chorus_invoice_id=row.chorus_invoice_id,
            number=row.number,
            issue_date=row.issue_date,
            type_code=row.type_code,
            supplier_name=row.supplier_name,
            supplier_identifier=row.supplier_identifier,
            service_code=row.service_code,
            engagement_number=row.engagement_number,
            currency=row.currency,
            amount_tax_exclusive=row.amount_tax_exclusive,
            amount_tax_inclusive=row.amount_tax_inclusive,
            chorus_status=row.chorus_status,
            chorus_status_at=row.chorus_status_at,
            downloaded_at=row.downloaded_at,
            has_file=row.file_id is not None,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (dates in ISO 8601, amounts as strings to keep them exact)."""
        return {key: _json_value(value) for key, value in asdict(self).items()}


@dataclass(frozen=True, slots=True)
class HistoryLine:
    at: dt.datetime
    source: str
    chorus_status: str | None
    comment: str | None
    actor: str | None

    def as_dict(self) -> dict[str, Any]:
        return {key: _json_value(value) for key, value in asdict(self).items()}


@dataclass(frozen=True, slots=True)
class SyncReport:
    structure_id: int
    structure_name: str
    since: dt.date | None  # the status-change day the search started from (None: everything)
    seen: int
    created: int
    updated: int  # existing invoices whose Chorus status changed

    def as_dict(self) -> dict[str, Any]:
        return {key: _json_value(value) for key, value in asdict(self).items()}


@dataclass(frozen=True, slots=True)
class DownloadedInvoice:
    received_id: int
    file_name: str
    media_type: str
    content: bytes
    from_store: bool  # True when the file was already kept and no API call was made


@dataclass(frozen=True, slots=True)
class Treatment:
    """The outcome of a traiter/recue call, as recorded in the store."""

    invoice: ReceivedInvoiceView
    previous_status: str | None
    new_status: str
    motif: str | None


class ReceivedInvoices:
    """Received invoices of public-buyer structures, kept in ``store`` and acted on through Chorus Pro."""

    def __init__(
        self, store: Store, *, connections: Connections | None = None, actor: str | None = None
    ) -> None:
        self.store = store
        self.connections = connections  # the engine's (shared clients); else one per call, closed after
        self.actor = actor

    # --- sync ---------------------------------------------------------------------------------------

    def sync(self, structure: int | str, *, full: bool = False) -> SyncReport:
        """Bring the structure's received invoices up to date; ``full`` ignores the cursor."""
        with self.store.read() as tx:
            buyer = _Buyer.of(_public_buyer(tx, structure))
            cursor = tx.cursors.find(buyer.id, RECEIVED_INVOICES)
            last_change = None if full or cursor is None else cursor.last_change_at
        since = _paris_day(last_change - SYNC_OVERLAP) if last_change else None
        with self._client(buyer.id) as client:
            recipient_id = buyer.chorus_structure_id or self._resolve_structure_id(client, buyer)
            request: dict[str, Any] = {"recipient_id": recipient_id}
            if since is not None:
                request["status_changed_from"] = since
            created = updated = seen = 0
            newest = last_change
            for chunk in _chunks(client.factures.iter_recipient_invoices(request, page_size=PAGE_SIZE)):
                data = [_received_data(item) for item in chunk]
                new, changed = self._write_chunk(buyer.id, data)
                seen, created, updated = seen + len(data), created + new, updated + changed
                newest = _latest(newest, *(d.chorus_status_at for d in data))
        with self.store.transaction(actor=self.actor) as tx:
            tx.cursors.advance(buyer.id, RECEIVED_INVOICES, last_change_at=newest)
        log.info("buyers.sync structure=%s seen=%d created=%d updated=%d", buyer.name, seen, created, updated)
        return SyncReport(buyer.id, buyer.name, since, seen, created, updated)

    def _write_chunk(self, structure_id: int, data: list[ReceivedInvoiceData]) -> tuple[int, int]:
        # Another process syncing the same structure may insert the same new invoice first: the unique key
        # refuses ours, and the chunk is simply written again as updates.
        for attempt in (1, 2):
            try:
                with self.store.transaction(actor=self.actor) as tx:
                    created = updated = 0
                    for item in data:
                        existing = tx.received.find(structure_id, item.chorus_invoice_id)
                        before = existing.chorus_status if existing is not None else None
                        row, is_new = tx.received.upsert(structure_id, item)
                        created += int(is_new)
                        updated += int(not is_new and row.chorus_status != before)
                    return created, updated
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _resolve_structure_id(self, client: ChorusClient, buyer: _Buyer) -> int:
        """Find idStructureCPP from the SIRET among the structures the technical account receives for."""
        structures = _active_recipient_structures(client)
        matches = [s for s in structures if (s.identifier or "").replace(" ", "") == buyer.siret]
        if not matches or matches[0].structure_id is None:
            listed = ", ".join(f"{s.identifier} ({s.name})" for s in structures) or "none"
            raise BuyerError(
                f"The technical account of {buyer.name!r} does not receive invoices for SIRET {buyer.siret}; "
                f"it acts for: {listed}.",
                fix=f"Correct the structure's SIRET (chorus structures edit {buyer.name} --siret ...) or "
                "have the structure's main manager attach the technical account to it on Chorus Pro.",
            )
        with self.store.transaction(actor=self.actor) as tx:
            tx.structures.update(buyer.id, {"chorus_structure_id": matches[0].structure_id})
        return int(matches[0].structure_id)

    # --- read ---------------------------------------------------------------------------------------

    def list(
        self,
        structure: int | str,
        *,
        statuses: list[str] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[ReceivedInvoiceView]:
        with self.store.read() as tx:
            buyer = _public_buyer(tx, structure)
            wanted = [s.strip().upper() for s in statuses or [] if s.strip()]
            rows = tx.received.list(buyer.id, chorus_statuses=wanted or None, limit=limit, offset=offset)
            return [ReceivedInvoiceView.of(row) for row in rows]

    def get(self, received_id: int) -> ReceivedInvoiceView:
        with self.store.read() as tx:
            return ReceivedInvoiceView.of(tx.received.get(received_id))

    def history(self, received_id: int) -> list[HistoryLine]:
        with self.store.read() as tx:
            tx.received.get(received_id)
            return [
                HistoryLine(e.at, e.source.value, e.chorus_status, e.comment, e.actor)
                for e in tx.received.history(received_id)
            ]

    # --- download -----------------------------------------------------------------------------------

    def download(self, received_id: int, *, refresh: bool = False) -> DownloadedInvoice:
        """The invoice's file: from the store if it was downloaded before, else from Chorus Pro (kept)."""
        with self.store.read() as tx:
            row = tx.received.get(received_id)
            if row.file_id is not None and not refresh:
                stored = tx.files.get(row.file_id)
                return DownloadedInvoice(
                    received_id, stored.file_name, stored.media_type, tx.files.content(stored.id), True
                )
            structure_id, chorus_id, number = row.structure_id, row.chorus_invoice_id, row.number
        with self._client(structure_id) as client:
            try:
                answer = client.factures.download({"invoices": [{"invoice_id": chorus_id}], "format": "PDF"})
            except BusinessError as error:
                raise BuyerError(
                    f"Chorus Pro refused to send invoice {number} (id {chorus_id}): {error.message}",
                    fix="Run `chorus received sync` to check the invoice is still addressed to this "
                    "structure, then try again.",
                ) from None
        content = answer.content()
        if not content:
            raise BuyerError(
                f"Chorus Pro sent an empty file for invoice {number} (id {chorus_id}).",
                fix="Try again later; if it persists, download it from the Chorus Pro portal.",
            )
        extension, media_type = _file_kind(content)
        file_name = f"{_safe_name(number)}_{chorus_id}.{extension}"
        with self.store.transaction(actor=self.actor) as tx:
            tx.received.attach_file(
                received_id, NewFile(file_name=file_name, content=content, media_type=media_type)
            )
        log.info("buyers.download received_id=%d size=%d", received_id, len(content))
        return DownloadedInvoice(received_id, file_name, media_type, content, False)

    # --- decisions (traiter/recue) ------------------------------------------------------------------

    def approve(
        self, received_id: int, *, status: str = "SERVICE_FAIT", mandate_number: str | None = None
    ) -> Treatment:
        """Move the invoice forward: SERVICE_FAIT (default), MANDATEE (with the mandate number),
        MISE_A_DISPOSITION_COMPTABLE, COMPTABILISEE or MISE_EN_PAIEMENT."""
        target = _normalized(status)
        if target not in APPROVAL_STATUSES:
            raise BuyerError(
                f"{status!r} is not an approval status.",
                fix=f"Use one of {', '.join(APPROVAL_STATUSES)}; to suspend or reject, give a motif with "
                "suspend / reject.",
            )
        return self.process(received_id, target, mandate_number=mandate_number)

    def suspend(self, received_id: int, motif: str) -> Treatment:
        """Suspend the invoice (the supplier may then complete it); the motif tells the supplier what is
        missing."""
        return self.process(received_id, SUSPENDED, motif=motif)

    def reject(self, received_id: int, motif: str) -> Treatment:
        """Reject the invoice for good (final); the motif tells the supplier why."""
        return self.process(received_id, REJECTED, motif=motif)

    def process(
        self,
        received_id: int,
        status: str,
        *,
        motif: str | None = None,
        mandate_number: str | None = None,
    ) -> Treatment:
        """Send ``traiter/recue`` with the new status, then record it with its motif."""
        target, motif, mandate_number = _checked_decision(status, motif, mandate_number)
        with self.store.read() as tx:
            row = tx.received.get(received_id)
            current, number, chorus_id = row.chorus_status, row.number, row.chorus_invoice_id
            structure_id = row.structure_id
        if current in FINAL_STATUSES:
            raise BuyerError(
                f"Invoice {number} is {current}, a final status: nothing can be changed any more.",
                fix="Nothing to do; if the status shown is out of date, run `chorus received sync`.",
            )
        request = {"invoice_id": chorus_id, "new_status": target, "reason": motif}
        if mandate_number:
            request["mandate_number"] = mandate_number
        with self._client(structure_id) as client:
            try:
                client.factures.process_received(request)
            except BusinessError as error:
                raise self._refusal(client, error, number, current, target) from None
            except OutcomeUnknownError:
                self._settle_unknown_outcome(client, structure_id, received_id, number, target)
        comment = _event_comment(motif, mandate_number)
        with self.store.transaction(actor=self.actor) as tx:
            tx.received.record_treatment(received_id, target, motif=comment)
            view = ReceivedInvoiceView.of(tx.received.get(received_id))
        log.info("buyers.process received_id=%d from=%s to=%s", received_id, current, target)
        return Treatment(view, current, target, motif)

    def _refusal(
        self, client: ChorusClient, error: BusinessError, number: str, current: str | None, target: str
    ) -> BuyerError:
        allowed = _allowed_targets(client, current)
        listed = ", ".join(allowed) if allowed else "none"
        return BuyerError(
            f"Chorus Pro refused to set invoice {number} to {target}: {error.label or error.message}",
            fix=f"From {current or 'its current status'} Chorus Pro allows: {listed}. If the status shown "
            "here may be out of date, run `chorus received sync` first.",
        )

    def _settle_unknown_outcome(
        self, client: ChorusClient, structure_id: int, received_id: int, number: str, target: str
    ) -> None:
        """The call may or may not have been applied: ask Chorus Pro before saying anything."""
        found = _current_status(client, number, structure_id, self.store)
        if found == target:
            return  # it was applied: record it like a plain success
        raise BuyerError(
            f"The answer to setting invoice {number} to {target} was lost, and Chorus Pro still shows it as "
            f"{found or 'unknown'}: the change was not applied (received invoice {received_id}).",
            fix="Try the same action again.",
        )

    # --- clients ------------------------------------------------------------------------------------

    @contextmanager
    def _client(self, structure_id: int) -> Iterator[ChorusClient]:
        if self.connections is not None:
            yield self.connections.get(structure_id).client
            return
        with Connections(self.store) as connections:
            yield connections.get(structure_id).client


# --- helpers ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Buyer:
    """What a sync needs of the structure, read once (ORM rows do not outlive their transaction)."""

    id: int
    name: str
    siret: str
    chorus_structure_id: int | None

    @classmethod
    def of(cls, structure: Structure) -> _Buyer:
        return cls(structure.id, structure.name, structure.siret, structure.chorus_structure_id)


def _public_buyer(tx: UnitOfWork, key: int | str) -> Structure:
    structure = tx.structures.get(_structure_key(key))
    if structure.role != StructureRole.PUBLIC_BUYER:
        raise BuyerError(
            f"Structure {structure.name!r} is a supplier: it issues invoices, it receives none.",
            fix="Name the public-buyer structure (role public_buyer); `chorus structures list` shows roles.",
        )
    if not structure.is_active:
        raise BuyerError(
            f"Structure {structure.name!r} is paused (inactive).",
            fix=f"Reactivate it first: chorus structures edit {structure.name} --active",
        )
    return structure


def _structure_key(key: int | str) -> int | str:
    """Ids may arrive as text from the command line: ``"7"`` is structure 7, ``"acme"`` a name."""
    if isinstance(key, str) and key.strip().isdigit():
        return int(key.strip())
    return key


def _checked_decision(
    status: str, motif: str | None, mandate_number: str | None
) -> tuple[str, str | None, str | None]:
    target = _normalized(status)
    motif = (motif or "").strip() or None
    mandate_number = (mandate_number or "").strip() or None
    if target not in SETTABLE_STATUSES:
        raise BuyerError(
            f"{status!r} is not a status a recipient can set.",
            fix=f"Use one of {', '.join(SETTABLE_STATUSES)}.",
        )
    if target in MOTIF_REQUIRED and not motif:
        raise BuyerError(
            f"A motif is mandatory to set an invoice to {target}.",
            fix="Say what is wrong or missing (e.g. 'Bon de commande manquant'): the supplier reads it.",
        )
    if motif and len(motif) > MOTIF_MAX:
        raise BuyerError(
            f"The motif is {len(motif)} characters long.", fix=f"Keep it under {MOTIF_MAX} characters."
        )
    if mandate_number and target != MANDATED:
        raise BuyerError(
            f"A mandate number (numeroDPMandat) goes with MANDATEE, not {target}.",
            fix="Drop the mandate number, or set the invoice to MANDATEE.",
        )
    return target, motif, mandate_number


def _normalized(status: str) -> str:
    return (status or "").strip().upper().replace("-", "_").replace(" ", "_")


def _event_comment(motif: str | None, mandate_number: str | None) -> str | None:
    parts = [motif] if motif else []
    if mandate_number:
        parts.append(f"Mandate number (numeroDPMandat): {mandate_number}")
    return " — ".join(parts) or None


def _allowed_targets(client: ChorusClient, current: str | None) -> list[str]:
    """Chorus Pro's own answer (recuperer/etats/traitement); best effort, for the error message only."""
    if not current:
        return []
    try:
        answer = client.transverses.processing_statuses(current)
    except ChorusError:
        return []
    return [str(item.status) for item in answer.statuses if item.status is not None]


def _active_recipient_structures(client: ChorusClient) -> list[ActiveStructure]:
    found: list[ActiveStructure] = []
    page = 1
    while True:
        answer = client.transverses.active_recipient_structures({"paging": {"page": page, "page_size": 100}})
        found.extend(answer.structures)
        info = answer.page_info
        if not answer.structures or info is None or not info.pages or page >= info.pages:
            return found
        page += 1


def _current_status(client: ChorusClient, number: str, structure_id: int, store: Store) -> str | None:
    with store.read() as tx:
        recipient_id = tx.structures.get(structure_id).chorus_structure_id
    request: dict[str, Any] = {"invoice_number": number}
    if recipient_id:
        request["recipient_id"] = recipient_id
    for item in client.factures.iter_recipient_invoices(request):
        if item.invoice_number == number:
            return str(item.status) if item.status is not None else None
    return None


def _received_data(item: RecipientInvoiceSummary) -> ReceivedInvoiceData:
    chorus_id = item.invoice_id or (item.model_extra or {}).get("identifiantFactureCPP")
    if not chorus_id:
        raise BuyerError(
            f"Chorus Pro listed invoice {item.invoice_number!r} without its id (idFacture).",
            fix="Run the sync again; if it persists, report it with the invoice number.",
        )
    return ReceivedInvoiceData(
        chorus_invoice_id=int(chorus_id),
        number=item.invoice_number or f"#{chorus_id}",
        issue_date=_day(item.invoice_date),
        type_code=_text(item.invoice_type),
        supplier_name=item.supplier_name,
        supplier_identifier=item.supplier_code,
        supplier_identifier_type=_text(item.supplier_identifier_type),
        service_code=item.recipient_service_code,
        engagement_number=item.order_number,
        currency=item.currency,
        amount_tax_exclusive=item.amount_ht,
        amount_tax_inclusive=item.amount_ttc,
        chorus_status=_text(item.status),
        chorus_status_at=_utc(item.status_changed_at),
        summary=item.model_dump(mode="json", by_alias=True, exclude_none=True),
    )


def _chunks(items: Iterator[RecipientInvoiceSummary]) -> Iterator[list[RecipientInvoiceSummary]]:
    chunk: list[RecipientInvoiceSummary] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == SYNC_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _day(value: dt.date | dt.datetime | None) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _utc(value: dt.date | dt.datetime | None) -> dt.datetime | None:
    """Chorus Pro's times are Paris time when they carry no offset."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time.min)
    if value.tzinfo is None:
        value = value.replace(tzinfo=PARIS)
    return value.astimezone(dt.UTC)


def _paris_day(moment: dt.datetime) -> dt.date:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(PARIS).date()


def _latest(current: dt.datetime | None, *candidates: dt.datetime | None) -> dt.datetime | None:
    moments = [m for m in (current, *candidates) if m is not None]
    return max((m if m.tzinfo else m.replace(tzinfo=dt.UTC) for m in moments), default=None)


def _file_kind(content: bytes) -> tuple[str, str]:
    if content.startswith(b"PK\x03\x04"):
        return "zip", "application/zip"
    if content.startswith(b"%PDF"):
        return "pdf", "application/pdf"
    if content.lstrip().startswith(b"<"):
        return "xml", "application/xml"
    return "bin", "application/octet-stream"


def _safe_name(number: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", number).strip("._") or "facture"


def _json_value(value: object) -> object:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
