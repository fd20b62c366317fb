"""`soumettre` (Factures API): an invoice created from JSON data (SAISIE_API, or DEPOT_PDF_API with the
PDF uploaded first through `deposer/pdf` or `ajouter/fichier`). Unlike `deposer/flux` it is synchronous:
the platform's rules run at once and a refusal is a business error."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from chorus_connect.simulator.envelope import BusinessError, api_date, require, success
from chorus_connect.simulator.flux_files import FluxInvoice, SourceFormat
from chorus_connect.simulator.integration import format_dp_error, judge_flux
from chorus_connect.simulator.registry import CallContext, operation
from chorus_connect.simulator.workflow import Directory, create_invoice

INVALID = 20013  # listed in the soumettre error table of appendix V4.10; meaning inferred
LABEL = "GFT_MSG_01.013"
MODES = ("SAISIE_API", "DEPOT_PDF_API")

# Names of the request's fields, so the platform's messages point at the JSON the caller sent.
JSON_PATHS = {
    "number": "numeroFactureSaisi",
    "issue_date": "dateFacture",
    "type_code": "references.typeFacture",
    "currency": "references.deviseFacture",
    "business_process": "cadreDeFacturation.codeCadreFacturation",
    "supplier_id": "fournisseur.idFournisseur",
    "supplier_scheme": "fournisseur.idFournisseur",
    "supplier_name": "fournisseur.idFournisseur",
    "recipient_id": "destinataire.codeDestinataire",
    "recipient_scheme": "destinataire.codeDestinataire",
    "recipient_name": "destinataire.codeDestinataire",
    "service_code": "destinataire.codeServiceExecutant",
    "engagement_number": "references.numeroBonCommande",
    "market_number": "references.numeroMarche",
    "preceding_invoice": "references.numeroFactureOrigine",
    "payment_means_code": "references.modePaiement",
    "iban": "fournisseur.codeCoordonneesBancairesFournisseur",
    "total_without_vat": "montantTotal.montantHtTotal",
    "total_vat": "montantTotal.montantTVA",
    "total_with_vat": "montantTotal.montantTtcTotal",
    "prepaid": "montantTotal.montantRemiseGlobaleTTC",
    "amount_due": "montantTotal.montantAPayer",
    "note": "commentaire",
    "lines": "lignePoste",
}
PAYMENT_CODES = {"VIREMENT": "30", "CHEQUE": "20", "ESPECE": "10", "PRELEVEMENT": "49", "REPORT": "97"}


def _refuse(text: str) -> BusinessError:
    return BusinessError(INVALID, f"{LABEL} {text}")


def _amount(section: dict[str, Any], field: str) -> Decimal | None:
    value = section.get(field)
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise _refuse(f"Le champ montantTotal.{field} doit etre un nombre") from None


def _supplier_siret(ctx: CallContext, supplier: dict[str, Any]) -> str:
    raw = supplier.get("idFournisseur")
    try:
        structure = ctx.platform.state.dataset.structure(int(raw))
    except (TypeError, ValueError):
        structure = None
    if structure is None:
        raise _refuse(f"Le champ fournisseur.idFournisseur ({raw}) ne designe aucune structure connue")
    return structure.siret


def _read_request(ctx: CallContext, body: dict[str, Any]) -> FluxInvoice:
    supplier = body.get("fournisseur") or {}
    recipient = body.get("destinataire") or {}
    references = body.get("references") or {}
    totals = body.get("montantTotal") or {}
    cadre = (body.get("cadreDeFacturation") or {}).get("codeCadreFacturation")
    number = require(body, "numeroFactureSaisi", INVALID, LABEL)
    invoice_date = require(body, "dateFacture", INVALID, LABEL)
    return FluxInvoice(
        source_format=SourceFormat.CII,
        file_name="",
        xml=b"",
        pdf=None,
        paths=JSON_PATHS,
        number=str(number),
        issue_date=str(invoice_date),
        type_code="381" if references.get("typeFacture") == "AVOIR" else "380",
        currency=references.get("deviseFacture") or "EUR",
        business_process=cadre or "A1",
        supplier_id=_supplier_siret(ctx, supplier),
        recipient_id=recipient.get("codeDestinataire"),
        service_code=recipient.get("codeServiceExecutant") or None,
        engagement_number=references.get("numeroBonCommande") or None,
        market_number=references.get("numeroMarche") or None,
        preceding_invoice=references.get("numeroFactureOrigine") or None,
        payment_means_code=PAYMENT_CODES.get(references.get("modePaiement") or ""),
        total_without_vat=_amount(totals, "montantHtTotal"),
        total_vat=_amount(totals, "montantTVA"),
        total_with_vat=_amount(totals, "montantTtcTotal"),
        amount_due=_amount(totals, "montantAPayer"),
        line_count=len(body.get("lignePoste") or []),
        note=body.get("commentaire"),
    )


def _check_request(ctx: CallContext, body: dict[str, Any], found: FluxInvoice) -> None:
    mode = body.get("modeDepot")
    if mode not in MODES:
        raise _refuse(f"Le champ modeDepot doit valoir {' ou '.join(MODES)}")
    if found.invoice_date is None:
        raise _refuse("Le champ dateFacture doit etre une date AAAA-MM-JJ")
    if mode == "DEPOT_PDF_API":
        main = body.get("pieceJointePrincipale") or []
        ids = [item.get("pieceJointePrincipaleId") for item in main]
        if not ids or any(ctx.platform.state.attachments.get(int(i or 0)) is None for i in ids):
            raise _refuse(
                "pieceJointePrincipale doit designer le PDF depose (deposer/pdf ou ajouter/fichier)"
            )
    if None in (found.total_without_vat, found.total_vat, found.total_with_vat):
        raise _refuse(
            "Les champs montantTotal.montantHtTotal, montantTVA et montantTtcTotal sont obligatoires"
        )
    assert found.total_without_vat is not None and found.total_vat is not None
    if found.total_without_vat + found.total_vat != found.total_with_vat:
        raise _refuse(
            "montantTotal incoherent : montantHtTotal + montantTVA doit etre egal a montantTtcTotal"
        )


@operation("factures", "/soumettre", "soumettreFacture", state_changing=True)
def submit(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    found = _read_request(ctx, body)
    _check_request(ctx, body, found)
    state, options = ctx.platform.state, ctx.platform.config.rules
    (verdict,) = judge_flux([found], ctx.account, Directory(state), options=options)
    if not verdict.integrated:
        raise _refuse(format_dp_error(verdict.errors))
    main = (body.get("pieceJointePrincipale") or [{}])[0]
    attachment = ctx.platform.state.attachments.get(int(main.get("pieceJointePrincipaleId") or 0))
    invoice = create_invoice(
        ctx.platform,
        found,
        ctx.now,
        flux_number=None,
        deposit_mode=str(body["modeDepot"]),
        deposited_at=ctx.now,
        depositor_login=ctx.account.login,
        file_key=attachment.blob_key if attachment else None,
        file_name=attachment.name if attachment else None,
        extra={"lines": body.get("lignePoste") or [], "vat_breakdown": body.get("ligneTva") or []},
    )
    fingerprint = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    return success(
        identifiantFactureCPP=invoice.invoice_id,
        numeroFacture=invoice.number,
        identifiantStructure=invoice.supplier_identifier,
        empreinteCertificatDepot=fingerprint,
        dateDepot=api_date(ctx.now),
        statutFacture=invoice.status,
    )
