"""Factures API (`/cpro/factures/v1`), supplier side: deposits, completion, recycling, searches, history.

Error codes: only 20001/GDP_MSG_11.022 (file too large) is attested; the others are chosen per service
in the documented 2000x range and kept here, in one table, so they can be corrected (reference §2.0.1).
"""

from __future__ import annotations

import base64
import binascii
import io
import zipfile
from typing import Any

from chorus_connect.simulator import lifecycle
from chorus_connect.simulator.envelope import (
    BusinessError,
    api_date,
    api_minute,
    api_timestamp,
    paginate,
    require,
    require_int,
    success,
)
from chorus_connect.simulator.flux_files import file_too_large
from chorus_connect.simulator.operations.invoices_common import (
    attachment_views,
    decode_base64,
    link_attachments,
    own_structures,
    search_invoices,
    visible_invoice,
)
from chorus_connect.simulator.registry import CallContext, operation
from chorus_connect.simulator.state import ActionEntry, Invoice
from chorus_connect.simulator.views import history_view, invoice_detail, invoice_list_item
from chorus_connect.simulator.workflow import (
    INTERFACE_CODES,
    change_status,
    record_deposit,
    reroute,
    schedule_recipient,
)

FAMILY = "factures"
MAX_DOWNLOAD_BYTES = 120 * 1024 * 1024


class Codes:
    DEPOSIT_INVALID = 20002
    DEPOSIT_TOO_LARGE = 20001  # attested: GDP_MSG_11.022
    UNKNOWN_INVOICE = 20003
    NOT_YOURS = 20004
    COMPLETE_WRONG_STATUS = 20005
    RECYCLE_WRONG_STATUS = 20006
    RECYCLE_BAD_ROUTING = 20007
    SEARCH_INVALID = 20010
    DOWNLOAD_INVALID = 20011
    SUBMIT_INVALID = 20013  # in the soumettre error table of appendix V4.10
    REJECTION_ACK_INVALID = 20015


@operation(FAMILY, "/deposer/flux", "deposerFluxFacture", state_changing=True)
def deposit_flux(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    label = "GDP_MSG_11.001"
    content = decode_base64(
        require(body, "fichierFlux", Codes.DEPOSIT_INVALID, label),
        "fichierFlux",
        Codes.DEPOSIT_INVALID,
        label,
    )
    file_name = str(require(body, "nomFichier", Codes.DEPOSIT_INVALID, label))
    syntax = str(require(body, "syntaxeFlux", Codes.DEPOSIT_INVALID, label))
    if syntax not in INTERFACE_CODES:
        raise BusinessError(
            Codes.DEPOSIT_INVALID,
            f"{label} La syntaxe {syntax} n'est pas une valeur de syntaxeFlux acceptee "
            f"({', '.join(sorted(INTERFACE_CODES))})",
        )
    if "." not in file_name.strip(".") or len(file_name) > 200:
        raise BusinessError(
            Codes.DEPOSIT_INVALID,
            f"{label} Le nom de fichier {file_name!r} doit avoir une extension (200 car. max)",
        )
    if file_too_large(content, file_name):
        raise BusinessError(Codes.DEPOSIT_TOO_LARGE, "GDP_MSG_11.022")
    flux = record_deposit(
        ctx.platform, ctx.account, content, file_name, syntax, bool(body.get("avecSignature"))
    )
    return success(
        numeroFluxDepot=flux.flux_number, dateDepot=api_date(flux.deposited_at), syntaxeFlux=syntax
    )


@operation(FAMILY, "/rechercher/fournisseur", "rechercherFactureParFournisseur")
def search_as_supplier(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    own = own_structures(ctx, body.get("idFournisseur"), Codes.NOT_YOURS)
    recipients = {
        int(d["idDestinataire"]) for d in body.get("listeDestinataire") or [] if d.get("idDestinataire")
    }
    found = search_invoices(
        ctx,
        body,
        lambda inv: (
            inv.supplier_structure_id in own and (not recipients or inv.recipient_structure_id in recipients)
        ),
        Codes.SEARCH_INVALID,
    )
    page, paging = paginate(found, body.get("rechercheFactureParFournisseur"), _sort_keys())
    return success(
        parametresRetour=paging,
        listeFactures=[invoice_list_item(ctx.platform.state.dataset, inv) for inv in page],
    )


def _sort_keys() -> dict[str, Any]:
    from chorus_connect.simulator.views import SORT_KEYS

    return SORT_KEYS


def _own_invoice(ctx: CallContext, invoice_id: int) -> Invoice:
    return visible_invoice(ctx, invoice_id, as_supplier=True, as_recipient=False)


@operation(FAMILY, "/consulter/fournisseur", "consulterFactureParFournisseur")
def consult_as_supplier(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    invoice_id = require_int(body, "identifiantFactureCPP", Codes.UNKNOWN_INVOICE, "GFT_MSG_00.003")
    invoice = _own_invoice(ctx, invoice_id)
    return success(
        facture=invoice_detail(ctx.platform.state.dataset, invoice, attachment_views(ctx, invoice))
    )


@operation(FAMILY, "/consulter/historique", "consulterHistoriqueFacture")
def consult_history(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    invoice_id = require_int(body, "idFacture", Codes.UNKNOWN_INVOICE, "GFT_MSG_00.003")
    invoice = visible_invoice(ctx, invoice_id, as_supplier=True, as_recipient=True)
    return success(**history_view(invoice, ctx.platform.state.dataset))


@operation(FAMILY, "/completer", "completerFacture", state_changing=True)
def complete(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    invoice_id = require_int(body, "identifiantFactureCPP", Codes.UNKNOWN_INVOICE, "GFT_MSG_00.003")
    invoice = _own_invoice(ctx, invoice_id)
    if not lifecycle.can_complete(invoice.status):
        raise BusinessError(
            Codes.COMPLETE_WRONG_STATUS,
            f"GFT_MSG_02.005 La facture {invoice.number} est au statut {invoice.status} : "
            "seule une facture SUSPENDUE peut etre completee",
        )
    attachment_ids = [
        int(item.get("pieceJointeComplementaireId") or item.get("pieceJointeId") or 0)
        for item in body.get("pieceJointeComplementaire") or []
    ]
    link_attachments(ctx, invoice, attachment_ids, Codes.COMPLETE_WRONG_STATUS)
    comment = str(body.get("commentaire") or "Facture completee")
    change_status(ctx.platform, invoice, "COMPLETEE", ctx.now, comment, ctx.account.login)
    schedule_recipient(ctx.platform, invoice, ctx.now)
    return success(
        identifiantFactureCPP=invoice.invoice_id,
        numeroFacture=invoice.number,
        dateTraitement=api_date(ctx.now),
    )


@operation(FAMILY, "/recycler", "recyclerFacture", state_changing=True)
def recycle(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    invoice_id = require_int(body, "identifiantFactureCPP", Codes.UNKNOWN_INVOICE, "GFT_MSG_00.003")
    invoice = _own_invoice(ctx, invoice_id)
    if not lifecycle.can_recycle(invoice.status):
        raise BusinessError(
            Codes.RECYCLE_WRONG_STATUS,
            f"GFT_MSG_02.006 La facture {invoice.number} est au statut {invoice.status} : "
            "seule une facture A_RECYCLER peut etre recyclee",
        )
    recipient = body.get("destinataire") or {}
    reference = body.get("reference") or {}
    problem = reroute(
        ctx.platform,
        invoice,
        recipient_siret=recipient.get("codeDestinataire") or invoice.recipient_identifier,
        service_code=recipient.get("codeServiceExecutant"),
        engagement_number=reference.get("numeroBonCommande") or invoice.engagement_number,
        at=ctx.now,
        comment=str(body.get("commentaire") or "Facture recyclee"),
        user=ctx.account.login,
    )
    if problem:
        raise BusinessError(Codes.RECYCLE_BAD_ROUTING, f"GFT_MSG_02.007 {problem}")
    return success(
        identifiantFactureCPP=invoice.invoice_id,
        numeroFacture=invoice.number,
        dateDepot=api_minute(ctx.now),
        statutFacture=invoice.status,
    )


@operation(FAMILY, "/telecharger/groupe", "telechargerGroupeFacture")
def download_group(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    """Always a zip of the invoices' documents as deposited (choice: the real format list is uncertain)."""
    wanted = [int(item.get("idFacture") or 0) for item in body.get("listeFacture") or []]
    if not wanted:
        raise BusinessError(Codes.DOWNLOAD_INVALID, "GFT_MSG_00.011 Le champ listeFacture est obligatoire")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for invoice_id in wanted:
            invoice = visible_invoice(ctx, invoice_id, as_supplier=True, as_recipient=True)
            content = ctx.platform.state.get_blob(invoice.file_key or "") or b""
            archive.writestr(f"{invoice.invoice_id}_{invoice.file_name}", content)
            if invoice.recipient_structure_id in ctx.account.structure_ids:
                invoice.downloaded_by_recipient = True
                _add_action(ctx, invoice, "TELECHARGEMENT_FACTURE")
    data = buffer.getvalue()
    if len(data) > MAX_DOWNLOAD_BYTES:
        raise BusinessError(Codes.DOWNLOAD_INVALID, "GFT_MSG_00.413 Telechargement superieur a 120 Mo", 413)
    return success(fichierResultat=base64.b64encode(data).decode("ascii"))


def _add_action(ctx: CallContext, invoice: Invoice, code: str) -> None:
    invoice.actions.append(
        ActionEntry(
            action_id=ctx.platform.state.next_history_id(),
            code=code,
            at=ctx.now,
            user_login=ctx.account.login,
        )
    )
    ctx.platform.state.save(invoice)


@operation(FAMILY, "/traiterRejet", "traiterRejet", state_changing=True)
def acknowledge_rejections(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    requests = body.get("listeDemandePaiement") or []
    if not requests:
        raise BusinessError(
            Codes.REJECTION_ACK_INVALID, "GFT_MSG_00.015 Le champ listeDemandePaiement est obligatoire"
        )
    for item in requests:
        invoice = _own_invoice(ctx, int(item.get("idDemandePaiement") or 0))
        if invoice.status != "REJETEE":
            raise BusinessError(
                Codes.REJECTION_ACK_INVALID,
                f"GFT_MSG_00.016 La facture {invoice.number} n'est pas rejetee (statut {invoice.status})",
            )
        invoice.rejection_acknowledged = True
        _add_action(ctx, invoice, "ACQUITTEMENT_REJET")
    return success(dateTraitement=api_timestamp(ctx.now))


@operation(FAMILY, "/rechercher/demandePaiement", "rechercherDemandePaiement")
def search_payment_requests(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    role = body.get("roleUtilisateur") or "FOURNISSEUR"
    own = set(ctx.account.structure_ids)
    if role == "FOURNISSEUR":
        found = search_invoices(ctx, body, lambda inv: inv.supplier_structure_id in own, Codes.SEARCH_INVALID)
    elif role == "DESTINATAIRE":
        found = search_invoices(
            ctx, body, lambda inv: inv.recipient_structure_id in own, Codes.SEARCH_INVALID
        )
    else:
        found = []  # no works, validator or MOA/MOE circuits in this simulator version
    page, paging = paginate(found, body.get("parametresRecherche"), _sort_keys())
    items = []
    for inv in page:
        item = invoice_list_item(ctx.platform.state.dataset, inv)
        item["idDemandePaiement"] = inv.invoice_id
        item["numeroDemandePaiement"] = inv.number
        items.append(item)
    return success(parametresRetour=paging, listeDemandePaiement=items)


@operation(FAMILY, "/deposer/pdf", "deposerPDFFacture", state_changing=True)
def deposit_pdf(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    """Keeps the PDF as an attachment for a later `soumettre`; no OCR is simulated (fields empty)."""
    label = "GDP_MSG_12.001"
    encoded = require(body, "fichierFacture", Codes.DEPOSIT_INVALID, label)
    try:
        content = base64.b64decode(str(encoded), validate=True)
    except (binascii.Error, ValueError):
        raise BusinessError(
            Codes.DEPOSIT_INVALID, f"{label} fichierFacture n'est pas du base64 valide"
        ) from None
    if len(content) > 10 * 1024 * 1024:
        raise BusinessError(Codes.DEPOSIT_TOO_LARGE, "GDP_MSG_11.022", 413)
    if not content.startswith(b"%PDF"):
        raise BusinessError(Codes.DEPOSIT_INVALID, f"{label} Le fichier depose n'est pas un PDF")
    file_name = str(require(body, "nomFichier", Codes.DEPOSIT_INVALID, label))
    from chorus_connect.simulator.operations.invoices_common import store_attachment

    attachment = store_attachment(ctx, file_name, "application/pdf", "PDF", content)
    return success(
        pieceJointeId=attachment.attachment_id,
        numeroFacture=None,
        dateFacture=None,
        codeDestinataire=None,
        codeServiceExecutant=None,
        codeFournisseur=None,
        codeDeviseFacture=None,
        typeFacture=None,
        typeTva=None,
        numeroBonCommande=None,
        montantTtcAvantRemiseGlobalTTC=None,
        montantAPayer=None,
        montantHtTotal=None,
        montantTVA=None,
    )
