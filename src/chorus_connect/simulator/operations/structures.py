"""Structures API (`/cpro/structures/v1`): the six operations of the official Swagger.

Field names, pagination objects and enums follow `chorus-pro-structures-swagger.json`. Access rule
[ours]: public structures and their services are open to every account (it is the directory suppliers
invoice against); a private structure is shown only to the accounts attached to it; user links and
portal spaces only for the caller's own structures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chorus_connect.simulator.dataset import Service, Structure, StructureKind, TechnicalAccount
from chorus_connect.simulator.envelope import api_timestamp, success
from chorus_connect.simulator.operations._common import (
    IDENTIFIER_TYPES,
    InputRefusals,
    Refusal,
    accounts_of,
    checked_page,
    contains,
    find_structure_by_identifier,
    is_attached,
    language,
    link_id,
    midnight,
    optional_bool,
    optional_choice,
    optional_int,
    optional_object,
    own_structure,
    readable_structure,
    required,
    required_int,
    service_moment,
    service_status,
    structure_status,
)
from chorus_connect.simulator.registry import CallContext, operation

FAMILY = "structures"


class Refusals:
    """Business errors of the Structures family (codeRetour, message code, French text) [ours]."""

    MISSING_FIELD = Refusal(20001, "TRA_MSG_00.010", "Le champ {field} est obligatoire")
    INVALID_VALUE = Refusal(
        20002, "TRA_MSG_00.012", "Valeur '{value}' refusée pour le champ {field} : attendu {allowed}"
    )
    UNKNOWN_STRUCTURE = Refusal(20003, "TRA_MSG_00.011", "Structure inconnue : idStructureCPP {id}")
    NOT_ATTACHED = Refusal(
        20004, "TRA_MSG_00.013", "Le compte n'est pas rattaché à la structure privée {id} : accès refusé"
    )
    UNKNOWN_SERVICE = Refusal(
        20005, "TRA_MSG_00.017", "Service inconnu : idService {id} pour la structure {structure}"
    )
    UNKNOWN_USER = Refusal(
        20006, "TRA_MSG_00.018", "Utilisateur inconnu ou non rattaché à la structure {structure} : {user}"
    )
    STRUCTURE_OR_SERVICE = Refusal(
        20007, "TRA_MSG_00.019", "Renseigner idService ou structure pour rechercher des espaces"
    )


INPUT = InputRefusals(Refusals.MISSING_FIELD, Refusals.INVALID_VALUE)


# --- rechercher -------------------------------------------------------------------------------------------


def _structure_filters(criteria: dict[str, Any]) -> list[Callable[[Structure], bool]]:
    """One predicate per criterion of `RechercherStructureInput`; identifiers match exactly, names and
    places as case- and accent-insensitive substrings."""
    filters: list[Callable[[Structure], bool]] = []
    identifier = str(criteria.get("identifiantStructure") or "").strip()
    if identifier:
        filters.append(lambda s: s.siret == identifier)
    identifier_type = optional_choice(criteria, "typeIdentifiantStructure", IDENTIFIER_TYPES, INPUT)
    if identifier_type:
        filters.append(lambda s: s.identifier_type == identifier_type)
    for field in ("raisonSocialeStructure", "libelleStructure"):
        wanted = str(criteria.get(field) or "").strip()
        if wanted:
            filters.append(lambda s, w=wanted: contains(s.name, w))
    for field in ("nomStructure", "prenomStructure"):
        # Only individuals (PARTICULIER) have a last/first name; the data sets hold none.
        if str(criteria.get(field) or "").strip():
            filters.append(lambda s: s.identifier_type == "PARTICULIER")
    postal_code = str(criteria.get("adresseCodePostal") or "").strip()
    if postal_code:
        filters.append(lambda s: s.address.postal_code.startswith(postal_code))
    city = str(criteria.get("adresseVille") or "").strip()
    if city:
        filters.append(lambda s: contains(s.address.city, city))
    country = str(criteria.get("adresseCodePays") or "").strip().upper()
    if country:
        filters.append(lambda s: s.address.country == country)
    status = optional_choice(criteria, "statutStructure", ("ACTIF", "INACTIF"), INPUT)
    if status:
        filters.append(lambda s: s.active is (status == "ACTIF"))
    kind = optional_choice(criteria, "typeStructure", ("PRIVEE", "PUBLIQUE"), INPUT)
    if kind:
        filters.append(lambda s: s.kind == kind)
    # Every simulated public structure may act as a works MOA; none is MOA only [ours].
    if optional_bool(criteria, "estMOA", INPUT):
        filters.append(lambda s: s.kind is StructureKind.PUBLIC)
    if optional_bool(criteria, "estMOAUniquement", INPUT):
        filters.append(lambda s: False)
    return filters


_STRUCTURE_SORT_KEYS: dict[str, Callable[[Structure], Any]] = {
    "IdentifiantStructure": lambda s: s.siret,
    "DesignationStructure": lambda s: s.name,
    "TypeIdentifiantStructure": lambda s: s.identifier_type,
    "Statut": structure_status,
}


@operation(FAMILY, "/rechercher", "rechercherStructure")
def search_structures(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    """`restreindreStructuresPrivees` absent or true: public structures plus the private ones the
    account is attached to; false: every matching structure (reference §2.3, Pastell's reading)."""
    filters = _structure_filters(optional_object(body, "structure", INPUT))
    restrict = optional_bool(body, "restreindreStructuresPrivees", INPUT) is not False
    found = [
        s
        for s in ctx.platform.state.dataset.structures
        if (not restrict or s.kind is StructureKind.PUBLIC or is_attached(ctx, s))
        and all(f(s) for f in filters)
    ]
    page, paging = checked_page(body, "parametres", found, _STRUCTURE_SORT_KEYS, INPUT)
    return success(
        listeStructures=[
            {
                "idStructureCPP": s.structure_id,
                "identifiantStructure": s.siret,
                "designationStructure": s.name,
                "typeIdentifiantStructure": s.identifier_type,
                "statut": structure_status(s),
            }
            for s in page
        ],
        parametresRetour=paging,
    )


# --- consulter --------------------------------------------------------------------------------------------


def _postal_address(structure: Structure) -> dict[str, Any]:
    return {
        "adresse": structure.address.line,
        "complementAdresse1": None,
        "complementAdresse2": None,
        "codePostal": structure.address.postal_code,
        "ville": structure.address.city,
        "pays": structure.address.country,
        "telephone": None,
        "indicatifTelephone": None,
        "fax": None,
        "indicatifFax": None,
    }


def _password_expiry(ctx: CallContext, structure: Structure) -> str | None:
    """The expiry of the structure's technical password, shown only to that structure's own accounts:
    the caller's if it is attached (what a connector watches), never another structure's secret state."""
    if not is_attached(ctx, structure):
        return None
    return api_timestamp(midnight(ctx.account.password_expires_on))


def _general_information(ctx: CallContext, structure: Structure) -> dict[str, Any]:
    private = structure.kind is StructureKind.PRIVATE
    return {
        "idStructureCPP": structure.structure_id,
        "identifiantStructure": structure.siret,
        "typeIdentifiantStructure": structure.identifier_type,
        "raisonSocialeStructure": structure.name,
        "libelleStructure": structure.name,
        "nomStructure": None,
        "prenomStructure": None,
        "emailStructure": structure.email or None,
        "numeroRcsStructure": f"RCS {structure.address.city} {structure.siret[:9]}" if private else None,
        "numeroTVA": structure.vat_number or None,
        "structurePriveePublique": structure.kind.value,
        "estValideurDeleguee": False,
        "idStructureOrigine": None,
        "listeStructureDupliquees": [],
        "dateExpirationMotPasseCompteTech": _password_expiry(ctx, structure),
    }


def _structure_parameters(structure: Structure) -> dict[str, bool]:
    """`ParamModifierStructure`: the flags that drive mandatory data, straight from the data set."""
    return {
        "numeroEJDoitEtreRenseigne": structure.engagement_required,
        "codeServiceDoitEtreRenseigne": structure.service_required,
        "gestionNumeroEJOuCodeService": structure.engagement_or_service,
        "statutMiseEnPaiementNestPasRemonte": structure.payment_status_not_reported,
        "connexionEDI": False,
        "recevoirDonneesViaEDI": False,
        "estMoaUniquement": False,
        "estValideurDelegue": False,
        "getaMoa": False,
        "nonDiffusibleInsee": False,
    }


@operation(FAMILY, "/consulter", "consulterStructureAvecTVAIntraCom")
def consult_structure(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    language(body, INPUT)
    structure_id = required_int(body, "idStructureCPP", INPUT)
    structure = readable_structure(ctx, structure_id, Refusals.UNKNOWN_STRUCTURE, Refusals.NOT_ATTACHED)
    return success(
        adressePostaleDuSiege=_postal_address(structure),
        informationGenerales=_general_information(ctx, structure),
        parametres=_structure_parameters(structure),
    )


# --- services ---------------------------------------------------------------------------------------------

_SERVICE_SORT_KEYS: dict[str, Callable[[Service], Any]] = {
    "CodeService": lambda s: s.code,
    "LibelleService": lambda s: s.label,
    "DateDbtService": lambda s: s.starts_on,
    "DateFinService": lambda s: (s.ends_on is None, s.ends_on),
    "EstActif": lambda s: s.active,
}


@operation(FAMILY, "/rechercher/services", "rechercherServicesStructure")
def search_services(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    """Every service, active or not (`estActif` tells), FACTURES_PUBLIQUES included."""
    structure_id = required_int(body, "idStructure", INPUT)
    structure = readable_structure(ctx, structure_id, Refusals.UNKNOWN_STRUCTURE, Refusals.NOT_ATTACHED)
    page, paging = checked_page(
        body, "parametresRechercherServicesStructure", structure.services, _SERVICE_SORT_KEYS, INPUT
    )
    return success(
        listeServices=[
            {
                "idService": s.service_id,
                "codeService": s.code,
                "libelleService": s.label,
                "estActif": s.active,
                "statutService": service_status(s),
                "dateDbtService": service_moment(s.starts_on),
                "dateFinService": service_moment(s.ends_on),
            }
            for s in page
        ],
        parametresRetour=paging,
    )


def _service_of(structure: Structure, service_id: int) -> Service:
    service = next((s for s in structure.services if s.service_id == service_id), None)
    if service is None:
        raise Refusals.UNKNOWN_SERVICE.error(id=service_id, structure=structure.structure_id)
    return service


@operation(FAMILY, "/consulter/service", "consulterServiceStructure")
def consult_service(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    """`parametres.numeroEngagement` tells whether the service requires an engagement number. The
    Swagger also declares top-level paging fields on this answer; they carry nothing here (null)."""
    language(body, INPUT)
    structure_id = required_int(body, "idStructure", INPUT)
    service_id = required_int(body, "idService", INPUT)
    structure = readable_structure(ctx, structure_id, Refusals.UNKNOWN_STRUCTURE, Refusals.NOT_ATTACHED)
    service = _service_of(structure, service_id)
    return success(
        informationsGenerales={
            "codeService": service.code,
            "nomService": service.label,
            "descriptionService": service.label,
        },
        adressePostale=_postal_address(structure),
        parametres={
            "numeroEngagement": service.engagement_required,
            "miseEnPaiement": not structure.payment_status_not_reported,
            "dateCreation": api_timestamp(midnight(service.starts_on)),
            "dateModification": api_timestamp(midnight(service.ends_on or service.starts_on)),
            "dateDebutValidite": api_timestamp(midnight(service.starts_on)),
            "dateFinValidite": api_timestamp(midnight(service.ends_on)),
        },
        pageCourante=None,
        pages=None,
        nbResultatsParPage=None,
        total=None,
    )


# --- lister/rattachementsutilisateur ----------------------------------------------------------------------


def _structure_by_id_or_identifier(ctx: CallContext, body: dict[str, Any]) -> Structure:
    structure_id = optional_int(body, "idStructure", INPUT)
    if structure_id is not None:
        return own_structure(ctx, structure_id, Refusals.UNKNOWN_STRUCTURE, Refusals.NOT_ATTACHED)
    identifier = str(required(body, "identifiantStructure", INPUT)).strip()
    identifier_type = optional_choice(body, "typeIdentifiantStructure", IDENTIFIER_TYPES, INPUT)
    structure = find_structure_by_identifier(ctx, identifier, identifier_type)
    if structure is None:
        raise Refusals.UNKNOWN_STRUCTURE.error(id=identifier)
    if not is_attached(ctx, structure):
        raise Refusals.NOT_ATTACHED.error(id=identifier)
    return structure


def _linked_user(ctx: CallContext, body: dict[str, Any], structure: Structure) -> TechnicalAccount:
    """The user whose links are listed: the caller by default, else one attached to the structure."""
    user_id = optional_int(body, "idUtilisateur", INPUT)
    email = str(body.get("adresseEmailConnexionUtilisateur") or "").strip().casefold()
    if user_id is None and not email:
        return ctx.account
    for account in accounts_of(ctx, structure):
        if (user_id is None or account.user_id == user_id) and (
            not email or account.email.casefold() == email
        ):
            return account
    raise Refusals.UNKNOWN_USER.error(structure=structure.structure_id, user=user_id or email)


_LINK_SORT_KEYS: dict[str, Callable[[Service], Any]] = {
    "CodeService": lambda s: s.code,
    "NomService": lambda s: s.label,
    "StatutRattachement": lambda s: not s.active,
}


@operation(FAMILY, "/lister/rattachementsutilisateur", "listerRattachementsStructureUtilisateur")
def list_user_links(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    """A technical account is linked to every service of its structures: VALIDEE, or DESACTIVEE for an
    inactive service [ours]. Link ids are derived from the user and service ids."""
    structure = _structure_by_id_or_identifier(ctx, body)
    user = _linked_user(ctx, body, structure)
    page, paging = checked_page(
        body, "parametresListerRattachementsStructureUtilisateur", structure.services, _LINK_SORT_KEYS, INPUT
    )
    return success(
        idStructure=structure.structure_id,
        identifiantStructure=structure.siret,
        designationStructure=structure.name,
        premierService=bool(page) and page[0] is structure.services[0],
        listeServices=[
            {
                "idService": s.service_id,
                "codeService": s.code,
                "nomService": s.label,
                "idRattachement": link_id(user.user_id, s.service_id),
                "statutRattachement": "VALIDEE" if s.active else "DESACTIVEE",
                "dateDebut": api_timestamp(midnight(s.starts_on)),
                "dateFin": api_timestamp(midnight(s.ends_on)),
                "commentaire": None,
            }
            for s in page
        ],
        parametresRetour=paging,
    )


# --- rechercher/espaces -----------------------------------------------------------------------------------

# Portal spaces (espaces) per kind of structure: (codeEspace, label, habilitation) [ours].
_SPACES: dict[StructureKind, tuple[tuple[int, str, str], ...]] = {
    StructureKind.PRIVATE: (
        (1, "Factures émises", "MODIFICATION"),
        (3, "Factures de travaux", "MODIFICATION"),
        (5, "Engagements juridiques", "CONSULTATION_UNIQUEMENT"),
        (7, "Sollicitations émises", "MODIFICATION"),
    ),
    StructureKind.PUBLIC: (
        (2, "Factures reçues", "MODIFICATION"),
        (3, "Factures de travaux", "MODIFICATION"),
        (6, "Sollicitations reçues", "CONSULTATION_UNIQUEMENT"),
    ),
}

_SPACE_SORT_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "CodeService": lambda e: e["codeService"],
    "LibelleService": lambda e: e["libelleService"],
    "idEspaceFo": lambda e: e["idEspaceFo"],
    "CodeEspace": lambda e: e["codeEspace"],
    "LibelleEspace": lambda e: e["libelleEspace"],
    "etatCourant": lambda e: e["etatCourant"],
    "TypeHabilitation": lambda e: e["typeHabilitation"],
    "IdService": lambda e: e["idService"],
}


def _spaces_scope(ctx: CallContext, body: dict[str, Any]) -> tuple[Structure, list[Service]]:
    wanted = optional_object(body, "structure", INPUT)
    service_id = optional_int(body, "idService", INPUT)
    if wanted:
        structure = _structure_by_id_or_identifier(ctx, wanted)
    elif service_id is not None:
        owner = next((s for s in ctx.structures if any(v.service_id == service_id for v in s.services)), None)
        if owner is None:
            raise Refusals.UNKNOWN_SERVICE.error(id=service_id, structure="du compte")
        structure = owner
    else:
        raise Refusals.STRUCTURE_OR_SERVICE.error()
    services = structure.services if service_id is None else [_service_of(structure, service_id)]
    return structure, services


@operation(FAMILY, "/rechercher/espaces", "rechercherEspaces")
def search_spaces(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    """The portal spaces of the caller's structure, one entry per (service, space); SUPPRIME for an
    inactive service [ours]."""
    structure, services = _spaces_scope(ctx, body)
    spaces = [
        {
            "idEspaceFo": link_id(code, service.service_id),
            "codeEspace": code,
            "libelleEspace": label,
            "etatCourant": "ACTIVE" if service.active else "SUPPRIME",
            "typeHabilitation": habilitation,
            "idService": service.service_id,
            "codeService": service.code,
            "libelleService": service.label,
        }
        for service in services
        for code, label, habilitation in _SPACES[structure.kind]
    ]
    page, paging = checked_page(body, "parametresRechercherEspaces", spaces, _SPACE_SORT_KEYS, INPUT)
    return success(listeEspace=page, parametresRetour=paging)
