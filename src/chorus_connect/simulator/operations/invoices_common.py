"""Helpers shared by the invoice operations of both sides: lookups, searches, attachments."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from chorus_connect.simulator.envelope import BusinessError
from chorus_connect.simulator.registry import CallContext
from chorus_connect.simulator.state import Attachment, Invoice
from chorus_connect.simulator.views import common_filters


def decode_base64(value: Any, field: str, code: int, label: str) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise BusinessError(code, f"{label} Le champ {field} n'est pas encode en base64") from None


UNKNOWN_INVOICE = 20003


def invoice_or_error(ctx: CallContext, invoice_id: int, code: int = UNKNOWN_INVOICE) -> Invoice:
    invoice = ctx.platform.state.invoices.get(invoice_id)
    if invoice is None:
        raise BusinessError(code, f"GFT_MSG_00.003 Facture inconnue : {invoice_id}")
    return invoice


def visible_invoice(ctx: CallContext, invoice_id: int, *, as_supplier: bool, as_recipient: bool) -> Invoice:
    """An invoice the caller may see from the given side(s). Other parties' invoices get the same answer
    as an unknown id: the platform does not reveal that they exist."""
    invoice = invoice_or_error(ctx, invoice_id)
    own = set(ctx.account.structure_ids)
    if (as_supplier and invoice.supplier_structure_id in own) or (
        as_recipient and invoice.recipient_structure_id in own
    ):
        return invoice
    raise BusinessError(UNKNOWN_INVOICE, f"GFT_MSG_00.003 Facture inconnue : {invoice_id}")


def own_structures(ctx: CallContext, requested: Any, code: int) -> set[int]:
    """The caller's structures, narrowed to `requested` (an idStructureCPP filter) when it is given."""
    own = set(ctx.account.structure_ids)
    if requested in (None, "", 0):
        return own
    if int(requested) not in own:
        raise BusinessError(code, f"TRA_MSG_00.004 Le compte n'est pas rattache a la structure {requested}")
    return {int(requested)}


def search_invoices(
    ctx: CallContext, body: dict[str, Any], visible: Callable[[Invoice], bool], code: int
) -> list[Invoice]:
    """Invoices the caller may see that match every filter of the request, in id order."""
    filters = common_filters(body, code, "GFT_MSG_00.010")
    return [
        inv
        for inv in ctx.platform.state.invoices.values()
        if visible(inv) and all(accept(inv) for accept in filters)
    ]


def store_attachment(
    ctx: CallContext, name: str, mime_type: str, extension: str, content: bytes
) -> Attachment:
    state = ctx.platform.state
    attachment_id = state.next_attachment_id()
    attachment = Attachment(
        attachment_id=attachment_id,
        name=name,
        mime_type=mime_type,
        extension=extension.upper(),
        size=len(content),
        owner_login=ctx.account.login,
        uploaded_at=ctx.now,
        blob_key=f"attachment:{attachment_id}",
    )
    state.put_blob(attachment.blob_key, content)
    state.attachments[attachment_id] = attachment
    state.save(attachment)
    state.save_counters()
    return attachment


def link_attachments(ctx: CallContext, invoice: Invoice, attachment_ids: list[int], code: int) -> None:
    """Attach files uploaded with `ajouter/fichier` by the same account to an invoice."""
    for attachment_id in attachment_ids:
        attachment = ctx.platform.state.attachments.get(attachment_id)
        if attachment is None or attachment.owner_login != ctx.account.login:
            raise BusinessError(code, f"GFT_MSG_00.020 Piece jointe inconnue : {attachment_id}")
        if attachment_id not in invoice.attachment_ids:
            invoice.attachment_ids.append(attachment_id)


def attachment_views(ctx: CallContext, invoice: Invoice) -> list[dict[str, Any]]:
    views = []
    for attachment_id in invoice.attachment_ids:
        attachment = ctx.platform.state.attachments.get(attachment_id)
        if attachment is None:
            continue
        views.append(
            {
                "pieceJointeId": attachment.attachment_id,
                "pieceJointeDesignation": attachment.name,
                "pieceJointeExtension": attachment.extension,
                "pieceJointeTypeCode": "FACTURE",
                "pieceJointeTaille": attachment.size,
            }
        )
    return views
