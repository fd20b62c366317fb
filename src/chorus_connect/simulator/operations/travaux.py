"""Factures travaux API (`/cpro/facturesTravaux/v1`): works invoices (cadres A4-A8, A10, A11, A13-A20,
A22-A25).

This simulator version creates no works invoice by itself: `rechercher` finds the invoices of the state
whose `payment_request_type` is FACTURE_TRAVAUX (none unless a test or a later version puts some there)
and answers the attested "no result" 20007 / GFT_MSG_01.075 otherwise. The other works services are
registered at their inferred paths (reference §2.6) and refuse with a business error saying they are
not simulated, after checking the works invoice they name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from chorus_connect.simulator.envelope import NoResult, api_date, api_timestamp, success
from chorus_connect.simulator.operations._common import (
    InputRefusals,
    Refusal,
    checked_page,
    find_structure,
    optional_choice,
    optional_int,
    required_int,
)
from chorus_connect.simulator.registry import CallContext, operation
from chorus_connect.simulator.state import Invoice
from chorus_connect.simulator.views import parse_moment

FAMILY = "facturesTravaux"
WORKS_REQUEST_TYPE = "FACTURE_TRAVAUX"
USER_ROLES = ("FOURNISSEUR", "MOE", "MOA", "VALIDATEUR", "DESTINATAIRE")

NO_RESULT = (20007, "GFT_MSG_01.075")  # attested (Pastell): the works search found nothing


class Refusals:
    """Business errors of the Factures travaux family (codeRetour, message code, French text) [ours]."""

    MISSING_FIELD = Refusal(20001, "GFT_MSG_01.010", "Le champ {field} est obligatoire")
    INVALID_VALUE = Refusal(
        20002, "GFT_MSG_01.012", "Valeur '{value}' refusée pour le champ {field} : attendu {allowed}"
    )
    UNKNOWN_WORKS_INVOICE = Refusal(
        20050, "GFT_MSG_01.003", "Facture de travaux inconnue : idFactureTravaux {id}"
    )
    NOT_SIMULATED = Refusal(
        20090,
        "GFT_MSG_01.090",
        "Le service {name} n'est pas simulé par cette version du simulateur (factures de travaux)",
    )


INPUT = InputRefusals(Refusals.MISSING_FIELD, Refusals.INVALID_VALUE)


def _amount(text: str) -> float:
    return float(Decimal(text))


def _works_invoices(ctx: CallContext) -> list[Invoice]:
    return sorted(
        (i for i in ctx.platform.state.invoices.values() if i.payment_request_type == WORKS_REQUEST_TYPE),
        key=lambda i: i.invoice_id,
    )


def _side_filter(ctx: CallContext, role: str | None) -> Callable[[Invoice], bool]:
    """FOURNISSEUR sees the works invoices it issued, MOA/DESTINATAIRE those it receives; the simulator
    has no MOE nor validator, so those roles see none; without a role, either side."""
    mine = set(ctx.account.structure_ids)
    if role == "FOURNISSEUR":
        return lambda i: i.supplier_structure_id in mine
    if role in ("MOA", "DESTINATAIRE"):
        return lambda i: i.recipient_structure_id in mine
    if role in ("MOE", "VALIDATEUR"):
        return lambda i: False
    return lambda i: i.supplier_structure_id in mine or i.recipient_structure_id in mine


def _list_field(body: dict[str, Any], field: str) -> list[str]:
    value = body.get(field)
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise Refusals.INVALID_VALUE.error(field=field, value=value, allowed="une liste")
    return [str(v) for v in value]


def _search_filters(body: dict[str, Any]) -> list[Callable[[Invoice], bool]]:
    filters: list[Callable[[Invoice], bool]] = []
    for field, read in (
        ("idStructureFournisseur", lambda i: i.supplier_structure_id),
        ("idDestinataire", lambda i: i.recipient_structure_id),
        ("idServiceExecutant", lambda i: i.service_id),
    ):
        wanted = optional_int(body, field, INPUT)
        if wanted is not None:
            filters.append(lambda i, w=wanted, r=read: r(i) == w)
    for field, read in (
        ("numeroFactureTravaux", lambda i: i.number),
        ("numeroFluxDepot", lambda i: i.flux_number),
        ("numeroBonCommande", lambda i: i.engagement_number),
        ("numeroMarche", lambda i: i.market_number),
        ("cadreFacturation", lambda i: i.cadre),
        ("modeDepot", lambda i: i.deposit_mode),
    ):
        text = str(body.get(field) or "").strip()
        if text:
            filters.append(lambda i, t=text, r=read: r(i) == t)
    statuses = _list_field(body, "listeStatutCourant")
    if statuses:
        filters.append(lambda i: i.status in statuses)
    kinds = _list_field(body, "listeTypeFactureTravaux")
    if kinds:
        filters.append(lambda i: i.extra.get("typeFactureTravaux") in kinds)
    filters += _period_filters(body)
    return filters


def _period_filters(body: dict[str, Any]) -> list[Callable[[Invoice], bool]]:
    def moment(field: str, end: bool) -> dt.datetime | None:
        return parse_moment(
            body.get(field), field, end, Refusals.INVALID_VALUE.code, Refusals.INVALID_VALUE.message_code
        )

    filters: list[Callable[[Invoice], bool]] = []
    since, until = moment("periodeDateDepotDu", False), moment("periodeDateDepotAu", True)
    if since:
        filters.append(lambda i: i.deposited_at >= since)
    if until:
        filters.append(lambda i: i.deposited_at <= until)
    changed_since = moment("periodeDateHeureEtatCourantDu", False)
    changed_until = moment("periodeDateHeureEtatCourantAu", True)
    if changed_since:
        filters.append(lambda i: i.status_at >= changed_since)
    if changed_until:
        filters.append(lambda i: i.status_at <= changed_until)
    return filters


def _service_code(ctx: CallContext, structure_id: int, service_id: int | None) -> str | None:
    structure = find_structure(ctx, structure_id)
    if structure is None or service_id is None:
        return None
    return next((s.code for s in structure.services if s.service_id == service_id), None)


def _item(ctx: CallContext, invoice: Invoice) -> dict[str, Any]:
    """Fields of a real answer as Pastell's fixture shows them, plus the four service codes of §2.6."""
    supplier = find_structure(ctx, invoice.supplier_structure_id)
    recipient = find_structure(ctx, invoice.recipient_structure_id)
    return {
        "idFactureTravaux": invoice.invoice_id,
        "numeroFactureTravaux": invoice.number,
        "typeDemandePaiement": invoice.payment_request_type,
        "typeFactureTravaux": invoice.extra.get("typeFactureTravaux"),
        "cadreFacturation": invoice.cadre,
        "statutFactureTravaux": invoice.status,
        "dateFactureTravaux": api_date(invoice.invoice_date),
        "dateDepot": api_date(invoice.deposited_at),
        "dateHeureEtatCourant": api_timestamp(invoice.status_at),
        "numeroFluxDepot": invoice.flux_number,
        "modeDepot": invoice.deposit_mode,
        "devise": invoice.currency,
        "montantHT": _amount(invoice.amount_without_tax),
        "montantTTC": _amount(invoice.amount_with_tax),
        "montantAPayer": _amount(invoice.amount_due),
        "idStructureFournisseur": invoice.supplier_structure_id,
        "identifiantFournisseur": invoice.supplier_identifier,
        "typeIdentifiantFournisseur": supplier.identifier_type if supplier else "SIRET",
        "designationFournisseur": supplier.name if supplier else None,
        "idDestinataire": invoice.recipient_structure_id,
        "identifiantDestinataire": invoice.recipient_identifier,
        "designationDestinataire": recipient.name if recipient else None,
        "codeServiceExecutant": invoice.service_code,
        "codeServiceFournisseur": None,
        "codeServiceMoa": invoice.service_code,
        "codeServiceMoe": None,
        "numeroBonCommande": invoice.engagement_number,
        "numeroMarche": invoice.market_number,
        "factureTelechargeeParDestinataire": invoice.downloaded_by_recipient,
    }


_SORT_KEYS: dict[str, Callable[[Invoice], Any]] = {
    "IdFactureTravaux": lambda i: i.invoice_id,
    "NumeroFactureTravaux": lambda i: i.number,
    "TypeDemandePaiement": lambda i: i.payment_request_type,
    "DateDepot": lambda i: i.deposited_at,
    "DateFactureTravaux": lambda i: (i.invoice_date is None, i.invoice_date),
    "StatutFactureTravaux": lambda i: i.status,
    "MontantTTC": lambda i: Decimal(i.amount_with_tax),
}


@operation(FAMILY, "/rechercher", "rechercherFactureTravaux")
def search_works_invoices(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    role = optional_choice(body, "roleUtilisateur", USER_ROLES, INPUT)
    visible = _side_filter(ctx, role)
    filters = _search_filters(body)
    found = [i for i in _works_invoices(ctx) if visible(i) and all(f(i) for f in filters)]
    page, paging = checked_page(body, "rechercheFactureTravaux", found, _SORT_KEYS, INPUT)
    if not found:
        raise NoResult(*NO_RESULT)
    return success(listeFacturesTravaux=[_item(ctx, i) for i in page], parametresRetour=paging)


# --- services known by name, not simulated ------------------------------------------------------------------


def _named_works_invoice(ctx: CallContext, body: dict[str, Any]) -> Invoice:
    invoice_id = required_int(body, "idFactureTravaux", INPUT)
    invoice = ctx.platform.state.invoices.get(invoice_id)
    mine = set(ctx.account.structure_ids)
    if (
        invoice is None
        or invoice.payment_request_type != WORKS_REQUEST_TYPE
        or not {invoice.supplier_structure_id, invoice.recipient_structure_id} & mine
    ):
        raise Refusals.UNKNOWN_WORKS_INVOICE.error(id=invoice_id)
    return invoice


def _not_simulated_on(name: str) -> Callable[[CallContext, dict[str, Any]], dict[str, Any]]:
    """A service acting on an existing works invoice: the invoice is checked, then the service refuses."""

    def handler(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
        _named_works_invoice(ctx, body)
        raise Refusals.NOT_SIMULATED.error(name=name)

    return handler


@operation(FAMILY, "/soumettre", "soumettreFactureTravaux", state_changing=True)
def submit_works_invoice(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    raise Refusals.NOT_SIMULATED.error(name="soumettreFactureTravaux")


# Inferred paths (reference §2.6): `/cpro/facturesTravaux/v1/` + the legacy path after `factures/travaux/`.
for _path, _name in (
    ("/refuser", "refuserFactureTravaux"),
    ("/recycler", "recyclerFactureTravaux"),
    ("/suspendre/demander/completer/factureTravaux", "SuspendreOuDemanderCompleterFactureTravaux"),
    ("/demander/recyclage", "DemanderRecyclagePiecePrecedente"),
):
    operation(FAMILY, _path, _name, state_changing=True)(_not_simulated_on(_name))
