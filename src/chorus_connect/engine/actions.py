"""What the user does with an invoice after Chorus Pro answered, each allowed only from the statuses that
allow it (:mod:`chorus_connect.engine.states`):

- **complete** a ``SUSPENDUE`` invoice: upload the attachments (``ajouter/fichier``), then ``completer``
  with a comment;
- **recycle** an ``A_RECYCLER`` invoice: ``recycler`` with a new recipient / service / engagement;
- **resend** a refused or ``REJETEE`` invoice as a NEW invoice (new number, linked to the old one);
- **cancel** a ``REJETEE`` or paid invoice with a credit note (type 381 referencing the original);
- **withdraw** an invoice never deposited; **edit** one not yet deposited.

After ``completer`` / ``recycler`` the invoice's search line is read once, so the new status is recorded
exactly as the next sync would see it (that sync then has nothing to add). If the call's outcome is
unknown, the same read tells whether it was applied.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chorus_connect.api import OutcomeUnknownError
from chorus_connect.api.models.factures import (
    ComplementaryAttachment,
    CompleteInvoiceRequest,
    InvoiceRecipient,
    RecycleInvoiceRequest,
    RecycleReference,
    SearchSupplierInvoicesRequest,
    SupplierInvoiceSummary,
)
from chorus_connect.api.models.transverses import AddFileRequest
from chorus_connect.engine.connection import Connection, Connections, resolve_chorus_structure_id
from chorus_connect.engine.errors import ActionOutcomeUnknownError, EngineError, ForbiddenActionError
from chorus_connect.engine.recording import PARIS, chorus_moment, record_chorus_status
from chorus_connect.engine.states import A_RECYCLER, SUSPENDUE, Action, describe, require_action
from chorus_connect.engine.storage import snapshot
from chorus_connect.invoice import Invoice
from chorus_connect.store import (
    EventSource,
    FilePurpose,
    InvalidInputError,
    InvoiceRecord,
    InvoiceStatus,
    NewFile,
    Store,
)

MAX_ATTACHMENT = 10 * 1024 * 1024  # Chorus Pro: 10 MB per attachment
ATTACHMENT_EXTENSIONS = frozenset(
    {"bmp", "gif", "fax", "odp", "ods", "odt", "png", "pdf", "jpg", "jpeg", "xml", "doc", "docx", "tif"}
    | {"tiff", "txt", "xls", "xlsx", "ppt", "pptx", "csv", "zip"}
)
_SIRET = re.compile(r"^\d{14}$")


@dataclass(frozen=True)
class Attachment:
    file_name: str
    content: bytes
    media_type: str = "application/pdf"

    @classmethod
    def from_path(cls, path: str | Path) -> Attachment:
        file_path = Path(path)
        try:
            content = file_path.read_bytes()
        except OSError as error:
            raise InvalidInputError.single(
                "attachment", f"{file_path}: cannot be read ({error.strerror})", "give a readable file"
            ) from None
        media_type = mimetypes.guess_type(file_path.name)[0] or "application/octet-stream"
        return cls(file_path.name, content, media_type)


@dataclass(frozen=True)
class ActionResult:
    invoice_id: int
    chorus_status: str | None
    message: str
    new_invoice_id: int | None = None


class Actions:
    def __init__(self, store: Store, connections: Connections, *, actor: str = "user") -> None:
        self.store = store
        self.connections = connections
        self.actor = actor

    # --- complete ------------------------------------------------------------------------------------

    def complete(
        self, invoice_id: int, *, comment: str, attachments: Sequence[Attachment] = ()
    ) -> ActionResult:
        record = self._allowed(invoice_id, Action.COMPLETE)
        text = comment.strip()
        if not text:
            raise InvalidInputError.single(
                "complete.comment", "is empty", "say what you add or correct (the recipient reads it)"
            )
        _check_attachments(attachments)
        connection = self.connections.get(record.structure_id)
        uploaded = [(item, self._upload(connection, item)) for item in attachments]
        chorus_id = _chorus_id(record)
        request = CompleteInvoiceRequest(
            invoice_id=chorus_id,
            comment=text,
            attachments=[
                ComplementaryAttachment(designation=item.file_name, attachment_id=attachment_id)
                for item, attachment_id in uploaded
            ]
            or None,
        )
        try:
            connection.client.factures.complete(request)
        except OutcomeUnknownError:
            self._confirm_applied(connection, record, still=SUSPENDUE, what="completion")
        line = self._current_line(connection, record)
        with self.store.transaction(actor=self.actor) as tx:
            files = [
                {
                    "file_id": tx.files.add(
                        record.structure_id,
                        FilePurpose.ATTACHMENT,
                        NewFile(file_name=item.file_name, content=item.content, media_type=item.media_type),
                    ).id,
                    "file_name": item.file_name,
                    "chorus_attachment_id": attachment_id,
                }
                for item, attachment_id in uploaded
            ]
            tx.invoices.transition(
                invoice_id,
                source=EventSource.USER,
                comment=f"Completed on Chorus Pro: {text}"
                + (
                    f" ({len(files)} attachment(s): {', '.join(f['file_name'] for f in files)})"
                    if files
                    else ""
                ),
                details={"action": "complete", "comment": text, "attachments": files},
            )
            self._record_line(tx, record, line, text)
        return ActionResult(invoice_id, _status(line), "Completed: the recipient resumes processing it.")

    def _upload(self, connection: Connection, item: Attachment) -> int:
        request = AddFileRequest.from_bytes(item.content, file_name=item.file_name, mime_type=item.media_type)
        try:
            answer = connection.client.transverses.add_file(request)
        except OutcomeUnknownError:
            # An attachment stored twice is an unused copy on Chorus Pro, nothing more: try once again.
            answer = connection.client.transverses.add_file(request)
        if answer.attachment_id is None:
            raise EngineError(
                f"Chorus Pro stored {item.file_name} without giving its id.",
                fix="Try again; if it persists, complete the invoice on the Chorus Pro portal.",
            )
        return int(answer.attachment_id)

    # --- recycle -------------------------------------------------------------------------------------

    def recycle(
        self,
        invoice_id: int,
        *,
        recipient_siret: str | None = None,
        service_code: str | None = None,
        engagement_number: str | None = None,
        comment: str | None = None,
    ) -> ActionResult:
        record = self._allowed(invoice_id, Action.RECYCLE)
        recipient = (recipient_siret or "").replace(" ", "") or None
        service = (service_code or "").strip() or None
        engagement = (engagement_number or "").strip() or None
        _check_routing(recipient, service, engagement)
        connection = self.connections.get(record.structure_id)
        request = RecycleInvoiceRequest(
            invoice_id=_chorus_id(record),
            comment=(comment or "").strip() or "Routage corrigé",
            recipient=InvoiceRecipient(
                recipient_code=recipient or record.recipient_siret,
                service_code=service or record.service_code,
            ),
            reference=RecycleReference(order_number=engagement or record.engagement_number),
        )
        try:
            connection.client.factures.recycle(request)
        except OutcomeUnknownError:
            self._confirm_applied(connection, record, still=A_RECYCLER, what="recycling")
        line = self._current_line(connection, record)
        before = {
            "recipient_siret": record.recipient_siret,
            "service_code": record.service_code,
            "engagement_number": record.engagement_number,
        }
        after = {
            "recipient_siret": recipient or record.recipient_siret,
            "service_code": service or record.service_code,
            "engagement_number": engagement or record.engagement_number,
        }
        with self.store.transaction(actor=self.actor) as tx:
            stored = tx.invoices.get(invoice_id)
            # The listing columns follow the routing Chorus Pro now uses; the document stays as deposited.
            for name, value in after.items():
                setattr(stored, name, value)
            changed = ", ".join(f"{k} {before[k]} → {v}" for k, v in after.items() if before[k] != v)
            tx.invoices.transition(
                invoice_id,
                source=EventSource.USER,
                comment=f"Recycled on Chorus Pro ({changed or 'same routing'}).",
                details={"action": "recycle", "before": before, "after": after, "comment": comment},
            )
            self._record_line(tx, record, line, None)
        return ActionResult(invoice_id, _status(line), "Recycled: Chorus Pro routes it again.")

    # --- resend / cancel -----------------------------------------------------------------------------

    def resend(
        self,
        invoice_id: int,
        *,
        number: str,
        issue_date: dt.date | None = None,
        changes: Mapping[str, Any] | None = None,
    ) -> ActionResult:
        """A corrected copy under a NEW number (Chorus Pro refuses a number twice in a year), linked to the
        refused / rejected one (``replaces_invoice_id``); it starts as ``imported``: check and queue it."""
        record = self._allowed(invoice_id, Action.RESEND)
        new_number = _number(number, "resend.number")
        with self.store.transaction(actor=self.actor) as tx:
            document = tx.invoices.document(record)
            data = document.model_dump(mode="json", exclude_none=True)
            updates = dict(changes or {})
            if {"lines", "allowances", "charges"} & set(updates):
                data.pop("totals", None)  # recomputed from the new lines
                data.pop("vat_breakdown", None)
            data.update(updates)
            data["number"] = new_number
            data["issue_date"] = (issue_date or _today(tx.now())).isoformat()
            data["notes"] = [*data.get("notes", []), {"text": f"Remplace la facture {record.number}."}]
            new = tx.invoices.add(
                record.structure_id,
                _document(data, "resend"),
                comment=f"Created to replace invoice {record.number} (id {record.id}).",
                replaces_invoice_id=record.id,
            )
            tx.invoices.transition(
                record.id,
                source=EventSource.USER,
                comment=f"Sent again as the new invoice {new.number} (id {new.id}).",
                details={"action": "resend", "new_invoice_id": new.id},
            )
            new_id = new.id
        return ActionResult(invoice_id, record.chorus_status, f"Created invoice {new_number}.", new_id)

    def cancel(
        self, invoice_id: int, *, number: str, issue_date: dt.date | None = None, reason: str | None = None
    ) -> ActionResult:
        """A credit note (type 381, same lines, positive amounts, no payment means) referencing the
        invoice; it starts as ``imported``: check and queue it like any invoice."""
        record = self._allowed(invoice_id, Action.CANCEL)
        note_number = _number(number, "cancel.number")
        why = (reason or "").strip()
        with self.store.transaction(actor=self.actor) as tx:
            data = tx.invoices.document(record).model_dump(mode="json", exclude_none=True)
            for name in ("payment_means", "due_date", "payment_reference"):
                data.pop(name, None)  # Chorus Pro refuses payment means on a credit note
            data.update(
                {
                    "number": note_number,
                    "type_code": "381",
                    "issue_date": (issue_date or _today(tx.now())).isoformat(),
                    "preceding_invoices": [
                        {"number": record.number, "issue_date": record.issue_date.isoformat()}
                    ],
                    "payment_terms": f"Avoir annulant la facture {record.number}.",
                    "notes": [
                        {"text": f"Avoir annulant la facture {record.number}" + (f" : {why}" if why else ".")}
                    ],
                }
            )
            note = tx.invoices.add(
                record.structure_id,
                _document(data, "cancel"),
                comment=f"Credit note cancelling invoice {record.number} (id {record.id}).",
            )
            tx.invoices.transition(
                note.id,
                source=EventSource.USER,
                comment=f"Cancels invoice {record.number}.",
                details={"action": "credit_note", "cancels_invoice_id": record.id},
            )
            tx.invoices.transition(
                record.id,
                source=EventSource.USER,
                comment=f"Cancelled by credit note {note.number} (id {note.id})"
                + (f": {why}" if why else "."),
                details={"action": "cancel", "credit_note_id": note.id},
            )
            note_id = note.id
        return ActionResult(invoice_id, record.chorus_status, f"Created credit note {note_number}.", note_id)

    # --- before deposit ------------------------------------------------------------------------------

    def withdraw(self, invoice_id: int, *, reason: str | None = None) -> ActionResult:
        record = self._allowed(invoice_id, Action.WITHDRAW)
        _refuse_batched(record, Action.WITHDRAW)
        with self.store.transaction(actor=self.actor) as tx:
            tx.invoices.transition(
                invoice_id,
                source=EventSource.USER,
                status=InvoiceStatus.WITHDRAWN,
                terminal=True,
                comment="Withdrawn" + (f": {reason.strip()}" if reason and reason.strip() else "."),
            )
        return ActionResult(invoice_id, None, "Withdrawn: it will not be deposited.")

    def edit(
        self, invoice_id: int, document: Invoice | Mapping[str, Any], *, comment: str | None = None
    ) -> ActionResult:
        record = self._allowed(invoice_id, Action.EDIT)
        _refuse_batched(record, Action.EDIT)
        with self.store.transaction(actor=self.actor) as tx:
            tx.invoices.replace_document(invoice_id, document, comment=comment or "Edited: check it again.")
        return ActionResult(invoice_id, None, "Edited: check it again before depositing.")

    # --- helpers -------------------------------------------------------------------------------------

    def _allowed(self, invoice_id: int, action: Action) -> InvoiceRecord:
        with snapshot(self.store) as tx:
            record = tx.invoices.get(invoice_id)
        require_action(record, action)
        return record

    def _current_line(self, connection: Connection, record: InvoiceRecord) -> SupplierInvoiceSummary | None:
        supplier_id = resolve_chorus_structure_id(self.store, connection)
        answer = connection.client.factures.search_supplier_invoices(
            SearchSupplierInvoicesRequest(supplier_id=supplier_id, invoice_number=record.number)
        )
        return next(
            (item for item in answer.page_items() if item.invoice_id == record.chorus_invoice_id), None
        )

    def _confirm_applied(
        self, connection: Connection, record: InvoiceRecord, *, still: str, what: str
    ) -> None:
        """After an unknown outcome: applied if Chorus Pro no longer shows the status it required."""
        try:
            line = self._current_line(connection, record)
        except Exception as error:
            raise ActionOutcomeUnknownError(
                f"The {what} of invoice {record.number} may or may not have been applied on Chorus Pro, and "
                f"its status could not be read ({error})."
            ) from None
        if line is not None and _status(line) == still:
            raise ActionOutcomeUnknownError(
                f"The {what} of invoice {record.number} did not reach Chorus Pro (its status is still "
                f"{still}).",
                fix="Nothing was changed: try again.",
            )

    def _record_line(
        self, tx: Any, record: InvoiceRecord, line: SupplierInvoiceSummary | None, comment: str | None
    ) -> None:
        if line is None:
            return
        record_chorus_status(
            tx,
            record.id,
            chorus_invoice_id=line.invoice_id,
            status=_status(line),
            at=chorus_moment(line.status_changed_at),
            comment=line.status_comment or comment,
            payment_not_reported=False,
            integrate=False,
        )


def _status(line: SupplierInvoiceSummary | None) -> str | None:
    return str(line.status) if line is not None and line.status is not None else None


def _chorus_id(record: InvoiceRecord) -> int:
    if record.chorus_invoice_id is None:  # pragma: no cover - integrated invoices always have it
        raise ForbiddenActionError(f"{describe(record)}: no Chorus Pro id is known.", allowed=[])
    return record.chorus_invoice_id


def _check_attachments(attachments: Sequence[Attachment]) -> None:
    problems = []
    for index, item in enumerate(attachments):
        extension = item.file_name.rsplit(".", 1)[-1].lower() if "." in item.file_name else ""
        if extension not in ATTACHMENT_EXTENSIONS:
            problems.append(f"attachments[{index}] {item.file_name}: extension .{extension} is not accepted")
        if len(item.file_name) > 50:
            problems.append(f"attachments[{index}] {item.file_name}: name longer than 50 characters")
        if len(item.content) > MAX_ATTACHMENT:
            problems.append(f"attachments[{index}] {item.file_name}: larger than 10 MB")
        if not item.content:
            problems.append(f"attachments[{index}] {item.file_name}: empty file")
    if problems:
        raise InvalidInputError.single(
            "complete.attachments",
            "; ".join(problems),
            "send files of at most 10 MB named with ≤ 50 characters, with one of these extensions: "
            + ", ".join(sorted(ATTACHMENT_EXTENSIONS)),
        )


def _check_routing(recipient: str | None, service: str | None, engagement: str | None) -> None:
    if recipient is None and service is None and engagement is None:
        raise InvalidInputError.single(
            "recycle",
            "no new recipient, service code or engagement number was given",
            "give at least one of them (the recipient's recycling motif says which is wrong)",
        )
    if recipient is not None and not _SIRET.fullmatch(recipient):
        raise InvalidInputError.single(
            "recycle.recipient_siret", f"{recipient!r} is not 14 digits", "give the recipient's SIRET"
        )
    if engagement is not None and len(engagement) > 50:
        raise InvalidInputError.single(
            "recycle.engagement_number", "is longer than 50 characters", "copy the EJ number from the order"
        )


def _refuse_batched(record: InvoiceRecord, action: Action) -> None:
    if record.batch_id is not None and record.status == InvoiceStatus.QUEUED:
        raise ForbiddenActionError(
            f"{describe(record)} and already packed in batch {record.batch_id}: '{action.value}' would "
            "change a file about to be deposited.",
            allowed=[],
            fix="Let the batch be deposited, then resend or cancel the invoice if needed.",
        )


def _number(value: str, field: str) -> str:
    number = (value or "").strip()
    if not number:
        raise InvalidInputError.single(
            field, "is empty", "give the new invoice number (not used before this year)"
        )
    return number


def _document(data: dict[str, Any], field: str) -> Invoice:
    try:
        return Invoice.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInputError.single(
            f"{field}.{where}", first["msg"], "correct the change you asked for"
        ) from None


def _today(now: dt.datetime) -> dt.date:
    return now.astimezone(PARIS).date()
