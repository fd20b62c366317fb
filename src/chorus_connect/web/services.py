"""The thin adapter between the web application (pages and REST API) and the connector's services.

Every action of the pages and of the API goes through here, and from here to the engine
(``chorus_connect.engine``): the same code paths as the CLI, nothing re-implemented. What the web adds is
only what a browser or an HTTP client needs: uploaded files instead of paths, structure-scoped look-ups
(an invoice id is always looked up within the structures the caller may see), and results as plain data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chorus_connect.engine.actions import ActionResult, Attachment
from chorus_connect.engine.buyers import DownloadedInvoice, ReceivedInvoices, Treatment
from chorus_connect.engine.checking import CheckOutcome
from chorus_connect.engine.connection import Connections
from chorus_connect.engine.errors import EngineError, InvoiceFileError
from chorus_connect.engine.service import Engine
from chorus_connect.engine.settings import DEFAULT_SETTINGS
from chorus_connect.invoice.errors import text_fields
from chorus_connect.store import InvoiceRecord, InvoiceStatus, Store, StoreError, UnitOfWork
from chorus_connect.web import presenters
from chorus_connect.web.chorus import ChorusChoices, ChorusLookups, ConnectionCheck
from chorus_connect.web.problems import FieldError, Problem
from chorus_connect.web.settings import WebSettings


@dataclass(frozen=True, slots=True)
class Upload:
    """A file received from a browser or an HTTP client."""

    file_name: str
    content: bytes
    media_type: str = "application/octet-stream"


class WebServices:
    """One per application; cheap per-request views are made with the caller as actor."""

    def __init__(self, store: Store, settings: WebSettings) -> None:
        self.store = store
        self.settings = settings
        self.lookups = ChorusLookups(
            store, timeout=settings.lookup_timeout_seconds, client_factory=settings.client_factory
        )
        self.engine_settings = settings.engine_settings or DEFAULT_SETTINGS
        self.deposit_now = settings.deposit_now
        self.connections = Connections(store, self.engine_settings, client_factory=settings.client_factory)

    # --- structures ---------------------------------------------------------------------------------

    def check_connection(self, structure_id: int) -> ConnectionCheck:
        return self.lookups.check_connection(structure_id)

    def chorus_choices(self, structure_id: int, siret: str | None = None) -> ChorusChoices:
        return self.lookups.choices(structure_id, siret)

    # --- received invoices (public buyers) ----------------------------------------------------------

    def received(self, actor: str) -> ReceivedInvoices:
        kwargs: dict[str, Any] = {"actor": actor}
        if self.settings.client_factory is not None:
            kwargs["client_factory"] = self.settings.client_factory
        return ReceivedInvoices(self.store, **kwargs)

    def sync_received(self, structure_id: int, actor: str) -> Any:
        return self.received(actor).sync(structure_id)

    def download_received(self, received_id: int, actor: str) -> DownloadedInvoice:
        return self.received(actor).download(received_id)

    def treat_received(self, received_id: int, decision: str, motif: str | None, actor: str) -> Treatment:
        """``decision``: approve, suspend or reject (the last two need a motif)."""
        received = self.received(actor)
        if decision == "approve":
            return received.approve(received_id)
        if decision == "suspend":
            return received.suspend(received_id, motif or "")
        if decision == "reject":
            return received.reject(received_id, motif or "")
        raise Problem(
            "invalid-input",
            f"Unknown decision {decision!r}.",
            fix="Use approve, suspend or reject.",
            french="Décision inconnue : choisissez approuver, suspendre ou rejeter.",
        )

    # --- invoices (engine) --------------------------------------------------------------------------

    def engine(self, actor: str) -> Engine:
        """The engine facade acting for ``actor``; the clients (and their rate limiters) are shared."""
        return Engine(self.store, settings=self.engine_settings, actor=actor, connections=self.connections)

    def import_and_check(self, structure_id: int, uploads: Sequence[Upload], actor: str) -> ImportCheck:
        """Import each file on its own (a bad file does not stop the others), then check what came in."""
        outcome = ImportCheck(structure_id)
        engine = self.engine(actor)
        for upload in uploads:
            problem = control_characters_in_file(upload)
            if problem is not None:
                outcome.file_problems.append(problem)
                continue
            name = _safe_file_name(upload.file_name)
            try:
                report = engine.import_contents(structure_id, [(name, upload.content)])
            except (EngineError, StoreError) as error:
                outcome.file_problems.append(FileProblem(upload.file_name, error.message, error.fix))
                continue
            outcome.sources.update({item.invoice_id: upload.file_name for item in report.imported})
        if outcome.sources:
            outcome.checks = engine.check(list(outcome.sources))
        with self.store.read() as tx:
            outcome.describe(tx)
        return outcome

    def import_documents(
        self, structure_id: int, documents: Sequence[dict[str, Any]], actor: str
    ) -> list[int]:
        """Import invoices given as JSON and check them; returns their ids."""
        for index, document in enumerate(documents):
            refuse_control_characters(document, f"invoice[{index}]" if len(documents) > 1 else "")
        engine = self.engine(actor)
        try:
            report = engine.import_documents(structure_id, documents)
        except InvoiceFileError as error:
            raise invalid_invoice(error) from None
        engine.check(report.invoice_ids)
        return report.invoice_ids

    def check(self, invoice_ids: Sequence[int], actor: str) -> list[CheckOutcome]:
        return self.engine(actor).check(list(invoice_ids))

    def deposit_outcomes(
        self, structure_id: int, invoice_ids: Sequence[int], actor: str
    ) -> list[dict[str, Any]]:
        """Queue each invoice of ``structure_id`` that may be deposited, then deposit them now (one worker
        round for that structure: open deposits are settled first, nothing is ever sent twice). One
        result per invoice; invoices of other structures are reported as not found."""
        engine = self.engine(actor)
        results: dict[int, dict[str, Any]] = {}
        queued: list[int] = []
        with self.store.read() as tx:
            owned = {i for i in invoice_ids if _belongs(tx, i, structure_id)}
        for invoice_id in invoice_ids:
            if invoice_id not in owned:
                results[invoice_id] = _result(invoice_id, False, "No such invoice in this structure.", "")
                continue
            try:
                engine.queue([invoice_id])
                queued.append(invoice_id)
            except EngineError as error:
                results[invoice_id] = _result(invoice_id, False, error.message, error.fix)
        if queued and self.deposit_now:
            engine.deposit_now(structure=structure_id)
        with self.store.read() as tx:
            for invoice_id in queued:
                record = tx.invoices.get(invoice_id)
                ok = record.status not in (InvoiceStatus.QUEUED, InvoiceStatus.REFUSED_AT_INTEGRATION) or (
                    not self.deposit_now
                )
                message = _deposit_message(record.status, record.flux_number)
                results[invoice_id] = _result(
                    invoice_id,
                    ok,
                    message,
                    "" if ok else "See the invoice's history for the reason.",
                    status=record.status.value,
                    chorus_status=record.chorus_status,
                )
        return [results[i] for i in invoice_ids]

    def complete(
        self, invoice_id: int, comment: str, attachments: Sequence[Upload], actor: str
    ) -> ActionResult:
        files = [Attachment(a.file_name, a.content, a.media_type) for a in attachments]
        return self.engine(actor).complete(invoice_id, comment=comment, attachments=files)

    def recycle(self, invoice_id: int, routing: dict[str, str | None], actor: str) -> ActionResult:
        return self.engine(actor).recycle(
            invoice_id,
            recipient_siret=routing.get("recipient_siret"),
            service_code=routing.get("service_code"),
            engagement_number=routing.get("engagement_number"),
        )

    def resend(self, invoice_id: int, new_number: str, actor: str) -> int:
        """The corrected copy under a new number, checked at once; returns its id."""
        engine = self.engine(actor)
        result = engine.resend(invoice_id, number=new_number)
        new_id = result.new_invoice_id or invoice_id
        engine.check([new_id])
        return new_id

    def sync(self, structure_id: int, actor: str) -> dict[str, Any]:
        reports = self.engine(actor).sync(structure_id)
        return reports[0].as_dict() if reports else {}

    def edit_routing(self, invoice_id: int, changes: dict[str, Any], actor: str) -> CheckOutcome | None:
        """Change the invoice's Chorus Pro block (until deposit), then check it again."""
        with self.store.read() as tx:
            document = tx.invoices.document(invoice_id).model_dump(mode="json", exclude_none=True)
        refuse_control_characters(changes, "")
        updated = routing_changes(document, changes)
        engine = self.engine(actor)
        engine.edit(invoice_id, updated)
        outcomes = engine.check([invoice_id])
        return outcomes[0] if outcomes else None

    def close(self) -> None:
        self.connections.close()


# --- helpers ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileProblem:
    source: str
    message: str
    fix: str


@dataclass(slots=True)
class ImportedItem:
    invoice_id: int
    number: str
    source: str
    amount: Any
    currency: str
    errors: int
    warnings: int
    findings: list[dict[str, Any]]


@dataclass
class ImportCheck:
    """What an upload gave: per invoice its check result, per unreadable or refused file the reason."""

    structure_id: int
    sources: dict[int, str] = field(default_factory=dict)
    checks: list[CheckOutcome] = field(default_factory=list)
    file_problems: list[FileProblem] = field(default_factory=list)
    invoices: list[ImportedItem] = field(default_factory=list)

    @property
    def invoice_ids(self) -> list[int]:
        return list(self.sources)

    def describe(self, tx: UnitOfWork) -> None:
        for invoice_id, source in self.sources.items():
            record = tx.invoices.get(invoice_id)
            findings = sorted(record.findings or [], key=lambda f: f.get("severity") != "error")
            self.invoices.append(
                ImportedItem(
                    invoice_id=invoice_id,
                    number=record.number,
                    source=source,
                    amount=record.amount_tax_inclusive,
                    currency=record.currency,
                    errors=sum(1 for f in findings if f.get("severity") == "error"),
                    warnings=sum(1 for f in findings if f.get("severity") == "warning"),
                    findings=findings,
                )
            )


def routing_changes(document: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The invoice document with its Chorus Pro block changed (an empty value clears the field)."""
    updated = dict(document)

    def clean(value: Any) -> Any:
        return value.strip() or None if isinstance(value, str) else value

    if "buyer_siret" in changes:
        buyer = dict(updated.get("buyer") or {})
        buyer["siret"] = (clean(changes["buyer_siret"]) or "").replace(" ", "") or None
        buyer.pop("siren", None)  # derived from the SIRET again
        updated["buyer"] = {k: v for k, v in buyer.items() if v is not None}
    for name in ("service_code", "market_number", "engagement_number"):
        if name in changes:
            updated[name] = clean(changes[name])
    if "payment_mode" in changes or "iban" in changes:
        means = dict(updated.get("payment_means") or {})
        mode = clean(changes.get("payment_mode"))
        if mode:
            means.pop("code", None)
            means["mode"] = mode
        if "iban" in changes:
            means["iban"] = clean(changes["iban"])
        means = {k: v for k, v in means.items() if v is not None}
        updated["payment_means"] = means if ("code" in means or "mode" in means) else None
    return {k: v for k, v in updated.items() if v is not None}


# Control characters (other than tab and line breaks) cannot be written into the XML of an invoice.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def refuse_control_characters(data: Any, prefix: str) -> None:
    """422 naming every text field that holds a control character (they cannot go into the XML)."""
    found = sorted(_control_paths(data, prefix))
    if found:
        raise Problem(
            "invalid-invoice",
            f"{len(found)} field(s) hold control characters, which an invoice's XML cannot carry.",
            fix="Remove the invisible control characters (often from a copy-paste) from these fields.",
            errors=[
                FieldError(field=path, message="contains a control character", fix="remove it")
                for path in found
            ],
            french="Des champs contiennent des caractères de contrôle invisibles : retirez-les.",
        )


def _control_paths(data: Any, path: str) -> list[str]:
    return [field or "value" for field, text in text_fields(data, path) if _CONTROL.search(text)]


def control_characters_in_file(upload: Upload) -> FileProblem | None:
    """JSON and CSV files are text: a control character there would break the invoice's XML."""
    if upload.content.lstrip()[:5].startswith((b"%PDF", b"<")):
        return None  # PDF and XML: their XML parser refuses control characters itself
    if _CONTROL.search(upload.content.decode("utf-8", errors="ignore")):
        return FileProblem(
            upload.file_name,
            "The file holds control characters, which an invoice's XML cannot carry.",
            "Remove the invisible control characters (often from a copy-paste) and import it again.",
        )
    return None


def _belongs(tx: UnitOfWork, invoice_id: int, structure_id: int) -> bool:
    record = tx.session.get(InvoiceRecord, invoice_id)
    return record is not None and record.structure_id == structure_id


def _result(
    invoice_id: int,
    ok: bool,
    message: str,
    fix: str,
    *,
    status: str | None = None,
    chorus_status: str | None = None,
) -> dict[str, Any]:
    category = presenters.category_of(InvoiceStatus(status), chorus_status) if status else None
    return {
        "invoice_id": invoice_id,
        "ok": ok,
        "status": status,
        "chorus_status": chorus_status,
        "message": message,
        "fix": fix,
        "label": presenters.invoice_state_label(InvoiceStatus(status), chorus_status) if status else "",
        "category": category.slug if category else "",
    }


def _deposit_message(status: InvoiceStatus, flux_number: str | None) -> str:
    if status == InvoiceStatus.QUEUED:
        return "Queued: the worker deposits it."
    if status == InvoiceStatus.DEPOSITING:
        return "Deposit in progress: its outcome is being confirmed with Chorus Pro."
    if status == InvoiceStatus.REFUSED_AT_INTEGRATION:
        return "Refused by Chorus Pro at integration."
    return f"Deposited (flux {flux_number})." if flux_number else "Deposited."


def _safe_file_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "invoice"
    return cleaned[:150]


def invalid_invoice(error: InvoiceFileError) -> Problem:
    errors = []
    for text in error.problems:
        field_name, _, message = text.partition(": ")
        if not message:
            field_name, message = "invoice", text
        errors.append(FieldError(field=field_name, message=message, fix="correct this field of the invoice"))
    return Problem("invalid-invoice", error.message, fix=error.fix, errors=errors)
