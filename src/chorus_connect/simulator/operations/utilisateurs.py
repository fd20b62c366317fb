"""Utilisateurs API (`/cpro/utilisateurs/v1`): only `monCompte/recuperer/rattachements` remains on PISTE.

The user-management services removed by appendix V5.00 are simply not registered, so the gateway
answers 403 for them as for any route it does not expose (reference §2.4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chorus_connect.simulator.dataset import Structure
from chorus_connect.simulator.envelope import success
from chorus_connect.simulator.operations._common import (
    InputRefusals,
    Refusal,
    checked_page,
    link_id,
    service_moment,
    service_status,
)
from chorus_connect.simulator.registry import CallContext, operation

FAMILY = "utilisateurs"

# Role of a technical account in its structures: the portal's roles are main manager, secondary
# manager and user; a technical account is a plain user [ours].
TECHNICAL_ACCOUNT_ROLE = "UTILISATEUR"


class Refusals:
    """Business errors of the Utilisateurs family (codeRetour, message code, French text) [ours]."""

    MISSING_FIELD = Refusal(20001, "TRA_MSG_00.010", "Le champ {field} est obligatoire")
    INVALID_VALUE = Refusal(
        20002, "TRA_MSG_00.012", "Valeur '{value}' refusée pour le champ {field} : attendu {allowed}"
    )


INPUT = InputRefusals(Refusals.MISSING_FIELD, Refusals.INVALID_VALUE)

_SORT_KEYS: dict[str, Callable[[Structure], Any]] = {
    "IdStructure": lambda s: s.structure_id,
    "IdentifiantStructure": lambda s: s.siret,
    "DesignationStructure": lambda s: s.name,
    "TypeIdentifiantStructure": lambda s: s.identifier_type,
}


@operation(FAMILY, "/monCompte/recuperer/rattachements", "recupererRattachementsMonCompteUtilisateur")
def my_links(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    """The structures of the calling account, each with every service it is linked to (VALIDEE, or
    DESACTIVEE for an inactive service); link ids agree with structures/lister/rattachementsutilisateur."""
    user_id = ctx.account.user_id
    page, paging = checked_page(body, "parametresRecherche", ctx.structures, _SORT_KEYS, INPUT)
    return success(
        listeStructureRattachement=[
            {
                "idStructure": s.structure_id,
                "identifiantStructure": s.siret,
                "typeIdentifiantStructure": s.identifier_type,
                "designationStructure": s.name,
                "idRattachementStructure": link_id(user_id, s.structure_id),
                "roleUtilisateur": TECHNICAL_ACCOUNT_ROLE,
                "statutRattachementStructure": "VALIDEE",
                "statutUtilisateur": "ACTIF",
                "listeServicesRattache": [
                    {
                        "idService": v.service_id,
                        "codeService": v.code,
                        "libelleService": v.label,
                        "estActif": v.active,
                        "dateDbtService": service_moment(v.starts_on),
                        "dateFinService": service_moment(v.ends_on),
                        "idRattachementService": link_id(user_id, v.service_id),
                        "statutRattachementService": "VALIDEE" if v.active else "DESACTIVEE",
                        "statutService": service_status(v),
                    }
                    for v in s.services
                ],
            }
            for s in page
        ],
        parametresRetour=paging,
    )
