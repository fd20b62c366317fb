"""Transverses API (`/cpro/transverses/v1`): health check, reference lists, the calling account's
structures and bank details, the public directory, attachments and support categories.

`consulterCR` / `consulterCRDetaille` live with the deposit workflow. Business errors use the codes of
`Refusals` below (our choices: the appendix tables are unknown, reference §2.0.1).
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import mimetypes
import zipfile
from collections.abc import Callable
from typing import Any

from chorus_connect.simulator import lifecycle
from chorus_connect.simulator.dataset import Structure, StructureKind
from chorus_connect.simulator.envelope import api_timestamp, paginate, success
from chorus_connect.simulator.operations import _reference_data as ref
from chorus_connect.simulator.operations._common import (
    IDENTIFIER_TYPES,
    InputRefusals,
    Refusal,
    accounts_of,
    checked_page,
    contains,
    contains_any,
    find_structure_by_identifier,
    is_attached,
    language,
    optional_bool,
    optional_choice,
    optional_int,
    optional_object,
    own_structure,
    required,
    required_int,
)
from chorus_connect.simulator.operations.invoices_common import store_attachment
from chorus_connect.simulator.registry import CallContext, operation
from chorus_connect.simulator.state import Attachment, Invoice

FAMILY = "transverses"

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # §2.2: 10 MB per attachment
MAX_ATTACHMENT_NAME = 50  # §4 rule 5: name with its extension, at most 50 characters
DIRECTORY_FILE_NAME = "annuaire_destinataires.csv"


class Refusals:
    """Business errors of the Transverses family (codeRetour, message code, French text) [ours]."""

    MISSING_FIELD = Refusal(20001, "TRA_MSG_00.010", "Le champ {field} est obligatoire")
    INVALID_VALUE = Refusal(
        20002, "TRA_MSG_00.012", "Valeur '{value}' refusée pour le champ {field} : attendu {allowed}"
    )
    UNKNOWN_STRUCTURE = Refusal(20003, "TRA_MSG_00.011", "Structure inconnue : idStructureCPP {id}")
    NOT_ATTACHED = Refusal(
        20004, "TRA_MSG_00.013", "Le compte n'est pas rattaché à la structure {id} : accès refusé"
    )
    UNKNOWN_SIRET = Refusal(20005, "TRA_MSG_00.016", "SIRET inconnu du répertoire : {siret}")
    FILE_NAME = Refusal(20010, "TRA_MSG_02.001", "Nom de fichier '{name}' refusé : {reason}")
    FILE_EXTENSION = Refusal(
        20011, "TRA_MSG_02.002", "Extension '{extension}' non autorisée pour une pièce jointe"
    )
    FILE_TOO_LARGE = Refusal(
        20012, "TRA_MSG_02.003", "Pièce jointe de {size} octets : la taille maximale est de 10 Mo"
    )
    FILE_NOT_BASE64 = Refusal(20013, "TRA_MSG_02.004", "Le champ {field} n'est pas encodé en base64")
    UNKNOWN_INVOICE = Refusal(20016, "TRA_MSG_02.007", "Facture inconnue : idFacture {id}")
    NO_ATTACHMENT = Refusal(20017, "TRA_MSG_02.008", "Aucune pièce jointe à télécharger pour {what}")
    UNKNOWN_ATTACHMENT_TYPE = Refusal(20018, "TRA_MSG_02.009", "Type de pièce jointe inconnu : {id}")
    UNKNOWN_COMMITMENT = Refusal(20019, "TRA_MSG_02.010", "Engagement juridique inconnu : {number}")
    UNKNOWN_REQUEST = Refusal(20020, "TRA_MSG_02.011", "Sollicitation inconnue : idSollicitation {id}")
    UNKNOWN_CATEGORY = Refusal(20030, "TRA_MSG_03.001", "Catégorie de sollicitation inconnue : {id}")
    DEPRECATED = Refusal(
        20099,
        "TRA_MSG_00.099",
        "Le service {name} est déprécié et n'est plus exposé : utiliser {replacement}",
    )


INPUT = InputRefusals(Refusals.MISSING_FIELD, Refusals.INVALID_VALUE)


@operation(FAMILY, "/health-check", "healthCheck", method="GET")
def health_check(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    return {"body": "OK", "statusCode": "200", "statusCodeValue": 200}


# --- reference lists ----------------------------------------------------------------------------------


@operation(FAMILY, "/recuperer/formatflux", "recupererFormatFlux")
def flow_formats(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    return success(listeFormatFlux=[{"formatFlux": f} for f in ref.FORMAT_SYNTAXES])


@operation(FAMILY, "/recuperer/syntaxeflux", "recupererSyntaxeFlux")
def flow_syntaxes(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    """Path inferred (reference §2.2). With `formatFlux`, only that format's syntaxes."""
    flow_format = optional_choice(body, "formatFlux", tuple(ref.FORMAT_SYNTAXES), INPUT)
    if flow_format is None:
        syntaxes = [s for group in ref.FORMAT_SYNTAXES.values() for s in group] + list(
            ref.FORMATLESS_SYNTAXES
        )
    else:
        syntaxes = list(ref.FORMAT_SYNTAXES[flow_format])
    return success(listeSyntaxeFlux=[{"syntaxeFlux": s} for s in syntaxes])


@operation(FAMILY, "/recuperer/devises", "recupererDevises")
def currencies(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    lang = language(body, INPUT)
    return success(
        listeDevises=[
            {"codeDevise": code, "libelleDevise": ref.label(labels, lang)}
            for code, labels in ref.CURRENCIES.items()
        ]
    )


@operation(FAMILY, "/recuperer/pays", "recupererPays")
def countries(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    lang = language(body, INPUT)
    return success(
        listePays=[
            {"codePays": code, "libellePays": ref.label(labels, lang)}
            for code, labels in ref.COUNTRIES.items()
        ]
    )


@operation(FAMILY, "/recuperer/modedepot", "recupererModeDepot")
def deposit_modes(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    return success(listeModeDepot=[{"modeDepot": m} for m in ref.DEPOSIT_MODES])


@operation(FAMILY, "/recuperer/modereglements", "recupererModesReglement")
def payment_modes(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    language(body, INPUT)
    return success(listeModePaiement=[{"modePaiement": m} for m in ref.PAYMENT_MODES])


@operation(FAMILY, "/recuperer/cadrefacturation", "recupererCadreFacturation")
def invoice_frameworks(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    """All 25 cadres; with `typeDemandePaiement` (go client), only the cadres of that kind of request."""
    language(body, INPUT)
    request_type = optional_choice(body, "typeDemandePaiement", ref.PAYMENT_REQUEST_TYPES, INPUT)
    codes = [c for c, kind in ref.INVOICE_FRAMEWORKS.items() if request_type in (None, kind)]
    return success(listeCadreFacturation=[{"codeCadreFacturation": c} for c in codes])


@operation(FAMILY, "/recuperer/tauxtva", "recupererTauxTva")
def vat_rates(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    lang = language(body, INPUT)
    return success(
        listeTauxTva=[
            {"codeTauxTva": r.code, "libelleTauxTva": ref.label(r.labels, lang), "valeurTauxTva": r.value}
            for r in ref.VAT_RATES
        ]
    )


@operation(FAMILY, "/recuperer/motifs/exonerationtva", "recupererMotifExonerationTva")
def vat_exemption_motifs(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    lang = language(body, INPUT)
    return success(
        listeMotifsExonerationTva=[
            {"codeMotifExonerationTva": code, "libelleMotifExonerationTva": ref.label(labels, lang)}
            for code, labels in ref.VAT_EXEMPTION_MOTIFS.items()
        ]
    )


@operation(FAMILY, "/recuperer/motifs/refus/Facture/AValider", "recupererMotifsRefusFactureAValider")
def validation_refusal_motifs(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    required(body, "codeCadreFacturationAValider", INPUT)
    optional_choice(body, "codeCadreFacturationAValider", tuple(ref.INVOICE_FRAMEWORKS), INPUT)
    lang = language(body, INPUT)
    return success(
        listeMotifRefusFactureAValider=[
            {"idMotif": m.motif_id, "codeMotif": m.code, "libelleMotif": ref.label(m.labels, lang)}
            for m in ref.VALIDATION_REFUSAL_MOTIFS
        ]
    )


@operation(FAMILY, "/recuperer/typedp", "recupererTypeDemandePaiement")
def payment_request_types(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    return success(listeTypeDemandePaiement=[{"typeDemandePaiement": t} for t in ref.PAYMENT_REQUEST_TYPES])


@operation(FAMILY, "/recuperer/etat/typedp", "recupererEtatParTypeDemandePaiement")
def statuses_of_request_type(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    required(body, "typeDemandePaiement", INPUT)
    request_type = optional_choice(body, "typeDemandePaiement", ref.PAYMENT_REQUEST_TYPES, INPUT)
    statuses = ref.STATUSES_BY_REQUEST_TYPE[str(request_type)]
    return success(listeEtatDemandePaiement=[{"etatDemandePaiement": s} for s in statuses])


@operation(FAMILY, "/recuperer/etats/traitement", "recupererEtatsPossiblesPourTraitement")
def statuses_for_processing(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    """The recipient's transition table (the one `traiter/recue` enforces); [] where it cannot act."""
    required(body, "statutCourant", INPUT)
    current = optional_choice(body, "statutCourant", lifecycle.ALL_INVOICE_STATUS_CODES, INPUT)
    return success(
        listeStatutsPossiblesPourTraitement=[
            {"statutPossiblePourTraitement": s} for s in lifecycle.allowed_targets(str(current))
        ]
    )


@operation(FAMILY, "/recuperer/typefacturetravaux", "recupererTypeFactureTravaux")
def works_invoice_types(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    return success(listeTypeFactureTravaux=[{"typeFactureTravaux": t} for t in ref.WORKS_INVOICE_TYPES])


@operation(FAMILY, "/recuperer/typeidentifiant/structure", "recupererTypeIdentifiantStructure")
def structure_identifier_types(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    return success(listeTypeIdentifiant=[{"typeIdentifiantStructure": t} for t in IDENTIFIER_TYPES])


@operation(FAMILY, "/recuperer/typespj", "recupererTypesPieceJointe")
def attachment_types(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    lang = language(body, INPUT)
    kind = optional_choice(body, "typeObjet", ref.ATTACHMENT_OBJECT_KINDS, INPUT)
    return success(
        listeTypePieceJointe=[
            {
                "idTypePieceJointe": t.type_id,
                "codeTypePieceJointe": t.code,
                "libelleTypePieceJointe": ref.label(t.labels, lang),
                "typeObjet": t.object_kind,
            }
            for t in ref.ATTACHMENT_TYPES
            if kind in (None, t.object_kind)
        ]
    )


# --- the calling account's structures -------------------------------------------------------------------


def _active_structures(
    ctx: CallContext, body: dict[str, Any], accept: Callable[[Structure], bool]
) -> dict[str, Any]:
    structures = [s for s in ctx.structures if s.active and accept(s)]
    page, paging = paginate(structures, body.get("parametresRecherche"))
    return success(
        listeStructures=[
            {"idStructureCPP": s.structure_id, "identifiant": s.siret, "designationStructure": s.name}
            for s in page
        ],
        parametresRetour=paging,
    )


@operation(FAMILY, "/recuperer/structures/actives/fournisseur", "recupererStructuresActivesPourFournisseur")
def active_supplier_structures(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    return _active_structures(ctx, body, lambda s: s.kind is StructureKind.PRIVATE)


@operation(FAMILY, "/recuperer/structures/actives/destinataire", "recupererStructuresActivesPourDestinataire")
def active_recipient_structures(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    """Structures the account receives invoices for: its public ones."""
    return _active_structures(ctx, body, lambda s: s.kind is StructureKind.PUBLIC)


@operation(
    FAMILY, "/recuperer/structures/actives/facturetravaux", "recupererStructuresActivesPourFactureTravaux"
)
def active_works_structures(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    """Works invoices involve suppliers, MOE and MOA alike: every active structure of the account [ours]."""
    return _active_structures(ctx, body, lambda s: True)


@operation(FAMILY, "/recuperer/coordbanc/valides", "recupererCoordonneesBancairesValides")
def valid_bank_accounts(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    """Bank details are private: only those of a structure the account is attached to."""
    structure_id = required_int(body, "idStructure", INPUT)
    structure = own_structure(ctx, structure_id, Refusals.UNKNOWN_STRUCTURE, Refusals.NOT_ATTACHED)
    return success(
        listeCoordonneeBancaire=[
            {"idCoordonneeBancaire": b.bank_account_id, "nomCoordonneeBancaire": b.name}
            for b in structure.bank_accounts
            if b.valid
        ]
    )


# --- the public directory -------------------------------------------------------------------------------

# INSEE legal categories by the first words of a simulated structure's name [ours].
_PUBLIC_LEGAL_CATEGORIES = (
    ("Commune", "7210"),
    ("Centre hospitalier", "7364"),
    ("Université", "7383"),
    ("Communauté d'agglomération", "7347"),
    ("Lycée", "7331"),
    ("Centre communal", "7361"),
    ("Ministère", "7113"),
    ("Secrétariat", "7113"),
)
_PRIVATE_LEGAL_CATEGORIES = (("SARL", "5499"), ("SAS", "5710"), ("SA", "5599"), ("EURL", "5498"))


def _legal_category(structure: Structure) -> str:
    if structure.kind is StructureKind.PUBLIC:
        return next(
            (c for prefix, c in _PUBLIC_LEGAL_CATEGORIES if structure.name.startswith(prefix)), "7389"
        )
    form = structure.name.rsplit(" ", 1)[-1]
    return next((c for suffix, c in _PRIVATE_LEGAL_CATEGORIES if form == suffix), "5499")


def _one_line_address(structure: Structure) -> str:
    a = structure.address
    return " ".join(part for part in (a.line, a.postal_code, a.city) if part)


@operation(FAMILY, "/consulter/information/siret", "consulterInformationsSIRET")
def siret_information(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    """INSEE-like data of a SIRET; the simulator's INSEE knows only the data set's structures."""
    siret = str(required(body, "siretStructure", INPUT)).strip()
    if not (len(siret) == 14 and siret.isdigit()):
        raise Refusals.INVALID_VALUE.error(field="siretStructure", value=siret, allowed="14 chiffres")
    structure = find_structure_by_identifier(ctx, siret, "SIRET")
    if structure is None:
        raise Refusals.UNKNOWN_SIRET.error(siret=siret)
    # Creation dates are not in the data set: derived from the id so that they are stable.
    seed = structure.structure_id
    created = f"{1960 + seed % 50}-{1 + seed % 12:02d}-{1 + seed % 28:02d}"
    return success(
        siret=structure.siret,
        siren=structure.siret[:9],
        numeroInterneClassement=structure.siret[9:],
        raisonSociale=structure.name,
        civilite=None,
        adresse=_one_line_address(structure),
        localisationSiege=_one_line_address(structure),
        siege="OUI",
        estActif=structure.active,
        categorieJuridique=_legal_category(structure),
        categorieEntreprise="PME" if structure.kind is StructureKind.PRIVATE else None,
        nonDiffusibleInsee=False,
        dateCreationEntreprise=created,
        dateCreationEtablissement=created,
        dateReactivationEtablissement=None,
        siretPredecesseurSuccesseur=None,
    )


_RECIPIENT_SORT_KEYS: dict[str, Callable[[Structure], Any]] = {
    "IdStructureCPP": lambda s: s.structure_id,
    "Siret": lambda s: s.siret,
    "NomDestinataire": lambda s: s.name,
    "AdresseCodePostal": lambda s: s.address.postal_code,
    "AdresseVille": lambda s: s.address.city,
}


@operation(FAMILY, "/rechercher/destinataire", "rechercherDestinataires")
def search_recipients(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    """Active public structures; `identifiant` is a prefix of the SIRET (a SIREN works), and
    `nomVilleCodePostal` is looked for in the name, the city and the postal code."""
    optional_choice(body, "typeStructure", ("PUBLIQUE",), INPUT)
    identifier = str(body.get("identifiant") or "").strip()
    text = str(body.get("nomVilleCodePostal") or "").strip()
    found = [
        s
        for s in ctx.platform.state.dataset.structures
        if s.kind is StructureKind.PUBLIC
        and s.active
        and s.siret.startswith(identifier)
        and (not text or contains_any((s.name, s.address.city, s.address.postal_code), text))
    ]
    page, paging = checked_page(body, "parametresRecherche", found, _RECIPIENT_SORT_KEYS, INPUT)
    return success(
        listeDestinataires=[
            {
                "idStructureCPP": s.structure_id,
                "siret": s.siret,
                "nomDestinataire": s.name,
                "adresseCodePostal": s.address.postal_code,
                "adresseVille": s.address.city,
            }
            for s in page
        ],
        parametresRetour=paging,
    )


DIRECTORY_COLUMNS = (
    "IDENTIFIANT",
    "TYPE_IDENTIFIANT",
    "RAISON_SOCIALE",
    "ADRESSE",
    "CODE_POSTAL",
    "VILLE",
    "CODE_PAYS",
    "EJ_OBLIGATOIRE",
    "SERVICE_OBLIGATOIRE",
    "EJ_OU_SERVICE_OBLIGATOIRE",
    "STATUT_MISE_EN_PAIEMENT_NON_REMONTE",
    "CODE_SERVICE",
    "NOM_SERVICE",
    "SERVICE_ACTIF",
    "EJ_OBLIGATOIRE_SERVICE",
)


def _yes_no(flag: bool) -> str:
    return "OUI" if flag else "NON"


def _directory_csv(structures: list[Structure]) -> bytes:
    """One row per service of every active public structure; `;`-separated UTF-8 [ours]."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow(DIRECTORY_COLUMNS)
    for s in structures:
        flags = (
            s.engagement_required,
            s.service_required,
            s.engagement_or_service,
            s.payment_status_not_reported,
        )
        for service in s.services:
            writer.writerow(
                (
                    s.siret,
                    s.identifier_type,
                    s.name,
                    s.address.line,
                    s.address.postal_code,
                    s.address.city,
                    s.address.country,
                    *(_yes_no(f) for f in flags),
                    service.code,
                    service.label,
                    _yes_no(service.active),
                    _yes_no(service.engagement_required),
                )
            )
    return text.getvalue().encode("utf-8")


@operation(FAMILY, "/telecharger/annuaire/destinataire", "telechargerAnnuaireDestinataire")
def download_directory(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    recipients = [
        s for s in ctx.platform.state.dataset.structures if s.kind is StructureKind.PUBLIC and s.active
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        entry = zipfile.ZipInfo(DIRECTORY_FILE_NAME, date_time=ctx.now.timetuple()[:6])
        archive.writestr(entry, _directory_csv(recipients), zipfile.ZIP_DEFLATED)
    return success(fichierResultat=base64.b64encode(buffer.getvalue()).decode("ascii"))


# --- attachments ----------------------------------------------------------------------------------------


def _checked_file_name(name: str) -> str:
    """The attachment's extension, upper case, once the name passes §4 rules 5 and 6."""
    if len(name) > MAX_ATTACHMENT_NAME:
        raise Refusals.FILE_NAME.error(
            name=name, reason=f"{len(name)} caractères, {MAX_ATTACHMENT_NAME} au plus extension comprise"
        )
    if any(c in name for c in "/\\") or not name.isprintable():
        raise Refusals.FILE_NAME.error(name=name, reason="ni chemin ni caractère de contrôle")
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or not extension:
        raise Refusals.FILE_NAME.error(name=name, reason="le nom doit comporter une extension")
    if extension.upper() not in ref.ALLOWED_ATTACHMENT_EXTENSIONS:
        raise Refusals.FILE_EXTENSION.error(extension=extension)
    return extension.upper()


def _decoded_file(value: Any, field: str) -> bytes:
    try:
        content = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise Refusals.FILE_NOT_BASE64.error(field=field) from None
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise Refusals.FILE_TOO_LARGE.error(size=len(content))
    return content


@operation(FAMILY, "/ajouter/fichier", "ajouterFichierDansSysteme", state_changing=True)
def add_file(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    """Store a file for later use as an invoice attachment (soumettre, completer)."""
    name = str(required(body, "pieceJointeNom", INPUT)).strip()
    encoded = required(body, "pieceJointeFichier", INPUT)
    extension = _checked_file_name(name)
    declared = str(body.get("pieceJointeExtension") or "").strip().lstrip(".").upper()
    if declared and declared != extension:
        raise Refusals.INVALID_VALUE.error(
            field="pieceJointeExtension",
            value=declared,
            allowed=f"l'extension du nom de fichier ({extension})",
        )
    content = _decoded_file(encoded, "pieceJointeFichier")
    mime_type = str(body.get("pieceJointeTypeMime") or "").strip()
    mime_type = mime_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    attachment = store_attachment(ctx, name, mime_type, extension, content)
    return success(pieceJointeId=attachment.attachment_id)


def _attachment_type_filter(body: dict[str, Any]) -> int | None:
    type_id = optional_int(body, "pieceJointeTypeId", INPUT)
    if type_id is not None and type_id not in ref.ATTACHMENT_TYPES_BY_ID:
        raise Refusals.UNKNOWN_ATTACHMENT_TYPE.error(id=type_id)
    return type_id


def _linked_invoice(ctx: CallContext, attachment: Attachment) -> int | None:
    return next(
        (
            i.invoice_id
            for i in ctx.platform.state.invoices.values()
            if attachment.attachment_id in i.attachment_ids
        ),
        None,
    )


def _attachment_item(ctx: CallContext, attachment: Attachment, lang: str) -> dict[str, Any]:
    kind = ref.ATTACHMENT_TYPES_BY_ID[ref.UPLOADED_FILE_TYPE_ID]
    owner = next(
        (a for a in ctx.platform.state.dataset.technical_accounts if a.login == attachment.owner_login), None
    )
    return {
        "pieceJointeId": attachment.attachment_id,
        "pieceJointeDesignation": attachment.name,
        "pieceJointeExtension": attachment.extension,
        "pieceJointeObjetId": _linked_invoice(ctx, attachment),
        "pieceJointeTypeCode": kind.code,
        "pieceJointeTypeLibelle": ref.label(kind.labels, lang),
        "pieceJointeUtilisateurId": owner.user_id if owner else None,
    }


_ATTACHMENT_SORT_KEYS: dict[str, Callable[[Attachment], Any]] = {
    "PieceJointeId": lambda a: a.attachment_id,
    "PieceJointeDesignation": lambda a: a.name,
    "PieceJointeExtension": lambda a: a.extension,
    "PieceJointeTypeCode": lambda a: ref.UPLOADED_FILE_TYPE_ID,
}


def _matching_attachments(ctx: CallContext, body: dict[str, Any], owners: set[str]) -> list[Attachment]:
    type_id = _attachment_type_filter(body)
    designation = str(body.get("pieceJointeDesignation") or "").strip()
    return [
        a
        for a in sorted(ctx.platform.state.attachments.values(), key=lambda a: a.attachment_id)
        if a.owner_login in owners
        and type_id in (None, ref.UPLOADED_FILE_TYPE_ID)
        and (not designation or contains(a.name, designation))
    ]


@operation(FAMILY, "/rechercher/pj/moncompte", "rechercherPiecesJointesMonCompte")
def search_my_attachments(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    lang = language(body, INPUT)
    found = _matching_attachments(ctx, body, {ctx.account.login})
    page, paging = checked_page(body, "parametresRecherche", found, _ATTACHMENT_SORT_KEYS, INPUT)
    return success(listePiecesJointes=[_attachment_item(ctx, a, lang) for a in page], parametresRetour=paging)


@operation(FAMILY, "/rechercher/pj/structure", "rechercherPiecesJointesStructure")
def search_structure_attachments(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    """Files uploaded by any account attached to a structure the caller is attached to."""
    lang = language(body, INPUT)
    structure_id = required_int(body, "idStructureCPP", INPUT)
    structure = own_structure(ctx, structure_id, Refusals.UNKNOWN_STRUCTURE, Refusals.NOT_ATTACHED)
    found = _matching_attachments(ctx, body, {a.login for a in accounts_of(ctx, structure)})
    page, paging = checked_page(body, "parametresRecherche", found, _ATTACHMENT_SORT_KEYS, INPUT)
    items = [
        {
            **_attachment_item(ctx, a, lang),
            "pieceJointeStructureId": structure.structure_id,
            "pieceJointeStructureCode": structure.siret,
            "pieceJointeStructureRaisonSociale": structure.name,
        }
        for a in page
    ]
    return success(listePiecesJointes=items, parametresRetour=paging)


# telecharger/pieceJointe ------------------------------------------------------------------------------

ATTACHMENT_OBJECTS = (
    "DEMANDE_PAIEMENT",
    "ENGAGEMENT_JURIDIQUE",
    "SOLLICITATION",
    "STRUCTURE_PIECEJOINTE",
    "STRUCTURE_MANDAT",
    "STRUCTURE_COORDONNEE_BANCAIRE",
    "UTILISATEUR",
)


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return buffer.getvalue()


def _visible_invoice(ctx: CallContext, invoice_id: int) -> Invoice:
    """An invoice the account is a party to; others are reported unknown, as if they did not exist."""
    invoice = ctx.platform.state.invoices.get(invoice_id)
    parties = {invoice.supplier_structure_id, invoice.recipient_structure_id} if invoice else set()
    if invoice is None or not parties & set(ctx.account.structure_ids):
        raise Refusals.UNKNOWN_INVOICE.error(id=invoice_id)
    return invoice


def _attachment_entries(
    ctx: CallContext, attachments: list[Attachment], prefix: str = ""
) -> list[tuple[str, bytes]]:
    state = ctx.platform.state
    return [(f"{prefix}{a.attachment_id}_{a.name}", state.get_blob(a.blob_key) or b"") for a in attachments]


def _payment_request_files(ctx: CallContext, body: dict[str, Any]) -> bytes:
    """The invoices' documents as deposited; one invoice without its attachments comes as is, anything
    else as a zip (`<idFacture>_<file>` and `<idFacture>_PJ_<id>_<name>`) [ours]."""
    request = optional_object(body, "demandePaiement", INPUT)
    if not request:
        raise Refusals.MISSING_FIELD.error(field="demandePaiement")
    required(request, "format", INPUT)
    optional_choice(request, "format", ("PDF", "PIVOT"), INPUT)
    required(request, "avecPiecesJointesComplementaires", INPUT)
    with_attachments = (
        optional_choice(request, "avecPiecesJointesComplementaires", ("OUI", "NON"), INPUT) == "OUI"
    )
    items = request.get("listeFacture")
    if not isinstance(items, list) or not items:
        raise Refusals.MISSING_FIELD.error(field="demandePaiement.listeFacture")
    entries: list[tuple[str, bytes]] = []
    for item in items:
        invoice = _visible_invoice(
            ctx, required_int(item if isinstance(item, dict) else {}, "idFacture", INPUT)
        )
        document = ctx.platform.state.get_blob(invoice.file_key) if invoice.file_key else None
        if document is None:
            raise Refusals.NO_ATTACHMENT.error(what=f"la facture {invoice.invoice_id}")
        entries.append((f"{invoice.invoice_id}_{invoice.file_name or 'facture'}", document))
        if with_attachments:
            linked = [
                ctx.platform.state.attachments[i]
                for i in invoice.attachment_ids
                if i in ctx.platform.state.attachments
            ]
            entries += _attachment_entries(ctx, linked, f"{invoice.invoice_id}_PJ_")
    if len(entries) == 1:
        return entries[0][1]
    return _zip(entries)


def _structure_of_request(ctx: CallContext, body: dict[str, Any]) -> Structure:
    wanted = optional_object(body, "structure", INPUT)
    structure_id = optional_int(wanted, "idStructure", INPUT)
    if structure_id is not None:
        return own_structure(ctx, structure_id, Refusals.UNKNOWN_STRUCTURE, Refusals.NOT_ATTACHED)
    identifier = str(required(wanted, "identifiantStructure", INPUT))
    identifier_type = optional_choice(wanted, "typeIdentifiantStructure", IDENTIFIER_TYPES, INPUT)
    structure = find_structure_by_identifier(ctx, identifier, identifier_type)
    if structure is None:
        raise Refusals.UNKNOWN_STRUCTURE.error(id=identifier)
    if not is_attached(ctx, structure):
        raise Refusals.NOT_ATTACHED.error(id=identifier)
    return structure


def _owned_attachments(ctx: CallContext, owners: set[str]) -> list[Attachment]:
    return sorted(
        (a for a in ctx.platform.state.attachments.values() if a.owner_login in owners),
        key=lambda a: a.attachment_id,
    )


def _object_files(ctx: CallContext, body: dict[str, Any], kind: str) -> bytes:
    if kind == "DEMANDE_PAIEMENT":
        return _payment_request_files(ctx, body)
    if kind == "UTILISATEUR":
        mine = _owned_attachments(ctx, {ctx.account.login})
        if not mine:
            raise Refusals.NO_ATTACHMENT.error(what=f"le compte {ctx.account.login}")
        return _zip(_attachment_entries(ctx, mine))
    if kind.startswith("STRUCTURE_"):
        structure = _structure_of_request(ctx, body)
        theirs = _owned_attachments(ctx, {a.login for a in accounts_of(ctx, structure)})
        if kind != "STRUCTURE_PIECEJOINTE" or not theirs:
            raise Refusals.NO_ATTACHMENT.error(what=f"la structure {structure.structure_id} ({kind})")
        return _zip(_attachment_entries(ctx, theirs))
    if kind == "ENGAGEMENT_JURIDIQUE":
        number = str(
            required(optional_object(body, "engagementJuridique", INPUT), "numeroEngagementJuridique", INPUT)
        )
        commitment = next((c for c in ctx.platform.state.dataset.commitments if c.number == number), None)
        parties = (
            {commitment.supplier_structure_id, commitment.recipient_structure_id} if commitment else set()
        )
        if commitment is None or not parties & set(ctx.account.structure_ids):
            raise Refusals.UNKNOWN_COMMITMENT.error(number=number)
        raise Refusals.NO_ATTACHMENT.error(what=f"l'engagement juridique {number}")
    # SOLLICITATION: the simulator holds no support requests.
    request_id = required(optional_object(body, "sollicitation", INPUT), "idSollicitation", INPUT)
    raise Refusals.UNKNOWN_REQUEST.error(id=request_id)


@operation(FAMILY, "/telecharger/pieceJointe", "telechargerPieceJointe")
def download_attachment(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    required(body, "objetPieceJointe", INPUT)
    kind = str(optional_choice(body, "objetPieceJointe", ATTACHMENT_OBJECTS, INPUT))
    content = _object_files(ctx, body, kind)
    return success(pieceJointe=base64.b64encode(content).decode("ascii"))


# --- support-request categories ---------------------------------------------------------------------------


def _category_item(category: ref.SupportCategory, lang: str) -> dict[str, Any]:
    return {
        "idTechniqueCategorie": category.category_id,
        "codeCategorie": category.code,
        "libelleCategorie": ref.label(category.labels, lang),
    }


_CATEGORY_SORT_KEYS: dict[str, Callable[[ref.SupportCategory], Any]] = {
    "IdTechniqueCategorie": lambda c: c.category_id,
    "CodeCategorie": lambda c: c.code,
    "LibelleCategorie": lambda c: c.labels[0],
}


@operation(FAMILY, "/rechercher/categorieSollicitation", "rechercherCategoriesSollicitation")
def search_support_categories(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    lang = language(body, INPUT)
    active = optional_bool(body, "estActif", INPUT)
    code = str(body.get("codeCategorie") or "").strip()
    text = str(body.get("libelleCategorie") or "").strip()
    found = [
        c
        for c in ref.SUPPORT_CATEGORIES
        if active in (None, c.active)
        and (not code or c.code == code)
        and (not text or contains_any(c.labels, text))
    ]
    page, paging = checked_page(body, "pagination", found, _CATEGORY_SORT_KEYS, INPUT)
    return success(listeCategories=[_category_item(c, lang) for c in page], parametresRetour=paging)


_SUBCATEGORY_SORT_KEYS: dict[str, Callable[[ref.SupportSubcategory], Any]] = {
    "Code": lambda s: s.code,
    "Libelle": lambda s: s.labels[0],
    "IdTechniqueCategorie": lambda s: s.category_id,
}


@operation(FAMILY, "/rechercher/sousCategorieSollicitation", "rechercherSousCategoriesSollicitation")
def search_support_subcategories(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    """Sub-categories grouped by category, as the go client models the answer: one entry per category
    of the page, `categorie` = [that category], `ssCategorie` = its sub-categories."""
    lang = language(body, INPUT)
    active = optional_bool(body, "estActif", INPUT)
    category_id = optional_int(body, "idTechniqueCategorie", INPUT)
    categories = {c.category_id: c for c in ref.SUPPORT_CATEGORIES}
    if category_id is not None and category_id not in categories:
        raise Refusals.UNKNOWN_CATEGORY.error(id=category_id)
    code = str(body.get("code") or "").strip()
    text = str(body.get("libelle") or "").strip()
    found = [
        s
        for s in ref.SUPPORT_SUBCATEGORIES
        if active in (None, s.active)
        and category_id in (None, s.category_id)
        and (not code or s.code == code)
        and (not text or contains_any(s.labels, text))
    ]
    page, paging = checked_page(body, "pagination", found, _SUBCATEGORY_SORT_KEYS, INPUT)
    groups: dict[int, list[dict[str, Any]]] = {}
    for s in page:
        groups.setdefault(s.category_id, []).append(
            {
                "code": s.code,
                "libelle": ref.label(s.labels, lang),
                "estActif": s.active,
                "idTechniqueCategorie": s.category_id,
                "dateCreation": api_timestamp(ref.SUPPORT_LIST_CREATED),
                "dateDerniereModification": api_timestamp(ref.SUPPORT_LIST_CREATED),
            }
        )
    return success(
        listeSousCategories=[
            {"categorie": [_category_item(categories[cid], lang)], "ssCategorie": subs}
            for cid, subs in groups.items()
        ],
        parametresRetour=paging,
    )


# --- deprecated services --------------------------------------------------------------------------------


def _deprecated(name: str, replacement: str) -> Callable[[CallContext, dict[str, Any]], dict[str, Any]]:
    def handler(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
        raise Refusals.DEPRECATED.error(name=name, replacement=replacement)

    return handler


# Still declared by the Swagger but deprecated (reference §2.2): they answer a business error naming the
# service to use instead [ours].
operation(FAMILY, "/recuperer/structuresPourUtilisateur", "recupererStructuresPourUtilisateur")(
    _deprecated("recupererStructuresPourUtilisateur", "utilisateurs/v1/monCompte/recuperer/rattachements")
)
operation(FAMILY, "/rechercher/serviceexecutant", "rechercherServiceExecutant")(
    _deprecated("rechercherServiceExecutant", "structures/v1/rechercher/services")
)
operation(FAMILY, "/detacherPieceJointe", "detacherPieceJointe")(
    _deprecated("detacherPieceJointe", "factures/v1/completer")
)
