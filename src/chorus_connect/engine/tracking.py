"""Following deposited invoices to their end with few API calls.

One sync of a structure:

1. **Status search** — ``rechercher/fournisseur`` filtered by the supplier (``idFournisseur``) and by the
   status-change time (``periodeDateHeureEtatCourantDu`` = the structure's cursor minus an overlap, never
   before the oldest tracked deposit), sorted by Chorus id (stable while statuses change during paging),
   in pages of ``search_page_size`` (500): ONE call per page, whatever the number of tracked invoices.
   Each line carries the status, its time and its comment (``commentaireEtatCourant``, the motif of a
   suspension or rejection). Lines are matched to stored invoices by Chorus id, or — for an invoice just
   integrated — by flux number and invoice number. Invoices that did not change cost nothing.
2. **Pending fluxes** — a deposited invoice the search did not show is still being integrated, or was
   refused: ``consulterCRDetaille`` once per such flux (a zip batch counts once), and only once the flux
   is older than ``flux_report_delay`` (2 min; 0 on the simulator) — a normal integration takes seconds,
   so most fluxes never need their report. ``IN_REJETE`` /
   ``IN_INCIDENTE`` and the invoices listed in ``listeErreurDP`` become ``refused_at_integration`` with
   Chorus Pro's text; an integrated flux whose invoices the search missed is searched by flux number once.
3. **Motifs** — ``consulter/historique`` only for a suspension / rejection / recycling whose search line
   has no comment (normally none).
4. The cursor moves to the newest status time seen, never past the platform time the search began at
   (never backwards; unchanged when nothing was seen).

Tracking stops at a terminal Chorus status (MISE_EN_PAIEMENT, REJETEE, ABANDONNEE, SUPPRIMEE; MANDATEE for
recipients with ``statutMiseEnPaiementNestPasRemonte``). Calls go through the structure's client, whose
token bucket keeps the PISTE application under its rate. :class:`SyncReport` counts the calls.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from chorus_connect.api.models._base import PageRequest, SortDirection
from chorus_connect.api.models.factures import (
    InvoiceHistoryRequest,
    SearchSupplierInvoicesRequest,
    SupplierInvoiceSummary,
)
from chorus_connect.api.models.transverses import ConsultDetailedReportRequest
from chorus_connect.engine.connection import Connection, Connections, resolve_chorus_structure_id
from chorus_connect.engine.directory import Directories
from chorus_connect.engine.recording import chorus_local, chorus_moment, record_chorus_status, record_refused
from chorus_connect.engine.settings import EngineSettings
from chorus_connect.engine.states import NEEDS_SUPPLIER, PAYMENT_ORDERED, REJETEE
from chorus_connect.engine.storage import snapshot
from chorus_connect.store import Claim, InvoiceRecord, InvoiceStatus, Store

log = logging.getLogger("chorus_connect.engine")

FAILED_FLUX = frozenset({"IN_REJETE", "IN_INCIDENTE", "QP_IRRECEVABLE"})
INTEGRATED_FLUX = frozenset({"IN_INTEGRE", "IN_INTEGRE_PARTIEL", "QP_RECEVABLE", "QP_RECEVABLE_AVEC_ERREUR"})
MOTIF_STATUSES = frozenset({*NEEDS_SUPPLIER, REJETEE})
WRITE_CHUNK = 500  # invoices updated per transaction


@dataclass
class SyncReport:
    structure_id: int
    tracked: int = 0  # invoices followed when the sync started (deposited or integrated, not terminal)
    api_calls: int = 0
    calls_by_operation: Counter[str] = field(default_factory=Counter)
    search_results: int = 0
    integrated: int = 0
    changed: int = 0  # Chorus status changes recorded (integrations included)
    refused: int = 0
    finished: int = 0  # reached a terminal status during this sync
    untracked: int = 0  # search lines of invoices not followed (finished, or not in this store)
    pending_fluxes: int = 0  # fluxes still being integrated after this sync
    cursor: dt.datetime | None = None

    @property
    def calls_per_tracked_invoice(self) -> float:
        return self.api_calls / self.tracked if self.tracked else 0.0

    def count(self, operation: str, calls: int = 1) -> None:
        if calls:
            self.api_calls += calls
            self.calls_by_operation[operation] += calls

    def as_dict(self) -> dict[str, object]:
        return {
            "structure_id": self.structure_id,
            "tracked": self.tracked,
            "api_calls": self.api_calls,
            "calls_per_tracked_invoice": round(self.calls_per_tracked_invoice, 4),
            "calls_by_operation": dict(self.calls_by_operation),
            "search_results": self.search_results,
            "integrated": self.integrated,
            "changed": self.changed,
            "refused": self.refused,
            "finished": self.finished,
            "untracked": self.untracked,
            "pending_fluxes": self.pending_fluxes,
            "cursor": self.cursor.isoformat() if self.cursor else None,
        }


@dataclass(frozen=True)
class _Tracked:
    invoice_id: int
    number: str
    status: InvoiceStatus
    flux_number: str | None
    chorus_invoice_id: int | None
    chorus_status: str | None
    chorus_status_at: dt.datetime | None
    deposited_at: dt.datetime | None
    recipient_siret: str | None
    syntax: str | None
    status_changed_at: dt.datetime

    @classmethod
    def of(cls, record: InvoiceRecord) -> _Tracked:
        return cls(
            record.id,
            record.number,
            record.status,
            record.flux_number,
            record.chorus_invoice_id,
            record.chorus_status,
            record.chorus_status_at,
            record.deposited_at,
            record.recipient_siret,
            record.syntax,
            record.status_changed_at,
        )


@dataclass(frozen=True)
class _Change:
    """A Chorus status to record for a stored invoice."""

    invoice_id: int
    chorus_invoice_id: int | None
    status: str | None
    at: dt.datetime | None
    comment: str | None
    integrate: bool
    flux_number: str | None
    recipient_siret: str | None


class Tracker:
    def __init__(
        self,
        store: Store,
        connections: Connections,
        settings: EngineSettings,
        worker: str,
        *,
        directories: Directories | None = None,
    ) -> None:
        self.store = store
        self.connections = connections
        self.settings = settings
        self.worker = worker
        self._directories = directories or Directories(settings.directory_ttl)

    def sync(self, structure_id: int, *, claim: Claim | None = None) -> SyncReport:
        report = SyncReport(structure_id)
        with snapshot(self.store) as tx:
            tracked = [_Tracked.of(record) for record in tx.invoices.tracked(structure_id)]
            cursor = tx.cursors.find(structure_id)
            known_supplier_id = tx.structures.get(structure_id).chorus_structure_id
        cursor_at = cursor.last_change_at if cursor is not None else None
        report.tracked = len(tracked)
        if not tracked:
            self._advance(structure_id, None, claim)
            return report
        connection = self.connections.get(structure_id)
        if known_supplier_id is None:
            report.count("recupererStructuresActivesPourFournisseur")
        supplier_id = resolve_chorus_structure_id(self.store, connection)

        since = self._since(cursor_at, tracked, connection)
        searched_at = connection.clock.now()
        results = self._search_changes(connection, supplier_id, since, report)
        changes, matched = self._match(results, tracked, report)
        refusals = self._pending_fluxes(connection, tracked, matched, changes, report)
        changes = self._fill_motifs(connection, changes, report)
        self._write(changes, refusals, self._payment_flags(connection, changes, report), report)
        newest = max((item.at for item in changes if item.at), default=None)
        newest_seen = _cursor_after(results, newest, searched_at)
        report.cursor = newest_seen or cursor_at
        self._advance(structure_id, newest_seen, claim)
        log.info(
            "engine.sync structure=%s tracked=%d calls=%d changed=%d",
            structure_id,
            report.tracked,
            report.api_calls,
            report.changed,
        )
        return report

    # --- 1. status search ----------------------------------------------------------------------------

    def _since(
        self, cursor_at: dt.datetime | None, tracked: list[_Tracked], connection: Connection
    ) -> dt.datetime:
        # No change of a tracked invoice can predate its deposit (dateDepot, platform date).
        oldest = min((t.deposited_at for t in tracked if t.deposited_at), default=None)
        floor = (oldest - dt.timedelta(days=1)) if oldest else None
        if cursor_at is None:
            return floor or (connection.clock.now() - dt.timedelta(days=366))
        start = cursor_at - self.settings.overlap(connection.environment)
        return max(start, floor) if floor else start

    def _search_changes(
        self, connection: Connection, supplier_id: int, since: dt.datetime, report: SyncReport
    ) -> list[SupplierInvoiceSummary]:
        results = self._paged(
            connection,
            SearchSupplierInvoicesRequest(supplier_id=supplier_id, status_changed_from=chorus_local(since)),
            report,
        )
        report.search_results = len(results)
        return results

    def _paged(
        self, connection: Connection, criteria: SearchSupplierInvoicesRequest, report: SyncReport
    ) -> list[SupplierInvoiceSummary]:
        """Every page of a supplier search, sorted by Chorus id (stable while statuses change), counted."""
        size = self.settings.search_page_size
        results: list[SupplierInvoiceSummary] = []
        page = 1
        while True:
            request = criteria.model_copy(
                update={
                    "paging": PageRequest(
                        page=page,
                        page_size=size,
                        sort_column="IdentifiantFactureCPP",
                        sort_direction=SortDirection.ASCENDING,
                    )
                }
            )
            answer = connection.client.factures.search_supplier_invoices(request)
            report.count("rechercherFactureParFournisseur")
            items = answer.page_items()
            results.extend(items)
            info = answer.page_info
            pages = info.pages if info is not None else None
            if not items or (pages is not None and page >= pages) or (pages is None and len(items) < size):
                return results
            page += 1

    def _match(
        self, results: list[SupplierInvoiceSummary], tracked: list[_Tracked], report: SyncReport
    ) -> tuple[list[_Change], set[int]]:
        by_chorus_id = {t.chorus_invoice_id: t for t in tracked if t.chorus_invoice_id is not None}
        by_flux = {
            (t.flux_number, t.number): t
            for t in tracked
            if t.status == InvoiceStatus.DEPOSITED and t.flux_number
        }
        changes: list[_Change] = []
        matched: set[int] = set()
        for item in results:
            tracked_invoice = by_chorus_id.get(item.invoice_id) or by_flux.get(
                (item.flux_number, item.invoice_number)
            )
            if tracked_invoice is None:
                report.untracked += 1
                continue
            matched.add(tracked_invoice.invoice_id)
            status = str(item.status) if item.status is not None else None
            at = chorus_moment(item.status_changed_at)
            integrate = tracked_invoice.status == InvoiceStatus.DEPOSITED
            if (
                not integrate
                and status == tracked_invoice.chorus_status
                and at == tracked_invoice.chorus_status_at
            ):
                continue  # seen by an earlier sync (the overlap re-reads a little)
            changes.append(
                _Change(
                    tracked_invoice.invoice_id,
                    item.invoice_id,
                    status,
                    at,
                    item.status_comment,
                    integrate,
                    item.flux_number,
                    tracked_invoice.recipient_siret,
                )
            )
        return changes, matched

    # --- 2. pending fluxes ---------------------------------------------------------------------------

    def _pending_fluxes(
        self,
        connection: Connection,
        tracked: list[_Tracked],
        matched: set[int],
        changes: list[_Change],
        report: SyncReport,
    ) -> list[tuple[int, str, str]]:
        waiting: dict[str, list[_Tracked]] = {}
        young = _utc_now() - self.settings.report_delay(connection.environment)
        for t in tracked:
            if t.status == InvoiceStatus.DEPOSITED and t.invoice_id not in matched and t.flux_number:
                waiting.setdefault(t.flux_number, []).append(t)
        for flux in [f for f, group in waiting.items() if all(t.status_changed_at > young for t in group)]:
            del waiting[flux]  # deposited moments ago: normally integrated by the next sync, no call now
            report.pending_fluxes += 1
        refusals: list[tuple[int, str, str]] = []  # (invoice id, flux, reason)
        for flux, invoices in waiting.items():
            answer = connection.client.transverses.consult_detailed_report(
                ConsultDetailedReportRequest(flux_number=flux)
            )
            report.count("consulterCRDetaille")
            status = str(answer.flux_status) if answer.flux_status is not None else ""
            if status in FAILED_FLUX:
                reason = _flux_failure(status, answer.technical_errors, answer.invoice_errors)
                refusals.extend(
                    (t.invoice_id, flux, _dp_reason(answer.invoice_errors, t.number) or reason)
                    for t in invoices
                )
            elif status in INTEGRATED_FLUX:
                refused = {
                    e.invoice_number: e.message or "" for e in answer.invoice_errors if e.invoice_number
                }
                rest = []
                for t in invoices:
                    if t.number in refused:
                        refusals.append((t.invoice_id, flux, refused[t.number] or f"flux {status}"))
                    else:
                        rest.append(t)
                if rest:
                    changes.extend(self._flux_invoices(connection, flux, rest, report))
            else:
                report.pending_fluxes += 1
        return refusals

    def _flux_invoices(
        self, connection: Connection, flux: str, invoices: list[_Tracked], report: SyncReport
    ) -> list[_Change]:
        """An integrated flux whose invoices the status search did not show (their status time is older
        than the cursor): one search by flux number."""
        wanted = {t.number: t for t in invoices}
        changes = []
        for item in self._paged(connection, SearchSupplierInvoicesRequest(flux_number=flux), report):
            t = wanted.pop(item.invoice_number or "", None)
            if t is None:
                continue
            changes.append(
                _Change(
                    t.invoice_id,
                    item.invoice_id,
                    str(item.status) if item.status is not None else None,
                    chorus_moment(item.status_changed_at),
                    item.status_comment,
                    True,
                    flux,
                    t.recipient_siret,
                )
            )
        if wanted:
            report.pending_fluxes += 1
        return changes

    # --- 3. motifs -----------------------------------------------------------------------------------

    def _fill_motifs(
        self, connection: Connection, changes: list[_Change], report: SyncReport
    ) -> list[_Change]:
        if not self.settings.history_for_motifs:
            return changes
        filled = []
        for change in changes:
            if change.status in MOTIF_STATUSES and not change.comment and change.chorus_invoice_id:
                history = connection.client.factures.history(
                    InvoiceHistoryRequest(invoice_id=change.chorus_invoice_id)
                )
                report.count("consulterHistoriqueFacture")
                entries = history.status_history.entries if history.status_history else []
                comment = next(
                    (e.comment for e in entries if str(e.status) == change.status and e.comment), None
                )
                change = _Change(**{**change.__dict__, "comment": comment})
            filled.append(change)
        return filled

    # --- 4. writing ----------------------------------------------------------------------------------

    def _write(
        self,
        changes: list[_Change],
        refusals: list[tuple[int, str, str]],
        not_reported: dict[str, bool],
        report: SyncReport,
    ) -> None:
        for chunk in _chunks(changes, WRITE_CHUNK):
            with self.store.transaction(actor=self.worker) as tx:
                for change in chunk:
                    fresh = record_chorus_status(
                        tx,
                        change.invoice_id,
                        chorus_invoice_id=change.chorus_invoice_id,
                        status=change.status,
                        at=change.at,
                        comment=change.comment,
                        payment_not_reported=not_reported.get(change.recipient_siret or "", False),
                        integrate=change.integrate,
                        flux_number=change.flux_number,
                    )
                    if fresh:
                        report.changed += 1
                        report.integrated += int(change.integrate)
                        report.finished += int(tx.invoices.get(change.invoice_id).is_terminal)
        for chunk in _chunks(refusals, WRITE_CHUNK):
            with self.store.transaction(actor=self.worker) as tx:
                for invoice_id, flux, reason in chunk:
                    record_refused(tx, invoice_id, flux, reason)
                    report.refused += 1
                    report.finished += 1

    def _payment_flags(
        self, connection: Connection, changes: list[_Change], report: SyncReport
    ) -> dict[str, bool]:
        """``statutMiseEnPaiementNestPasRemonte`` of the recipients of invoices reaching a payment-ordered
        status (cached by the directory: a few calls per recipient per hour at most)."""
        sirets = {c.recipient_siret for c in changes if c.status in PAYMENT_ORDERED and c.recipient_siret}
        if not sirets:
            return {}
        directory = self._directories.payment_flags(connection)
        flags = {}
        for siret in sorted(sirets):
            before = directory.calls
            flags[siret] = directory.payment_status_not_reported(siret)
            report.count("structures:recipient-settings", directory.calls - before)
        return flags

    def _advance(self, structure_id: int, newest: dt.datetime | None, claim: Claim | None) -> None:
        with self.store.transaction(actor=self.worker) as tx:
            tx.cursors.advance(structure_id, last_change_at=newest, claim=claim)


def _cursor_after(
    results: list[SupplierInvoiceSummary], newest: dt.datetime | None, searched_at: dt.datetime
) -> dt.datetime | None:
    """The newest status time seen, but never later than the platform time when the search began.

    The pages of one search are read one after the other while statuses keep changing: an invoice of an
    already-read page may change after its page was read, to a time older than a change shown on a later
    page. Moving the cursor past the search's start would skip that change for good (a terminal status
    never changes again); changes after the start are read again by the next sync instead."""
    seen = max((m for m in (chorus_moment(item.status_changed_at) for item in results) if m), default=newest)
    return min(seen, searched_at) if seen is not None else None


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _chunks(items: list, size: int) -> Iterable[list]:  # type: ignore[type-arg]
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _flux_failure(status: str, technical: list, invoice_errors: list) -> str:  # type: ignore[type-arg]
    parts = [f"{e.code}: {e.message}" for e in technical if e.message]
    parts += [f"{e.invoice_number}: {e.message}" for e in invoice_errors if e.message]
    return f"flux {status}" + (f" — {'; '.join(parts)}" if parts else "")


def _dp_reason(invoice_errors: list, number: str) -> str | None:  # type: ignore[type-arg]
    return next((e.message for e in invoice_errors if e.invoice_number == number and e.message), None)
