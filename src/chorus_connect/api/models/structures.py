"""Models of the Structures API (``/cpro/structures/v1``), after its official Swagger."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from chorus_connect.api.models._base import (
    ChorusDate,
    ChorusModel,
    ChorusRequest,
    ChorusResponse,
    PagedRequest,
    PagedResponse,
    PageRequest,
    TolerantEnum,
    wire,
)
from chorus_connect.api.models.enums import (
    IdentifierType,
    LanguageCode,
    StructureKind,
    StructureStatus,
    StructureStatusFilter,
)


class StructureCriteria(ChorusModel):
    identifier: str | None = wire("identifiantStructure")
    identifier_type: IdentifierType | None = wire("typeIdentifiantStructure")
    company_name: str | None = wire("raisonSocialeStructure")
    label: str | None = wire("libelleStructure")
    last_name: str | None = wire("nomStructure")
    first_name: str | None = wire("prenomStructure")
    postal_code: str | None = wire("adresseCodePostal")
    city: str | None = wire("adresseVille")
    country_code: str | None = wire("adresseCodePays")
    status: StructureStatusFilter | None = wire("statutStructure")
    kind: StructureKind | None = wire("typeStructure")
    is_moa: bool | None = wire("estMOA")
    is_moa_only: bool | None = wire("estMOAUniquement")


class SearchStructuresRequest(PagedRequest):
    """``rechercherStructure``. ``restrict_private_structures`` absent/True: only the private structures
    the account is attached to; False: all (reference §2.3)."""

    paging: PageRequest | None = wire("parametres")
    structure: StructureCriteria | None = wire("structure")
    restrict_private_structures: bool | None = wire("restreindreStructuresPrivees")


class StructureSummary(ChorusModel):
    structure_id: int | None = wire("idStructureCPP")
    identifier: str | None = wire("identifiantStructure")
    name: str | None = wire("designationStructure")
    identifier_type: IdentifierType | None = wire("typeIdentifiantStructure")
    status: StructureStatus | None = wire("statut")


class SearchStructuresResponse(PagedResponse):
    items_field = "structures"
    structures: list[StructureSummary] = Field(default_factory=list, alias="listeStructures")


class ConsultStructureRequest(ChorusRequest):
    """``consulterStructure`` (Swagger operationId ``consulterStructureAvecTVAIntraCom``)."""

    structure_id: int = wire("idStructureCPP", ...)
    language: LanguageCode | None = wire("codeLangue")


class PostalAddress(ChorusModel):
    address: str | None = wire("adresse")
    complement1: str | None = wire("complementAdresse1")
    complement2: str | None = wire("complementAdresse2")
    postal_code: str | None = wire("codePostal")
    city: str | None = wire("ville")
    country: str | None = wire("pays")
    phone: str | None = wire("telephone")
    phone_prefix: str | None = wire("indicatifTelephone")
    fax: str | None = wire("fax")
    fax_prefix: str | None = wire("indicatifFax")


class StructureGeneralInfo(ChorusModel):
    structure_id: int | None = wire("idStructureCPP")
    identifier: str | None = wire("identifiantStructure")
    identifier_type: IdentifierType | None = wire("typeIdentifiantStructure")
    company_name: str | None = wire("raisonSocialeStructure")
    label: str | None = wire("libelleStructure")
    last_name: str | None = wire("nomStructure")
    first_name: str | None = wire("prenomStructure")
    email: str | None = wire("emailStructure")
    rcs_number: str | None = wire("numeroRcsStructure")
    vat_number: str | None = wire("numeroTVA")
    kind: StructureKind | None = wire("structurePriveePublique")
    is_delegated_validator: bool | None = wire("estValideurDeleguee")
    origin_structure_id: int | None = wire("idStructureOrigine")
    duplicated_structures: list[dict[str, Any]] | None = wire("listeStructureDupliquees")
    technical_password_expires_at: ChorusDate | None = wire("dateExpirationMotPasseCompteTech")


class StructureSettings(ChorusModel):
    """The flags that make data mandatory on invoices to this structure (``ParamModifierStructure``)."""

    engagement_required: bool | None = wire("numeroEJDoitEtreRenseigne")
    service_required: bool | None = wire("codeServiceDoitEtreRenseigne")
    engagement_or_service_required: bool | None = wire("gestionNumeroEJOuCodeService")
    payment_status_not_reported: bool | None = wire("statutMiseEnPaiementNestPasRemonte")
    edi_connection: bool | None = wire("connexionEDI")
    receives_data_via_edi: bool | None = wire("recevoirDonneesViaEDI")
    moa_only: bool | None = wire("estMoaUniquement")
    delegated_validator: bool | None = wire("estValideurDelegue")
    geta_moa: bool | None = wire("getaMoa")
    not_public_insee: bool | None = wire("nonDiffusibleInsee")


class ConsultStructureResponse(ChorusResponse):
    head_office_address: PostalAddress | None = wire("adressePostaleDuSiege")
    general_info: StructureGeneralInfo | None = wire("informationGenerales")
    settings: StructureSettings | None = wire("parametres")


class SearchServicesRequest(PagedRequest):
    """``rechercherServicesStructure``."""

    paging: PageRequest | None = wire("parametresRechercherServicesStructure")
    structure_id: int = wire("idStructure", ...)


class ServiceSummary(ChorusModel):
    service_id: int | None = wire("idService")
    code: str | None = wire("codeService")
    label: str | None = wire("libelleService")
    active: bool | None = wire("estActif")
    status: str | None = wire("statutService")
    starts_on: ChorusDate | None = wire("dateDbtService")
    ends_on: ChorusDate | None = wire("dateFinService")


class SearchServicesResponse(PagedResponse):
    items_field = "services"
    services: list[ServiceSummary] = Field(default_factory=list, alias="listeServices")


class ConsultServiceRequest(ChorusRequest):
    """``consulterServiceStructure``."""

    structure_id: int = wire("idStructure", ...)
    service_id: int = wire("idService", ...)
    language: LanguageCode | None = wire("codeLangue")


class ServiceGeneralInfo(ChorusModel):
    code: str | None = wire("codeService")
    name: str | None = wire("nomService")
    description: str | None = wire("descriptionService")


class ServiceSettings(ChorusModel):
    engagement_required: bool | None = wire("numeroEngagement")
    payment_status_reported: bool | None = wire("miseEnPaiement")
    created_at: ChorusDate | None = wire("dateCreation")
    modified_at: ChorusDate | None = wire("dateModification")
    valid_from: ChorusDate | None = wire("dateDebutValidite")
    valid_to: ChorusDate | None = wire("dateFinValidite")


class ConsultServiceResponse(ChorusResponse):
    general_info: ServiceGeneralInfo | None = wire("informationsGenerales")
    postal_address: PostalAddress | None = wire("adressePostale")
    settings: ServiceSettings | None = wire("parametres")


class AttachmentStatus(TolerantEnum):
    PENDING_VALIDATION = "EN_COURS_DE_VALIDATION"
    REFUSED = "REFUSEE"
    VALIDATED = "VALIDEE"
    DISABLED = "DESACTIVEE"
    DELETED = "SUPPRIMEE"


class ListUserAttachmentsRequest(PagedRequest):
    """``listerRattachementsStructureUtilisateur``."""

    paging: PageRequest | None = wire("parametresListerRattachementsStructureUtilisateur")
    structure_id: int | None = wire("idStructure")
    structure_identifier: str | None = wire("identifiantStructure")
    identifier_type: IdentifierType | None = wire("typeIdentifiantStructure")
    user_id: int | None = wire("idUtilisateur")
    user_email: str | None = wire("adresseEmailConnexionUtilisateur")


class UserServiceAttachment(ChorusModel):
    service_id: int | None = wire("idService")
    service_code: str | None = wire("codeService")
    service_name: str | None = wire("nomService")
    attachment_id: int | None = wire("idRattachement")
    status: AttachmentStatus | None = wire("statutRattachement")
    starts_at: ChorusDate | None = wire("dateDebut")
    ends_at: ChorusDate | None = wire("dateFin")
    comment: str | None = wire("commentaire")


class ListUserAttachmentsResponse(PagedResponse):
    items_field = "services"
    structure_id: int | None = wire("idStructure")
    structure_identifier: str | None = wire("identifiantStructure")
    structure_name: str | None = wire("designationStructure")
    services: list[UserServiceAttachment] = Field(default_factory=list, alias="listeServices")


class SpaceStructureCriteria(ChorusModel):
    structure_id: int | None = wire("idStructure")
    identifier: str | None = wire("identifiantStructure")
    identifier_type: IdentifierType | None = wire("typeIdentifiantStructure")


class SearchSpacesRequest(PagedRequest):
    """``rechercherEspaces``."""

    paging: PageRequest | None = wire("parametresRechercherEspaces")
    service_id: int | None = wire("idService")
    structure: SpaceStructureCriteria | None = wire("structure")


class Space(ChorusModel):
    space_id: int | None = wire("idEspaceFo")
    code: int | str | None = wire("codeEspace")
    label: str | None = wire("libelleEspace")
    state: str | None = wire("etatCourant")
    permission: str | None = wire("typeHabilitation")
    service_id: int | None = wire("idService")
    service_code: str | None = wire("codeService")
    service_label: str | None = wire("libelleService")


class SearchSpacesResponse(PagedResponse):
    items_field = "spaces"
    spaces: list[Space] = Field(default_factory=list, alias="listeEspace")
