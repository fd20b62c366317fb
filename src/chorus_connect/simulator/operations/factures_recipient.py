"""Factures API, public buyer side: received invoices, their processing, and the validator circuit.

No A9/A12 validation circuit is simulated: the validator searches are always empty and the validator
actions answer a business error saying there is nothing to validate.
"""

from __future__ import annotations

from typing import Any

from chorus_connect.simulator import lifecycle
from chorus_connect.simulator.envelope import (
    BusinessError,
    NoResult,
    api_date,
    page_request,
    paginate,
    require,
    require_int,
    success,
)
from chorus_connect.simulator.operations.invoices_common import (
    attachment_views,
    own_structures,
    search_invoices,
    visible_invoice,
)
from chorus_connect.simulator.registry import CallContext, operation
from chorus_connect.simulator.state import Invoice
from chorus_connect.simulator.views import SORT_KEYS, invoice_detail, invoice_list_item
from chorus_connect.simulator.workflow import change_status

FAMILY = "factures"
NO_RESULT = (20000, "TRA_MSG_00.015")  # attested (Pastell): empty recipient search, HTTP 200


class Codes:
    UNKNOWN_INVOICE = 20003
    NOT_RECIPIENT = 20004
    TRANSITION_REFUSED = 20008
    MOTIF_REQUIRED = 20009
    SEARCH_INVALID = 20010
    NOTHING_TO_VALIDATE = 20020


def _received_invoice(ctx: CallContext, invoice_id: int) -> Invoice:
    return visible_invoice(ctx, invoice_id, as_supplier=False, as_recipient=True)


@operation(FAMILY, "/rechercher/recipiendaire", "rechercherFactureParRecipiendaire")
def search_as_recipient(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    own = own_structures(ctx, body.get("idDestinataire"), Codes.NOT_RECIPIENT)
    service_id = body.get("idServiceExecutant")
    suppliers = {
        int(f["idFournisseur"]) for f in body.get("listeFournisseurs") or [] if f.get("idFournisseur")
    }
    downloaded = body.get("factureTelechargeeParDestinataire")

    def visible(inv: Invoice) -> bool:
        return (
            inv.recipient_structure_id in own
            and (service_id in (None, "", 0) or inv.service_id == int(service_id))
            and (not suppliers or inv.supplier_structure_id in suppliers)
            and (downloaded is None or inv.downloaded_by_recipient == bool(downloaded))
        )

    found = search_invoices(ctx, body, visible, Codes.SEARCH_INVALID)
    if not found:
        raise NoResult(*NO_RESULT)
    params = body.get("paramRecherche") or {}
    page, paging = paginate(found, params, SORT_KEYS)
    maximum = params.get("nbResultatsMaximum")
    if maximum:
        page = page[: int(maximum)]
    # This search reports its paging at the top level, unlike the supplier search (reference §2.1).
    return success(
        **paging, listeFactures=[invoice_list_item(ctx.platform.state.dataset, inv) for inv in page]
    )


@operation(FAMILY, "/consulter/recipiendaire", "consulterFactureParRecipiendaire")
def consult_as_recipient(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    invoice_id = require_int(body, "identifiantFactureCPP", Codes.UNKNOWN_INVOICE, "GFT_MSG_00.003")
    invoice = _received_invoice(ctx, invoice_id)
    invoice.downloaded_by_recipient = True  # consulting counts as taking the invoice over [inferred]
    ctx.platform.state.save(invoice)
    return success(
        facture=invoice_detail(ctx.platform.state.dataset, invoice, attachment_views(ctx, invoice))
    )


@operation(FAMILY, "/traiter/recue", "traiterFactureRecue", state_changing=True)
def process_received(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    invoice_id = require_int(body, "idFacture", Codes.UNKNOWN_INVOICE, "GFT_MSG_00.003")
    target = str(require(body, "nouveauStatut", Codes.TRANSITION_REFUSED, "GFT_MSG_03.001"))
    invoice = _received_invoice(ctx, invoice_id)
    allowed = lifecycle.allowed_targets(invoice.status)
    if target not in allowed:
        choices = ", ".join(allowed) if allowed else "aucun"
        raise BusinessError(
            Codes.TRANSITION_REFUSED,
            f"GFT_MSG_03.002 Le statut {target} n'est pas autorise depuis le statut {invoice.status} "
            f"(statuts possibles : {choices})",
        )
    motif = str(body.get("motif") or "").strip()
    if target in lifecycle.MOTIF_REQUIRED and not motif:
        raise BusinessError(
            Codes.MOTIF_REQUIRED, f"GFT_MSG_03.003 Le motif est obligatoire pour le statut {target}"
        )
    if target == "MANDATEE" and body.get("numeroDPMandat"):
        invoice.mandate_number = str(body["numeroDPMandat"])
    if target != invoice.status:
        change_status(ctx.platform, invoice, target, ctx.now, motif, ctx.account.login)
    return success(
        idFacture=invoice.invoice_id,
        numeroFacture=invoice.number,
        nouveauStatut=invoice.status,
        dateTraitement=api_date(ctx.now),
    )


# -- validator circuit (A9/A12): not simulated --------------------------------------------------------
@operation(FAMILY, "/rechercher/valideur", "rechercherFactureParValideur")
def search_as_validator(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    # The paging object's name is not documented: accept the go client's and the pattern's.
    paging = body.get("rechercheFactureParValideur") or body.get("pagination")
    page, size, _column, _descending = page_request(paging)
    return success(
        listeFactures=[],
        parametresRetour={"pageCourante": page, "pages": 1, "nbResultatsParPage": size, "total": 0},
    )


def _nothing_to_validate(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    invoice_id = body.get("idFacture") or body.get("identifiantFactureCPP")
    raise BusinessError(
        Codes.NOTHING_TO_VALIDATE,
        f"GFT_MSG_04.001 Aucune facture a valider pour ce compte (idFacture {invoice_id})",
    )


operation(FAMILY, "/consulter/valideur", "consulterFactureParValideur")(_nothing_to_validate)
operation(FAMILY, "/traiter/factureAValider", "traiterFactureAValider", state_changing=True)(
    _nothing_to_validate
)
operation(FAMILY, "/corriger/valideur/facture", "corrigerValideurFacture", state_changing=True)(
    _nothing_to_validate
)


@operation(FAMILY, "/recuperer/statutsFactureVisibles/valideur", "recupererStatutsFactureVisiblesParValideur")
def validator_visible_statuses(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    statuses = ["A_VALIDER_1", "VALIDEE_1", "REFUSEE_1", "A_VALIDER_2", "VALIDEE_2", "REFUSEE_2"]
    return success(listeStatutFacture=[{"codeStatutFacture": s} for s in statuses])
