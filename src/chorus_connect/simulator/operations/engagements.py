"""Engagements juridiques API (`/cpro/engagementsJuridiques/v1`): search (as OCA calls it) and consult.

An engagement juridique (EJ, purchase order / commitment) is issued by a public structure
("émettrice") to a supplier ("réceptrice"); an account sees the EJs of the structures it is attached
to, on either side. The item fields, the pagination object name and the `consulter` path are ours
(reference §2.5: only the search input is known).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from chorus_connect.simulator.dataset import EngagementState, LegalCommitment
from chorus_connect.simulator.envelope import success
from chorus_connect.simulator.operations._common import (
    InputRefusals,
    Refusal,
    as_int,
    checked_page,
    find_structure,
    optional_choice,
    required,
)
from chorus_connect.simulator.registry import CallContext, operation

FAMILY = "engagementsJuridiques"
MAX_NUMBER_LENGTH = 50  # OCA's check of the engagement number (reference §2.5)
STATES = tuple(state.value for state in EngagementState)


class Refusals:
    """Business errors of the Engagements juridiques family (codeRetour, message code, French text) [ours]."""

    MISSING_FIELD = Refusal(20001, "TRA_MSG_00.010", "Le champ {field} est obligatoire")
    INVALID_VALUE = Refusal(
        20002, "TRA_MSG_00.012", "Valeur '{value}' refusée pour le champ {field} : attendu {allowed}"
    )
    UNKNOWN_STRUCTURE = Refusal(20003, "TRA_MSG_00.011", "Structure inconnue : idStructureCPP {id}")
    UNKNOWN_COMMITMENT = Refusal(20004, "TRA_MSG_04.001", "Engagement juridique inconnu : {number}")


INPUT = InputRefusals(Refusals.MISSING_FIELD, Refusals.INVALID_VALUE)


def _visible(ctx: CallContext, commitment: LegalCommitment) -> bool:
    mine = set(ctx.account.structure_ids)
    return commitment.supplier_structure_id in mine or commitment.recipient_structure_id in mine


def _structure_id(body: dict[str, Any], field: str, ctx: CallContext) -> int | None:
    """A structure id sent as a string (OCA sends `str(idStructureCPP)`); it must exist."""
    raw = body.get(field)
    if raw is None or str(raw).strip() == "":
        return None
    structure_id = as_int(str(raw).strip(), field, INPUT)
    if find_structure(ctx, structure_id) is None:
        raise Refusals.UNKNOWN_STRUCTURE.error(id=structure_id)
    return structure_id


def _number(body: dict[str, Any], *, mandatory: bool) -> str | None:
    value = (
        required(body, "numeroEngagementJuridique", INPUT)
        if mandatory
        else body.get("numeroEngagementJuridique")
    )
    number = str(value or "").strip()
    if len(number) > MAX_NUMBER_LENGTH:
        raise Refusals.INVALID_VALUE.error(
            field="numeroEngagementJuridique", value=number, allowed=f"{MAX_NUMBER_LENGTH} caractères au plus"
        )
    return number or None


def _item(ctx: CallContext, commitment: LegalCommitment) -> dict[str, Any]:
    supplier = find_structure(ctx, commitment.supplier_structure_id)
    buyer = find_structure(ctx, commitment.recipient_structure_id)
    return {
        "numeroEngagementJuridique": commitment.number,
        "etatCourantEngagementJuridique": commitment.state.value,
        "idStructureReceptriceEngagementJuridique": commitment.supplier_structure_id,
        "identifiantStructureReceptriceEngagementJuridique": supplier.siret if supplier else None,
        "designationStructureReceptriceEngagementJuridique": supplier.name if supplier else None,
        "idStructureEmettriceEngagementJuridique": commitment.recipient_structure_id,
        "identifiantStructureEmettriceEngagementJuridique": buyer.siret if buyer else None,
        "designationStructureEmettriceEngagementJuridique": buyer.name if buyer else None,
        "montantEngagementJuridique": float(Decimal(commitment.amount)),
        "deviseEngagementJuridique": "EUR",
    }


def _matching(ctx: CallContext, body: dict[str, Any], number: str | None) -> list[LegalCommitment]:
    supplier_id = _structure_id(body, "structureReceptriceEngagementJuridique", ctx)
    buyer_id = _structure_id(body, "structureEmettriceEngagementJuridique", ctx)
    state = optional_choice(body, "etatCourantEngagementJuridique", STATES, INPUT)
    return [
        c
        for c in ctx.platform.state.dataset.commitments
        if _visible(ctx, c)
        and supplier_id in (None, c.supplier_structure_id)
        and buyer_id in (None, c.recipient_structure_id)
        and number in (None, c.number)
        and state in (None, c.state.value)
    ]


_SORT_KEYS: dict[str, Callable[[LegalCommitment], Any]] = {
    "NumeroEngagementJuridique": lambda c: c.number,
    "EtatCourantEngagementJuridique": lambda c: c.state.value,
    "MontantEngagementJuridique": lambda c: Decimal(c.amount),
}


@operation(FAMILY, "/rechercher", "rechercherEngagementJuridique")
def search_commitments(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    """No match is an empty `listeEngagementJuridique` with codeRetour 0 (OCA reads the list only)."""
    found = _matching(ctx, body, _number(body, mandatory=False))
    page, paging = checked_page(body, "parametresRecherche", found, _SORT_KEYS, INPUT)
    return success(listeEngagementJuridique=[_item(ctx, c) for c in page], parametresRetour=paging)


@operation(FAMILY, "/consulter", "consulterEngagementJuridique")
def consult_commitment(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    """Path inferred. The EJ's fields at top level; an EJ the account may not see is "unknown"."""
    number = _number(body, mandatory=True)
    found = _matching(ctx, body, number)
    if not found:
        raise Refusals.UNKNOWN_COMMITMENT.error(number=number)
    return success(**_item(ctx, found[0]))
