"""How the platform shows its records on the wire: invoice list items, invoice details, histories.

One place for the French field names and the date shapes, shared by the supplier and recipient sides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from chorus_connect.simulator.dataset import Dataset, Structure
from chorus_connect.simulator.envelope import BusinessError, api_date, api_minute, api_timestamp
from chorus_connect.simulator.state import Invoice

Filter = Callable[[Invoice], bool]


def amount(text: str) -> float:
    return float(Decimal(text))


def _service_name(structure: Structure | None, code: str | None) -> str | None:
    if structure is None or code is None:
        return None
    service = next((s for s in structure.services if s.code == code), None)
    return service.label if service else None


def invoice_list_item(dataset: Dataset, invoice: Invoice) -> dict[str, Any]:
    """An entry of `listeFactures` in the supplier and recipient searches."""
    supplier = dataset.structure(invoice.supplier_structure_id)
    recipient = dataset.structure(invoice.recipient_structure_id)
    return {
        "identifiantFactureCPP": invoice.invoice_id,
        "idFacture": invoice.invoice_id,
        "numeroFacture": invoice.number,
        "statut": invoice.status,
        "typeDemandePaiement": invoice.payment_request_type,
        "typeFacture": invoice.invoice_type,
        "typeFactureTravaux": None,
        "dateFacture": api_date(invoice.invoice_date),
        "dateDepot": api_date(invoice.deposited_at),
        "dateHeureEtatCourant": api_timestamp(invoice.status_at),
        "commentaireEtatCourant": invoice.status_comment,
        "numeroFluxDepot": invoice.flux_number,
        "modeDepot": invoice.deposit_mode,
        "devise": invoice.currency,
        "montantHT": amount(invoice.amount_without_tax),
        "montantTTC": amount(invoice.amount_with_tax),
        "montantAPayer": amount(invoice.amount_due),
        "idDestinataire": invoice.recipient_structure_id,
        "codeDestinataire": invoice.recipient_identifier,
        "designationDestinataire": recipient.name if recipient else None,
        "idServiceExecutant": invoice.service_id,
        "codeServiceExecutant": invoice.service_code,
        "nomServiceExecutant": _service_name(recipient, invoice.service_code),
        "idFournisseur": invoice.supplier_structure_id,
        "codeFournisseur": invoice.supplier_identifier,
        "designationFournisseur": supplier.name if supplier else None,
        "typeIdentifiantFournisseur": "SIRET",
        "codeServiceFournisseur": None,
        "nomServiceFournisseur": None,
        "numeroMarche": invoice.market_number,
        "numeroBonCommande": invoice.engagement_number,
        "numeroFactureOrigine": invoice.preceding_invoice_number,
        "rejetTraite": invoice.rejection_acknowledged,
        "factureTelechargeeParDestinataire": invoice.downloaded_by_recipient,
        "taille": None,
    }


def invoice_detail(dataset: Dataset, invoice: Invoice, attachments: list[dict[str, Any]]) -> dict[str, Any]:
    """The `facture` object of `consulter/fournisseur` and `consulter/recipiendaire`."""
    supplier = dataset.structure(invoice.supplier_structure_id)
    recipient = dataset.structure(invoice.recipient_structure_id)
    bank = next(
        (
            b
            for b in (supplier.bank_accounts if supplier else [])
            if b.bank_account_id == invoice.bank_account_id
        ),
        None,
    )
    lines = invoice.extra.get("lines", [])
    vat_lines = invoice.extra.get("vat_breakdown", [])
    return {
        "identifiantFactureCPP": invoice.invoice_id,
        "numeroFacture": invoice.number,
        "statutFacture": invoice.status,
        "modeDepot": invoice.deposit_mode,
        "commentaire": invoice.extra.get("note"),
        "cadreDeFacturation": {"codeCadreFacturation": invoice.cadre, "codeStructureValideur": None},
        "destinataire": {
            "idDestinataire": invoice.recipient_structure_id,
            "codeDestinataire": invoice.recipient_identifier,
            "libelleDestinataire": recipient.name if recipient else None,
            "idServiceExecutant": invoice.service_id,
            "codeServiceExecutant": invoice.service_code,
            "libelleServiceExecutant": _service_name(recipient, invoice.service_code),
            "destinataireEtat": "ACTIF" if recipient and recipient.active else "INACTIF",
            "adresseDestinataireLigne1": recipient.address.line if recipient else None,
            "adresseDestinataireCodePostal": recipient.address.postal_code if recipient else None,
            "adresseDestinataireVille": recipient.address.city if recipient else None,
            "adresseDestinataireCodePays": recipient.address.country if recipient else None,
        },
        "fournisseur": {
            "idFournisseur": invoice.supplier_structure_id,
            "codeFournisseur": invoice.supplier_identifier,
            "typeIdentifiantFournisseur": "SIRET",
            "designationFournisseur": supplier.name if supplier else None,
            "idServiceFournisseur": None,
            "codeServiceFournisseur": None,
            "idCoordonneesBancairesFournisseur": bank.bank_account_id if bank else None,
            "ibanCoordonneesBancairesFournisseur": bank.iban if bank else invoice.extra.get("iban"),
        },
        "references": {
            "dateFacture": api_date(invoice.invoice_date),
            "dateDepot": api_date(invoice.deposited_at),
            "dateCreationFacture": api_date(invoice.deposited_at),
            "dateEcheancePaiement": invoice.extra.get("due_date"),
            "codeDeviseFacture": invoice.currency,
            "libelleDeviseFacture": "Euro" if invoice.currency == "EUR" else invoice.currency,
            "typeFacture": invoice.invoice_type,
            "typeFactureTravaux": None,
            "typeTva": invoice.vat_type,
            "motifExonerationTva": invoice.extra.get("vat_exemption_reason"),
            "modePaiement": invoice.payment_mode,
            "numeroMarche": invoice.market_number,
            "numeroBonCommande": invoice.engagement_number,
            "numeroFactureOrigine": invoice.preceding_invoice_number,
            "numeroDpMandat": invoice.mandate_number,
            "tailleTotalePiecesJointes": sum(a.get("pieceJointeTaille", 0) for a in attachments),
        },
        "montantTotal": {
            "montantHtTotal": amount(invoice.amount_without_tax),
            "montantTVA": amount(invoice.vat_amount),
            "montantTtcTotal": amount(invoice.amount_with_tax),
            "montantTtcAvantRemiseGlobalTTC": amount(invoice.amount_with_tax),
            "montantAPayer": amount(invoice.amount_due),
        },
        "lignesDePoste": {
            "lignePoste": lines,
            "pageCouranteLignesPoste": 1,
            "pagesLignesPoste": 1,
            "nbResultatsParPageLignesPoste": max(len(lines), 1),
            "totalLignesPoste": len(lines),
        },
        "recapitulatifDeTva": {"ligneTva": vat_lines, "totalLigneTva": len(vat_lines)},
        "listeDesPiecesJointes": {"pieceJointe": attachments, "totalPiecesJointes": len(attachments)},
        "pieceJointePrincipale": [
            {
                "pieceJointePrincipaleDesignation": invoice.file_name,
                "pieceJointePrincipaleId": invoice.invoice_id,
            }
        ],
    }


def history_view(invoice: Invoice, dataset: Dataset) -> dict[str, Any]:
    """The body of `consulter/historique` (newest first, like the portal)."""
    statuses = [
        {
            "histoStatutId": h.history_id,
            "histoStatutCode": h.status,
            "histoStatutDatePassage": api_minute(h.at),
            "histoStatutCommentaire": h.comment,
            "histoStatutUtilisateurNom": _user_name(dataset, h.user_login),
            "histoStatutUtilisateurPrenom": None,
            "histoStatutUtilisateurEmail": h.user_login if "@" in h.user_login else None,
            "histoStatutUtilisateurTelephone": None,
        }
        for h in reversed(invoice.history)
    ]
    actions = [
        {
            "histoActionId": a.action_id,
            "histoActionCode": a.code,
            "histoActionDateHeure": api_minute(a.at),
            "histoActionUtilisateurNom": _user_name(dataset, a.user_login),
        }
        for a in reversed(invoice.actions)
    ]
    last = invoice.actions[-1] if invoice.actions else None
    return {
        "idFacture": invoice.invoice_id,
        "numeroFacture": invoice.number,
        "modeDepot": invoice.deposit_mode,
        "statutCourantCode": invoice.status,
        "derniereAction": {
            "derniereActionCode": last.code if last else None,
            "derniereActionId": last.action_id if last else None,
        },
        "historiquesDesStatuts": {
            "histoStatut": statuses,
            "pageCouranteHistoStatut": 1,
            "pagesHistoStatut": 1,
            "nbResultatsParPageHistoStatut": max(len(statuses), 1),
            "totalHistoStatut": len(statuses),
        },
        "historiquesDesActionsUtilisateurs": {
            "histoAction": actions,
            "pageCouranteHistoAction": 1,
            "pagesHistoAction": 1,
            "nbResultatsParPageHistoAction": max(len(actions), 1),
            "totalHistoAction": len(actions),
        },
        "historiquesDesEvenementsComplementaires": {"evenement": [], "totalHistoEvenement": 0},
    }


def _user_name(dataset: Dataset, login: str) -> str | None:
    if not login:
        return None
    account = next((a for a in dataset.technical_accounts if a.login == login), None)
    return f"{account.first_name} {account.last_name}" if account else login


# -- search filters shared by both sides ------------------------------------------------------------
def parse_moment(value: Any, field: str, end_of_day: bool, code: int, domain: str) -> dt.datetime | None:
    """Accept `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` and ISO date-times (Pastell sends `...T23:59:59`)."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            moment = dt.datetime.combine(day, dt.time.max if end_of_day else dt.time.min)
        else:
            moment = dt.datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        raise BusinessError(
            code, f"{domain} Le champ {field} n'est pas une date valide (AAAA-MM-JJ)"
        ) from None
    if moment.tzinfo is None:
        from chorus_connect.simulator.clock import PARIS

        moment = moment.replace(tzinfo=PARIS)
    return moment


def common_filters(body: dict[str, Any], code: int, domain: str) -> list[Filter]:
    """Filters both invoice searches accept, read from the request body."""
    filters: list[Filter] = []

    def equals(field: str, attribute: str) -> None:
        value = body.get(field)
        if value not in (None, ""):
            filters.append(lambda inv, v=str(value), a=attribute: str(getattr(inv, a) or "") == v)

    equals("numeroFacture", "number")
    equals("numeroFluxDepot", "flux_number")
    equals("numeroMarche", "market_number")
    equals("numeroBonCommande", "engagement_number")
    equals("numeroFactureOrigine", "preceding_invoice_number")
    equals("modeDepot", "deposit_mode")
    equals("typeDemandePaiement", "payment_request_type")
    statuses = body.get("statutCourant")
    if statuses:
        wanted = {statuses} if isinstance(statuses, str) else set(statuses)
        filters.append(lambda inv: inv.status in wanted)
    invoice_type = body.get("typeFacture")
    types = body.get("listeTypeFacture") or ([invoice_type] if invoice_type else [])
    if types:
        filters.append(lambda inv: inv.invoice_type in set(types))
    for prefix, attribute in (
        ("periodeDateDepot", "deposited_at"),
        ("periodeDateHeureEtatCourant", "status_at"),
    ):
        start = parse_moment(body.get(f"{prefix}Du"), f"{prefix}Du", False, code, domain)
        end = parse_moment(body.get(f"{prefix}Au"), f"{prefix}Au", True, code, domain)
        if start:
            filters.append(lambda inv, s=start, a=attribute: getattr(inv, a) >= s)
        if end:
            filters.append(lambda inv, e=end, a=attribute: getattr(inv, a) <= e)
    start = parse_moment(body.get("periodeDateFactureDu"), "periodeDateFactureDu", False, code, domain)
    end = parse_moment(body.get("periodeDateFactureAu"), "periodeDateFactureAu", True, code, domain)
    if start:
        filters.append(lambda inv: inv.invoice_date is not None and inv.invoice_date >= start.date())
    if end:
        filters.append(lambda inv: inv.invoice_date is not None and inv.invoice_date <= end.date())
    for bound, attribute in (
        ("HT", "amount_without_tax"),
        ("TTC", "amount_with_tax"),
        ("Apayer", "amount_due"),
    ):
        low, high = body.get(f"montant{bound}Min"), body.get(f"montant{bound}Max")
        if low is not None:
            filters.append(lambda inv, v=Decimal(str(low)), a=attribute: Decimal(getattr(inv, a)) >= v)
        if high is not None:
            filters.append(lambda inv, v=Decimal(str(high)), a=attribute: Decimal(getattr(inv, a)) <= v)
    return filters


SORT_KEYS: dict[str, Callable[[Invoice], Any]] = {
    "IdentifiantFactureCPP": lambda inv: inv.invoice_id,
    "NumeroFacture": lambda inv: inv.number,
    "DateDepot": lambda inv: inv.deposited_at,
    "DateFacture": lambda inv: inv.invoice_date or dt.date.min,
    "DateHeureEtatCourant": lambda inv: inv.status_at,
    "Statut": lambda inv: inv.status,
    "MontantTTC": lambda inv: Decimal(inv.amount_with_tax),
    "MontantAPayer": lambda inv: Decimal(inv.amount_due),
    "FactureTelechargeeParDestinataire": lambda inv: inv.downloaded_by_recipient,
}
